//! Errors on the wire: RFC 9457 problem details with the spec's closed list of problem types
//! (spec §"Errors").

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The media type of a problem document.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The prefix of every problem type URI defined by the spec.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:credential-issuer:problem:";

/// An RFC 9457 problem document.
///
/// ```
/// use credential_issuer_spec::{Problem, ProblemType};
/// let p = Problem::new(ProblemType::NotFound, "no credential cred_x");
/// let json = serde_json::to_value(&p).unwrap();
/// assert_eq!(json["type"], "urn:credential-issuer:problem:not-found");
/// assert_eq!(json["status"], 404);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Problem details")]
pub struct Problem {
    /// The problem type.
    #[serde(rename = "type")]
    pub problem_type: ProblemType,
    /// The problem type's short title.
    pub title: String,
    /// The HTTP status code.
    #[schemars(range(min = 400, max = 599))]
    pub status: u16,
    /// What went wrong in this occurrence; never holds a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A URI for this occurrence (the server uses `urn:request:<request id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Extension members, such as `current_version` on `rotation-conflict`.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem of `problem_type` with its title and status, and `detail`.
    pub fn new(problem_type: ProblemType, detail: impl Into<String>) -> Self {
        Self {
            title: problem_type.title().to_owned(),
            status: problem_type.status(),
            problem_type,
            detail: Some(detail.into()),
            instance: None,
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds an extension member.
    pub fn with_extension(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extensions.insert(name.to_owned(), value.into());
        self
    }
}

macro_rules! problem_types {
    ($( $(#[$meta:meta])* $variant:ident => ($name:literal, $status:literal, $title:literal), )+) => {
        /// A problem type. The list is closed for issuers in v0.1; readers keep unknown types.
        #[derive(Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ProblemType {
            $( $(#[$meta])* $variant, )+
            /// A type URI this crate does not know, kept as received.
            Other(String),
        }

        impl ProblemType {
            /// Every type the spec defines.
            pub const ALL: &'static [ProblemType] = &[$(ProblemType::$variant),+];

            /// The short name, the last part of the URI (`not-found`).
            pub fn name(&self) -> &str {
                match self {
                    $( Self::$variant => $name, )+
                    Self::Other(uri) => uri,
                }
            }

            /// The HTTP status the spec assigns (500 for unknown types).
            pub fn status(&self) -> u16 {
                match self {
                    $( Self::$variant => $status, )+
                    Self::Other(_) => 500,
                }
            }

            /// The title the spec assigns.
            pub fn title(&self) -> &str {
                match self {
                    $( Self::$variant => $title, )+
                    Self::Other(_) => "Unknown problem",
                }
            }

            fn from_name(name: &str) -> Option<Self> {
                match name {
                    $( $name => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }
    };
}

problem_types! {
    /// `active-version-limit` (409): an overlap rotation would exceed `max_active_versions`.
    ActiveVersionLimit => ("active-version-limit", 409, "Too many active versions"),
    /// `already-collected` (410): the approved request's credential was already collected.
    AlreadyCollected => ("already-collected", 410, "Already collected"),
    /// `credential-expired` (409): the credential has expired.
    CredentialExpired => ("credential-expired", 409, "Credential expired"),
    /// `credential-revoked` (409): the credential has been revoked.
    CredentialRevoked => ("credential-revoked", 409, "Credential revoked"),
    /// `forbidden` (403): the caller's token lacks the scope or the authority.
    Forbidden => ("forbidden", 403, "Forbidden"),
    /// `idempotency-key-reused` (422): the key was used with a different request.
    IdempotencyKeyReused => ("idempotency-key-reused", 422, "Idempotency key reused"),
    /// `internal-error` (500): the issuer failed; details are in its logs only.
    InternalError => ("internal-error", 500, "Internal error"),
    /// `invalid-request` (400): malformed JSON, unknown member, invalid value or id.
    InvalidRequest => ("invalid-request", 400, "Invalid request"),
    /// `invalid-scope` (400): unknown permission or resource, or a scope wider than allowed.
    InvalidScope => ("invalid-scope", 400, "Invalid scope"),
    /// `method-not-allowed` (405).
    MethodNotAllowed => ("method-not-allowed", 405, "Method not allowed"),
    /// `not-found` (404): no such credential, request or path.
    NotFound => ("not-found", 404, "Not found"),
    /// `operation-not-supported` (501): the issuer does not offer this operation.
    OperationNotSupported => ("operation-not-supported", 501, "Operation not supported"),
    /// `payload-too-large` (413): the body is over the issuer's limit.
    PayloadTooLarge => ("payload-too-large", 413, "Payload too large"),
    /// `rate-limited` (429): too many requests; see `Retry-After`.
    RateLimited => ("rate-limited", 429, "Rate limited"),
    /// `request-in-progress` (409): a request with the same idempotency key is still running.
    RequestInProgress => ("request-in-progress", 409, "Request in progress"),
    /// `request-not-pending` (409): the access request was already decided or has expired.
    RequestNotPending => ("request-not-pending", 409, "Request not pending"),
    /// `rotation-conflict` (409): `If-Match` names a version that is no longer current.
    RotationConflict => ("rotation-conflict", 409, "Rotation conflict"),
    /// `unauthorized` (401): no valid bearer token.
    Unauthorized => ("unauthorized", 401, "Unauthorized"),
    /// `unavailable` (503): the issuer cannot serve now; see `Retry-After`.
    Unavailable => ("unavailable", 503, "Unavailable"),
    /// `unsupported-media-type` (415): the body is not `application/json`.
    UnsupportedMediaType => ("unsupported-media-type", 415, "Unsupported media type"),
    /// `upstream-unavailable` (502): the vendor behind a shim failed.
    UpstreamUnavailable => ("upstream-unavailable", 502, "Upstream unavailable"),
}

impl ProblemType {
    /// The type URI, `urn:credential-issuer:problem:<name>`.
    pub fn uri(&self) -> Cow<'_, str> {
        match self {
            Self::Other(uri) => Cow::Borrowed(uri),
            known => Cow::Owned(format!("{PROBLEM_TYPE_PREFIX}{}", known.name())),
        }
    }

    /// Reads a type URI.
    pub fn from_uri(uri: &str) -> Self {
        uri.strip_prefix(PROBLEM_TYPE_PREFIX)
            .and_then(Self::from_name)
            .unwrap_or_else(|| Self::Other(uri.to_owned()))
    }
}

impl fmt::Debug for ProblemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProblemType({})", self.name())
    }
}

impl fmt::Display for ProblemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri())
    }
}

impl Serialize for ProblemType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.uri())
    }
}

impl<'de> Deserialize<'de> for ProblemType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_uri(&Cow::<str>::deserialize(deserializer)?))
    }
}

impl JsonSchema for ProblemType {
    fn schema_name() -> Cow<'static, str> {
        "ProblemType".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let uris: Vec<String> = Self::ALL.iter().map(|t| t.uri().into_owned()).collect();
        json_schema!({
            "type": "string",
            "enum": uris,
            "description": "A problem type URI from the closed list of spec v0.1."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_uri() {
        for t in ProblemType::ALL {
            assert_eq!(&ProblemType::from_uri(&t.uri()), t);
            assert!((400..600).contains(&t.status()));
        }
    }

    #[test]
    fn unknown_types_are_kept() {
        let t = ProblemType::from_uri("https://example.com/oops");
        assert_eq!(t.uri(), "https://example.com/oops");
    }
}
