//! Why a command failed, and the documented exit code for each kind of failure.

use std::process::ExitCode;

use credential_issuer_client::ClientError;
use credential_issuer_client::recovery::RecoveryError;
use credential_issuer_spec::ProblemType;

use crate::config::ConfigError;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// Talking to the issuer failed.
    #[error("{0}")]
    Client(#[from] ClientError),
    /// The configuration is wrong.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The command line is wrong beyond what clap checks.
    #[error("{0}")]
    Usage(String),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The audit log does not verify.
    #[error("the audit log does not verify: {0}")]
    Verify(#[from] credential_issuer_client::AuditVerifyError),
    /// The issuer refused (a denied access request).
    #[error("{0}")]
    Refused(String),
    /// What was asked for is gone (an expired access request).
    #[error("{0}")]
    Gone(String),
    /// A recovery command failed as a whole.
    #[error("{0}")]
    Recovery(#[from] credential_issuer_client::recovery::RecoveryError),
    /// The command worked and found something a person must look at (already printed).
    #[error("{0}")]
    Attention(String),
    /// The secret is unknown, revoked or expired (introspection said `active: false`).
    #[error("the secret is not active at this issuer (unknown, revoked or expired)")]
    Inactive,
}

/// Exit codes (documented in `credctl --help`).
pub(crate) mod code {
    pub(crate) const FAILURE: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const NOT_FOUND: u8 = 3;
    pub(crate) const REFUSED: u8 = 4;
    pub(crate) const UNTRUSTED_ISSUER: u8 = 5;
    pub(crate) const ATTENTION: u8 = 6;
}

impl Failure {
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Config(_) | Self::Usage(_) => code::USAGE,
            Self::Io(_) | Self::Verify(_) => code::FAILURE,
            Self::Inactive | Self::Gone(_) => code::NOT_FOUND,
            Self::Refused(_) => code::REFUSED,
            Self::Attention(_) => code::ATTENTION,
            Self::Recovery(error) => match error {
                RecoveryError::Issuer { source, .. } => client_code(source),
                RecoveryError::Inventory { .. } | RecoveryError::Unfinished(_) => code::USAGE,
                _ => code::FAILURE,
            },
            Self::Client(error) => client_code(error),
        })
    }
}

fn client_code(error: &ClientError) -> u8 {
    match error {
        ClientError::InvalidIssuer(_)
        | ClientError::OpenId4VciMetadata { .. }
        | ClientError::IssuerMismatch { .. }
        | ClientError::UnsupportedVersion(_)
        | ClientError::InvalidDocument {
            document: "manifest" | "permission-schema",
            ..
        } => code::UNTRUSTED_ISSUER,
        ClientError::MissingToken => code::USAGE,
        ClientError::NotOffered(_) => code::REFUSED,
        ClientError::Protocol(problem) => match &problem.problem.problem_type {
            ProblemType::NotFound
            | ProblemType::CredentialRevoked
            | ProblemType::CredentialExpired => code::NOT_FOUND,
            _ if (400..500).contains(&problem.status) => code::REFUSED,
            ProblemType::OperationNotSupported => code::REFUSED,
            _ => code::FAILURE,
        },
        _ => code::FAILURE,
    }
}
