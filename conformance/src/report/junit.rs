//! JUnit XML, as CI systems read it: one `testsuite` per group, one `testcase` per check;
//! failures carry the message and the evidence, skips their reason, warnings go to `system-out`.

use std::fmt::Write;

use crate::Group;
use crate::outcome::Outcome;
use crate::report::Report;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// Renders `report` as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let s = &report.summary;
    let _ = writeln!(
        out,
        "<testsuites name=\"credential-issuer-conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        report.results.len(),
        s.failed,
        s.skipped,
        report.duration_ms as f64 / 1000.0
    );
    for group in Group::ALL {
        let results: Vec<_> = report.results.iter().filter(|r| r.group == group).collect();
        if results.is_empty() {
            continue;
        }
        let failures = results
            .iter()
            .filter(|r| r.outcome == Outcome::Failed)
            .count();
        let skipped = results
            .iter()
            .filter(|r| r.outcome == Outcome::Skipped)
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{group}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            results.len()
        );
        for result in results {
            let name = escape(&format!(
                "{} {} [{}]",
                result.id,
                result.title,
                result.requirements.join(", ")
            ));
            let _ = write!(
                out,
                "    <testcase classname=\"credential-issuer-conformance.{group}\" name=\"{name}\""
            );
            let message = escape(result.message.as_deref().unwrap_or_default());
            match result.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Failed => {
                    let evidence =
                        serde_json::to_string_pretty(&result.evidence).unwrap_or_default();
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{message}\">{}</failure>\n    </testcase>",
                        escape(&evidence)
                    );
                }
                Outcome::Skipped => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{message}\"/>\n    </testcase>"
                    );
                }
                Outcome::Warning => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>warning: {message}</system-out>\n    </testcase>"
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
