//! Results of a check, on the OpenID Foundation suite's model: passed, failed, warning (a
//! SHOULD not met), skipped (with the reason).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a check ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every assertion held.
    Passed,
    /// A MUST was broken.
    Failed,
    /// A SHOULD was not met.
    Warning,
    /// Not run: the reason says why (not claimed, mutations not allowed, ...).
    Skipped,
}

impl Outcome {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Warning => "warning",
            Self::Skipped => "skipped",
        }
    }
}

/// Why a check did not pass: the outcome and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Failed, warning or skipped.
    pub outcome: Outcome,
    /// What was found.
    pub message: String,
}

impl Verdict {
    /// A broken MUST.
    pub fn fail(message: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Failed,
            message: message.into(),
        }
    }

    /// An unmet SHOULD.
    pub fn warn(message: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Warning,
            message: message.into(),
        }
    }

    /// Not run.
    pub fn skip(message: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::Skipped,
            message: message.into(),
        }
    }
}

/// What a check returns: `Ok(())` when it passed.
pub type CheckResult = Result<(), Verdict>;

/// Fails with `message` unless `condition` holds.
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> CheckResult {
    if condition {
        Ok(())
    } else {
        Err(Verdict::fail(message()))
    }
}
