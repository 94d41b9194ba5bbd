//! The small HTTP client the vendor shims share for the vendors' JSON admin APIs: one base URL,
//! the vendor's authentication headers (marked sensitive, never logged), and typed errors that
//! name the method, the path, the HTTP status and the vendor's error code, never a secret or a
//! response body.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::BackendError;

/// A client for one vendor's admin API.
#[derive(Debug, Clone)]
pub struct VendorHttp {
    vendor: &'static str,
    base: Url,
    client: reqwest::Client,
}

/// Why a vendor call failed. Never holds a secret: only the method, the path (made of ids), the
/// status and the vendor's machine-readable error code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VendorHttpError {
    /// The vendor could not be reached, or did not answer in time.
    #[error("{vendor}: {method} {path}: the admin API could not be reached: {reason}")]
    Transport {
        /// The vendor.
        vendor: &'static str,
        /// The HTTP method.
        method: reqwest::Method,
        /// The path called.
        path: String,
        /// What went wrong (the URL left out).
        reason: String,
    },
    /// The vendor answered with an error status.
    #[error("{vendor}: {method} {path}: HTTP {status}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Status {
        /// The vendor.
        vendor: &'static str,
        /// The HTTP method.
        method: reqwest::Method,
        /// The path called.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The vendor's error code or type, when its error body has one.
        code: Option<String>,
    },
    /// The vendor's answer is not what its API description says.
    #[error("{vendor}: {method} {path}: unexpected response: {reason}")]
    Decode {
        /// The vendor.
        vendor: &'static str,
        /// The HTTP method.
        method: reqwest::Method,
        /// The path called.
        path: String,
        /// What did not fit (a serde message, which names fields, never values of secrets).
        reason: String,
    },
    /// An identifier would not be a single, safe path segment.
    #[error("{vendor}: {what} is not a usable path segment")]
    Segment {
        /// The vendor.
        vendor: &'static str,
        /// Which identifier.
        what: &'static str,
    },
    /// A header value (an admin credential) is not a valid HTTP header value.
    #[error("{vendor}: header {name} has a value that is not valid in HTTP")]
    Header {
        /// The vendor.
        vendor: &'static str,
        /// The header's name.
        name: &'static str,
    },
}

impl VendorHttpError {
    /// The HTTP status the vendor answered with, if it answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<VendorHttpError> for BackendError {
    fn from(error: VendorHttpError) -> Self {
        match error.status() {
            // The vendor refused the request itself; authentication, rate limits and the
            // vendor's own failures are the vendor being unavailable to this issuer.
            Some(400 | 404 | 409 | 422) => BackendError::Rejected(error.to_string()),
            _ => BackendError::Unavailable(error.to_string()),
        }
    }
}

impl VendorHttp {
    /// A client for `vendor`'s admin API at `base` (scheme, host and an optional path prefix).
    pub fn new(vendor: &'static str, base: Url) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("credential-issuer/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            vendor,
            base,
            client,
        }
    }

    /// `value` as one path segment: letters, digits, `-`, `_` and `.` only (vendor ids are).
    pub fn segment<'a>(
        &self,
        what: &'static str,
        value: &'a str,
    ) -> Result<&'a str, VendorHttpError> {
        let safe = !value.is_empty()
            && value != "."
            && value != ".."
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if safe {
            Ok(value)
        } else {
            Err(VendorHttpError::Segment {
                vendor: self.vendor,
                what,
            })
        }
    }

    /// Headers for a call; each value is marked sensitive, so no log shows it.
    pub fn headers(&self, pairs: &[(&'static str, &str)]) -> Result<HeaderMap, VendorHttpError> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let mut value = HeaderValue::from_str(value).map_err(|_| VendorHttpError::Header {
                vendor: self.vendor,
                name,
            })?;
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static(name), value);
        }
        Ok(headers)
    }

    /// Calls `method path` (the path starting with `/`, the query in `query`) and decodes the
    /// JSON answer as `T`.
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        headers: HeaderMap,
        body: Option<&Value>,
    ) -> Result<T, VendorHttpError> {
        let bytes = self
            .call(method.clone(), path, query, headers, body)
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| VendorHttpError::Decode {
            vendor: self.vendor,
            method,
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Calls `method path` and ignores the answer's body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: HeaderMap,
        body: Option<&Value>,
    ) -> Result<(), VendorHttpError> {
        self.call(method, path, &[], headers, body).await.map(drop)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        headers: HeaderMap,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, VendorHttpError> {
        let url = format!("{}{path}", self.base.as_str().trim_end_matches('/'));
        let mut headers = headers;
        if !headers.contains_key(reqwest::header::ACCEPT) {
            headers.insert(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
        }
        let mut request = self.client.request(method.clone(), url).headers(headers);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let transport = |e: reqwest::Error| VendorHttpError::Transport {
            vendor: self.vendor,
            method: method.clone(),
            path: path.to_owned(),
            reason: e.without_url().to_string(),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(VendorHttpError::Status {
                vendor: self.vendor,
                method,
                path: path.to_owned(),
                status: status.as_u16(),
                code: error_code(&bytes),
            });
        }
        Ok(bytes.to_vec())
    }
}

/// The vendor's machine-readable error code from an error body: OpenAI's `error.code` or
/// `error.type`, Anthropic's `error.type`. Messages are left out (they may echo input).
fn error_code(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    ["code", "type"]
        .iter()
        .find_map(|field| error.get(*field).and_then(Value::as_str))
        .filter(|code| {
            code.len() <= 64
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_and_messages_are_not() {
        let body = br#"{"error":{"message":"key sk-abc is bad","type":"invalid_request_error","code":null}}"#;
        assert_eq!(error_code(body).as_deref(), Some("invalid_request_error"));
        assert_eq!(error_code(b"not json"), None);
    }

    #[test]
    fn segments_are_checked() {
        let http = VendorHttp::new("t", Url::parse("http://127.0.0.1").unwrap());
        assert!(http.segment("id", "proj_abc-1").is_ok());
        assert!(http.segment("id", "../x").is_err());
        assert!(http.segment("id", "a/b").is_err());
    }
}
