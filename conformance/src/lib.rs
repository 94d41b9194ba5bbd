//! # credential-issuer-conformance
//!
//! The conformance suite of the credential-issuer protocol: point it at any issuer and it runs
//! every check the manifest's claims call for, each tied to requirement ids of the spec
//! (`REQ-...`), and reports passed, failed, warning (a SHOULD not met) or skipped (with the
//! reason), with the requests and responses it relied on, secrets redacted.
//!
//! Each check is a [`Check`]: its [`Meta`] (stable id, group, requirement ids, title, when it
//! can run) beside the function that runs it; [`registry`] lists them in run order.
//!
//! Checks that create, rotate or revoke run only when mutations are allowed, and revoke what
//! they created. The suite proves itself: its tests run it against deliberately broken issuers,
//! each breaking one requirement, and require that it fails each for that requirement.
//!
//! ```no_run
//! # async fn run() {
//! use credential_issuer_conformance::{Config, run};
//! let report = run(Config {
//!     issuer: "http://127.0.0.1:8080".into(),
//!     token: Some("cit_...".into()),
//!     allow_mutations: true,
//!     only: vec![],
//!     restricted: None,
//!     requester: None,
//! })
//! .await;
//! println!("{} failed", report.summary.failed);
//! # }
//! ```

pub mod check;
mod checks;
pub mod consistency;
mod context;
pub mod evidence;
pub mod outcome;
pub mod probe;
mod recorder;
pub mod report;
mod trail;

use std::fmt;
use std::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use check::{Check, Meta};
pub use context::{Config, Restricted};
pub use outcome::Outcome;
pub use report::{CaseResult, Report, Summary};

/// A group of checks.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Manifest URL, content type, issuer match, caching, signatures.
    Discovery,
    /// Manifest, permission schema and JWK Set against the schemas and the spec's rules.
    Documents,
    /// Each claimed operation's success path and the state machine.
    Operations,
    /// problem+json for each error path; bad input changes nothing.
    Errors,
    /// Authentication, secrets shown once, scope escalation.
    Security,
    /// Agent access requests: ask, decide, collect once.
    Requests,
    /// Every mutation in the log; the hash chain; checkpoints.
    Audit,
}

impl Group {
    /// Every group, in run order.
    pub const ALL: [Group; 7] = [
        Self::Discovery,
        Self::Documents,
        Self::Operations,
        Self::Errors,
        Self::Security,
        Self::Requests,
        Self::Audit,
    ];
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Discovery => "discovery",
            Self::Documents => "documents",
            Self::Operations => "operations",
            Self::Errors => "errors",
            Self::Security => "security",
            Self::Requests => "requests",
            Self::Audit => "audit",
        })
    }
}

/// Every check of the suite, group by group in run order: the registry the runner iterates.
///
/// ```
/// let ids: Vec<&str> = credential_issuer_conformance::registry().map(|c| c.meta.id).collect();
/// assert_eq!(ids[0], "DISC-01");
/// ```
pub fn registry() -> impl Iterator<Item = &'static Check> {
    Group::ALL.into_iter().flat_map(checks::of)
}

/// Checks a manifest (and optionally a permission schema) from files, before publishing: the
/// documents group's rules, with the same ids and report formats, and no network.
pub async fn check_documents(
    manifest: &serde_json::Value,
    permissions: Option<&serde_json::Value>,
) -> Report {
    let started = Instant::now();
    let started_at = credential_issuer_spec::Timestamp::now();
    let issuer = manifest["issuer"].as_str().unwrap_or_default().to_owned();
    let mut ctx = context::Context::new(Config {
        issuer: issuer.clone(),
        token: None,
        allow_mutations: false,
        only: vec![],
        restricted: None,
        requester: None,
    });
    ctx.manifest_json = Some(manifest.clone());
    ctx.permission_file = permissions.cloned();
    let mut recorder = recorder::Recorder::default();
    recorder.run_all(&mut ctx, checks::documents::OFFLINE).await;
    Report::new(issuer, started_at, started.elapsed(), recorder.results)
}

/// Runs the suite against `config.issuer`.
pub async fn run(config: Config) -> Report {
    let started = Instant::now();
    let started_at = credential_issuer_spec::Timestamp::now();
    let issuer = config.issuer.clone();
    let only = config.only.clone();
    let mut ctx = context::Context::new(config);
    let mut recorder = recorder::Recorder::default();
    // Discovery always runs: every other group needs the manifest.
    for group in Group::ALL {
        if group == Group::Discovery || only.is_empty() || only.contains(&group) {
            recorder.run_all(&mut ctx, checks::of(group)).await;
        }
    }
    checks::cleanup(&mut ctx).await;
    if !only.is_empty() && !only.contains(&Group::Discovery) {
        recorder
            .results
            .retain(|r| r.group != Group::Discovery || r.outcome == Outcome::Failed);
    }
    Report::new(issuer, started_at, started.elapsed(), recorder.results)
}
