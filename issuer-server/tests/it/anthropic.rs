//! The Anthropic shim over HTTP through the real server, against a fake of Anthropic's Admin
//! API. Anthropic publishes no OpenAPI description of it, so the fake follows the documented
//! wire format field for field, from
//! <https://docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys>,
//! <https://docs.anthropic.com/en/api/admin-api/apikeys/get-api-key> and
//! <https://docs.anthropic.com/en/api/admin-api/apikeys/update-api-key>: headers `x-api-key`
//! and `anthropic-version: 2023-06-01`; `APIKey` objects
//! `{type, id, created_at, created_by, expires_at, name, partial_key_hint, status,
//! workspace_id}`; list pages `{data, first_id, last_id, has_more}`; update bodies
//! `{name?, status?}`; errors `{"type": "error", "error": {"type", "message"}}`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::{Value, json};

use crate::harness::{TestClock, TestServer, assert_schema};
use crate::vendor_rig::serve_fake;

const ADMIN_KEY: &str = "sk-ant-admin01-testrig";

/// The fake's keys: id -> status.
type Shared = Arc<Mutex<BTreeMap<String, String>>>;

fn error(status: StatusCode, kind: &str, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
}

fn authorized(headers: &HeaderMap) -> Result<(), (StatusCode, Json<Value>)> {
    if headers
        .get("x-api-key")
        .is_none_or(|v| v.as_bytes() != ADMIN_KEY.as_bytes())
    {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
        ));
    }
    if headers
        .get("anthropic-version")
        .is_none_or(|v| v.as_bytes() != b"2023-06-01")
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version: header is required",
        ));
    }
    Ok(())
}

fn api_key(id: &str, status: &str) -> Value {
    json!({
        "type": "api_key",
        "id": id,
        // Made a moment ago in the console: a person lists right after making a key, and it
        // must be registered at once.
        "created_at": credential_issuer_spec::Timestamp::now(),
        "created_by": {"id": "user_rig", "type": "user"},
        "expires_at": null,
        "name": format!("console key {id}"),
        "partial_key_hint": "sk-ant-api03-R2D...igAA",
        "status": status,
        "workspace_id": "wrkspc_rig",
    })
}

async fn list(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let known = [
        "limit",
        "before_id",
        "after_id",
        "status",
        "workspace_id",
        "created_by_user_id",
    ];
    if let Some(unknown) = query.keys().find(|k| !known.contains(&k.as_str())) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!("{unknown}: unknown parameter"),
        );
    }
    let keys = fake.lock().unwrap();
    let data: Vec<Value> = keys
        .iter()
        .map(|(id, status)| api_key(id, status))
        .collect();
    (
        StatusCode::OK,
        Json(
            json!({"data": data, "first_id": keys.keys().next(), "last_id": keys.keys().last(), "has_more": false}),
        ),
    )
}

async fn get_one(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> (StatusCode, Json<Value>) {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    match fake.lock().unwrap().get(&id) {
        Some(status) => (StatusCode::OK, Json(api_key(&id, status))),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            "API key not found",
        ),
    }
}

async fn update(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if let Err(refused) = authorized(&headers) {
        return refused;
    }
    let object = body.as_object().cloned().unwrap_or_default();
    if let Some(unknown) = object
        .keys()
        .find(|k| !["name", "status"].contains(&k.as_str()))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            &format!("{unknown}: Extra inputs are not permitted"),
        );
    }
    let status = body["status"].as_str().unwrap_or("active");
    if !["active", "inactive", "archived"].contains(&status) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "status: invalid value",
        );
    }
    let mut keys = fake.lock().unwrap();
    match keys.get_mut(&id) {
        Some(current) if current == "archived" => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "archived keys cannot be changed",
        ),
        Some(current) => {
            *current = status.to_owned();
            (StatusCode::OK, Json(api_key(&id, status)))
        }
        None => error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            "API key not found",
        ),
    }
}

pub(crate) struct Rig {
    pub(crate) fake: Shared,
    pub(crate) server: TestServer,
    _dir: tempfile::TempDir,
}

impl Rig {
    pub(crate) async fn start(retire_status: &str) -> Self {
        Self::start_on(TestClock::manual(), retire_status).await
    }

    /// Like [`start`](Self::start), the server reading `clock`.
    pub(crate) async fn start_on(clock: TestClock, retire_status: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let fake: Shared = Arc::default();
        let router = axum::Router::new()
            .route("/v1/organizations/api_keys", get(list))
            .route("/v1/organizations/api_keys/{id}", get(get_one).post(update))
            .with_state(fake.clone());
        let addr = serve_fake(router).await;
        let key_file = dir.path().join("anthropic-admin-key");
        std::fs::write(&key_file, ADMIN_KEY).unwrap();
        let settings =
            format!("base_url = \"http://{addr}\"\nretire_status = \"{retire_status}\"\n");
        let server = TestServer::hosting(
            clock,
            "anthropic",
            "anthropic",
            &settings,
            &[("admin_key", key_file)],
        )
        .await;
        Self {
            fake,
            server,
            _dir: dir,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/anthropic/credential-issuer{path}", self.server.issuer)
    }
}

#[tokio::test]
async fn anthropic_keys_made_in_the_console_are_registered_by_list_and_disabled_by_revoke() {
    let rig = Rig::start("inactive").await;
    let server = &rig.server;
    let manifest = server
        .get(&format!(
            "{}/.well-known/credential-issuer/anthropic",
            server.issuer
        ))
        .await
        .json();
    assert_schema("manifest", &manifest);
    // REQ-MAN-16, REQ-MAN-19: create and rotate are manual steps; introspect and
    // report_exposure are limitations, each with its reason.
    let manual: Vec<&str> = manifest["manual_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["operation"].as_str().unwrap())
        .collect();
    assert_eq!(manual, ["create", "rotate"]);
    assert_eq!(
        manifest["manual_steps"][0]["console_url"],
        "https://console.anthropic.com/settings/keys"
    );
    let limited: Vec<&str> = manifest["limitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert_eq!(limited, ["introspect", "report_exposure"]);
    // REQ-ERR-20
    let body = json!({"type": "api_key", "name": "x", "scope": [{"permission": "workspace:api"}]});
    server
        .post(&rig.url("/credentials"), &body)
        .await
        .assert_problem(501, "operation-not-supported");

    // A person makes two keys in the console (one already disabled there).
    rig.fake
        .lock()
        .unwrap()
        .insert("apikey_01console".into(), "active".into());
    rig.fake
        .lock()
        .unwrap()
        .insert("apikey_02disabled".into(), "inactive".into());
    let listed = server.get(&rig.url("/credentials")).await;
    assert_eq!(listed.status.as_u16(), 200, "{}", listed.text);
    let listed = listed.json();
    let items = listed["items"].as_array().unwrap();
    // REQ-LIST-7: the working key is registered by its id; the disabled one is not.
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["versions"][0]["key_id"], "apikey_01console");
    let id = items[0]["id"].as_str().unwrap();
    let revoked = server
        .post(&rig.url(&format!("/credentials/{id}/revoke")), &json!({}))
        .await;
    assert_eq!(revoked.status.as_u16(), 200, "{}", revoked.text);
    assert_eq!(rig.fake.lock().unwrap()["apikey_01console"], "inactive");
}

#[tokio::test]
async fn anthropic_revoke_can_archive() {
    let rig = Rig::start("archived").await;
    rig.fake
        .lock()
        .unwrap()
        .insert("apikey_03".into(), "active".into());
    let listed = rig.server.get(&rig.url("/credentials")).await.json();
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let revoked = rig
        .server
        .post(&rig.url(&format!("/credentials/{id}/revoke")), &json!({}))
        .await;
    assert_eq!(revoked.status.as_u16(), 200, "{}", revoked.text);
    assert_eq!(rig.fake.lock().unwrap()["apikey_03"], "archived");
}
