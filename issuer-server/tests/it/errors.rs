//! Bad input gets the right problem+json and changes nothing (REQ-ERR-*, REQ-AUTH-*).

use credential_issuer_spec::ApiScope;
use reqwest::Method;
use serde_json::json;

use crate::harness::{TestServer, assert_schema};

/// The credentials and the non-refusal audit events, to compare before and after.
async fn observable_state(server: &TestServer) -> (serde_json::Value, usize) {
    let credentials = server.get("/credentials").await.json();
    let changes = server
        .audit()
        .await
        .iter()
        .filter(|e| e["outcome"] == "success")
        .count();
    (credentials["items"].clone(), changes)
}

#[tokio::test]
async fn each_kind_of_bad_request_gets_its_problem_and_changes_nothing() {
    // REQ-ERR-3, REQ-ERR-5, REQ-ERR-7, REQ-ERR-11, REQ-ERR-17, REQ-LIST-4, REQ-AUTH-5
    let server = TestServer::start().await;
    let existing = server.create(&["events:read"]).await;
    let id = existing["id"].as_str().unwrap();
    let before = observable_state(&server).await;
    let admin = Some(server.admin.as_str());
    let create = |body: &str| {
        let body = body.to_owned();
        let server = &server;
        async move {
            server
                .send(Method::POST, "/credentials", admin, &[], Some(&body))
                .await
        }
    };

    let cases: Vec<(crate::harness::Reply, u16, &str)> = vec![
        (create("{\"type\": \"api_key\",").await, 400, "invalid-request"),
        (create("[]").await, 400, "invalid-request"),
        (create(&format!("{{\"name\": \"{}\"}}", "x".repeat(70_000))).await, 413, "payload-too-large"),
        (
            create(r#"{"type":"api_key","name":"x","scope":[{"permission":"events:read"}],"admin":true}"#).await,
            400,
            "invalid-request",
        ),
        (
            create(r#"{"type":"api_key","name":"x","name":"y","scope":[{"permission":"events:read"}]}"#).await,
            400,
            "invalid-request",
        ),
        (create(r#"{"type":"api_key","name":"x","scope":[{"permission":"events:delete"}]}"#).await, 400, "invalid-scope"),
        (
            create(r#"{"type":"api_key","name":"x","scope":[{"permission":"events:read","resource":"team:x"}]}"#).await,
            400,
            "invalid-scope",
        ),
        (create(r#"{"type":"oauth_client","name":"x","scope":[{"permission":"events:read"}]}"#).await, 400, "invalid-request"),
        (
            create(r#"{"type":"api_key","name":"x","scope":[{"permission":"events:read"}],"expires_in":999999999}"#).await,
            400,
            "invalid-request",
        ),
        (
            server
                .send(Method::POST, "/credentials", admin, &[("content-type", "text/plain")], None)
                .await,
            415,
            "unsupported-media-type",
        ),
        (server.get("/credentials/cred_doesnotexist").await, 404, "not-found"),
        (server.get("/credentials/..%2Fetc").await, 404, "not-found"),
        (server.post("/credentials/cred_doesnotexist/rotate", &json!({})).await, 404, "not-found"),
        (server.post(&format!("/credentials/{id}/rotate"), &json!({ "mode": "later" })).await, 400, "invalid-request"),
        (
            server.post(&format!("/credentials/{id}/rotate"), &json!({ "mode": "immediate", "grace_period_seconds": 5 })).await,
            400,
            "invalid-request",
        ),
        (server.post(&format!("/credentials/{id}/rotate"), &json!({ "grace_period_seconds": 0 })).await, 400, "invalid-request"),
        (
            server.send(Method::POST, &format!("/credentials/{id}/rotate"), admin, &[("if-match", "v1")], Some("{}")).await,
            400,
            "invalid-request",
        ),
        (server.post("/exposures", &json!({ "action": "report", "exposures": [] })).await, 400, "invalid-request"),
        (
            server.post("/exposures", &json!({ "action": "revoke", "exposures": [{ "secret": existing["secret"], "fingerprint": "sha256:00" }] })).await,
            400,
            "invalid-request",
        ),
        (server.send(Method::DELETE, "/credentials", admin, &[], None).await, 405, "method-not-allowed"),
        (server.get("/nothing-here").await, 404, "not-found"),
        (server.post("/requests", &json!({})).await, 501, "operation-not-supported"),
    ];
    for (reply, status, name) in &cases {
        reply.assert_problem(*status, name);
        assert_schema("problem", &reply.json());
        assert!(
            reply.json()["instance"]
                .as_str()
                .unwrap()
                .starts_with("urn:request:")
        );
    }
    assert_eq!(
        observable_state(&server).await,
        before,
        "no bad request changed anything"
    );
    assert_eq!(
        server
            .introspect(existing["secret"].as_str().unwrap())
            .await["active"],
        true
    );
}

#[tokio::test]
async fn authentication_and_authority_are_enforced() {
    // REQ-AUTH-1, REQ-AUTH-3, REQ-AUTH-4, REQ-AUTH-5, REQ-AUTH-6
    let server = TestServer::start().await;
    let body = r#"{"type":"api_key","name":"x","scope":[{"permission":"events:read"}]}"#;

    let none = server
        .send(Method::POST, "/credentials", None, &[], Some(body))
        .await;
    none.assert_problem(401, "unauthorized");
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let bogus = server
        .send(
            Method::POST,
            "/credentials",
            Some("cit_nope"),
            &[],
            Some(body),
        )
        .await;
    bogus.assert_problem(401, "unauthorized");
    assert!(
        bogus
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );

    let reader = server.token(&[ApiScope::CredentialsRead], None).await;
    server
        .send(Method::POST, "/credentials", Some(&reader), &[], Some(body))
        .await
        .assert_problem(403, "forbidden");

    let limited = server
        .token(
            &[ApiScope::CredentialsCreate, ApiScope::CredentialsRotate],
            Some(&["events:read@project:web"]),
        )
        .await;
    let wide = r#"{"type":"api_key","name":"x","scope":[{"permission":"events:read"}]}"#;
    server
        .send(
            Method::POST,
            "/credentials",
            Some(&limited),
            &[],
            Some(wide),
        )
        .await
        .assert_problem(403, "forbidden");
    let admin_scope = r#"{"type":"api_key","name":"x","scope":[{"permission":"admin"}]}"#;
    server
        .send(
            Method::POST,
            "/credentials",
            Some(&limited),
            &[],
            Some(admin_scope),
        )
        .await
        .assert_problem(403, "forbidden");
    let within = r#"{"type":"api_key","name":"x","scope":[{"permission":"events:read","resource":"project:web"}]}"#;
    let created = server
        .send(
            Method::POST,
            "/credentials",
            Some(&limited),
            &[],
            Some(within),
        )
        .await;
    assert_eq!(
        created.status,
        reqwest::StatusCode::CREATED,
        "{}",
        created.text
    );
    assert_eq!(
        server.get("/credentials").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The limited caller cannot rotate a broader credential it did not mint (REQ-ROT-9).
    let broad = server.create(&["events:read"]).await;
    server
        .send(
            Method::POST,
            &format!("/credentials/{}/rotate", broad["id"].as_str().unwrap()),
            Some(&limited),
            &[],
            Some("{}"),
        )
        .await
        .assert_problem(403, "forbidden");

    // Discovery documents need no token at all.
    let manifest = server
        .send(
            Method::GET,
            &format!("{}/.well-known/credential-issuer", server.issuer),
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(manifest.status, reqwest::StatusCode::OK);
}
