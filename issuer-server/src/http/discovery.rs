//! The discovery documents: manifest, permission schema, OpenAPI description. No
//! authentication (REQ-DISC-4); `ETag`, `Cache-Control` and `If-None-Match` (REQ-DISC-10, -11).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::{AppState, Document};

/// How long clients may cache discovery documents, in seconds.
const MAX_AGE: &str = "public, max-age=300";

fn serve(document: &Document, request: &HeaderMap) -> Response {
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == document.etag || t.trim() == "*")
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            document.body.clone(),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
    if let Ok(etag) = HeaderValue::from_str(&document.etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// `GET /.well-known/credential-issuer[/path]`: the JSON manifest, or the signed manifest when
/// the request prefers `application/jwt` (REQ-DISC-17).
pub(crate) async fn manifest(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if prefers_jwt(&headers) {
        let mut response = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/jwt")],
            state.signed_manifest.as_str().to_owned(),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
        return response;
    }
    let mut response = serve(&state.manifest, &headers);
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// Whether `Accept` ranks `application/jwt` above `application/json` (by q, then by order).
fn prefers_jwt(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let rank = |wanted: &str| {
        accept.split(',').enumerate().find_map(|(position, range)| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim();
            if !media.eq_ignore_ascii_case(wanted) {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((q, position))
        })
    };
    match (rank("application/jwt"), rank("application/json")) {
        (Some((q, _)), None) => q > 0.0,
        (Some((jwt_q, jwt_at)), Some((json_q, json_at))) => {
            jwt_q > json_q || (jwt_q == json_q && jwt_q > 0.0 && jwt_at < json_at)
        }
        _ => false,
    }
}

/// `GET {endpoint}/jwks.json`: the keys that sign the manifest and checkpoints.
pub(crate) async fn jwks(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state.jwks, &headers)
}

/// `GET {endpoint}/permission-schema`.
pub(crate) async fn permission_schema(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    serve(&state.permission_schema, &headers)
}

/// `GET /openapi.json`.
pub(crate) async fn openapi(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state.openapi, &headers)
}
