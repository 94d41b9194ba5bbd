//! The terminal summary: grouped, one line per check, evidence shown for failures.

use std::fmt::Write;

use crate::Group;
use crate::outcome::Outcome;
use crate::report::Report;

/// Renders `report` for a terminal; `colour` adds ANSI colours.
pub fn render(report: &Report, colour: bool) -> String {
    let paint = |outcome: Outcome| {
        let word = outcome.as_str().to_uppercase();
        if !colour {
            return format!("{word:<7}");
        }
        let code = match outcome {
            Outcome::Passed => "32",
            Outcome::Failed => "31",
            Outcome::Warning => "33",
            Outcome::Skipped => "90",
        };
        format!("\x1b[{code}m{word:<7}\x1b[0m")
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "credential-issuer conformance {} (spec {}) against {}",
        report.suite.version, report.suite.spec_version, report.issuer
    );
    for group in Group::ALL {
        let results: Vec<_> = report.results.iter().filter(|r| r.group == group).collect();
        if results.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{group}");
        for result in results {
            let _ = writeln!(
                out,
                "  {} {:<7} {}  [{}]",
                paint(result.outcome),
                result.id,
                result.title,
                result.requirements.join(", ")
            );
            if let Some(message) = &result.message {
                let _ = writeln!(out, "          {message}");
            }
            if result.outcome == Outcome::Failed {
                for exchange in &result.evidence {
                    let _ = writeln!(
                        out,
                        "          > {} {} -> {}",
                        exchange.method, exchange.url, exchange.status
                    );
                    if !exchange.response_body.is_empty() {
                        let body: String = exchange.response_body.chars().take(300).collect();
                        let _ = writeln!(out, "            {}", body.replace('\n', " "));
                    }
                }
            }
        }
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} warnings, {} skipped in {} ms",
        s.passed, s.failed, s.warning, s.skipped, report.duration_ms
    );
    out
}
