//! Request bodies: strict JSON into the spec's request types (REQ-ERR-4, REQ-ERR-5).

use std::str::FromStr;

use credential_issuer_spec::CredentialId;
use serde::de::DeserializeOwned;

use super::LifecycleError;
use super::RequestError;

/// Whether an empty body means `{}` (operations whose members are all optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Empty {
    /// An empty body is `{}`.
    IsEmptyObject,
    /// An empty body is refused.
    Refused,
}

/// Decodes a request body. Unknown members, duplicate members, wrong types and trailing data
/// are refused by the types' `deny_unknown_fields` and by serde_json.
pub(super) fn decode<T: DeserializeOwned>(body: &[u8], empty: Empty) -> Result<T, LifecycleError> {
    let body: &[u8] = match (body.iter().all(u8::is_ascii_whitespace), empty) {
        (true, Empty::IsEmptyObject) => b"{}",
        (true, Empty::Refused) => {
            return Err(RequestError::EmptyBody.into());
        }
        (false, _) => body,
    };
    serde_json::from_slice(body).map_err(|error| RequestError::Body(error).into())
}

/// A credential id from a path; a malformed one names no credential (404).
pub(super) fn credential_id(raw: &str) -> Result<CredentialId, LifecycleError> {
    CredentialId::from_str(raw).map_err(|_| LifecycleError::NoSuchPath)
}
