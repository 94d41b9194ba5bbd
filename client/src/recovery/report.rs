//! The end report of a recovery, as text and JSON. Never holds a secret.

use credential_issuer_spec::{CredentialId, RotationMode};
use serde::Serialize;

/// How one credential's recovery ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// New secret everywhere, every check passed, the old version revoked.
    Recovered,
    /// Stopped; the previous version was left valid (unless the rotation was immediate) and put
    /// back where possible. A person must look.
    NeedsPerson {
        /// Why.
        reason: String,
    },
    /// The issuer needs a person to rotate; run again with `--provide ID --secret-file F`.
    AwaitingManualStep {
        /// What to do, and where.
        instructions: String,
    },
    /// `--dry-run`: nothing was done.
    Planned,
}

/// One credential's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialReport {
    /// The issuer.
    pub issuer: String,
    /// The credential.
    pub credential_id: CredentialId,
    /// The variable name.
    pub env: String,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The rotation mode used.
    pub mode: RotationMode,
    /// The version replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_version: Option<u32>,
    /// The new version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_version: Option<u32>,
    /// Targets holding the new secret at the end.
    pub targets_installed: usize,
    /// Targets in all.
    pub targets: usize,
    /// Checks passed.
    pub checks_passed: usize,
    /// Checks in all.
    pub checks: usize,
    /// Whether the previous version was revoked.
    pub previous_revoked: bool,
    /// Targets that hold the previous secret again after a failure.
    pub targets_restored: usize,
    /// Anything else a person should know (immediate rotation and why, what was resumed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Every credential.
    pub credentials: Vec<CredentialReport>,
    /// How many were recovered.
    pub recovered: usize,
    /// How many need a person.
    pub needs_person: usize,
    /// How many wait for a manual step.
    pub awaiting_manual_step: usize,
}

impl Report {
    /// A report of these lines, with the counts.
    pub fn new(credentials: Vec<CredentialReport>) -> Self {
        let count = |f: fn(&Outcome) -> bool| credentials.iter().filter(|c| f(&c.outcome)).count();
        Self {
            recovered: count(|o| matches!(o, Outcome::Recovered)),
            needs_person: count(|o| matches!(o, Outcome::NeedsPerson { .. })),
            awaiting_manual_step: count(|o| matches!(o, Outcome::AwaitingManualStep { .. })),
            credentials,
        }
    }

    /// Whether every credential was recovered (or only planned).
    pub fn all_recovered(&self) -> bool {
        self.needs_person == 0 && self.awaiting_manual_step == 0
    }

    /// The report in words.
    ///
    /// ```
    /// use credential_issuer_client::recovery::Report;
    /// assert!(Report::new(Vec::new()).text().contains("0 recovered"));
    /// ```
    pub fn text(&self) -> String {
        let mut out = String::new();
        for c in &self.credentials {
            let versions = match (c.from_version, c.new_version) {
                (Some(from), Some(to)) => format!(" v{from} -> v{to}"),
                _ => String::new(),
            };
            let mode = match c.mode {
                RotationMode::Immediate => "immediate",
                _ => "overlap",
            };
            let head = match &c.outcome {
                Outcome::Recovered => "recovered".to_owned(),
                Outcome::NeedsPerson { reason } => format!("NEEDS A PERSON: {reason}"),
                Outcome::AwaitingManualStep { instructions } => {
                    format!("WAITING FOR A PERSON: {instructions}")
                }
                Outcome::Planned => "planned (dry run)".to_owned(),
            };
            out.push_str(&format!(
                "{} {} ({}){versions} [{mode}]: {head}; targets {}/{}, checks {}/{}, old version {}{}\n",
                c.credential_id,
                c.issuer,
                c.env,
                c.targets_installed,
                c.targets,
                c.checks_passed,
                c.checks,
                if c.previous_revoked { "revoked" } else { "still valid" },
                if c.targets_restored > 0 {
                    format!(", previous secret put back into {} target(s)", c.targets_restored)
                } else {
                    String::new()
                },
            ));
            for note in &c.notes {
                out.push_str(&format!("    note: {note}\n"));
            }
        }
        out.push_str(&format!(
            "{} recovered, {} need a person, {} wait for a manual step ({} in all)\n",
            self.recovered,
            self.needs_person,
            self.awaiting_manual_step,
            self.credentials.len()
        ));
        out
    }
}
