//! Why an operation did not happen, with typed causes, and the spec's problem type of each.
//!
//! The problem type is part of the protocol's vocabulary (the spec crate's [`ProblemType`]), not
//! of HTTP: the audit log records it for refused operations too. Rendering a problem document
//! (status, headers, `detail`, `instance`) is the HTTP layer's job, done once in `http::error`.

use credential_issuer_spec::credential::MetadataError;
use credential_issuer_spec::operations::exposure::ExposureError;
use credential_issuer_spec::operations::list::ListQueryError;
use credential_issuer_spec::state::TransitionError;
use credential_issuer_spec::{
    ApiScope, CredentialId, CredentialType, Operation, PermissionId, ProblemType, ScopeError,
};

use crate::backends::BackendError;
use crate::store::StoreError;

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The request is malformed or asks for something invalid.
    #[error(transparent)]
    InvalidRequest(#[from] RequestError),
    /// The scope names unknown permissions or resources, or is wider than allowed.
    #[error(transparent)]
    InvalidScope(#[from] ScopeRefusal),
    /// The caller's token lacks an issuer-API scope.
    #[error("this operation needs the {0} scope")]
    MissingApiScope(ApiScope),
    /// The requested scope is beyond what the caller itself may grant.
    #[error("the requested scope goes beyond the caller's authority")]
    BeyondAuthority,
    /// The path names nothing (a malformed id).
    #[error("nothing here")]
    NoSuchPath,
    /// No such credential.
    #[error("no credential {0}")]
    CredentialNotFound(CredentialId),
    /// No such access request (or not one this caller may see).
    #[error("no access request {0}")]
    AccessRequestNotFound(String),
    /// The access request was already decided, has expired, or is not yet approved.
    #[error("the access request is {0}")]
    RequestNotPending(&'static str),
    /// The approved credential was already collected.
    #[error("the credential of this access request was already collected")]
    AlreadyCollected,
    /// Only the requester may collect; nobody may approve their own request.
    #[error("{0}")]
    NotAllowed(NotAllowed),
    /// The policy never allows this permission to be requested.
    #[error("{0} can never be requested")]
    NeverRequestable(PermissionId),
    /// The issuer does not offer access requests.
    #[error("this issuer does not offer access requests")]
    RequestsNotOffered,
    /// The credential is revoked.
    #[error("credential {0} is revoked")]
    CredentialRevoked(CredentialId),
    /// The credential has expired.
    #[error("credential {0} has expired")]
    CredentialExpired(CredentialId),
    /// `If-Match` names a version that is not current, or a concurrent rotation won.
    #[error("version {current_version} is current")]
    RotationConflict {
        /// The version that is current now.
        current_version: u32,
    },
    /// An overlap rotation would leave more valid versions than allowed.
    #[error(
        "an overlap rotation would exceed {max} valid versions; revoke the previous version or rotate immediately"
    )]
    ActiveVersionLimit {
        /// The limit.
        max: u32,
    },
    /// The idempotency key was used with a different request.
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// A request with the same idempotency key is still being processed (REQ-IDEM-6).
    #[error("a request with this Idempotency-Key is still being processed; retry later")]
    RequestInProgress,
    /// The issuer does not offer this operation (a shim whose vendor cannot do it).
    #[error("this issuer does not offer the {0:?} operation")]
    OperationNotOffered(Operation),
    /// The backend (a vendor's API behind a shim) refused or failed.
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// The store failed.
    #[error("storage failure")]
    Store(#[from] StoreError),
    /// A signature could not be made.
    #[error("signing failed")]
    Signing(#[from] crate::crypto::signing::SigningError),
    /// A stored response could not be opened.
    #[error("a stored response could not be opened")]
    Seal(#[from] crate::crypto::sealing::SealError),
}

/// What is wrong with a request, in the words its `detail` gives the caller. No variant carries
/// request text longer than an identifier, so that no secret is ever echoed (REQ-ERR-16).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is empty where the operation needs one.
    #[error("the request body is empty")]
    EmptyBody,
    /// The body is not the operation's JSON document (REQ-ERR-4, REQ-ERR-5).
    #[error("the request body is not acceptable: {0}")]
    Body(#[source] serde_json::Error),
    /// A header's value is not visible ASCII.
    #[error("the {0} header is not text")]
    HeaderNotText(&'static str),
    /// `If-Match` names no version.
    #[error("If-Match must name a version as an entity tag, like \"3\"")]
    IfMatch,
    /// `Idempotency-Key` is empty, too long or not visible ASCII.
    #[error("Idempotency-Key must be 1 to 255 visible ASCII characters")]
    IdempotencyKey,
    /// A query parameter has a value it cannot take.
    #[error("invalid value for {0:?}")]
    QueryValue(String),
    /// A query parameter the operation does not know.
    #[error("unknown query parameter {0:?}")]
    UnknownQueryParameter(String),
    /// The list query of credentials is malformed.
    #[error(transparent)]
    ListQuery(#[from] ListQueryError),
    /// A metadata key in a list filter is malformed.
    #[error("malformed metadata key {0:?}")]
    MetadataKey(String),
    /// A cursor this issuer did not give.
    #[error("the cursor is not one this issuer gave")]
    Cursor,
    /// Two ways of saying where an audit page starts.
    #[error("give either after_seq or cursor, not both")]
    AfterSeqAndCursor,
    /// The issuer mints no credentials of this type.
    #[error("this issuer does not mint credentials of type {:?}", .0.as_str())]
    CredentialType(CredentialType),
    /// A lifetime for credentials that do not expire.
    #[error("this issuer's credentials do not expire; omit expires_in")]
    NoExpiry,
    /// A lifetime outside the issuer's bounds.
    #[error("expires_in must be between {min} and {max} seconds")]
    ExpiresIn {
        /// The shortest lifetime.
        min: u64,
        /// The longest lifetime.
        max: u64,
    },
    /// An access request asks for longer than the policy allows.
    #[error("ttl_seconds must be at most {0}")]
    RequestTtl(u64),
    /// An approval asks for longer than was requested.
    #[error("an approval may shorten the TTL, never lengthen it")]
    ApprovalLengthens,
    /// A rotation mode the issuer does not offer.
    #[error("this issuer does not rotate in {} mode", serde_json::json!(.0))]
    RotationMode(credential_issuer_spec::RotationMode),
    /// A grace period for an immediate rotation.
    #[error("grace_period_seconds applies only to overlap rotations")]
    GraceForImmediate,
    /// A grace period outside the policy's bounds.
    #[error("grace_period_seconds must be between 1 and {0}")]
    GracePeriod(u64),
    /// A version the credential does not have.
    #[error("there is no version {version}; the current version is {current}")]
    NoSuchVersion {
        /// The version asked for.
        version: u32,
        /// The current version.
        current: u32,
    },
    /// A version transition the state machine does not allow.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// An exposure report that breaks the spec's rules.
    #[error(transparent)]
    Exposure(#[from] ExposureError),
    /// A name or metadata the request leads to breaks the spec's rules.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

/// Why a scope is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeRefusal {
    /// Unknown permissions or resources, or a malformed grant (the permission schema's rules).
    #[error(transparent)]
    Schema(#[from] ScopeError),
    /// A narrowing step asks for more than it narrows.
    #[error("{0} may narrow the requested scope, never widen it")]
    Widened(Narrowing),
}

/// An operation that may only narrow a scope it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrowing {
    /// Approving an access request.
    Approval,
    /// Rotating a credential.
    Rotation,
}

impl std::fmt::Display for Narrowing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Approval => "an approval",
            Self::Rotation => "a rotation",
        })
    }
}

/// Who may not do what, in access requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotAllowed {
    /// Approving one's own request.
    #[error("a caller cannot approve its own access request")]
    ApproveOwn,
    /// Collecting another's credential.
    #[error("only the token that made the request may collect it")]
    CollectOthers,
}

impl LifecycleError {
    /// Whether the caller is at fault (a refusal), as opposed to the issuer (a failure).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::Store(_)
                | Self::Seal(_)
                | Self::Signing(_)
                | Self::Backend(BackendError::Unavailable(_))
        )
    }

    /// The spec's problem type for this error (REQ-ERR-11 and following).
    pub fn problem_type(&self) -> ProblemType {
        match self {
            Self::InvalidRequest(_) => ProblemType::InvalidRequest,
            Self::InvalidScope(_) => ProblemType::InvalidScope,
            Self::MissingApiScope(_) | Self::BeyondAuthority => ProblemType::Forbidden,
            Self::NoSuchPath | Self::CredentialNotFound(_) => ProblemType::NotFound,
            Self::CredentialRevoked(_) => ProblemType::CredentialRevoked,
            Self::AccessRequestNotFound(_) => ProblemType::NotFound,
            Self::RequestNotPending(_) => ProblemType::RequestNotPending,
            Self::AlreadyCollected => ProblemType::AlreadyCollected,
            Self::NotAllowed(_) | Self::NeverRequestable(_) => ProblemType::Forbidden,
            Self::RequestsNotOffered | Self::OperationNotOffered(_) => {
                ProblemType::OperationNotSupported
            }
            Self::Backend(BackendError::Unsupported(_) | BackendError::NotYet { .. }) => {
                ProblemType::OperationNotSupported
            }
            Self::Backend(BackendError::Rejected(_)) => ProblemType::InvalidRequest,
            Self::Backend(BackendError::Unavailable(_)) => ProblemType::UpstreamUnavailable,
            Self::CredentialExpired(_) => ProblemType::CredentialExpired,
            Self::RotationConflict { .. } => ProblemType::RotationConflict,
            Self::ActiveVersionLimit { .. } => ProblemType::ActiveVersionLimit,
            Self::IdempotencyKeyReused => ProblemType::IdempotencyKeyReused,
            Self::RequestInProgress => ProblemType::RequestInProgress,
            Self::Store(_) | Self::Seal(_) | Self::Signing(_) => ProblemType::InternalError,
        }
    }
}
