//! The recovery run: every planned credential, up to `concurrency` at a time across issuers,
//! goes rotate → install everywhere → health checks → revoke the previous version (see
//! [`steps`]). One credential's failure stops only that credential.

pub mod steps;

use std::collections::BTreeMap;
use std::path::Path;

use credential_issuer_spec::{CredentialId, Secret};
use futures_util::StreamExt;

use super::journal::Journal;
use super::plan::Plan;
use super::progress::Progress;
use super::report::{Outcome, Report};
use super::targets::Installer;
use super::{Issuers, RecoveryError};

/// How to run.
#[derive(Debug, Clone)]
pub struct RecoverOptions {
    /// Credentials worked on at once (at least 1).
    pub concurrency: usize,
    /// Continue the journaled, unfinished run instead of refusing to start.
    pub resume: bool,
    /// Only plan; change nothing.
    pub dry_run: bool,
    /// New secrets a person made at a vendor console, by credential id.
    pub provided: BTreeMap<CredentialId, Secret>,
    /// The grace period asked for overlap rotations, in seconds (the issuer's default if absent).
    pub grace_period_seconds: Option<u64>,
}

impl Default for RecoverOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            resume: false,
            dry_run: false,
            provided: BTreeMap::new(),
            grace_period_seconds: None,
        }
    }
}

/// Runs `plan`. Without `resume`, an unfinished journal refuses the run
/// ([`RecoveryError::Unfinished`]); finished journals of earlier runs are moved to `done/`.
/// With `resume`, credentials already finished in the journal are reported as they ended, and
/// unfinished ones continue from their last journaled step.
pub async fn run(
    plan: &Plan,
    issuers: &Issuers,
    journal: &Journal,
    base: &Path,
    options: &RecoverOptions,
    progress: &dyn Progress,
) -> Result<Report, RecoveryError> {
    // A run that only provides manually made secrets continues the journaled one.
    let continuing = options.resume || !options.provided.is_empty();
    if !options.dry_run && !continuing {
        if let Some(path) = journal.unfinished()?.into_iter().next() {
            return Err(RecoveryError::Unfinished(path));
        }
        journal.archive_finished()?;
    }
    let installer = Installer::new(base);
    let context = steps::Context {
        issuers,
        journal,
        installer: &installer,
        options,
        progress,
    };
    let mut lines: Vec<_> = futures_util::stream::iter(plan.items.iter().enumerate())
        .map(|(n, item)| {
            let context = &context;
            async move { (n, steps::recover_one(context, item).await) }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    lines.sort_by_key(|(n, _)| *n);
    let mut report = Report::new(lines.into_iter().map(|(_, line)| line).collect());
    if options.dry_run {
        for line in &mut report.credentials {
            if !matches!(line.outcome, Outcome::AwaitingManualStep { .. }) {
                line.outcome = Outcome::Planned;
            }
        }
        report = Report::new(report.credentials);
    }
    Ok(report)
}
