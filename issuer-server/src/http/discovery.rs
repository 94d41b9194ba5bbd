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

/// `GET /.well-known/credential-issuer[/path]`. This issuer has no signed manifest yet, so a
/// request preferring `application/jwt` gets the JSON manifest (REQ-DISC-18).
pub(crate) async fn manifest(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state.manifest, &headers)
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
