//! Request bodies are checked before anything else (REQ-AUTH-7 order): media type (415), then
//! size (413, REQ-ERR-7), and buffered within the limit so that handlers get plain bytes.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;

/// The largest request body accepted: 64 KiB.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// Middleware: refuses non-JSON and oversized bodies; buffers the rest.
pub(crate) async fn check(request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let declared_json = request.headers().get(header::CONTENT_TYPE).map(|value| {
        value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
    });
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES) {
        return ApiError::PayloadTooLarge(MAX_BODY_BYTES).into_response();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::PayloadTooLarge(MAX_BODY_BYTES).into_response();
    };
    match declared_json {
        Some(false) => return ApiError::UnsupportedMediaType.into_response(),
        None if !bytes.is_empty() => return ApiError::UnsupportedMediaType.into_response(),
        _ => {}
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
