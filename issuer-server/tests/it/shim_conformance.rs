//! The conformance suite against every shim issuer, through the vendor rigs: every operation a
//! shim's manifest claims is checked, with mutations; the others are skipped with the
//! manifest's reason. Zero failures, no allowlist. The suite checks an issuer from outside and
//! waits real time for what it checks (a grace period ending), so these servers read the system
//! clock.

use credential_issuer_conformance::{Config, Outcome, run};

use crate::harness::TestClock;

async fn conform(name: &str, issuer: String, token: String) {
    let report = run(Config {
        issuer,
        token: Some(token),
        allow_mutations: true,
        only: vec![],
        restricted: None,
        requester: None,
    })
    .await;
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| format!("{r:?}"))
        .collect();
    println!("{name}: {:?}", report.summary);
    assert!(
        failed.is_empty(),
        "{name}: {} failed:\n{}",
        failed.len(),
        failed.join("\n\n")
    );
    assert!(report.summary.passed > 0, "{name}: nothing passed");
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn conformance_openai_project_keys() {
    let rig =
        crate::openai::Rig::start_on(TestClock::System, "conformance openai", "project_key").await;
    let issuer = format!("{}/openai", rig.server.issuer);
    conform("openai project_key", issuer, rig.server.admin.clone()).await;
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn conformance_openai_admin_keys() {
    let rig =
        crate::openai::Rig::start_on(TestClock::System, "conformance openai admin", "admin_key")
            .await;
    let issuer = format!("{}/openai", rig.server.issuer);
    conform("openai admin_key", issuer, rig.server.admin.clone()).await;
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn conformance_github_installation_tokens() {
    let rig = crate::github::Rig::start_on(TestClock::System, "conformance github").await;
    let issuer = format!("{}/github", rig.server.issuer);
    conform("github", issuer, rig.server.admin.clone()).await;
}

#[tokio::test]
async fn conformance_anthropic() {
    let rig = crate::anthropic::Rig::start_on(TestClock::System, "inactive").await;
    rig.fake
        .lock()
        .unwrap()
        .insert("apikey_conformance".into(), "active".into());
    let issuer = format!("{}/anthropic", rig.server.issuer);
    conform("anthropic", issuer, rig.server.admin.clone()).await;
}
