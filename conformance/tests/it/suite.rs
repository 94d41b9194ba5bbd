//! The suite against the reference server (no failure) and against each broken issuer (a
//! failure naming the broken requirement).

use credential_issuer_conformance::{Config, Outcome, run};

use crate::fixtures::{Fault, start};

fn config(issuer: &crate::fixtures::Issuer) -> Config {
    let (url, token) = (issuer.url.as_str(), issuer.token.as_str());
    Config {
        issuer: url.to_owned(),
        token: Some(token.to_owned()),
        allow_mutations: true,
        only: vec![],
        restricted: Some(credential_issuer_conformance::Restricted {
            token: issuer.restricted.clone(),
            authority: vec![crate::fixtures::RESTRICTED_AUTHORITY.parse().unwrap()],
        }),
        requester: Some(issuer.requester.clone()),
    }
}

#[tokio::test]
async fn the_reference_server_passes_every_check() {
    let issuer = start(None).await;
    let report = run(config(&issuer)).await;
    let failures: Vec<String> = report
        .failures()
        .map(|f| {
            format!(
                "{} {}: {}",
                f.id,
                f.title,
                f.message.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failures against the reference server:\n{}",
        failures.join("\n")
    );
    let skipped: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .map(|r| r.id.as_str())
        .collect();
    // ERR-07 probes an operation the manifest does not claim; this server claims them all.
    assert_eq!(skipped, ["ERR-07"], "skipped against the reference server");
    assert!(report.summary.passed >= 40);
}

#[tokio::test]
async fn unclaimed_operations_are_checked_on_a_server_without_access_requests() {
    let issuer = crate::fixtures::start_with(None, false).await;
    let report = run(config(&issuer)).await;
    assert_eq!(
        report.summary.failed,
        0,
        "{:?}",
        report.failures().map(|f| &f.message).collect::<Vec<_>>()
    );
    let unclaimed = report.results.iter().find(|r| r.id == "ERR-07").unwrap();
    assert_eq!(unclaimed.outcome, Outcome::Passed);
    assert!(
        report
            .results
            .iter()
            .filter(|r| r.group == credential_issuer_conformance::Group::Requests)
            .all(|r| r.outcome == Outcome::Skipped)
    );
}

#[tokio::test]
async fn without_mutations_nothing_is_created() {
    let issuer = start(None).await;
    let mut read_only = config(&issuer);
    read_only.allow_mutations = false;
    let report = run(read_only).await;
    assert_eq!(report.summary.failed, 0);
    assert!(report.results.iter().any(|r| {
        r.outcome == Outcome::Skipped
            && r.message
                .as_deref()
                .is_some_and(|m| m.contains("--allow-mutations"))
    }));
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/credential-issuer/credentials", issuer.url))
        .bearer_auth(&issuer.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "a read-only run created credentials"
    );
}

async fn assert_caught(fault: Fault) {
    let issuer = start(Some(fault)).await;
    let report = run(config(&issuer)).await;
    let failures: Vec<_> = report.failures().collect();
    assert!(
        !failures.is_empty(),
        "{fault:?}: the suite found nothing wrong"
    );
    let wanted = fault.requirement();
    assert!(
        failures
            .iter()
            .any(|f| f.requirements.iter().any(|r| r == wanted)),
        "{fault:?}: no failed check cites {wanted}; failed: {:?}",
        failures
            .iter()
            .map(|f| (&f.id, &f.requirements, &f.message))
            .collect::<Vec<_>>()
    );
    // Evidence never carries the token or a secret.
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains(&issuer.token),
        "{fault:?}: the report holds the token"
    );
    assert!(
        !regex_lite_secret(&json),
        "{fault:?}: the report holds a secret"
    );
}

/// Whether `text` holds a native secret of the reference server (`cik_` and 49 base62).
fn regex_lite_secret(text: &str) -> bool {
    text.match_indices("cik_").any(|(at, _)| {
        let rest = &text[at + 4..];
        rest.len() >= 49 && rest.as_bytes()[..49].iter().all(u8::is_ascii_alphanumeric)
    })
}

macro_rules! caught {
    ($($name:ident => $fault:ident,)+) => {
        $(
            #[tokio::test]
            async fn $name() {
                assert_caught(Fault::$fault).await;
            }
        )+
        #[test]
        fn every_fault_has_a_test() {
            let tested = [$(Fault::$fault),+];
            assert_eq!(tested.len(), Fault::ALL.len());
        }
    };
}

caught! {
    an_impostor_manifest_fails => IssuerMismatch,
    a_manifest_served_as_text_fails => ManifestContentType,
    a_secret_in_a_list_fails => SecretInList,
    plain_text_errors_fail => PlainTextErrors,
    an_overlap_that_kills_the_previous_version_fails => OverlapKillsPrevious,
    a_revocation_that_does_not_stick_fails => RevokeDoesNotStick,
    a_missing_audit_event_fails => MissingAuditEvent,
    no_authentication_fails => NoAuthentication,
    rotating_a_revoked_credential_fails => RotateRevokedAccepted,
    accepting_an_unknown_permission_fails => UnknownPermissionAccepted,
    a_leaky_inactive_introspection_fails => InactiveIntrospectionLeaks,
}
