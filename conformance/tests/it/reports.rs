//! The report formats: the JSON report validates against its committed schema; JUnit XML is
//! well formed with one test case per check.

use credential_issuer_conformance::{Config, Report, report, run};

use crate::fixtures::start;

#[test]
fn the_committed_report_schema_is_current() {
    let path = format!(
        "{}/../schemas/conformance-report.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == Report::json_schema(),
        "schemas/conformance-report.schema.json is stale: run `cargo run -p credential-issuer-conformance -- --report-schema > schemas/conformance-report.schema.json`"
    );
}

#[tokio::test]
async fn json_validates_and_junit_lists_every_check() {
    let issuer = start(None).await;
    let report = run(Config {
        issuer: issuer.url.clone(),
        token: Some(issuer.token.clone()),
        allow_mutations: false,
        only: vec![],
        restricted: None,
        requester: None,
    })
    .await;
    let schema: serde_json::Value = serde_json::from_str(&Report::json_schema()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    let xml = report::junit::render(&report);
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), report.results.len());
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    assert_eq!(
        xml.matches("<skipped ").count() as u32,
        report.summary.skipped
    );
    let text = report::text::render(&report, false);
    assert!(text.contains("DISC-01") && text.contains("skipped"));
}
