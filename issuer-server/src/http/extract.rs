//! Extractors that decode a request's parts into spec types before the lifecycle sees them:
//! strict JSON bodies (REQ-ERR-4, REQ-ERR-5) and credential ids in paths.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use credential_issuer_spec::CredentialId;
use serde::de::DeserializeOwned;

use super::body_limit::MAX_BODY_BYTES;
use super::error::ApiError;
use crate::lifecycle::{Decoded, LifecycleError, RequestError};

/// A JSON body that must be present. Unknown members, duplicate members, wrong types and
/// trailing data are refused by the types' `deny_unknown_fields` and by serde_json.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) Decoded<T>);

/// A JSON body whose members are all optional: an empty body is `{}`.
#[derive(Debug)]
pub(crate) struct OptionalJsonBody<T>(pub(crate) Decoded<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = bytes(request, state).await?;
        Ok(Self(decode(&body, false)))
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let body = bytes(request, state).await?;
        Ok(Self(decode(&body, true)))
    }
}

/// The body, buffered within the limit by the body-limit middleware already.
async fn bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(MAX_BODY_BYTES))
}

fn decode<T: DeserializeOwned>(body: &[u8], empty_is_object: bool) -> Decoded<T> {
    let body: &[u8] = match (body.iter().all(u8::is_ascii_whitespace), empty_is_object) {
        (true, true) => b"{}",
        (true, false) => return Err(RequestError::EmptyBody),
        (false, _) => body,
    };
    serde_json::from_slice(body).map_err(RequestError::Body)
}

/// The credential id of a `/credentials/{id}/...` path; a malformed one names no credential
/// (404).
#[derive(Debug)]
pub(crate) struct CredentialPath(pub(crate) CredentialId);

impl<S: Send + Sync> FromRequestParts<S> for CredentialPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let no_such_path = || ApiError::from(LifecycleError::NoSuchPath);
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| no_such_path())?;
        CredentialId::from_str(&raw)
            .map(Self)
            .map_err(|_| no_such_path())
    }
}

#[cfg(test)]
mod tests {
    use credential_issuer_spec::operations::revoke::RevokeRequest;

    use super::*;

    #[test]
    fn empty_bodies_are_refused_or_an_empty_object() {
        assert!(matches!(
            decode::<RevokeRequest>(b" \n", false),
            Err(RequestError::EmptyBody)
        ));
        assert!(decode::<RevokeRequest>(b"", true).is_ok());
        assert!(matches!(
            decode::<RevokeRequest>(br#"{"reason":"x","extra":1}"#, true),
            Err(RequestError::Body(_))
        ));
    }
}
