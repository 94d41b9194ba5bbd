//! Building successful responses: JSON bodies and the headers the spec asks for.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use credential_issuer_spec::operations::get;
use credential_issuer_spec::{Credential, IssuedCredential};

use crate::http::error::ApiError;
use crate::lifecycle::{LifecycleError, RequestError};
use crate::state::AppState;

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "could not serialise a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A JSON response that must not be cached (it holds a secret, or answers about one).
pub(crate) fn no_store(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let mut response = json(status, value);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A credential, with its version as `ETag`.
pub(crate) fn credential(credential: &Credential) -> Response {
    let mut response = json(StatusCode::OK, credential);
    set_etag(response.headers_mut(), &credential.etag());
    response
}

/// An issued credential (create, rotate): `no-store`, `ETag` and, for 201, `Location`.
pub(crate) fn issued(status: StatusCode, state: &AppState, issued: &IssuedCredential) -> Response {
    let mut response = no_store(status, issued);
    let headers = response.headers_mut();
    set_etag(headers, &issued.credential.etag());
    if status == StatusCode::CREATED {
        let location = state
            .context
            .issuer
            .operation_url(&get::ENDPOINT, issued.credential.id.as_str());
        if let Ok(value) = HeaderValue::from_str(location.as_str()) {
            headers.insert(header::LOCATION, value);
        }
    }
    response
}

fn set_etag(headers: &mut HeaderMap, etag: &str) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
}

/// A request header as text; a value that is not visible ASCII is a bad request.
pub(crate) fn header_text<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|value| {
            value.to_str().map_err(|_| {
                ApiError::from(LifecycleError::from(RequestError::HeaderNotText(name)))
            })
        })
        .transpose()
}
