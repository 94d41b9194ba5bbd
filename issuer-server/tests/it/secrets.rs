//! Secrets are shown once and never kept or echoed: not in lists, audit events, errors, logs of
//! the store, or any file of the data directory (REQ-SEC-11, REQ-SEC-12, REQ-SEC-17).

use reqwest::Method;
use serde_json::json;

use crate::harness::TestServer;

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[tokio::test]
async fn issued_secrets_appear_nowhere_after_they_are_shown() {
    let server = TestServer::start().await;
    let mut secrets = Vec::new();
    let first = server.create(&["events:read"]).await;
    let id = first["id"].as_str().unwrap().to_owned();
    secrets.push(first["secret"].as_str().unwrap().to_owned());
    let idempotent =
        json!({ "type": "api_key", "name": "idem", "scope": [{ "permission": "events:read" }] });
    let replayed = server
        .send(
            Method::POST,
            "/credentials",
            Some(&server.admin),
            &[("idempotency-key", "k")],
            Some(&idempotent.to_string()),
        )
        .await
        .json();
    secrets.push(replayed["secret"].as_str().unwrap().to_owned());
    let rotated = server
        .post(&format!("/credentials/{id}/rotate"), &json!({}))
        .await
        .json();
    secrets.push(rotated["secret"].as_str().unwrap().to_owned());
    // Refusals that carry a secret in the request.
    let echo = server
        .post(
            &format!("/credentials/{id}/rotate"),
            &json!({ "mode": secrets[0] }),
        )
        .await;
    let bad_type = server
        .post(
            "/credentials/introspect",
            &json!({ "secret": secrets[1], "hint": secrets[2] }),
        )
        .await;
    server
        .post(
            "/exposures",
            &json!({ "action": "report", "exposures": [{ "secret": secrets[0] }] }),
        )
        .await;
    server.introspect(&secrets[2]).await;

    let listed = server.get("/credentials").await.text;
    let got = server.get(&format!("/credentials/{id}")).await.text;
    let audit = serde_json::to_string(&server.audit().await).unwrap();
    for secret in &secrets {
        assert!(
            !listed.contains(secret.as_str()),
            "secret in a list response"
        );
        assert!(!got.contains(secret.as_str()), "secret in a get response");
        assert!(!audit.contains(secret.as_str()), "secret in the audit log");
        assert!(
            !echo.text.contains(secret.as_str()),
            "secret echoed in an error"
        );
        assert!(
            !bad_type.text.contains(secret.as_str()),
            "secret echoed in an error"
        );
        let fingerprint = credential_issuer_spec::Secret::new(secret.clone()).fingerprint();
        assert!(
            !audit.contains(&fingerprint),
            "fingerprint in the audit log"
        );
        let hits = files_containing(&server.data_dir(), secret.as_bytes());
        assert!(hits.is_empty(), "secret stored in {hits:?}");
        let hits = files_containing(&server.data_dir(), fingerprint.as_bytes());
        assert!(hits.is_empty(), "fingerprint stored in {hits:?}");
    }
}

#[test]
fn debug_output_redacts_secrets() {
    let secret = credential_issuer_spec::Secret::new("cik_abcdefghijklmnop".into());
    assert!(!format!("{secret:?}").contains("abcdefghijklmnop"));
    let key = credential_issuer_server::crypto::keys::Key::generate();
    assert_eq!(format!("{key:?}"), "Key(<redacted>)");
}
