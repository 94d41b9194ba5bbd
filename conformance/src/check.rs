//! A check: its metadata (stable id, group, the requirements it enforces, title, when it can
//! run) next to the function that runs it. The registry of checks is [`crate::registry`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use credential_issuer_spec::Operation;

use crate::Group;
use crate::context::Context;
use crate::outcome::CheckResult;

/// What a check is: stable id, the requirements it enforces, and when it can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Stable id, e.g. `OPS-06`.
    pub id: &'static str,
    /// Its group.
    pub group: Group,
    /// The spec requirement ids it enforces.
    pub requirements: &'static [&'static str],
    /// One line.
    pub title: &'static str,
    /// Whether it creates, rotates or revokes.
    pub mutating: bool,
    /// The operations the manifest must claim for it to run.
    pub needs: &'static [Operation],
}

/// What becomes of a check when the run has no usable manifest (discovery checks run anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithoutManifest {
    /// Reported as skipped, saying why.
    Skip,
    /// Left out of the report: the documents rules that only apply to a parsed manifest.
    Omit,
}

/// A check's future: it borrows the run's context while it runs.
pub(crate) type Checking<'a> = Pin<Box<dyn Future<Output = CheckResult> + Send + 'a>>;

/// The function that runs a check.
pub(crate) type Run = for<'a> fn(&'a mut Context) -> Checking<'a>;

/// A registered check: its metadata and the function that runs it.
#[derive(Clone, Copy)]
pub struct Check {
    /// What the check is.
    pub meta: Meta,
    /// What becomes of it without a usable manifest.
    pub without_manifest: WithoutManifest,
    /// Runs it.
    pub(crate) run: Run,
}

impl Check {
    /// A check reported as skipped when there is no usable manifest.
    pub(crate) const fn new(meta: Meta, run: Run) -> Self {
        Self {
            meta,
            without_manifest: WithoutManifest::Skip,
            run,
        }
    }

    /// A check left out of the report when there is no usable manifest.
    pub(crate) const fn on_manifest(meta: Meta, run: Run) -> Self {
        Self {
            meta,
            without_manifest: WithoutManifest::Omit,
            run,
        }
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("meta", &self.meta)
            .field("without_manifest", &self.without_manifest)
            .finish_non_exhaustive()
    }
}
