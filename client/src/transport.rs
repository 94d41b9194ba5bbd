//! HTTP plumbing: one request with a timeout and a response size limit, retried with backoff
//! when that is safe (idempotent requests, on 429, 503, 409 `request-in-progress` and connection
//! failures, honouring `Retry-After`), and problem documents turned into typed errors.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable as _};
use credential_issuer_spec::Problem;
use credential_issuer_spec::problem::PROBLEM_CONTENT_TYPE;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use crate::error::{ClientError, ProblemError};

/// How the client talks HTTP.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// The largest response body accepted.
    pub max_response_bytes: usize,
    /// Retries of idempotent requests after the first attempt.
    pub max_retries: u32,
    /// The first backoff; doubled at each retry, plus a random jitter of up to as much again.
    pub initial_backoff: Duration,
    /// The longest wait the client accepts from `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_response_bytes: 4 * 1024 * 1024,
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// A request, kept as data so that it can be sent again.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Option<Vec<u8>>,
    /// Whether sending it twice has the effect of sending it once.
    pub(crate) idempotent: bool,
}

impl Outgoing {
    pub(crate) fn new(method: Method, url: Url) -> Self {
        let idempotent = method == Method::GET;
        Self {
            method,
            url,
            headers: Vec::new(),
            body: None,
            idempotent,
        }
    }

    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Result<Self, ClientError> {
        let value = HeaderValue::from_str(value).map_err(|_| ClientError::Transport {
            url: self.url.to_string(),
            reason: format!("the {name} header value is not valid"),
        })?;
        self.headers.push((name, value));
        Ok(self)
    }

    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Self, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Transport {
            url: self.url.to_string(),
            reason: format!("cannot encode the request: {e}"),
        })?;
        self.body = Some(bytes);
        self.header(reqwest::header::CONTENT_TYPE, "application/json")
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) url: Url,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// Whether this is a `request-in-progress` problem (REQ-IDEM-6).
    fn is_in_progress(&self) -> bool {
        let uri = credential_issuer_spec::ProblemType::RequestInProgress.uri();
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .is_ok_and(|problem| problem["type"].as_str() == Some(&*uri))
    }

    /// The body as `T`, or the problem the issuer answered with.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        document: &'static str,
    ) -> Result<T, ClientError> {
        self.expect_success()?;
        serde_json::from_slice(&self.body).map_err(|e| ClientError::InvalidDocument {
            document,
            url: self.url.to_string(),
            rule: e.to_string(),
        })
    }

    /// Turns an error status into a typed error.
    pub(crate) fn expect_success(&self) -> Result<(), ClientError> {
        if self.status.is_success() {
            return Ok(());
        }
        let is_problem = self
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE));
        if is_problem && let Ok(problem) = serde_json::from_slice::<Problem>(&self.body) {
            let status = self.status.as_u16();
            return Err(ProblemError { status, problem }.into());
        }
        Err(ClientError::HttpStatus {
            url: self.url.to_string(),
            status: self.status.as_u16(),
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends requests.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    options: TransportOptions,
}

impl Transport {
    pub(crate) fn new(options: TransportOptions) -> Self {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "credential-issuer-client/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .unwrap_or_default();
        Self { http, options }
    }

    /// Sends `request`, retrying when that is safe: an idempotent request answered 429, 503 or
    /// 409 `request-in-progress`, or cut off by a connection failure, is sent again after an
    /// exponential backoff with jitter (so that many clients cut off together do not come back
    /// together), or after the answer's `Retry-After`, at most `max_retry_after` either way, up to
    /// `max_retries` times. A request the issuer says is still in progress is asked for again
    /// past that count, for as long as a request may take (`timeout`): it is this request's own
    /// earlier attempt (same `Idempotency-Key`), cut off on this side but still running at the
    /// issuer, and its answer comes once it ends.
    pub(crate) async fn send(&self, request: &Outgoing) -> Result<Reply, ClientError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.options.initial_backoff)
            .with_factor(2.0)
            .with_max_delay(self.options.max_retry_after)
            .with_max_times(self.options.max_retries as usize)
            .with_jitter();
        let max_wait = self.options.max_retry_after;
        // None: so far ahead that it cannot be told (a timeout of centuries).
        let in_progress_until = Instant::now().checked_add(self.options.timeout);
        let in_progress_interval = self
            .options
            .initial_backoff
            .checked_mul(2u32.saturating_pow(self.options.max_retries))
            .map_or(max_wait, |interval| interval.min(max_wait));
        let attempt = || async {
            let result = self.send_once(request).await;
            match Retry::of(&result) {
                Some(retry) if request.idempotent => Err(RetryableReply { result, retry }),
                _ => Ok(result),
            }
        };
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .adjust(|reply: &RetryableReply, backoff| {
                let backoff = match backoff {
                    Some(backoff) => backoff,
                    None if reply.retry.in_progress
                        && in_progress_until.is_none_or(|until| Instant::now() < until) =>
                    {
                        in_progress_interval
                    }
                    None => return None,
                };
                Some(reply.retry.after.unwrap_or(backoff).min(max_wait))
            })
            .await
            .unwrap_or_else(|last| last.result)
    }

    async fn send_once(&self, request: &Outgoing) -> Result<Reply, ClientError> {
        let url = request.url.to_string();
        let transport = |reason: String| ClientError::Transport {
            url: url.clone(),
            reason,
        };
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| transport(one_line(&e)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let limit = self.options.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|length| length as usize > limit)
        {
            return Err(ClientError::TooLarge { url, limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport(one_line(&e)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(ClientError::TooLarge { url, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            url: request.url.clone(),
            status,
            headers,
            body,
        })
    }
}

/// An answer worth asking again for.
struct RetryableReply {
    result: Result<Reply, ClientError>,
    retry: Retry,
}

/// Why an answer is worth asking again for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retry {
    /// The wait the issuer asked for (`Retry-After`), if it did.
    after: Option<Duration>,
    /// The same request (same `Idempotency-Key`) is still running at the issuer (REQ-IDEM-6).
    in_progress: bool,
}

impl Retry {
    /// Whether `result` is worth sending the request again for, and why.
    fn of(result: &Result<Reply, ClientError>) -> Option<Self> {
        match result {
            Ok(reply) if matches!(reply.status.as_u16(), 429 | 503) => Some(Self {
                after: reply
                    .header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
                in_progress: false,
            }),
            // The same request is still running at the issuer, for example after a crash cut
            // the first attempt off: ask again in a moment.
            Ok(reply) if reply.status.as_u16() == 409 && reply.is_in_progress() => Some(Self {
                after: None,
                in_progress: true,
            }),
            Err(ClientError::Transport { .. }) => Some(Self {
                after: None,
                in_progress: false,
            }),
            _ => None,
        }
    }
}

/// An error and its causes on one line.
fn one_line(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
