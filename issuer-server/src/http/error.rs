//! The one place where errors become RFC 9457 problem documents (REQ-ERR-11 and following).
//!
//! 4xx details say what was wrong without echoing anything long from the request (which could
//! be a secret, REQ-ERR-16); 5xx bodies are generic and the cause goes to the log only.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use credential_issuer_spec::problem::PROBLEM_CONTENT_TYPE;
use credential_issuer_spec::{Problem, ProblemType};

use super::request_id;
use crate::lifecycle::LifecycleError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The operation refused or failed.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// No token, or one the issuer does not know.
    #[error("a valid bearer token is required")]
    Unauthorized {
        /// Whether a token was presented at all.
        presented: bool,
    },
    /// No route.
    #[error("there is nothing at this path")]
    NotFound,
    /// The route exists, the method does not.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The body is over the limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The body is not JSON.
    #[error("request bodies must be application/json")]
    UnsupportedMediaType,
    /// The issuer does not offer this operation.
    #[error("this issuer does not offer the {0} operation")]
    OperationNotSupported(&'static str),
    /// The store does not answer.
    #[error("the issuer's store is unavailable")]
    Unavailable,
}

impl ApiError {
    fn problem_type(&self) -> ProblemType {
        match self {
            Self::Lifecycle(error) => error.problem_type(),
            Self::Unauthorized { .. } => ProblemType::Unauthorized,
            Self::NotFound => ProblemType::NotFound,
            Self::MethodNotAllowed => ProblemType::MethodNotAllowed,
            Self::PayloadTooLarge(_) => ProblemType::PayloadTooLarge,
            Self::UnsupportedMediaType => ProblemType::UnsupportedMediaType,
            Self::OperationNotSupported(_) => ProblemType::OperationNotSupported,
            Self::Unavailable => ProblemType::Unavailable,
        }
    }
}

/// Replaces every quoted fragment longer than 32 characters with `…`, so that a detail built
/// from a parser message never carries a secret from the request.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(end) => {
                let inner = &after[..end];
                out.push_str(if inner.chars().count() > 32 {
                    "…"
                } else {
                    inner
                });
                out.push(quote);
                rest = &after[end + 1..];
            }
            None => {
                out.push('…');
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem_type = self.problem_type();
        let request_id = request_id::current();
        let status = StatusCode::from_u16(problem_type.status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Only an internal error hides its cause; a vendor's refusal or outage (which names the
        // vendor's error code, never a secret) and a missing operation are the caller's to know.
        let detail = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, cause = ?std::error::Error::source(&self), "request failed");
            format!("the issuer could not complete the request; quote request id {request_id}")
        } else if status.is_server_error() {
            tracing::warn!(error = %self, problem = problem_type.name(), "request failed");
            redact_quoted(&self.to_string())
        } else {
            tracing::info!(problem = problem_type.name(), "request refused");
            redact_quoted(&self.to_string())
        };
        let mut problem = Problem::new(problem_type, detail);
        problem.instance = Some(format!("urn:request:{request_id}"));
        if let Self::Lifecycle(LifecycleError::RotationConflict { current_version }) = &self {
            problem = problem.with_extension("current_version", *current_version);
        }
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match &self {
            Self::Unauthorized { presented: true } => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            Self::Unauthorized { presented: false } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::redact_quoted;

    #[test]
    fn long_quoted_fragments_are_redacted() {
        let secret = "cik_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
        let message = format!("invalid type: string \"{secret}\", expected u32 at line 1");
        let redacted = redact_quoted(&message);
        assert!(!redacted.contains(secret));
        assert_eq!(
            redacted,
            "invalid type: string \"…\", expected u32 at line 1"
        );
        assert_eq!(
            redact_quoted("unknown field `admin`"),
            "unknown field `admin`"
        );
    }
}
