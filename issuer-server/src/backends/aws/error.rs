//! Why a call to AWS failed. Every variant becomes [`BackendError::Unavailable`] (served as
//! 502 `upstream-unavailable`): the vendor did not do what was asked, so the lifecycle changes
//! nothing. Messages carry AWS's error code and message, never a secret or a signature.

use crate::backends::BackendError;

/// A failed AWS Query API call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AwsError {
    /// AWS answered with an error document (`<ErrorResponse><Error><Code>`).
    #[error("AWS {action} failed with HTTP {status}, error {code}: {message}")]
    Service {
        /// The Query action (`CreateAccessKey`).
        action: &'static str,
        /// The HTTP status.
        status: u16,
        /// AWS's error code (`LimitExceeded`, `NoSuchEntity`, ...).
        code: String,
        /// AWS's message.
        message: String,
    },
    /// AWS could not be reached, or the connection failed.
    #[error("AWS {action} could not be sent: {source}")]
    Transport {
        /// The Query action.
        action: &'static str,
        /// The transport's error.
        #[source]
        source: reqwest::Error,
    },
    /// The answer is not the XML the service model describes.
    #[error("AWS {action} answered with an unexpected document: {message}")]
    Malformed {
        /// The Query action.
        action: &'static str,
        /// What did not parse.
        message: String,
    },
    /// The request could not be signed (a malformed endpoint URL or header).
    #[error("AWS {action} could not be signed: {message}")]
    Signing {
        /// The Query action.
        action: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl AwsError {
    /// AWS's error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether AWS says the addressed entity does not exist (`NoSuchEntity`): a key already
    /// deleted counts as retired.
    pub fn is_no_such_entity(&self) -> bool {
        self.code() == Some("NoSuchEntity")
    }
}

impl From<AwsError> for BackendError {
    fn from(error: AwsError) -> Self {
        BackendError::Unavailable(error.to_string())
    }
}
