//! List and get (REQ-LIST-*, REQ-PAGE-*): credential documents, never a secret, with statuses
//! exact at the time of the request.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_issuer_spec::operations::list::ListQuery;
use credential_issuer_spec::operations::{DEFAULT_PAGE_SIZE, Page};
use credential_issuer_spec::{ApiScope, Credential, CredentialId};

use super::expiry::settle;
use super::{Call, Context, LifecycleError, RequestError};
use crate::store::{CredentialFilter, StatusAt};

/// One credential.
pub async fn get(
    context: &Context,
    call: &Call,
    id: &CredentialId,
) -> Result<Credential, LifecycleError> {
    call.require(ApiScope::CredentialsRead)?;
    context.offer(credential_issuer_spec::Operation::List)?;
    let mut record = context
        .store
        .credential(context.issuer.id.as_str(), id)
        .await?
        .ok_or_else(|| LifecycleError::CredentialNotFound(id.clone()))?;
    settle(&mut record, context.clock.now());
    Ok(record.credential)
}

/// A page of credentials matching the query parameters `pairs`.
pub async fn list(
    context: &Context,
    call: &Call,
    pairs: &[(String, String)],
) -> Result<Page<Credential>, LifecycleError> {
    call.require(ApiScope::CredentialsRead)?;
    context.offer(credential_issuer_spec::Operation::List)?;
    let query = ListQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(RequestError::from)?;
    for key in query.metadata.keys() {
        let mut chars = key.chars();
        let valid = matches!(chars.next(), Some('a'..='z'))
            && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-'));
        if !valid {
            return Err(RequestError::MetadataKey(key.clone()).into());
        }
    }
    if query.cursor.is_none() {
        super::adoption::adopt_listed(context, call).await?;
    }
    let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    let now = context.clock.now();
    let filter = CredentialFilter {
        status: query.status.map(|status| StatusAt { status, at: now }),
        credential_type: query.credential_type,
        metadata: query.metadata,
        after: query.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let mut records = context
        .store
        .credentials(context.issuer.id.as_str(), &filter)
        .await?;
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let next_cursor = match records.last() {
        Some(last) if more => Some(URL_SAFE_NO_PAD.encode(last.credential.id.as_str())),
        _ => None,
    };
    let items = records
        .into_iter()
        .map(|mut record| {
            settle(&mut record, now);
            record.credential
        })
        .collect();
    Ok(Page { items, next_cursor })
}

fn decode_cursor(cursor: &str) -> Result<CredentialId, LifecycleError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|id| CredentialId::from_str(&id).ok())
        .ok_or_else(|| RequestError::Cursor.into())
}
