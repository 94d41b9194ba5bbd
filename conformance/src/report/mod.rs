//! The report: every check's result with its evidence, and a summary. Written as a terminal
//! summary ([`text`]), JSON (this type; schema in `schemas/conformance-report.schema.json`) or
//! JUnit XML ([`junit`]).

pub mod junit;
pub mod text;

use std::time::Duration;

use credential_issuer_spec::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Group;
use crate::evidence::Exchange;
use crate::outcome::Outcome;

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CaseResult {
    /// The check's stable id.
    pub id: String,
    /// Its group.
    pub group: Group,
    /// One line.
    pub title: String,
    /// The requirement ids it enforces.
    pub requirements: Vec<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The requests and responses it relied on, secrets redacted.
    pub evidence: Vec<Exchange>,
}

/// Counts per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Checks that passed.
    pub passed: u32,
    /// Checks that failed.
    pub failed: u32,
    /// Checks with a warning.
    pub warning: u32,
    /// Checks skipped.
    pub skipped: u32,
}

/// The suite that produced a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Suite {
    /// `credential-issuer-conformance`.
    pub name: String,
    /// The suite's version.
    pub version: String,
    /// The spec version it checks against.
    pub spec_version: String,
}

/// A conformance report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Conformance report")]
pub struct Report {
    /// What ran.
    pub suite: Suite,
    /// The issuer identifier tested.
    pub issuer: String,
    /// When the run started.
    pub started_at: Timestamp,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Counts.
    pub summary: Summary,
    /// Every check, in run order.
    pub results: Vec<CaseResult>,
}

impl Report {
    /// Assembles a report.
    pub fn new(
        issuer: String,
        started_at: Timestamp,
        duration: Duration,
        results: Vec<CaseResult>,
    ) -> Self {
        let mut summary = Summary::default();
        for result in &results {
            match result.outcome {
                Outcome::Passed => summary.passed += 1,
                Outcome::Failed => summary.failed += 1,
                Outcome::Warning => summary.warning += 1,
                Outcome::Skipped => summary.skipped += 1,
            }
        }
        Self {
            suite: Suite {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                spec_version: credential_issuer_spec::SPEC_VERSION.to_owned(),
            },
            issuer,
            started_at,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            summary,
            results,
        }
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| r.outcome == Outcome::Failed)
    }

    /// The JSON Schema of the report, written to `schemas/conformance-report.schema.json`.
    pub fn json_schema() -> String {
        let schema = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<Report>();
        let mut text = serde_json::to_string_pretty(&sort(schema.to_value())).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn sort(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let ordered: std::collections::BTreeMap<_, _> =
                map.into_iter().map(|(k, v)| (k, sort(v))).collect();
            serde_json::Value::Object(ordered.into_iter().collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sort).collect())
        }
        other => other,
    }
}
