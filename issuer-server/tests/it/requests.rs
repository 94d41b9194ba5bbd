//! Agent access requests end to end (spec §12, issue 7's "done when").

use credential_issuer_server::issuer::policy::AccessPolicy;
use credential_issuer_spec::ApiScope;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::TestServer;

async fn server() -> TestServer {
    TestServer::start_with(|config| {
        config.access_requests = Some(AccessPolicy {
            never_requestable: vec!["admin".parse().unwrap()],
            ..AccessPolicy::default()
        });
    })
    .await
}

#[tokio::test]
async fn ask_approve_narrower_collect_once_expire() {
    // REQ-AR-3, REQ-AR-8, REQ-AR-11, REQ-AR-14, REQ-AR-15, REQ-AR-16, REQ-AR-17
    let server = server().await;
    let manifest = server
        .send(
            Method::GET,
            &format!("{}/.well-known/credential-issuer", server.issuer),
            None,
            &[],
            None,
        )
        .await
        .json();
    let operations = manifest["supported_operations"].as_array().unwrap();
    assert!(operations.contains(&json!("request")) && operations.contains(&json!("approve")));
    let openapi = server
        .send(
            Method::GET,
            &format!("{}/openapi.json", server.issuer),
            None,
            &[],
            None,
        )
        .await
        .json();
    assert!(openapi["paths"]["/credential-issuer/requests/{id}/collect"]["post"].is_object());
    assert_eq!(
        openapi["paths"]["/credential-issuer/requests"]["post"]["responses"]["202"]["description"],
        "Success."
    );

    let agent = server.token(&[ApiScope::RequestsCreate], None).await;
    let approver = server
        .token(&[ApiScope::RequestsApprove, ApiScope::RequestsRead], None)
        .await;
    let ask = json!({ "requester": "agent:test", "type": "api_key", "ttl_seconds": 3, "reason": "investigate",
        "scope": [{ "permission": "events:read", "resource": "project:web" }, { "permission": "projects:read" }] });
    let created = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask.to_string()),
        )
        .await;
    assert_eq!(created.status, StatusCode::ACCEPTED, "{}", created.text);
    let request = created.json();
    crate::harness::assert_schema("access-request", &request);
    assert_eq!(request["status"], "pending");
    let id = request["id"].as_str().unwrap().to_owned();
    assert!(
        created
            .header("location")
            .unwrap()
            .ends_with(&format!("/requests/{id}"))
    );

    let early = server
        .send(
            Method::POST,
            &format!("/requests/{id}/collect"),
            Some(&agent),
            &[],
            None,
        )
        .await;
    early.assert_problem(409, "request-not-pending");

    let own = server
        .send(
            Method::GET,
            &format!("/requests/{id}"),
            Some(&agent),
            &[],
            None,
        )
        .await;
    assert_eq!(own.json()["status"], "pending");

    let narrower = json!({ "scope": [{ "permission": "events:read", "resource": "project:web" }], "ttl_seconds": 2 });
    let approved = server
        .send(
            Method::POST,
            &format!("/requests/{id}/approve"),
            Some(&approver),
            &[],
            Some(&narrower.to_string()),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    let approved = approved.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["scope"], narrower["scope"]);
    assert_eq!(approved["ttl_seconds"], 2);

    let other_agent = server.token(&[ApiScope::RequestsCreate], None).await;
    let stolen = server
        .send(
            Method::POST,
            &format!("/requests/{id}/collect"),
            Some(&other_agent),
            &[],
            None,
        )
        .await;
    stolen.assert_problem(403, "forbidden");
    let hidden = server
        .send(
            Method::GET,
            &format!("/requests/{id}"),
            Some(&other_agent),
            &[],
            None,
        )
        .await;
    hidden.assert_problem(404, "not-found");

    let collected = server
        .send(
            Method::POST,
            &format!("/requests/{id}/collect"),
            Some(&agent),
            &[],
            None,
        )
        .await;
    assert_eq!(collected.status, StatusCode::OK, "{}", collected.text);
    assert_eq!(collected.header("cache-control"), Some("no-store"));
    let issued = collected.json();
    crate::harness::assert_schema("issued-credential", &issued);
    let secret = issued["secret"].as_str().unwrap().to_owned();
    let again = server
        .send(
            Method::POST,
            &format!("/requests/{id}/collect"),
            Some(&agent),
            &[],
            None,
        )
        .await;
    again.assert_problem(410, "already-collected");
    assert!(!again.text.contains(&secret));

    let answer = server.introspect(&secret).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], narrower["scope"]);
    let expires: credential_issuer_spec::Timestamp =
        serde_json::from_value(answer["expires_at"].clone()).unwrap();
    let decided: credential_issuer_spec::Timestamp =
        serde_json::from_value(approved["decided_at"].clone()).unwrap();
    assert!(
        expires.unix_millis() - decided.unix_millis() <= 2_000 + 50,
        "expiry beyond the approved TTL"
    );

    server.advance(std::time::Duration::from_millis(2300));
    assert_eq!(server.introspect(&secret).await, json!({ "active": false }));

    let actions: Vec<String> = server
        .audit()
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for action in [
        "request.create",
        "request.approve",
        "credential.create",
        "request.collect",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "no {action} event: {actions:?}"
        );
    }
}

#[tokio::test]
async fn refusals_change_nothing() {
    // REQ-AR-1, REQ-AR-2, REQ-AR-7, REQ-AR-10, REQ-AR-20
    let server = server().await;
    let agent = server.token(&[ApiScope::RequestsCreate], None).await;
    let ask = |scope: serde_json::Value, ttl: u64| {
        json!({ "requester": "agent:test", "type": "api_key", "scope": scope, "ttl_seconds": ttl, "reason": "r" }).to_string()
    };
    let forbidden = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask(json!([{ "permission": "admin" }]), 60)),
        )
        .await;
    forbidden.assert_problem(403, "forbidden");
    let too_long = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask(json!([{ "permission": "events:read" }]), 99_999)),
        )
        .await;
    too_long.assert_problem(400, "invalid-request");
    let unknown = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask(json!([{ "permission": "nope" }]), 60)),
        )
        .await;
    unknown.assert_problem(400, "invalid-scope");
    assert_eq!(
        server.get("/requests").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let created = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask(json!([{ "permission": "events:read" }]), 60)),
        )
        .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let by_agent = server
        .send(
            Method::POST,
            &format!("/requests/{id}/approve"),
            Some(&agent),
            &[],
            Some("{}"),
        )
        .await;
    by_agent.assert_problem(403, "forbidden");
    let wider = json!({ "scope": [{ "permission": "events:write" }] }).to_string();
    let widened = server
        .post(
            &format!("/requests/{id}/approve"),
            &serde_json::from_str(&wider).unwrap(),
        )
        .await;
    widened.assert_problem(400, "invalid-scope");
    let longer = server
        .post(
            &format!("/requests/{id}/approve"),
            &json!({ "ttl_seconds": 61 }),
        )
        .await;
    longer.assert_problem(400, "invalid-request");
    assert_eq!(
        server.get(&format!("/requests/{id}")).await.json()["status"],
        "pending"
    );

    // The bootstrap token holds requests:create and requests:approve: it still cannot approve its own.
    let own = server
        .post(
            "/requests",
            &serde_json::from_str(&ask(json!([{ "permission": "events:read" }]), 60)).unwrap(),
        )
        .await;
    let own_id = own.json()["id"].as_str().unwrap().to_owned();
    server
        .post(&format!("/requests/{own_id}/approve"), &json!({}))
        .await
        .assert_problem(403, "forbidden");

    let denied = server
        .post(
            &format!("/requests/{id}/deny"),
            &json!({ "reason": "use staging" }),
        )
        .await;
    assert_eq!(denied.status, StatusCode::OK, "{}", denied.text);
    assert_eq!(denied.json()["status"], "denied");
    server
        .post(&format!("/requests/{id}/approve"), &json!({}))
        .await
        .assert_problem(409, "request-not-pending");
    let collect = server
        .send(
            Method::POST,
            &format!("/requests/{id}/collect"),
            Some(&agent),
            &[],
            None,
        )
        .await;
    collect.assert_problem(409, "request-not-pending");
    assert!(
        server.get("/credentials").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no credential was minted"
    );
}

#[tokio::test]
async fn policy_can_approve_a_requester_automatically() {
    // REQ-AR-21, REQ-AR-22
    use credential_issuer_server::issuer::policy::AutoApproval;
    let server = TestServer::start_with(|config| {
        config.access_requests = Some(AccessPolicy {
            auto_approve: vec![AutoApproval {
                token: "tok_auto".into(),
                scope: vec!["events:read".parse().unwrap()],
            }],
            ..AccessPolicy::default()
        });
    })
    .await;
    let mut minted = credential_issuer_server::lifecycle::mint_token(
        &server.state.context().keys.token_mac,
        "auto",
        [ApiScope::RequestsCreate].into(),
        None,
    );
    minted.record.id = "tok_auto".into();
    server
        .state
        .context()
        .store
        .insert_token(&minted.record)
        .await
        .unwrap();
    let agent = minted.token.expose().to_owned();
    let ask = |permission: &str| {
        json!({ "requester": "agent:auto", "type": "api_key", "scope": [{ "permission": permission }], "ttl_seconds": 60, "reason": "r" })
            .to_string()
    };
    let within = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask("events:read")),
        )
        .await
        .json();
    assert_eq!(within["status"], "approved");
    assert_eq!(within["auto_approved"], true);
    assert_eq!(within["decided_by"], "system");
    let id = within["id"].as_str().unwrap();
    let collected = server
        .send(
            Method::POST,
            &format!("/requests/{id}/collect"),
            Some(&agent),
            &[],
            None,
        )
        .await;
    assert_eq!(collected.status, StatusCode::OK, "{}", collected.text);

    let beyond = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask("events:write")),
        )
        .await
        .json();
    assert_eq!(beyond["status"], "pending");
    assert_eq!(beyond["auto_approved"], false);
    let approvals: Vec<_> = server
        .audit()
        .await
        .into_iter()
        .filter(|e| e["action"] == "request.approve")
        .collect();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["actor"], "system");
    assert_eq!(approvals[0]["details"]["auto_approved"], true);
}

#[tokio::test]
async fn undecided_requests_expire_and_never_yield_a_credential() {
    // REQ-AR-7, REQ-AR-17, REQ-AUD-5
    let server = TestServer::start_with(|config| {
        config.access_requests = Some(AccessPolicy {
            pending_ttl_seconds: 1,
            ..AccessPolicy::default()
        });
    })
    .await;
    let agent = server.token(&[ApiScope::RequestsCreate], None).await;
    let ask = json!({ "requester": "agent:slow", "type": "api_key", "scope": [{ "permission": "events:read" }], "ttl_seconds": 60, "reason": "r" });
    let created = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask.to_string()),
        )
        .await
        .json();
    let id = created["id"].as_str().unwrap().to_owned();
    server.advance(std::time::Duration::from_millis(2300));
    assert_eq!(
        server.get(&format!("/requests/{id}")).await.json()["status"],
        "expired"
    );
    server
        .post(&format!("/requests/{id}/approve"), &json!({}))
        .await
        .assert_problem(409, "request-not-pending");
    let collect = server
        .send(
            Method::POST,
            &format!("/requests/{id}/collect"),
            Some(&agent),
            &[],
            None,
        )
        .await;
    collect.assert_problem(409, "request-not-pending");
    server.sweep().await;
    let expiries = server
        .audit()
        .await
        .into_iter()
        .filter(|e| e["action"] == "request.expire")
        .count();
    assert_eq!(expiries, 1, "the sweep records the expiry once");
    assert!(
        server.get("/credentials").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn of_concurrent_approvals_one_wins_and_one_credential_is_minted() {
    // REQ-AR-7, REQ-AR-11: a request is decided once. The approvals mint between two
    // transactions; the one that finds the request no longer pending discards its credential.
    let server = server().await;
    let agent = server.token(&[ApiScope::RequestsCreate], None).await;
    let approver = server.token(&[ApiScope::RequestsApprove], None).await;
    let ask = json!({ "requester": "agent:race", "type": "api_key", "ttl_seconds": 60,
        "reason": "race", "scope": [{ "permission": "events:read" }] });
    let created = server
        .send(
            Method::POST,
            "/requests",
            Some(&agent),
            &[],
            Some(&ask.to_string()),
        )
        .await;
    assert_eq!(created.status, StatusCode::ACCEPTED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/requests/{id}/approve");
    let approvals =
        (0..6).map(|_| server.send(Method::POST, &path, Some(&approver), &[], Some("{}")));
    let replies = futures_util::future::join_all(approvals).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let listed = server.get("/credentials").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}
