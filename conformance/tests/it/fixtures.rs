//! Broken issuers: the reference server behind a proxy that breaks exactly one requirement.
//! The server is configured with the proxy's URL as its issuer identifier, so that everything
//! but the injected fault is correct.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::{AppState, serve};
use serde_json::{Value, json};

/// The authority of the second caller of every fixture.
pub(crate) const RESTRICTED_AUTHORITY: &str = "events:read@project:web";

/// The one thing a broken issuer gets wrong, and the requirement that makes it wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The manifest names another issuer.
    IssuerMismatch,
    /// The manifest is served as text/plain.
    ManifestContentType,
    /// List responses carry the secrets issued earlier.
    SecretInList,
    /// Errors are plain text instead of problem+json.
    PlainTextErrors,
    /// Overlap rotations are carried out as immediate ones.
    OverlapKillsPrevious,
    /// Revocations answer 200 but are never carried out.
    RevokeDoesNotStick,
    /// credential.revoke events are left out of the audit log.
    MissingAuditEvent,
    /// Requests without a token are let through as the administrator.
    NoAuthentication,
    /// Rotating a revoked credential appears to succeed.
    RotateRevokedAccepted,
    /// Unknown permissions are silently replaced by a known one.
    UnknownPermissionAccepted,
    /// Introspection of an inactive secret says which credential it was.
    InactiveIntrospectionLeaks,
}

impl Fault {
    pub(crate) const ALL: [Fault; 11] = [
        Self::IssuerMismatch,
        Self::ManifestContentType,
        Self::SecretInList,
        Self::PlainTextErrors,
        Self::OverlapKillsPrevious,
        Self::RevokeDoesNotStick,
        Self::MissingAuditEvent,
        Self::NoAuthentication,
        Self::RotateRevokedAccepted,
        Self::UnknownPermissionAccepted,
        Self::InactiveIntrospectionLeaks,
    ];

    /// The requirement a correct suite must report as broken.
    pub(crate) fn requirement(self) -> &'static str {
        match self {
            Self::IssuerMismatch => "REQ-DISC-6",
            Self::ManifestContentType => "REQ-DISC-5",
            Self::SecretInList => "REQ-SEC-11",
            Self::PlainTextErrors => "REQ-ERR-11",
            Self::OverlapKillsPrevious => "REQ-ROT-5",
            Self::RevokeDoesNotStick => "REQ-REV-1",
            Self::MissingAuditEvent => "REQ-AUD-1",
            Self::NoAuthentication => "REQ-AUTH-3",
            Self::RotateRevokedAccepted => "REQ-ROT-4",
            Self::UnknownPermissionAccepted => "REQ-SCOPE-5",
            Self::InactiveIntrospectionLeaks => "REQ-INT-2",
        }
    }
}

#[derive(Clone)]
struct Proxy {
    fault: Option<Fault>,
    upstream: String,
    admin: String,
    http: reqwest::Client,
    secrets: Arc<Mutex<Vec<String>>>,
}

/// A running issuer (broken by `fault`, or correct with `None`) and its admin token.
pub(crate) struct Issuer {
    pub(crate) url: String,
    pub(crate) token: String,
    /// A second caller: create, read and rotate only, with the authority `RESTRICTED_AUTHORITY`.
    pub(crate) restricted: String,
    /// A requester: `requests:create` only.
    pub(crate) requester: String,
    _dir: tempfile::TempDir,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the reference server (with access requests), behind a proxy injecting `fault`.
pub(crate) async fn start(fault: Option<Fault>) -> Issuer {
    start_with(fault, true).await
}

/// Starts the reference server, with or without access requests, behind a proxy injecting `fault`.
pub(crate) async fn start_with(fault: Option<Fault>, access_requests: bool) -> Issuer {
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", front.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        addr: back.local_addr().unwrap(),
        data_dir: dir.path().join("data"),
        public_url: Some(url.clone()),
        min_ttl_seconds: 1,
        access_requests: access_requests
            .then(credential_issuer_server::issuer::policy::AccessPolicy::default),
        ..ServerConfig::default()
    };
    let (state, token) = AppState::open(&config).await.unwrap();
    let token = token.unwrap().expose().to_owned();
    let restricted = {
        use credential_issuer_server::lifecycle::mint_token;
        use credential_issuer_spec::ApiScope;
        let scopes = [
            ApiScope::CredentialsCreate,
            ApiScope::CredentialsRead,
            ApiScope::CredentialsRotate,
        ]
        .into();
        let authority = Some(vec![RESTRICTED_AUTHORITY.parse().unwrap()]);
        let minted = mint_token(
            &state.context().keys.token_mac,
            "restricted",
            scopes,
            authority,
        );
        state
            .context()
            .store
            .insert_token(&minted.record)
            .await
            .unwrap();
        minted.token.expose().to_owned()
    };
    let requester = {
        use credential_issuer_server::lifecycle::mint_token;
        let scopes = [credential_issuer_spec::ApiScope::RequestsCreate].into();
        let minted = mint_token(&state.context().keys.token_mac, "requester", scopes, None);
        state
            .context()
            .store
            .insert_token(&minted.record)
            .await
            .unwrap();
        minted.token.expose().to_owned()
    };
    let server = tokio::spawn(async move { serve::run(back, state).await.unwrap() });
    let proxy = Proxy {
        fault,
        upstream: format!("http://{}", config.addr),
        admin: token.clone(),
        http: reqwest::Client::new(),
        secrets: Arc::default(),
    };
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    let front_task = tokio::spawn(async move { axum::serve(front, app).await.unwrap() });
    Issuer {
        url,
        token,
        restricted,
        requester,
        _dir: dir,
        tasks: vec![server, front_task],
    }
}

async fn send(
    proxy: &Proxy,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, Bytes) {
    let mut request = proxy
        .http
        .request(method, format!("{}{path}", proxy.upstream))
        .body(body);
    for (name, value) in headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap())
}

fn json_of(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let mut body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let mut headers = parts.headers.clone();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let method = parts.method.clone();
    let is = |suffix: &str| parts.uri.path().ends_with(suffix);

    // Faults on the way in.
    match proxy.fault {
        Some(Fault::NoAuthentication) if !headers.contains_key(header::AUTHORIZATION) => {
            let value = HeaderValue::from_str(&format!("Bearer {}", proxy.admin)).unwrap();
            headers.insert(header::AUTHORIZATION, value);
        }
        Some(Fault::OverlapKillsPrevious) if is("/rotate") => {
            let mut value = json_of(&body);
            if value.get("mode").is_none_or(|m| m == "overlap") {
                value["mode"] = json!("immediate");
                value
                    .as_object_mut()
                    .unwrap()
                    .remove("grace_period_seconds");
                body = Bytes::from(value.to_string());
            }
        }
        Some(Fault::UnknownPermissionAccepted) if is("/credentials") && method == Method::POST => {
            let text = String::from_utf8_lossy(&body)
                .replace("conformance:no-such-permission", "events:read");
            body = Bytes::from(text);
        }
        Some(Fault::RevokeDoesNotStick) if is("/revoke") => {
            let get = path.trim_end_matches("/revoke").to_owned();
            let (status, headers, fetched) =
                send(&proxy, Method::GET, &get, &headers, Bytes::new()).await;
            return (status, headers, fetched).into_response();
        }
        _ => {}
    }

    let (mut status, mut response_headers, mut response_body) =
        send(&proxy, method.clone(), &path, &headers, body).await;
    let mut value = json_of(&response_body);
    if let Some(secret) = value.get("secret").and_then(Value::as_str) {
        proxy.secrets.lock().unwrap().push(secret.to_owned());
    }

    // Faults on the way out.
    match proxy.fault {
        Some(Fault::IssuerMismatch)
            if parts.uri.path().starts_with("/.well-known/") && value.is_object() =>
        {
            value["issuer"] = json!("https://impostor.example.com");
            response_body = Bytes::from(value.to_string());
        }
        Some(Fault::ManifestContentType) if parts.uri.path().starts_with("/.well-known/") => {
            response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        }
        Some(Fault::SecretInList) if is("/credentials") && method == Method::GET => {
            let secrets = proxy.secrets.lock().unwrap().clone();
            if let (Some(items), Some(secret)) = (value["items"].as_array_mut(), secrets.last()) {
                for item in items {
                    item["secret"] = json!(secret);
                }
                response_body = Bytes::from(value.to_string());
            }
        }
        Some(Fault::PlainTextErrors) if status.as_u16() >= 400 => {
            response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            response_body = Bytes::from(format!("error {}", status.as_u16()));
        }
        Some(Fault::MissingAuditEvent) if is("/audit") => {
            if let Some(items) = value["items"].as_array_mut() {
                items.retain(|e| e["action"] != "credential.revoke");
                response_body = Bytes::from(value.to_string());
            }
        }
        Some(Fault::RotateRevokedAccepted)
            if is("/rotate")
                && status == StatusCode::CONFLICT
                && value["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("credential-revoked")) =>
        {
            let get = path.trim_end_matches("/rotate").to_owned();
            let (_, _, fetched) = send(&proxy, Method::GET, &get, &headers, Bytes::new()).await;
            let mut fake = json_of(&fetched);
            fake["secret"] = json!("cik_fake");
            status = StatusCode::OK;
            response_headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response_body = Bytes::from(fake.to_string());
        }
        Some(Fault::InactiveIntrospectionLeaks)
            if is("/introspect") && value == json!({ "active": false }) =>
        {
            response_body =
                Bytes::from(json!({ "active": false, "credential_id": "cred_leaked" }).to_string());
        }
        _ => {}
    }
    response_headers.remove(header::CONTENT_LENGTH);
    response_headers.remove(header::TRANSFER_ENCODING);
    (status, response_headers, response_body).into_response()
}
