//! The GitHub shim over HTTP through the real server, with Prism checking every call against
//! GitHub's official OpenAPI description (`@octokit/openapi`, pinned; trimmed to the operation
//! used, its request body closed), in front of a small fake of GitHub that verifies the app's
//! RS256 JWT with the app's public key.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use josekit::jws::RS256;
use serde_json::{Value, json};

use crate::harness::{TestClock, TestServer, assert_schema};
use crate::vendor_rig::{Prism, github_spec, serve_fake};

/// The app and installation of the rig.
pub(crate) const APP_ID: u64 = 424_242;
pub(crate) const INSTALLATION: u64 = 77;

/// What the fake GitHub saw and minted.
#[derive(Debug, Default)]
pub(crate) struct FakeGitHub {
    /// The app's public key (PEM), to verify JWTs with.
    public_pem: Vec<u8>,
    /// Every token request body it accepted.
    pub(crate) requests: Vec<Value>,
}

type Shared = Arc<Mutex<FakeGitHub>>;

fn refuse(status: StatusCode, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"message": message, "documentation_url": "https://docs.github.com/rest"})),
    )
}

async fn create_token(
    State(fake): State<Shared>,
    Path(installation): Path<u64>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let public = fake.lock().unwrap().public_pem.clone();
    let jwt = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let verifier = RS256.verifier_from_pem(&public).unwrap();
    let Ok((payload, _)) = josekit::jwt::decode_with_verifier(jwt, &verifier) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "A JSON web token could not be decoded",
        );
    };
    let (Some(iat), Some(exp)) = (payload.issued_at(), payload.expires_at()) else {
        return refuse(StatusCode::UNAUTHORIZED, "iat and exp are required");
    };
    let lifetime = exp.duration_since(iat).unwrap_or_default();
    if payload.issuer() != Some(APP_ID.to_string().as_str()) || lifetime.as_secs() > 600 {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "'Issuer' claim ('iss') must be the app id, exp at most 10 minutes after iat",
        );
    }
    if installation != INSTALLATION {
        return refuse(StatusCode::NOT_FOUND, "Not Found");
    }
    let selection = if body.get("repositories").is_some() {
        "selected"
    } else {
        "all"
    };
    let permissions = body["permissions"].clone();
    fake.lock().unwrap().requests.push(body);
    let expires = time_in_an_hour();
    (
        StatusCode::CREATED,
        Json(json!({
            "token": format!("ghs_{}{}", uuid::Uuid::new_v4().simple(), &uuid::Uuid::new_v4().simple().to_string()[..4]),
            "expires_at": expires,
            "permissions": permissions,
            "repository_selection": selection,
        })),
    )
}

/// An RFC 3339 time one hour from now.
fn time_in_an_hour() -> Value {
    serde_json::to_value(credential_issuer_spec::Timestamp::now().plus_seconds(3600)).unwrap()
}

/// A server hosting a GitHub issuer at `/github`, through Prism to the fake.
pub(crate) struct Rig {
    pub(crate) fake: Shared,
    pub(crate) prism: Prism,
    pub(crate) server: TestServer,
    _dir: tempfile::TempDir,
}

impl Rig {
    pub(crate) async fn start(test: &str) -> Self {
        Self::start_on(TestClock::manual(), test).await
    }

    /// Like [`start`](Self::start), the server reading `clock`.
    pub(crate) async fn start_on(clock: TestClock, test: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let spec = github_spec(test, dir.path());
        let pair = RS256.generate_key_pair(2048).unwrap();
        let fake: Shared = Arc::new(Mutex::new(FakeGitHub {
            public_pem: pair.to_pem_public_key(),
            requests: Vec::new(),
        }));
        let router = axum::Router::new()
            .route(
                "/app/installations/{installation}/access_tokens",
                post(create_token),
            )
            .with_state(fake.clone());
        let addr: SocketAddr = serve_fake(router).await;
        let prism = Prism::start(test, &spec, addr, dir.path()).await;
        let key_file = dir.path().join("github-app.pem");
        std::fs::write(&key_file, pair.to_pem_private_key()).unwrap();
        let settings = format!(
            "base_url = \"{}\"\napp_id = {APP_ID}\ninstallation_id = {INSTALLATION}\n",
            prism.url
        );
        let credentials = [("private_key", key_file)];
        let server = TestServer::hosting(clock, "github", "github", &settings, &credentials).await;
        Self {
            fake,
            prism,
            server,
            _dir: dir,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/github/credential-issuer{path}", self.server.issuer)
    }
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn github_installation_tokens_are_narrowed_to_the_scope_and_last_an_hour() {
    let rig = Rig::start("github installation tokens").await;
    let server = &rig.server;
    let manifest = server
        .get(&format!(
            "{}/.well-known/credential-issuer/github",
            server.issuer
        ))
        .await
        .json();
    assert_schema("manifest", &manifest);
    // REQ-MAN-19: what GitHub cannot do is not claimed, and the manifest says why.
    let limited: Vec<&str> = manifest["limitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert_eq!(limited, ["revoke", "report_exposure"]);

    let body = json!({"type": "api_key", "name": "ci", "scope": [
        {"permission": "contents:read", "resource": "repository:app"},
        {"permission": "issues:write", "resource": "repository:app"},
    ]});
    let created = server.post(&rig.url("/credentials"), &body).await;
    assert_eq!(
        created.status.as_u16(),
        201,
        "{}\n{}",
        created.text,
        rig.prism.log_text()
    );
    let created = created.json();
    assert!(created["secret"].as_str().unwrap().starts_with("ghs_"));
    assert!(created["expires_at"].is_string(), "{created}");
    assert_eq!(
        rig.fake.lock().unwrap().requests,
        [json!({"permissions": {"contents": "read", "issues": "write"}, "repositories": ["app"]})]
    );

    // A scope GitHub cannot express without widening it is refused, and nothing is minted.
    let body = json!({"type": "api_key", "name": "ci", "scope": [
        {"permission": "contents:read", "resource": "repository:a"},
        {"permission": "issues:read", "resource": "repository:b"},
    ]});
    let refused = server.post(&rig.url("/credentials"), &body).await;
    assert_eq!(refused.status.as_u16(), 400, "{}", refused.text);
    assert_eq!(rig.fake.lock().unwrap().requests.len(), 1);

    // REQ-ERR-20: revoke is answered 501 (GitHub needs the token itself to revoke it).
    let id = created["id"].as_str().unwrap();
    let revoke = server
        .post(&rig.url(&format!("/credentials/{id}/revoke")), &json!({}))
        .await;
    revoke.assert_problem(501, "operation-not-supported");
}

#[tokio::test]
#[ignore = "needs the vendor rig (Prism and @octokit/openapi: .ci/vendor-rig.sh); run with `cargo test -- --ignored`, as CI does"]
async fn prism_refuses_a_token_request_the_github_description_does_not_allow() {
    let rig = Rig::start("github prism").await;
    // A misspelt field (`permisions`), and a permission level GitHub does not have.
    for body in [
        json!({"permisions": {"contents": "read"}}),
        json!({"permissions": {"contents": "admin"}}),
    ] {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/app/installations/{INSTALLATION}/access_tokens",
                rig.prism.url
            ))
            .bearer_auth("not-checked-by-prism")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 422, "{body}");
    }
    assert!(
        rig.fake.lock().unwrap().requests.is_empty(),
        "Prism did not pass them on"
    );
}
