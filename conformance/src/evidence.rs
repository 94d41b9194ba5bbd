//! Evidence: the requests and responses a check relied on, with secrets and tokens redacted
//! (REQ-SEC-18).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The requirements the suite meets itself rather than checks of an issuer: every piece of
/// evidence it records is redacted.
pub const REQUIREMENTS: &[&str] = &["REQ-SEC-18"];

/// The text that replaces every secret and token in evidence.
pub const REDACTED: &str = "<redacted>";

/// One request and its response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Exchange {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The URL requested.
    pub url: String,
    /// Request headers that matter (Authorization is redacted).
    pub request_headers: Vec<(String, String)>,
    /// The request body, redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    /// The HTTP status, or 0 when no answer came.
    pub status: u16,
    /// Response headers that matter.
    pub response_headers: Vec<(String, String)>,
    /// The response body (at most 4 KiB), redacted.
    pub response_body: String,
}

/// Removes secrets from evidence text: every value in `secrets`, and every match of the
/// issuer's secret formats.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    patterns: Vec<regex::Regex>,
}

impl Redactor {
    /// Redacts `secret` from now on.
    pub fn add_secret(&mut self, secret: &str) {
        if !secret.is_empty() && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
        }
    }

    /// Redacts every match of `regex` from now on (an issuer's `secret_formats[].regex`).
    pub fn add_pattern(&mut self, regex: &str) {
        if let Ok(pattern) = regex::Regex::new(regex) {
            self.patterns.push(pattern);
        }
    }

    /// `text` without secrets.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), REDACTED);
        }
        for pattern in &self.patterns {
            out = pattern.replace_all(&out, REDACTED).into_owned();
        }
        out
    }
}
