//! The audit log: every mutation and refusal, linked by hashes (REQ-AUD-*).

use credential_issuer_spec::audit::verify_chain;
use credential_issuer_spec::{AuditEvent, GENESIS_HASH};
use reqwest::Method;
use serde_json::json;

use crate::harness::{TestServer, assert_schema};

#[tokio::test]
async fn every_operation_is_recorded_and_the_chain_links() {
    // REQ-AUD-1, REQ-AUD-10, REQ-AUD-11, REQ-INT-4
    let server = TestServer::start().await;
    let first = server.create(&["events:read"]).await;
    let id = first["id"].as_str().unwrap();
    server
        .post(
            &format!("/credentials/{id}/rotate"),
            &json!({ "mode": "overlap" }),
        )
        .await;
    server.introspect(first["secret"].as_str().unwrap()).await;
    server
        .post(
            &format!("/credentials/{id}/revoke"),
            &json!({ "version": 1 }),
        )
        .await;
    server
        .post(
            &format!("/credentials/{id}/rotate"),
            &json!({ "mode": "sideways" }),
        )
        .await;
    let reader = server
        .token(&[credential_issuer_spec::ApiScope::CredentialsRead], None)
        .await;
    server
        .send(
            Method::POST,
            &format!("/credentials/{id}/revoke"),
            Some(&reader),
            &[],
            Some("{}"),
        )
        .await
        .assert_problem(403, "forbidden");

    let events = server.audit().await;
    for event in &events {
        assert_schema("audit-event", event);
    }
    let summary: Vec<(String, String, Option<u64>)> = events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["outcome"].as_str().unwrap().into(),
                e["version"].as_u64(),
            )
        })
        .collect();
    let expected = [
        ("credential.create", "success", Some(1)),
        ("credential.rotate", "success", Some(2)),
        ("credential.introspect", "success", Some(1)),
        ("credential.revoke", "success", Some(1)),
        ("credential.rotate", "refused", None),
        ("credential.revoke", "refused", None),
    ];
    let expected: Vec<(String, String, Option<u64>)> = expected
        .iter()
        .map(|(a, o, v)| ((*a).into(), (*o).into(), *v))
        .collect();
    assert_eq!(summary, expected);
    assert!(
        events
            .iter()
            .all(|e| e["request_id"].as_str().is_some_and(|r| !r.is_empty()))
    );

    let typed: Vec<AuditEvent> = events
        .iter()
        .map(|e| serde_json::from_value(e.clone()).unwrap())
        .collect();
    let (seq, _) = verify_chain(&typed, 0, GENESIS_HASH).expect("the chain links");
    assert_eq!(seq, 6);
}

#[tokio::test]
async fn the_log_filters_by_credential_and_pages() {
    // REQ-AUD-13
    let server = TestServer::start().await;
    let a = server.create(&["events:read"]).await;
    let b = server.create(&["events:read"]).await;
    server
        .post(
            &format!("/credentials/{}/revoke", a["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    let only_a = server
        .get(&format!(
            "/audit?credential_id={}",
            a["id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(only_a["items"].as_array().unwrap().len(), 2);
    let page = server.get("/audit?limit=1").await.json();
    assert_schema("audit-page", &page);
    assert_eq!(page["items"][0]["credential_id"], a["id"]);
    let next = server
        .get(&format!(
            "/audit?limit=1&cursor={}",
            page["next_cursor"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(next["items"][0]["credential_id"], b["id"]);
    server
        .get("/audit?cursor=1&after_seq=1")
        .await
        .assert_problem(400, "invalid-request");
}

#[tokio::test]
async fn an_operation_whose_audit_event_cannot_be_written_fails_and_changes_nothing() {
    // REQ-AUD-3: fail closed.
    let server = TestServer::start().await;
    server.create(&["events:read"]).await;
    let db = server.raw_database().await;
    db.execute(
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END",
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit unavailable'; END $$;
         CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .await;
    let body =
        json!({ "type": "api_key", "name": "x", "scope": [{ "permission": "events:read" }] });
    let reply = server.post("/credentials", &body).await;
    reply.assert_problem(500, "internal-error");
    assert!(
        !reply.text.contains("audit unavailable"),
        "a 5xx body is generic"
    );
    db.execute(
        "DROP TRIGGER refuse_audit",
        "DROP TRIGGER refuse_audit ON audit_events",
    )
    .await;
    let listed = server.get("/credentials").await.json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "the failed create left nothing behind"
    );
}
