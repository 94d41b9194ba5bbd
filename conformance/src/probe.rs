//! The suite's HTTP: raw requests (a conformance suite must send malformed input and look at
//! headers), each recorded as evidence with secrets redacted.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::evidence::{Exchange, Redactor};

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status (0 when no answer came).
    pub status: u16,
    /// Response headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The media type without parameters.
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The body, sent as is.
    pub body: Option<String>,
}

impl Request {
    /// A `GET`.
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// A `POST` with a JSON body.
    pub fn post_json(url: impl Into<String>, body: &Value) -> Self {
        Self::post_raw(url, body.to_string(), "application/json")
    }

    /// A `POST` with any body and content type.
    pub fn post_raw(url: impl Into<String>, body: String, content_type: &str) -> Self {
        Self {
            method: Method::POST,
            url: url.into(),
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body: Some(body),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }
}

/// Sends requests and keeps the evidence of the check in progress.
#[derive(Debug)]
pub struct Probe {
    http: reqwest::Client,
    /// What must not appear in evidence.
    pub redactor: Redactor,
    evidence: Vec<Exchange>,
}

const INTERESTING_HEADERS: [&str; 11] = [
    "content-type",
    "cache-control",
    "etag",
    "location",
    "www-authenticate",
    "retry-after",
    "allow",
    "x-request-id",
    "if-match",
    "idempotency-key",
    "accept",
];

impl Probe {
    /// A probe with a 10-second timeout and no redirects.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            http,
            redactor: Redactor::default(),
            evidence: Vec::new(),
        }
    }

    /// Sends `request` and records the exchange.
    pub async fn send(&mut self, request: Request) -> Response {
        let mut builder = self.http.request(request.method.clone(), &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = match builder.send().await {
            Ok(reply) => {
                let status = reply.status().as_u16();
                let headers = reply
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            v.to_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect();
                let body = reply.text().await.unwrap_or_default();
                Response {
                    status,
                    headers,
                    body,
                }
            }
            Err(error) => Response {
                status: 0,
                headers: Vec::new(),
                body: format!("no answer: {error}"),
            },
        };
        self.record(&request, &response);
        response
    }

    fn record(&mut self, request: &Request, response: &Response) {
        let keep = |headers: &[(String, String)]| -> Vec<(String, String)> {
            headers
                .iter()
                .filter(|(n, _)| {
                    INTERESTING_HEADERS.contains(&n.to_ascii_lowercase().as_str())
                        || n.eq_ignore_ascii_case("authorization")
                })
                .map(|(n, v)| {
                    let value = if n.eq_ignore_ascii_case("authorization") {
                        "Bearer <redacted>".to_owned()
                    } else {
                        self.redactor.redact(v)
                    };
                    (n.to_ascii_lowercase(), value)
                })
                .collect()
        };
        let body: String = response.body.chars().take(4096).collect();
        self.evidence.push(Exchange {
            method: request.method.to_string(),
            url: self.redactor.redact(&request.url),
            request_headers: keep(&request.headers),
            request_body: request.body.as_deref().map(|b| self.redactor.redact(b)),
            status: response.status,
            response_headers: keep(&response.headers),
            response_body: self.redactor.redact(&body),
        });
    }

    /// The evidence gathered since the last call.
    pub fn take_evidence(&mut self) -> Vec<Exchange> {
        std::mem::take(&mut self.evidence)
    }
}

impl Default for Probe {
    fn default() -> Self {
        Self::new()
    }
}
