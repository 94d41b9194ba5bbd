//! The OpenAI shim over HTTP through the real server, with Prism checking every call against
//! OpenAI's official OpenAPI description (trimmed to the operations used, request bodies
//! closed), in front of a small stateful fake of OpenAI's Administration API.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use crate::harness::{TestClock, TestServer, assert_schema};
use crate::vendor_rig::{Prism, openai_spec, serve_fake};

/// The admin key the fake accepts.
pub(crate) const ADMIN_KEY: &str = "sk-admin-testrig0000000000000000";
/// The project the fake holds.
pub(crate) const PROJECT: &str = "proj_rig";

/// One key the fake OpenAI holds.
#[derive(Debug, Clone)]
pub(crate) struct FakeKey {
    /// The service account it belongs to (`None`: a person's key made in the console).
    pub(crate) service_account: Option<String>,
    pub(crate) name: String,
    pub(crate) created_at: i64,
    pub(crate) expires_in_seconds: Option<u64>,
    /// How the key is shown in lists: its prefix, `...`, its last characters.
    pub(crate) redacted_value: String,
}

/// The key the rig's shim authenticates with, which OpenAI lists among the admin keys too.
pub(crate) const RIG_ADMIN_KEY_ID: &str = "key_rig_admin";

/// `value` as OpenAI lists it.
fn redact(prefix: &str, value: &str) -> String {
    format!("{prefix}...{}", &value[value.len() - 4..])
}

/// A small stateful OpenAI: project keys (by key id) and admin keys (by key id).
#[derive(Debug, Default)]
pub(crate) struct FakeOpenAi {
    pub(crate) project_keys: BTreeMap<String, FakeKey>,
    pub(crate) admin_keys: BTreeMap<String, FakeKey>,
    /// Answer service-account creation without `role`, which the description requires.
    pub(crate) break_answers: bool,
}

type Shared = Arc<Mutex<FakeOpenAi>>;

fn now() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(elapsed.as_secs()).unwrap()
}

fn random(n: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..n].to_owned()
}

fn not_found(what: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(
            json!({"error": {"message": format!("No such {what}"), "type": "invalid_request_error", "param": null, "code": null}}),
        ),
    )
}

async fn create_service_account(
    State(fake): State<Shared>,
    Path(project): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if project != PROJECT {
        return not_found("project");
    }
    let account = format!("svc_acct_{}", random(12));
    let key_id = format!("key_{}", random(12));
    let created_at = now();
    let name = body["name"].as_str().unwrap_or_default().to_owned();
    let broken = fake.lock().unwrap().break_answers;
    fake.lock().unwrap().project_keys.insert(
        key_id.clone(),
        FakeKey {
            service_account: Some(account.clone()),
            name: "Secret Key".into(),
            created_at,
            expires_in_seconds: None,
            redacted_value: "sk-...abcd".into(),
        },
    );
    let mut answer = json!({
            "object": "organization.project.service_account",
            "id": account,
            "name": name,
            "role": "member",
            "created_at": created_at,
            "api_key": {
                "object": "organization.project.service_account.api_key",
                "value": format!("sk-svcacct-{}{}", random(32), random(16)),
                "name": "Secret Key",
                "created_at": created_at,
                "id": key_id,
            }
    });
    if broken {
        answer.as_object_mut().unwrap().remove("role");
    }
    (StatusCode::OK, Json(answer))
}

async fn delete_service_account(
    State(fake): State<Shared>,
    Path((_, account)): Path<(String, String)>,
) -> (StatusCode, Json<Value>) {
    let mut fake = fake.lock().unwrap();
    let before = fake.project_keys.len();
    fake.project_keys
        .retain(|_, key| key.service_account.as_deref() != Some(account.as_str()));
    if fake.project_keys.len() == before {
        return not_found("service account");
    }
    (
        StatusCode::OK,
        Json(
            json!({"object": "organization.project.service_account.deleted", "id": account, "deleted": true}),
        ),
    )
}

async fn list_project_keys(
    State(fake): State<Shared>,
    Path(project): Path<String>,
) -> (StatusCode, Json<Value>) {
    if project != PROJECT {
        return not_found("project");
    }
    let fake = fake.lock().unwrap();
    let data: Vec<Value> = fake
        .project_keys
        .iter()
        .map(|(id, key)| {
            let owner = match &key.service_account {
                Some(account) => json!({"type": "service_account", "service_account": {
                    "id": account, "name": "rig", "created_at": key.created_at, "role": "member"}}),
                None => json!({"type": "user", "user": {
                    "id": "user_rig", "email": "rig@example.com", "name": "Rig", "created_at": key.created_at, "role": "owner"}}),
            };
            json!({
                "object": "organization.project.api_key",
                "redacted_value": "sk-...abcd",
                "name": key.name,
                "created_at": key.created_at,
                "last_used_at": null,
                "id": id,
                "owner_project_access": "active",
                "owner": owner,
            })
        })
        .collect();
    let first = fake.project_keys.keys().next().cloned();
    let last = fake.project_keys.keys().last().cloned();
    (
        StatusCode::OK,
        Json(
            json!({"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": false}),
        ),
    )
}

async fn delete_project_key(
    State(fake): State<Shared>,
    Path((_, key)): Path<(String, String)>,
) -> (StatusCode, Json<Value>) {
    if fake.lock().unwrap().project_keys.remove(&key).is_none() {
        return not_found("API key");
    }
    (
        StatusCode::OK,
        Json(json!({"object": "organization.project.api_key.deleted", "id": key, "deleted": true})),
    )
}

fn admin_key_json(id: &str, key: &FakeKey) -> Value {
    json!({
        "object": "organization.admin_api_key",
        "id": id,
        "name": key.name,
        "redacted_value": key.redacted_value,
        "created_at": key.created_at,
        "expires_at": key.expires_in_seconds.map(|s| key.created_at + i64::try_from(s).unwrap()),
        "last_used_at": null,
        "owner": {"type": "user", "object": "organization.user", "id": "user_rig", "name": "Rig", "created_at": key.created_at, "role": "owner"},
    })
}

async fn create_admin_key(State(fake): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let id = format!("key_{}", random(12));
    let value = format!("sk-admin-{}{}", random(32), random(16));
    let key = FakeKey {
        service_account: None,
        name: body["name"].as_str().unwrap_or_default().to_owned(),
        created_at: now(),
        expires_in_seconds: body["expires_in_seconds"].as_u64(),
        redacted_value: redact("sk-admin", &value),
    };
    let mut answer = admin_key_json(&id, &key);
    answer["value"] = json!(value);
    fake.lock().unwrap().admin_keys.insert(id, key);
    Json(answer)
}

async fn list_admin_keys(State(fake): State<Shared>) -> Json<Value> {
    let fake = fake.lock().unwrap();
    let data: Vec<Value> = fake
        .admin_keys
        .iter()
        .map(|(id, key)| admin_key_json(id, key))
        .collect();
    Json(json!({
        "object": "list",
        "data": data,
        "first_id": fake.admin_keys.keys().next(),
        "last_id": fake.admin_keys.keys().last(),
        "has_more": false,
    }))
}

async fn delete_admin_key(
    State(fake): State<Shared>,
    Path(key): Path<String>,
) -> (StatusCode, Json<Value>) {
    if fake.lock().unwrap().admin_keys.remove(&key).is_none() {
        return not_found("admin API key");
    }
    (
        StatusCode::OK,
        Json(json!({"id": key, "object": "organization.admin_api_key.deleted", "deleted": true})),
    )
}

/// Refuses any call without the admin key, as OpenAI does.
async fn require_admin_key(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let expected = format!("Bearer {ADMIN_KEY}");
    let authorized = request
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    if !authorized {
        return axum::response::IntoResponse::into_response((
            StatusCode::UNAUTHORIZED,
            Json(
                json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
            ),
        ));
    }
    next.run(request).await
}

/// Starts the fake OpenAI; returns its state and address.
pub(crate) async fn start_fake() -> (Shared, SocketAddr) {
    let fake: Shared = Arc::default();
    fake.lock().unwrap().admin_keys.insert(
        RIG_ADMIN_KEY_ID.to_owned(),
        FakeKey {
            service_account: None,
            name: "the shim's own admin key".into(),
            created_at: 1_700_000_000,
            expires_in_seconds: None,
            redacted_value: redact("sk-admin", ADMIN_KEY),
        },
    );
    let router = axum::Router::new()
        .route(
            "/v1/organization/projects/{project}/service_accounts",
            post(create_service_account),
        )
        .route(
            "/v1/organization/projects/{project}/service_accounts/{account}",
            delete(delete_service_account),
        )
        .route(
            "/v1/organization/projects/{project}/api_keys",
            get(list_project_keys),
        )
        .route(
            "/v1/organization/projects/{project}/api_keys/{key}",
            delete(delete_project_key),
        )
        .route(
            "/v1/organization/admin_api_keys",
            get(list_admin_keys).post(create_admin_key),
        )
        .route(
            "/v1/organization/admin_api_keys/{key}",
            delete(delete_admin_key),
        )
        .layer(axum::middleware::from_fn(require_admin_key))
        .with_state(fake.clone());
    let addr = serve_fake(router).await;
    (fake, addr)
}

/// The fake behind Prism, and a server hosting an OpenAI issuer at `/openai` minting
/// `key_kind` keys through Prism.
pub(crate) struct Rig {
    pub(crate) fake: Shared,
    pub(crate) prism: Prism,
    pub(crate) server: TestServer,
    _dir: tempfile::TempDir,
}

impl Rig {
    pub(crate) async fn start(test: &str, key_kind: &str) -> Self {
        Self::start_on(TestClock::manual(), test, key_kind).await
    }

    /// Like [`start`](Self::start), the server reading `clock`.
    pub(crate) async fn start_on(clock: TestClock, test: &str, key_kind: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let spec = openai_spec();
        let (fake, addr) = start_fake().await;
        let prism = Prism::start(test, &spec, addr, dir.path()).await;
        let key_file = dir.path().join("openai-admin-key");
        std::fs::write(&key_file, format!("{ADMIN_KEY}\n")).unwrap();
        let settings = format!(
            "base_url = \"{}\"\nproject_id = \"{PROJECT}\"\nkey_kind = \"{key_kind}\"\n",
            prism.url
        );
        let credentials = [("admin_key", key_file)];
        let server = TestServer::hosting(clock, "openai", "openai", &settings, &credentials).await;
        Self {
            fake,
            prism,
            server,
            _dir: dir,
        }
    }

    /// `{issuer}/openai/credential-issuer{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/openai/credential-issuer{path}", self.server.issuer)
    }
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn openai_project_keys_are_service_accounts_rotated_by_create_then_delete() {
    let rig = Rig::start("openai project keys", "project_key").await;
    let server = &rig.server;
    let manifest = server
        .get(&format!(
            "{}/.well-known/credential-issuer/openai",
            server.issuer
        ))
        .await
        .json();
    assert_schema("manifest", &manifest);
    // REQ-MAN-16: the manifest claims what OpenAI allows, and no lifetime (the description
    // has none for service-account keys).
    assert_eq!(manifest["secret_formats"][0]["prefix"], "sk-svcacct-");
    assert!(
        manifest["documentation_url"]
            .as_str()
            .unwrap()
            .contains("openai.com")
    );

    let body =
        json!({"type": "api_key", "name": "ci", "scope": [{"permission": "project:member"}]});
    let created = server.post(&rig.url("/credentials"), &body).await;
    assert_eq!(
        created.status.as_u16(),
        201,
        "{}\n{}",
        created.text,
        rig.prism.log_text()
    );
    let created = created.json();
    let id = created["id"].as_str().unwrap();
    assert!(
        created["secret"]
            .as_str()
            .unwrap()
            .starts_with("sk-svcacct-")
    );
    let first_key = created["versions"][0]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        rig.fake
            .lock()
            .unwrap()
            .project_keys
            .contains_key(&first_key)
    );

    // A lifetime is refused: OpenAI's description has none for these keys.
    let body = json!({"type": "api_key", "name": "ci", "scope": [{"permission": "project:member"}], "expires_in": 3600});
    let refused = server.post(&rig.url("/credentials"), &body).await;
    assert_eq!(refused.status.as_u16(), 400, "{}", refused.text);

    // REQ-STATE-12: both keys work during the overlap; the old one is deleted when it ends.
    let rotated = server
        .post(
            &rig.url(&format!("/credentials/{id}/rotate")),
            &json!({"mode": "overlap", "grace_period_seconds": 1}),
        )
        .await;
    assert_eq!(
        rotated.status.as_u16(),
        200,
        "{}\n{}",
        rotated.text,
        rig.prism.log_text()
    );
    let new_key = rotated.json()["versions"][1]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(rig.fake.lock().unwrap().project_keys.len(), 2);
    server.advance(std::time::Duration::from_secs(1));
    server.sweep().await;
    {
        let keys = rig.fake.lock().unwrap();
        assert!(
            keys.project_keys.len() == 1 && keys.project_keys.contains_key(&new_key),
            "the old service account is deleted"
        );
    }

    // REQ-LIST-7: a key made in the console is adopted by list, and revoking it deletes it.
    rig.fake.lock().unwrap().project_keys.insert(
        "key_console".into(),
        FakeKey {
            service_account: None,
            name: "made by a person".into(),
            created_at: 1_700_000_000,
            expires_in_seconds: None,
            redacted_value: "sk-...wxyz".into(),
        },
    );
    let listed = server.get(&rig.url("/credentials")).await;
    assert_eq!(
        listed.status.as_u16(),
        200,
        "{}\n{}",
        listed.text,
        rig.prism.log_text()
    );
    let listed = listed.json();
    let adopted = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["versions"][0]["key_id"] == "key_console")
        .expect("the console key is adopted")
        .clone();
    let revoked = server
        .post(
            &rig.url(&format!(
                "/credentials/{}/revoke",
                adopted["id"].as_str().unwrap()
            )),
            &json!({}),
        )
        .await;
    assert_eq!(
        revoked.status.as_u16(),
        200,
        "{}\n{}",
        revoked.text,
        rig.prism.log_text()
    );
    assert!(
        !rig.fake
            .lock()
            .unwrap()
            .project_keys
            .contains_key("key_console")
    );

    // REQ-REV-6: revoking deletes the service account before the answer.
    let revoked = server
        .post(&rig.url(&format!("/credentials/{id}/revoke")), &json!({}))
        .await;
    assert_eq!(revoked.status.as_u16(), 200, "{}", revoked.text);
    assert!(rig.fake.lock().unwrap().project_keys.is_empty());
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn openai_admin_keys_carry_the_lifetime_asked_for() {
    let rig = Rig::start("openai admin keys", "admin_key").await;
    let server = &rig.server;
    let body = json!({"type": "api_key", "name": "ops", "scope": [{"permission": "organization:admin"}], "expires_in": 3600});
    let created = server.post(&rig.url("/credentials"), &body).await;
    assert_eq!(
        created.status.as_u16(),
        201,
        "{}\n{}",
        created.text,
        rig.prism.log_text()
    );
    let created = created.json();
    assert!(created["secret"].as_str().unwrap().starts_with("sk-admin-"));
    let key_id = created["versions"][0]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        rig.fake.lock().unwrap().admin_keys[&key_id].expires_in_seconds,
        Some(3600)
    );
    let revoked = server
        .post(
            &rig.url(&format!(
                "/credentials/{}/revoke",
                created["id"].as_str().unwrap()
            )),
            &json!({}),
        )
        .await;
    assert_eq!(
        revoked.status.as_u16(),
        200,
        "{}\n{}",
        revoked.text,
        rig.prism.log_text()
    );
    let admin_keys = rig.fake.lock().unwrap().admin_keys.clone();
    assert_eq!(
        admin_keys.keys().collect::<Vec<_>>(),
        vec![RIG_ADMIN_KEY_ID],
        "the minted key is gone, the shim's own is not"
    );
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn an_openai_admin_issuer_does_not_adopt_the_key_it_authenticates_with() {
    // REQ-LIST-7: adoption is for keys made elsewhere; the shim's own admin key is listed by
    // OpenAI, but a credential for it could be revoked through the issuer and cut it off.
    let rig = Rig::start("openai own admin key", "admin_key").await;
    let listed = rig.server.get(&rig.url("/credentials")).await;
    assert_eq!(listed.status.as_u16(), 200, "{}", listed.text);
    assert_eq!(listed.json()["items"], json!([]), "{}", listed.text);
    assert!(
        rig.fake
            .lock()
            .unwrap()
            .admin_keys
            .contains_key(RIG_ADMIN_KEY_ID)
    );
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn prism_refuses_a_request_the_openai_description_does_not_allow() {
    let rig = Rig::start("openai prism", "project_key").await;
    // A misspelt field (`nmae`): the trimmed description closes request bodies.
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/organization/projects/{PROJECT}/service_accounts",
            rig.prism.url
        ))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({"nmae": "typo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let text = response.text().await.unwrap();
    assert!(text.contains("additionalProperties"), "{text}");
    assert!(
        rig.fake.lock().unwrap().project_keys.is_empty(),
        "Prism did not pass it on"
    );
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn prism_refuses_an_answer_the_openai_description_does_not_allow() {
    let rig = Rig::start("openai prism answers", "project_key").await;
    // The fake forgets `role`, which the description requires: Prism answers 500 instead of
    // passing the answer on, and the issuer reports the vendor unavailable (REQ-ERR-16: no
    // secret in the problem).
    rig.fake.lock().unwrap().break_answers = true;
    let body =
        json!({"type": "api_key", "name": "ci", "scope": [{"permission": "project:member"}]});
    let refused = rig.server.post(&rig.url("/credentials"), &body).await;
    refused.assert_problem(502, "upstream-unavailable");
    assert!(!refused.text.contains("sk-svcacct-"), "{}", refused.text);
    assert!(
        rig.prism.log_text().contains("VIOLATIONS"),
        "{}",
        rig.prism.log_text()
    );
}
