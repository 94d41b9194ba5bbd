//! What a recovery says while it works: one line per credential step on standard error (never in
//! `--json` output, which is standard output).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use credential_issuer_spec::CredentialId;

/// A step of one credential's recovery, as shown to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Rotating.
    Rotating,
    /// The new version exists (and is journaled).
    Rotated(u32),
    /// A target holds the new secret.
    Installed(String),
    /// A check passed.
    Checked(String),
    /// The previous version is revoked.
    Revoked(u32),
    /// A target holds the previous secret again.
    Restored(String),
    /// Waiting for a person.
    Waiting(String),
    /// Finished well.
    Done,
    /// Stopped for a person.
    Failed(String),
}

/// Receives the steps.
pub trait Progress: Send + Sync {
    /// `step` happened to `id` at `issuer`.
    fn step(&self, issuer: &str, id: &CredentialId, step: &Step);
}

/// Says nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn step(&self, _: &str, _: &CredentialId, _: &Step) {}
}

/// One line per step on standard error, with a count of finished credentials.
///
/// ```
/// use credential_issuer_client::recovery::progress::{Lines, Progress, Step};
/// let lines = Lines::new(2);
/// lines.step("https://issuer.example", &"cred_0123456789abcdef".parse().unwrap(), &Step::Done);
/// ```
#[derive(Debug, Default)]
pub struct Lines {
    total: usize,
    finished: AtomicUsize,
}

impl Lines {
    /// For a run of `total` credentials.
    pub fn new(total: usize) -> Self {
        Self {
            total,
            finished: AtomicUsize::new(0),
        }
    }
}

impl Progress for Lines {
    fn step(&self, _issuer: &str, id: &CredentialId, step: &Step) {
        let text = match step {
            Step::Rotating => "rotating".to_owned(),
            Step::Rotated(version) => format!("rotated: version {version} (journaled)"),
            Step::Installed(target) => format!("installed into {target}"),
            Step::Checked(check) => format!("passed {check}"),
            Step::Revoked(version) => format!("revoked version {version}"),
            Step::Restored(target) => format!("put the previous secret back into {target}"),
            Step::Waiting(what) => format!("waiting for a person: {what}"),
            Step::Done => "done".to_owned(),
            Step::Failed(reason) => format!("needs a person: {reason}"),
        };
        let finished = match step {
            Step::Done | Step::Failed(_) | Step::Waiting(_) => {
                self.finished.fetch_add(1, Ordering::Relaxed) + 1
            }
            _ => self.finished.load(Ordering::Relaxed),
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "[{finished}/{}] {id}: {text}", self.total);
    }
}
