//! What can stop a recovery command as a whole (one credential's failure is not one of these: it
//! is reported for a person and the others carry on).

use std::path::PathBuf;

use crate::error::ClientError;

/// An error of the recovery workflow. Never carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecoveryError {
    /// A local file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A local file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The inventory file is not valid.
    #[error("{path}: {message}")]
    Inventory {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A journal file is not valid.
    #[error("journal {path}: {message}")]
    Journal {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An earlier run did not finish.
    #[error(
        "an unfinished recovery is journaled in {0}: finish it with --resume (or move the journal away)"
    )]
    Unfinished(PathBuf),
    /// An issuer named by the inventory could not be used.
    #[error("issuer {issuer}: {source}")]
    Issuer {
        /// The issuer identifier.
        issuer: String,
        /// Why.
        source: ClientError,
    },
    /// An issuer publishes a secret format whose regular expression does not compile.
    #[error("issuer {issuer}: secret format {prefix:?} has an unusable regex: {reason}")]
    Pattern {
        /// The issuer identifier.
        issuer: String,
        /// The format's prefix.
        prefix: String,
        /// Why.
        reason: String,
    },
    /// `git log` failed.
    #[error("git history of {path}: {reason}")]
    Git {
        /// The repository.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}
