//! Reading the audit log (REQ-AUD-13, REQ-AUD-14): events in ascending `seq`, exactly as hashed.

use std::str::FromStr;

use credential_issuer_spec::operations::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page};
use credential_issuer_spec::{ApiScope, AuditEvent, CredentialId};

use super::{Call, Context, LifecycleError, RequestError};
use crate::store::AuditQuery;

/// A page of audit events for the query parameters `credential_id`, `after_seq`, `cursor`, `limit`.
pub async fn list_audit(
    context: &Context,
    call: &Call,
    pairs: &[(String, String)],
) -> Result<Page<AuditEvent>, LifecycleError> {
    call.require(ApiScope::AuditRead)?;
    let invalid = |name: &str| LifecycleError::from(RequestError::QueryValue(name.to_owned()));
    let mut query = AuditQuery {
        limit: DEFAULT_PAGE_SIZE,
        ..AuditQuery::default()
    };
    let (mut after_seq, mut cursor) = (None, None);
    for (name, value) in pairs {
        match name.as_str() {
            "credential_id" => {
                query.credential_id =
                    Some(CredentialId::from_str(value).map_err(|_| invalid(name))?);
            }
            "after_seq" => after_seq = Some(value.parse::<u64>().map_err(|_| invalid(name))?),
            "cursor" => cursor = Some(value.parse::<u64>().map_err(|_| invalid(name))?),
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
                    .ok_or_else(|| invalid(name))?;
            }
            other => {
                return Err(RequestError::UnknownQueryParameter(other.to_owned()).into());
            }
        }
    }
    query.after_seq = match (after_seq, cursor) {
        (Some(_), Some(_)) => {
            return Err(RequestError::AfterSeqAndCursor.into());
        }
        (Some(seq), None) | (None, Some(seq)) => seq,
        (None, None) => 0,
    };
    let items = context
        .store
        .audit_events(context.issuer.id.as_str(), &query)
        .await?;
    let next_cursor = match items.last() {
        Some(last) if items.len() == query.limit as usize => Some(last.seq.to_string()),
        _ => None,
    };
    Ok(Page { items, next_cursor })
}
