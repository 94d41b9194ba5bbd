//! `GET /credentials`: list credentials, filtered, a page at a time (spec §"List and get").

use std::collections::BTreeMap;

use super::{Endpoint, Method};
use crate::auth::ApiScope;
use crate::credential::CredentialStatus;
use crate::vocabulary::CredentialType;

/// Answers `200` with a [`Page`](super::Page) of [`Credential`](crate::Credential)s.
pub const ENDPOINT: Endpoint = Endpoint {
    method: Method::Get,
    path: "/credentials",
    scope: ApiScope::CredentialsRead,
};

/// The query of a listing: `status`, `type`, `metadata.<key>`, `limit`, `cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only credentials with this status.
    pub status: Option<CredentialStatus>,
    /// Only credentials of this type.
    pub credential_type: Option<CredentialType>,
    /// Only credentials whose metadata holds each of these pairs.
    pub metadata: BTreeMap<String, String>,
    /// At most this many items (1 to [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE)).
    pub limit: Option<u32>,
    /// Where to continue, from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A query parameter the listing does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListQueryError {
    /// A parameter the spec does not define.
    #[error("unknown query parameter {0:?}")]
    UnknownParameter(String),
    /// A parameter with a value it cannot take.
    #[error("invalid value for {0:?}")]
    InvalidValue(String),
}

impl ListQuery {
    /// The query as `(name, value)` pairs, in a stable order.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Some(status) = self.status {
            pairs.push(("status".to_owned(), status.as_str().to_owned()));
        }
        if let Some(credential_type) = &self.credential_type {
            pairs.push(("type".to_owned(), credential_type.to_string()));
        }
        for (key, value) in &self.metadata {
            pairs.push((format!("metadata.{key}"), value.clone()));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit".to_owned(), limit.to_string()));
        }
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor".to_owned(), cursor.clone()));
        }
        pairs
    }

    /// Reads a query from `(name, value)` pairs, refusing what the spec does not define.
    ///
    /// ```
    /// use credential_issuer_spec::operations::list::ListQuery;
    /// let q = ListQuery::from_pairs([("status", "active"), ("metadata.project", "web")]).unwrap();
    /// assert_eq!(q.metadata["project"], "web");
    /// assert!(ListQuery::from_pairs([("limit", "0")]).is_err());
    /// ```
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ListQueryError> {
        let mut query = Self::default();
        for (name, value) in pairs {
            let (name, value) = (name.as_ref(), value.as_ref());
            let invalid = || ListQueryError::InvalidValue(name.to_owned());
            match name {
                "status" => {
                    query.status = Some(match value {
                        "active" => CredentialStatus::Active,
                        "expired" => CredentialStatus::Expired,
                        "revoked" => CredentialStatus::Revoked,
                        _ => return Err(invalid()),
                    })
                }
                "type" => {
                    query.credential_type = Some(
                        serde_json::from_value(serde_json::Value::String(value.to_owned()))
                            .map_err(|_| invalid())?,
                    )
                }
                "limit" => {
                    let limit: u32 = value.parse().map_err(|_| invalid())?;
                    if !(1..=super::MAX_PAGE_SIZE).contains(&limit) {
                        return Err(invalid());
                    }
                    query.limit = Some(limit);
                }
                "cursor" => {
                    if value.is_empty() || value.len() > 512 {
                        return Err(invalid());
                    }
                    query.cursor = Some(value.to_owned());
                }
                other => match other.strip_prefix("metadata.") {
                    Some(key) if !key.is_empty() && key.len() <= 64 => {
                        query.metadata.insert(key.to_owned(), value.to_owned());
                    }
                    _ => return Err(ListQueryError::UnknownParameter(other.to_owned())),
                },
            }
        }
        Ok(query)
    }
}
