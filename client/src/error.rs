//! What can go wrong when talking to an issuer, typed so that callers (and `credctl`'s exit
//! codes) can tell a network failure from a refusal, a bad document or an impostor.

use std::fmt;

use credential_issuer_spec::{Operation, Problem, ProblemType};

/// An error of the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The issuer identifier is not acceptable (not https, or http on a non-loopback host, ...).
    #[error("invalid issuer identifier: {0}")]
    InvalidIssuer(#[from] credential_issuer_spec::issuer::IssuerIdError),
    /// The request did not get an answer.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// Where.
        url: String,
        /// Why, in one line.
        reason: String,
    },
    /// The issuer refused or failed with a problem document.
    #[error(transparent)]
    Protocol(Box<ProblemError>),
    /// An HTTP error without a problem document.
    #[error("{url} answered HTTP {status}")]
    HttpStatus {
        /// Where.
        url: String,
        /// The status.
        status: u16,
    },
    /// The answer is not JSON.
    #[error("{url} did not answer with JSON")]
    NotJson {
        /// Where.
        url: String,
    },
    /// The answer is larger than the client accepts.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// Where.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// A document breaks its schema or the spec (which rule, where).
    #[error("the {document} from {url} is invalid: {rule}")]
    InvalidDocument {
        /// Which document (`manifest`, `permission-schema`, ...).
        document: &'static str,
        /// Where it came from.
        url: String,
        /// The first rule it breaks.
        rule: String,
    },
    /// The document at the manifest URL is OpenID4VCI credential issuer metadata.
    #[error(
        "{url} serves OpenID4VCI credential issuer metadata (verifiable credentials), not a credential-issuer manifest"
    )]
    OpenId4VciMetadata {
        /// Where.
        url: String,
    },
    /// The manifest names another issuer than the one asked for (mix-up defence, REQ-DISC-6).
    #[error("the manifest names issuer {found:?}, but it was fetched for {expected:?}")]
    IssuerMismatch {
        /// The identifier the client asked for.
        expected: String,
        /// The identifier in the manifest.
        found: String,
    },
    /// The issuer implements a version of the spec this client does not.
    #[error("the issuer implements spec version {0}; this client implements {spec}", spec = credential_issuer_spec::SPEC_VERSION)]
    UnsupportedVersion(String),
    /// A signature (signed manifest, audit checkpoint) is not accepted.
    #[error("the {what} is not accepted: {reason}")]
    Signature {
        /// What was signed.
        what: &'static str,
        /// Why it is refused.
        reason: crate::signature::SignatureError,
    },
    /// The manifest does not claim the operation.
    #[error("the issuer does not offer the {0} operation")]
    NotOffered(Operation),
    /// The operation needs a token and none was given.
    #[error("no token for this issuer (use --token, CREDCTL_TOKEN or the config file)")]
    MissingToken,
}

impl From<ProblemError> for ClientError {
    fn from(problem: ProblemError) -> Self {
        Self::Protocol(Box::new(problem))
    }
}

impl ClientError {
    /// The problem type, when the issuer answered with a problem document.
    pub fn problem_type(&self) -> Option<&ProblemType> {
        match self {
            Self::Protocol(problem) => Some(&problem.problem.problem_type),
            _ => None,
        }
    }
}

/// A problem document the issuer answered with.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemError {
    /// The HTTP status.
    pub status: u16,
    /// The problem.
    pub problem: Problem,
}

impl fmt::Display for ProblemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, HTTP {})",
            self.problem.title,
            self.problem.problem_type.name(),
            self.status
        )?;
        if let Some(detail) = &self.problem.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProblemError {}
