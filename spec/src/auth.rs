//! The issuer API's own scopes: what a caller's bearer token may do (spec §"Authentication").

use std::fmt;

use serde::{Deserialize, Serialize};

/// An issuer-API scope held by a caller's token. Not to be confused with a credential's
/// [`Grant`](crate::Grant)s, which say what the minted credential may do at the vendor's API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum ApiScope {
    /// `audit:read`: read the audit log and checkpoints.
    #[serde(rename = "audit:read")]
    AuditRead,
    /// `credentials:create`: create credentials.
    #[serde(rename = "credentials:create")]
    CredentialsCreate,
    /// `credentials:introspect`: introspect secrets.
    #[serde(rename = "credentials:introspect")]
    CredentialsIntrospect,
    /// `credentials:read`: list and get credentials.
    #[serde(rename = "credentials:read")]
    CredentialsRead,
    /// `credentials:revoke`: revoke credentials and versions.
    #[serde(rename = "credentials:revoke")]
    CredentialsRevoke,
    /// `credentials:rotate`: rotate credentials.
    #[serde(rename = "credentials:rotate")]
    CredentialsRotate,
    /// `exposures:report`: report exposed secrets.
    #[serde(rename = "exposures:report")]
    ExposuresReport,
    /// `requests:approve`: approve and deny access requests.
    #[serde(rename = "requests:approve")]
    RequestsApprove,
    /// `requests:create`: ask for access and collect the result.
    #[serde(rename = "requests:create")]
    RequestsCreate,
    /// `requests:read`: list and read access requests.
    #[serde(rename = "requests:read")]
    RequestsRead,
}

impl ApiScope {
    /// Every scope, alphabetically.
    pub const ALL: [ApiScope; 10] = [
        Self::AuditRead,
        Self::CredentialsCreate,
        Self::CredentialsIntrospect,
        Self::CredentialsRead,
        Self::CredentialsRevoke,
        Self::CredentialsRotate,
        Self::ExposuresReport,
        Self::RequestsApprove,
        Self::RequestsCreate,
        Self::RequestsRead,
    ];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuditRead => "audit:read",
            Self::CredentialsCreate => "credentials:create",
            Self::CredentialsIntrospect => "credentials:introspect",
            Self::CredentialsRead => "credentials:read",
            Self::CredentialsRevoke => "credentials:revoke",
            Self::CredentialsRotate => "credentials:rotate",
            Self::ExposuresReport => "exposures:report",
            Self::RequestsApprove => "requests:approve",
            Self::RequestsCreate => "requests:create",
            Self::RequestsRead => "requests:read",
        }
    }
}

/// A string that names no issuer-API scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown issuer-API scope {0:?}")]
pub struct UnknownApiScope(pub String);

impl std::str::FromStr for ApiScope {
    type Err = UnknownApiScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownApiScope(s.to_owned()))
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
