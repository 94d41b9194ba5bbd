//! What an idempotency key files: a request still running, or its sealed response.

use credential_issuer_spec::Timestamp;

/// Where an idempotent response is filed: per issuer, caller and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The issuer.
    pub issuer: String,
    /// The caller's token id.
    pub principal: String,
    /// The `Idempotency-Key` header.
    pub key: String,
}

/// What is filed under an idempotency key: a request still running, or its response.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    /// Which operation it is (`create`, `rotate:<id>`).
    pub operation: String,
    /// SHA-256 of the request body, to detect a reused key.
    pub request_hash: [u8; 32],
    /// Whether the request is still running, or how it ended.
    pub outcome: StoredOutcome,
    /// When it was claimed or, once done, answered.
    pub created_at: Timestamp,
}

/// The state of an idempotent request.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredOutcome {
    /// A server is still processing it (REQ-IDEM-6); stored as status 0 with an empty body.
    InProgress,
    /// It was answered.
    Done {
        /// The HTTP status.
        status: u16,
        /// The body, sealed (it holds a secret).
        sealed_body: Vec<u8>,
    },
}

impl std::fmt::Debug for StoredOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InProgress => f.write_str("InProgress"),
            Self::Done {
                status,
                sealed_body,
            } => f
                .debug_struct("Done")
                .field("status", status)
                .field("sealed_body_len", &sealed_body.len())
                .finish(),
        }
    }
}

impl StoredOutcome {
    /// The outcome stored as `status` and `sealed_body` columns.
    pub fn from_columns(status: u16, sealed_body: Vec<u8>) -> Self {
        if status == 0 {
            Self::InProgress
        } else {
            Self::Done {
                status,
                sealed_body,
            }
        }
    }

    /// The `status` and `sealed_body` columns of this outcome.
    pub fn columns(&self) -> (u16, &[u8]) {
        match self {
            Self::InProgress => (0, &[]),
            Self::Done {
                status,
                sealed_body,
            } => (*status, sealed_body),
        }
    }
}
