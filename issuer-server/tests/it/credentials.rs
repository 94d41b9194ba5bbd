//! The credential operations and their state machine, over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestServer, assert_schema};

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_secret_once() {
    // REQ-CRE-3, REQ-CRE-4, REQ-SEC-10
    let server = TestServer::start().await;
    let body = json!({
        "type": "api_key", "name": "web analytics reader",
        "scope": [{ "permission": "events:read", "resource": "project:web" }],
        "expires_in": 3600,
        "metadata": { "owner": "team-web", "environment": "production" }
    });
    let reply = server.post("/credentials", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let issued = reply.json();
    assert_schema("issued-credential", &issued);
    let id = issued["id"].as_str().unwrap();
    assert_eq!(
        reply.header("location").unwrap(),
        format!("{}/credentials/{id}", server.endpoint)
    );
    assert_eq!(issued["scope"], body["scope"]);
    assert_eq!(issued["metadata"], body["metadata"]);
    assert_eq!(issued["current_version"], 1);
    assert!(issued["expires_at"].is_string());
    let secret = issued["secret"].as_str().unwrap();
    assert!(secret.starts_with("cik_") && secret.len() == 53);

    let fetched = server.get(&format!("/credentials/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.header("etag"), Some("\"1\""));
    let credential = fetched.json();
    assert_schema("credential", &credential);
    assert!(credential.get("secret").is_none());
}

#[tokio::test]
async fn list_filters_and_pages_without_repeats() {
    // REQ-LIST-1, REQ-LIST-2, REQ-PAGE-1, REQ-PAGE-2, REQ-PAGE-6
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let env = if i % 2 == 0 { "production" } else { "staging" };
        let body = json!({ "type": "api_key", "name": format!("key {i}"),
            "scope": [{ "permission": "events:read" }], "metadata": { "environment": env } });
        ids.push(
            server.post("/credentials", &body).await.json()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let revoked = &ids[0];
    server
        .post(&format!("/credentials/{revoked}/revoke"), &json!({}))
        .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/credentials?limit=3&cursor={c}"),
            None => "/credentials?limit=3".to_owned(),
        };
        let page = server.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let page = page.json();
        assert_schema("credential-page", &page);
        assert!(page["items"].as_array().unwrap().len() <= 3);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen, ids,
        "every credential once, in order, revoked ones included"
    );

    let active = server.get("/credentials?status=active").await.json();
    assert_eq!(active["items"].as_array().unwrap().len(), 6);
    let revoked_only = server.get("/credentials?status=revoked").await.json();
    assert_eq!(revoked_only["items"][0]["id"], json!(revoked));
    let staging = server
        .get("/credentials?metadata.environment=staging")
        .await
        .json();
    assert_eq!(staging["items"].as_array().unwrap().len(), 3);

    server
        .get("/credentials?limit=0")
        .await
        .assert_problem(400, "invalid-request");
    server
        .get("/credentials?limit=201")
        .await
        .assert_problem(400, "invalid-request");
    server
        .get("/credentials?status=sleeping")
        .await
        .assert_problem(400, "invalid-request");
    server
        .get("/credentials?colour=blue")
        .await
        .assert_problem(400, "invalid-request");
    server
        .get("/credentials?cursor=not-ours")
        .await
        .assert_problem(400, "invalid-request");
}

#[tokio::test]
async fn overlap_rotation_keeps_the_previous_version_working_until_revoked() {
    // REQ-ROT-5, REQ-ROT-10, REQ-STATE-12, REQ-REV-2, REQ-INT-1, REQ-INT-2
    let server = TestServer::start().await;
    let first = server.create(&["events:read"]).await;
    let id = first["id"].as_str().unwrap();
    let old_secret = first["secret"].as_str().unwrap();

    let reply = server
        .post(
            &format!("/credentials/{id}/rotate"),
            &json!({ "mode": "overlap", "grace_period_seconds": 3600 }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"2\""));
    let rotated = reply.json();
    assert_schema("issued-credential", &rotated);
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, old_secret);
    assert_eq!(rotated["current_version"], 2);
    assert_eq!(rotated["versions"][0]["status"], "previous");
    assert!(rotated["versions"][0]["expires_at"].is_string());

    let old = server.introspect(old_secret).await;
    assert_eq!(old["active"], true);
    assert_eq!(old["version"], 1);
    let new = server.introspect(new_secret).await;
    assert_eq!(new["active"], true);
    assert_eq!(new["version"], 2);
    assert_schema("introspect-response", &new);

    let revoked = server
        .post(
            &format!("/credentials/{id}/revoke"),
            &json!({ "version": 1 }),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(revoked.json()["versions"][0]["status"], "revoked");
    assert_eq!(
        server.introspect(old_secret).await,
        json!({ "active": false })
    );
    assert_eq!(server.introspect(new_secret).await["active"], true);
}

#[tokio::test]
async fn immediate_rotation_revokes_every_old_version_at_once() {
    // REQ-ROT-7
    let server = TestServer::start().await;
    let first = server.create(&["events:read"]).await;
    let id = first["id"].as_str().unwrap();
    let rotated = server
        .post(
            &format!("/credentials/{id}/rotate"),
            &json!({ "mode": "immediate" }),
        )
        .await
        .json();
    assert_eq!(rotated["versions"][0]["status"], "revoked");
    assert!(rotated["versions"][0]["revoked_at"].is_string());
    assert_eq!(
        server.introspect(first["secret"].as_str().unwrap()).await,
        json!({ "active": false })
    );
    assert_eq!(
        server.introspect(rotated["secret"].as_str().unwrap()).await["active"],
        true
    );
}

#[tokio::test]
async fn if_match_on_a_stale_version_is_a_conflict_that_changes_nothing() {
    // REQ-ROT-1, REQ-ERR-22
    let server = TestServer::start().await;
    let id = server.create(&["events:read"]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/credentials/{id}/rotate");
    let ok = server
        .send(
            Method::POST,
            &path,
            Some(&server.admin),
            &[("if-match", "\"1\"")],
            Some("{}"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let stale = server
        .send(
            Method::POST,
            &path,
            Some(&server.admin),
            &[("if-match", "\"1\"")],
            Some("{}"),
        )
        .await;
    stale.assert_problem(409, "rotation-conflict");
    assert_eq!(stale.json()["current_version"], 2);
    assert_eq!(
        server.get(&format!("/credentials/{id}")).await.json()["current_version"],
        2
    );
}

#[tokio::test]
async fn overlap_beyond_max_active_versions_is_refused() {
    // REQ-ROT-6
    let server = TestServer::start().await;
    let id = server.create(&["events:read"]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/credentials/{id}/rotate");
    assert_eq!(server.post(&path, &json!({})).await.status, StatusCode::OK);
    server
        .post(&path, &json!({}))
        .await
        .assert_problem(409, "active-version-limit");
    server
        .post(
            &format!("/credentials/{id}/revoke"),
            &json!({ "version": 1 }),
        )
        .await;
    assert_eq!(server.post(&path, &json!({})).await.status, StatusCode::OK);
}

#[tokio::test]
async fn rotation_may_narrow_the_scope_but_never_widen_it() {
    // REQ-ROT-8
    let server = TestServer::start().await;
    let first = server.create(&["events:write@project:web"]).await;
    let id = first["id"].as_str().unwrap();
    let path = format!("/credentials/{id}/rotate");
    let wider = json!({ "scope": [{ "permission": "admin" }] });
    server
        .post(&path, &wider)
        .await
        .assert_problem(400, "invalid-scope");
    let narrower = json!({ "scope": [{ "permission": "events:read", "resource": "project:web" }] });
    let rotated = server.post(&path, &narrower).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    assert_eq!(rotated.json()["scope"], narrower["scope"]);
    // The narrower scope applies to the previous version too.
    let old = server.introspect(first["secret"].as_str().unwrap()).await;
    assert_eq!(old["scope"], narrower["scope"]);
}

#[tokio::test]
async fn revocation_is_irreversible_and_idempotent() {
    // REQ-REV-1, REQ-REV-4, REQ-ROT-4, REQ-STATE-9
    let server = TestServer::start().await;
    let first = server.create(&["events:read"]).await;
    let id = first["id"].as_str().unwrap();
    let revoked = server
        .post(
            &format!("/credentials/{id}/revoke"),
            &json!({ "reason": "leaked" }),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let revoked = revoked.json();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["versions"][0]["status"], "revoked");
    assert_eq!(revoked["versions"][0]["revoked_at"], revoked["revoked_at"]);
    let again = server
        .post(&format!("/credentials/{id}/revoke"), &json!({}))
        .await
        .json();
    assert_eq!(
        again["revoked_at"], revoked["revoked_at"],
        "a second revoke changes nothing"
    );
    server
        .post(&format!("/credentials/{id}/rotate"), &json!({}))
        .await
        .assert_problem(409, "credential-revoked");
    assert_eq!(
        server.introspect(first["secret"].as_str().unwrap()).await,
        json!({ "active": false })
    );
}

#[tokio::test]
async fn revoking_the_current_version_alone_is_refused() {
    // REQ-REV-3
    let server = TestServer::start().await;
    let id = server.create(&["events:read"]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/credentials/{id}/revoke");
    server
        .post(&path, &json!({ "version": 1 }))
        .await
        .assert_problem(400, "invalid-request");
    server
        .post(&path, &json!({ "version": 9 }))
        .await
        .assert_problem(400, "invalid-request");
    assert_eq!(
        server.get(&format!("/credentials/{id}")).await.json()["status"],
        "active"
    );
}

#[tokio::test]
async fn grace_periods_and_lifetimes_end_on_time() {
    // REQ-STATE-4, REQ-STATE-10, REQ-CRE-5, REQ-AUD-6
    let server = TestServer::start().await;
    let first = server.create(&["events:read"]).await;
    let id = first["id"].as_str().unwrap();
    server
        .post(
            &format!("/credentials/{id}/rotate"),
            &json!({ "grace_period_seconds": 1 }),
        )
        .await;
    let short = server
        .post(
            "/credentials",
            &json!({ "type": "api_key", "name": "short", "expires_in": 1,
            "scope": [{ "permission": "events:read" }] }),
        )
        .await
        .json();
    assert_eq!(
        server.introspect(short["secret"].as_str().unwrap()).await["active"],
        true
    );
    server.advance(std::time::Duration::from_millis(1500));

    assert_eq!(
        server.introspect(first["secret"].as_str().unwrap()).await,
        json!({ "active": false })
    );
    let rotated = server.get(&format!("/credentials/{id}")).await.json();
    assert_eq!(rotated["versions"][0]["status"], "expired");
    assert_eq!(rotated["status"], "active");

    assert_eq!(
        server.introspect(short["secret"].as_str().unwrap()).await,
        json!({ "active": false })
    );
    let expired = server
        .get(&format!("/credentials/{}", short["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["versions"][0]["status"], "expired");
    server
        .post(
            &format!("/credentials/{}/rotate", short["id"].as_str().unwrap()),
            &json!({}),
        )
        .await
        .assert_problem(409, "credential-expired");

    // The sweep records each transition once.
    server.sweep().await;
    server.sweep().await;
    let events = server.audit().await;
    let expiries: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "credential.expire" || e["action"] == "version.expire")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["credential_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        expiries
            .iter()
            .filter(|(a, c)| a == "credential.expire" && c == short["id"].as_str().unwrap())
            .count(),
        1
    );
    assert_eq!(
        expiries
            .iter()
            .filter(|(a, c)| a == "version.expire" && c == id)
            .count(),
        1
    );
}

#[tokio::test]
async fn idempotent_creates_replay_the_first_response() {
    // REQ-IDEM-4, REQ-IDEM-5, REQ-IDEM-9
    let server = TestServer::start().await;
    let body =
        json!({ "type": "api_key", "name": "ci", "scope": [{ "permission": "events:read" }] })
            .to_string();
    let send = |body: String, key: &'static str| {
        let server = &server;
        async move {
            server
                .send(
                    Method::POST,
                    "/credentials",
                    Some(&server.admin),
                    &[("idempotency-key", key)],
                    Some(&body),
                )
                .await
        }
    };
    let first = send(body.clone(), "key-1").await;
    assert_eq!(first.status, StatusCode::CREATED);
    let retry = send(body.clone(), "key-1").await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.json(), first.json(), "same credential, same secret");
    let listed = server.get("/credentials").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "minted once");
    let creates = server
        .audit()
        .await
        .iter()
        .filter(|e| e["action"] == "credential.create")
        .count();
    assert_eq!(creates, 1);

    let other =
        json!({ "type": "api_key", "name": "other", "scope": [{ "permission": "events:read" }] });
    send(other.to_string(), "key-1")
        .await
        .assert_problem(422, "idempotency-key-reused");
    assert_eq!(
        server.get("/credentials").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Keys are per caller: another token's key-1 is another request.
    let token = server
        .token(&[credential_issuer_spec::ApiScope::CredentialsCreate], None)
        .await;
    let theirs = server
        .send(
            Method::POST,
            "/credentials",
            Some(&token),
            &[("idempotency-key", "key-1")],
            Some(&body),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert_ne!(theirs.json()["id"], first.json()["id"]);
}

#[tokio::test]
async fn exposure_reports_identify_and_revoke() {
    // REQ-EXP-3, REQ-EXP-4, REQ-EXP-6, REQ-EXP-7, REQ-EXP-9
    let server = TestServer::start().await;
    let first = server.create(&["events:read"]).await;
    let id = first["id"].as_str().unwrap();
    let old_secret = first["secret"].as_str().unwrap();
    let rotated = server
        .post(&format!("/credentials/{id}/rotate"), &json!({}))
        .await
        .json();
    let fingerprint = credential_issuer_spec::Secret::new(old_secret.to_owned()).fingerprint();

    let report = json!({ "action": "report", "source": "scanner", "exposures": [
        { "fingerprint": fingerprint, "location": "https://example.com/leak#L3" },
        { "secret": "cik_not_a_real_secret" }
    ]});
    let reply = server.post("/exposures", &report).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let answer = reply.json();
    assert_schema("exposure-report-response", &answer);
    assert_eq!(answer["results"][0]["matched"], true);
    assert_eq!(answer["results"][0]["version"], 1);
    assert_eq!(answer["results"][0]["action_taken"], "recorded");
    assert_eq!(
        answer["results"][1],
        json!({ "index": 1, "matched": false, "action_taken": "none" })
    );
    assert_eq!(
        server.introspect(old_secret).await["active"],
        true,
        "report changes nothing"
    );

    let revoke = json!({ "action": "revoke", "exposures": [{ "secret": old_secret }] });
    let answer = server.post("/exposures", &revoke).await.json();
    assert_eq!(answer["results"][0]["action_taken"], "version_revoked");
    assert_eq!(
        server.introspect(old_secret).await,
        json!({ "active": false })
    );
    assert_eq!(
        server.introspect(rotated["secret"].as_str().unwrap()).await["active"],
        true
    );

    let current = json!({ "action": "revoke", "exposures": [{ "secret": rotated["secret"] }] });
    let answer = server.post("/exposures", &current).await.json();
    assert_eq!(answer["results"][0]["action_taken"], "credential_revoked");
    assert_eq!(
        server.get(&format!("/credentials/{id}")).await.json()["status"],
        "revoked"
    );
    let again = server.post("/exposures", &current).await.json();
    assert_eq!(again["results"][0]["action_taken"], "already_inactive");

    let events = server.audit().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["action"] == "exposure.report")
            .count(),
        4
    );
    let revokes: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "credential.revoke")
        .collect();
    assert_eq!(revokes.len(), 2);
    assert_eq!(revokes[0]["version"], 1);
}

#[tokio::test]
async fn concurrent_exposure_reports_naming_the_same_credentials_in_any_order_all_succeed() {
    // REQ-EXP-3: reports lock each credential in id order, so two reports naming the same
    // credentials in opposite orders cannot deadlock (on PostgreSQL they would take row locks
    // in opposite orders otherwise).
    let server = TestServer::start().await;
    let mut secrets = Vec::new();
    for _ in 0..4 {
        let created = server.create(&["events:read"]).await;
        secrets.push(created["secret"].as_str().unwrap().to_owned());
    }
    let forward: Vec<_> = secrets.iter().map(|s| json!({ "secret": s })).collect();
    let backward: Vec<_> = forward.iter().rev().cloned().collect();
    let reports: Vec<_> = (0..16)
        .map(|i| {
            let exposures = if i % 2 == 0 { &forward } else { &backward };
            json!({ "action": "report", "exposures": exposures })
        })
        .collect();
    let replies =
        futures_util::future::join_all(reports.iter().map(|r| server.post("/exposures", r))).await;
    for reply in replies {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let answer = reply.json();
        assert!(
            answer["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["matched"] == true),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn idempotency_keys_expire_after_24_hours_and_their_responses_are_purged() {
    // REQ-IDEM-8, REQ-SEC-15
    let server = TestServer::start().await;
    let body = |name: &str| {
        json!({ "type": "api_key", "name": name, "scope": [{ "permission": "events:read" }] })
            .to_string()
    };
    let send = |body: String| {
        let server = &server;
        async move {
            server
                .send(
                    Method::POST,
                    "/credentials",
                    Some(&server.admin),
                    &[("idempotency-key", "day-old")],
                    Some(&body),
                )
                .await
        }
    };
    assert_eq!(send(body("first")).await.status, StatusCode::CREATED);
    let db = server.raw_database().await;
    let age = "UPDATE idempotency SET created_at = created_at - 25 * 3600 * 1000";
    db.execute(age, age).await;
    let later = send(body("second")).await;
    assert_eq!(
        later.status,
        StatusCode::CREATED,
        "after 24 hours the key is unused again: {}",
        later.text
    );
    assert_eq!(later.json()["name"], "second");

    db.execute(age, age).await;
    server.sweep().await;
    let left = db.count("SELECT COUNT(*) FROM idempotency").await;
    assert_eq!(left, 0, "the background sweep purges expired responses");
}
