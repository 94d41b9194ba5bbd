//! The gateway and the backend boundary: several issuers on one server, each at its own path;
//! a backend with keys of its own (a vendor's key store, as in `examples/custom_backend.rs`)
//! whose keys are retired when versions end, durably, across a restart; operations a backend
//! cannot do are not claimed and are answered 501.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use credential_issuer_server::backends::native::NativeBackend;
use credential_issuer_server::backends::{
    Backend, BackendError, Capabilities, IssueRequest, Issued, ListedKey, VendorKey,
};
use credential_issuer_server::clock::ManualClock;
use credential_issuer_server::crypto::keys::ServerKeys;
use credential_issuer_server::crypto::signing::{SigningAlgorithm, SigningKeys};
use credential_issuer_server::gateway::HostedIssuer;
use credential_issuer_server::issuer::{IssuerProfile, default_permission_schema};
use credential_issuer_server::lifecycle::mint_token;
use credential_issuer_server::store::sqlite::SqliteStore;
use credential_issuer_server::{AppState, serve};
use credential_issuer_spec::{
    ApiScope, ExpiryPolicy, IssuerId, Limitation, NativeSecretFormat, Operation, RotationMode,
    RotationPolicy, Secret, Timestamp,
};
use serde_json::{Value, json};

use crate::harness::{TestServer, assert_schema};

#[tokio::test]
async fn a_hosted_issuer_has_its_own_path_manifest_credentials_and_audit_log() {
    let server = TestServer::start_with(|config| {
        config.issuers = vec![HostedIssuer {
            path: "second".into(),
            backend: "native".into(),
            settings: toml::from_str("secret_prefix = \"cis_\"").unwrap(),
            credentials: BTreeMap::new(),
        }];
    })
    .await;
    assert_eq!(server.states.len(), 2);
    let second = format!("{}/second", server.issuer);
    // REQ-DISC-2: the well-known suffix goes between the host and the issuer's path.
    let manifest = server
        .get(&format!(
            "{}/.well-known/credential-issuer/second",
            server.issuer
        ))
        .await
        .json();
    assert_schema("manifest", &manifest);
    assert_eq!(manifest["issuer"], second);
    assert_eq!(
        manifest["credential_issuer_endpoint"],
        format!("{second}/credential-issuer")
    );
    assert_eq!(manifest["secret_formats"][0]["prefix"], "cis_");
    let native = server
        .get(&format!("{}/.well-known/credential-issuer", server.issuer))
        .await
        .json();
    assert_eq!(native["issuer"], server.issuer);

    let created = server
        .post(
            &format!("{second}/credential-issuer/credentials"),
            &json!({"type": "api_key", "name": "hosted", "scope": [{"permission": "events:read"}]}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.text);
    let created = created.json();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("cis_"));
    // The native issuer neither lists nor recognises the hosted issuer's credential.
    let listed = server.get("/credentials").await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    assert_eq!(server.introspect(secret).await, json!({"active": false}));
    let at_second = server
        .post(
            &format!("{second}/credential-issuer/credentials/introspect"),
            &json!({ "secret": secret }),
        )
        .await
        .json();
    assert_eq!(at_second["active"], true);
    // Each issuer has its own audit chain, starting at 1.
    let log = server
        .get(&format!("{second}/credential-issuer/audit"))
        .await
        .json();
    assert_eq!(log["items"][0]["seq"], 1);
    assert_eq!(log["items"][0]["action"], "credential.create");
}

#[tokio::test]
async fn a_retry_while_the_first_request_is_in_flight_gets_request_in_progress() {
    // REQ-IDEM-6: the retry is refused with 409 and changes nothing (it never reaches the
    // vendor); REQ-IDEM-4: once the first is answered, a retry replays it.
    let dir = tempfile::tempdir().unwrap();
    let backend = KeyStore::new(|_| {});
    let server = Hosted::start(dir.path(), backend.clone(), None).await;
    let body = json!({"type": "api_key", "name": "k", "scope": [{"permission": "events:read"}]});
    let send = || {
        server
            .client
            .post(format!("{}/credentials", server.endpoint))
            .bearer_auth(&server.token)
            .header("Idempotency-Key", "in-flight-1")
            .json(&body)
            .send()
    };
    let gate = backend.gate.lock().await;
    let first = tokio::spawn(send());
    backend.reached.notified().await;
    let retry = send().await.unwrap();
    assert_eq!(retry.status().as_u16(), 409);
    let problem: Value = retry.json().await.unwrap();
    assert_eq!(
        problem["type"], "urn:credential-issuer:problem:request-in-progress",
        "{problem}"
    );
    assert_eq!(
        backend.issued.load(Ordering::SeqCst),
        1,
        "the retry reached the vendor"
    );
    drop(gate);
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    let replay: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(replay["secret"], first["secret"]);
    assert_eq!(backend.issued.load(Ordering::SeqCst), 1);
    let (_, list) = server
        .call(reqwest::Method::GET, "/credentials", None)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn a_list_during_a_create_does_not_adopt_the_key_being_minted() {
    // REQ-LIST-7: adoption is for keys made elsewhere; a key the vendor lists while the create
    // that minted it is still in flight is recorded once, by that create.
    let dir = tempfile::tempdir().unwrap();
    let backend = KeyStore::new(|_| {});
    let server = Hosted::start(dir.path(), backend.clone(), None).await;
    let gate = backend.gate.lock().await;
    let create = tokio::spawn({
        let (client, endpoint, token) = (
            server.client.clone(),
            server.endpoint.clone(),
            server.token.clone(),
        );
        async move {
            let body =
                json!({"type": "api_key", "name": "k", "scope": [{"permission": "events:read"}]});
            client
                .post(format!("{endpoint}/credentials"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    backend.reached.notified().await;
    // The vendor lists the key already; the list waits for the create to record it.
    let list = {
        let (client, endpoint, token) = (
            server.client.clone(),
            server.endpoint.clone(),
            server.token.clone(),
        );
        tokio::spawn(async move {
            let reply = client
                .get(format!("{endpoint}/credentials"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (
                reply.status().as_u16(),
                reply.json::<Value>().await.unwrap(),
            )
        })
    };
    // Not a wait for time to pass on the server: this asserts that something does not happen
    // (the list answering), so it gives the list a moment in which it would wrongly answer.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !list.is_finished(),
        "the list answered while a key was being minted"
    );
    drop(gate);
    assert_eq!(create.await.unwrap(), 201);
    let (status, during) = list.await.unwrap();
    assert_eq!(status, 200, "{during}");
    assert_eq!(during["items"].as_array().unwrap().len(), 1, "{during}");
    let (_, after) = server
        .call(reqwest::Method::GET, "/credentials", None)
        .await;
    assert_eq!(after["items"].as_array().unwrap().len(), 1, "{after}");
}

/// A vendor's key store behind the protocol: key id -> accepted by the vendor's API.
#[derive(Debug)]
struct KeyStore {
    active: Mutex<BTreeMap<String, bool>>,
    fail_retire: AtomicBool,
    /// Issuing waits for this lock (a test holds it to keep a request in flight).
    gate: tokio::sync::Mutex<()>,
    /// How many issue calls reached the vendor.
    issued: AtomicUsize,
    /// Told when an issue call reaches the vendor.
    reached: tokio::sync::Notify,
    /// When each key minted through `issue` was made (console keys have no date).
    minted_at: Mutex<BTreeMap<String, credential_issuer_spec::Timestamp>>,
    capabilities: Capabilities,
}

impl KeyStore {
    fn new(edit: impl FnOnce(&mut Capabilities)) -> Arc<Self> {
        let native = NativeBackend::new(NativeSecretFormat::new("cik_").unwrap(), 1, 86_400);
        let mut capabilities = native.capabilities().clone();
        capabilities.secret_formats.clear();
        edit(&mut capabilities);
        Arc::new(Self {
            active: Mutex::default(),
            fail_retire: AtomicBool::new(false),
            gate: tokio::sync::Mutex::new(()),
            issued: AtomicUsize::new(0),
            reached: tokio::sync::Notify::new(),
            minted_at: Mutex::default(),
            capabilities,
        })
    }

    fn active_keys(&self) -> Vec<String> {
        let keys = self.active.lock().unwrap();
        keys.iter()
            .filter(|(_, a)| **a)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

#[async_trait]
impl Backend for KeyStore {
    fn kind(&self) -> &'static str {
        "test-key-store"
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    async fn issue(&self, _request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        self.issued.fetch_add(1, Ordering::SeqCst);
        self.reached.notify_one();
        // The vendor makes the key (and lists it) before its answer reaches the issuer; the
        // vendor's clock dates it.
        let id = format!("key_{}", uuid::Uuid::new_v4().simple());
        self.active.lock().unwrap().insert(id.clone(), true);
        let now = Timestamp::now();
        self.minted_at.lock().unwrap().insert(id.clone(), now);
        let _gate = self.gate.lock().await;
        let secret = Secret::new(format!("vendor_{}", uuid::Uuid::new_v4().simple()));
        Ok(Issued {
            key: Some(VendorKey::new(id)),
            ..Issued::secret(secret)
        })
    }
    async fn list(&self, _now: Timestamp) -> Result<Vec<ListedKey>, BackendError> {
        let keys = self.active.lock().unwrap();
        let minted_at = self.minted_at.lock().unwrap();
        Ok(keys
            .iter()
            .map(|(id, active)| ListedKey {
                key: VendorKey::new(id.clone()),
                active: *active,
                name: Some(format!("console key {id}")),
                created_at: minted_at.get(id).copied(),
                hint: Some("vendor_…".into()),
            })
            .collect())
    }
    async fn retire(&self, key: &VendorKey, _now: Timestamp) -> Result<(), BackendError> {
        if self.fail_retire.load(Ordering::SeqCst) {
            return Err(BackendError::Unavailable("HTTP 503 from the vendor".into()));
        }
        self.active.lock().unwrap().insert(key.id.clone(), false);
        Ok(())
    }
}

/// A server on `dir` hosting one issuer backed by `backend`, and an admin token.
struct Hosted {
    endpoint: String,
    token: String,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
    state: AppState,
    clock: Arc<ManualClock>,
}

impl Hosted {
    async fn start(dir: &std::path::Path, backend: Arc<KeyStore>, token: Option<String>) -> Self {
        let clock = Arc::new(ManualClock::starting_at(Timestamp::now()));
        Self::start_on(dir, backend, token, clock).await
    }

    /// Like [`start`](Self::start), reading `clock`.
    async fn start_on(
        dir: &std::path::Path,
        backend: Arc<KeyStore>,
        token: Option<String>,
        clock: Arc<ManualClock>,
    ) -> Self {
        let store = Arc::new(SqliteStore::open(&dir.join("issuer.db")).await.unwrap());
        let (keys, _) = ServerKeys::load_or_create(dir).unwrap();
        let signing = SigningKeys::load_or_create(dir, SigningAlgorithm::EdDsa).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        // The same identifier across restarts (the port changes; routing uses only the path).
        let id = IssuerId::parse("http://127.0.0.1/vendor").unwrap();
        let addr = listener.local_addr().unwrap();
        let rotation = RotationPolicy {
            modes: vec![RotationMode::Overlap, RotationMode::Immediate],
            default_grace_period_seconds: 60,
            max_grace_period_seconds: 3600,
            max_active_versions: 2,
        };
        let expiry = ExpiryPolicy {
            min_ttl_seconds: 1,
            max_ttl_seconds: 86_400,
            default_ttl_seconds: None,
        };
        let schema = default_permission_schema(&id);
        let profile = IssuerProfile::new(id.clone(), schema, backend, rotation, expiry).unwrap();
        let token = match token {
            Some(token) => token,
            None => {
                let minted = mint_token(&keys.token_mac, "t", ApiScope::ALL.into(), None);
                credential_issuer_server::store::Store::insert_token(&*store, &minted.record)
                    .await
                    .unwrap();
                minted.token.expose().to_owned()
            }
        };
        let state = AppState::with_clock(store, keys, signing, profile, clock.clone()).unwrap();
        let task = tokio::spawn({
            let state = state.clone();
            async move {
                serve::run_gateway(listener, vec![state]).await.unwrap();
            }
        });
        Self {
            endpoint: format!("http://{addr}/vendor/credential-issuer"),
            token,
            client: reqwest::Client::new(),
            task,
            state,
            clock,
        }
    }

    /// One pass of the time-driven work, as the background sweep does.
    async fn sweep(&self) {
        let report = self.state.sweep_once().await;
        assert!(report.failures.is_empty(), "{:?}", report.failures);
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.endpoint))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn create(&self) -> Value {
        let body =
            json!({"type": "api_key", "name": "k", "scope": [{"permission": "events:read"}]});
        let (status, created) = self
            .call(reqwest::Method::POST, "/credentials", Some(body))
            .await;
        assert_eq!(status, 201, "{created}");
        created
    }

    async fn actions(&self) -> Vec<String> {
        let (_, page) = self
            .call(reqwest::Method::GET, "/audit?limit=200", None)
            .await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Hosted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn an_overlap_retires_the_old_vendor_key_when_its_grace_ends_even_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = KeyStore::new(|_| {});
    let server = Hosted::start(dir.path(), vendor.clone(), None).await;
    let created = server.create().await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["versions"][0]["key_id"], vendor.active_keys()[0]);
    let body = json!({"mode": "overlap", "grace_period_seconds": 2});
    let (status, rotated) = server
        .call(
            reqwest::Method::POST,
            &format!("/credentials/{id}/rotate"),
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_key = rotated["versions"][1]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // REQ-STATE-12: both keys work at the vendor during the overlap.
    assert_eq!(vendor.active_keys().len(), 2);
    // The server stops before the grace period ends, and stays down past it.
    let (token, clock) = (server.token.clone(), server.clock.clone());
    drop(server);
    clock.advance(Duration::from_millis(2500));
    assert_eq!(
        vendor.active_keys().len(),
        2,
        "nobody retired it while down"
    );
    // A restarted server finds the pending retirement in the store and carries it out.
    let server = Hosted::start_on(dir.path(), vendor.clone(), Some(token), clock).await;
    server.sweep().await;
    assert_eq!(
        vendor.active_keys(),
        vec![new_key.clone()],
        "the old key is retired at the vendor"
    );
    let actions = server.actions().await;
    assert_eq!(
        actions,
        [
            "credential.create",
            "credential.rotate",
            "version.expire",
            "version.retire"
        ]
    );
}

#[tokio::test]
async fn revoke_and_immediate_rotation_retire_vendor_keys_before_answering() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = KeyStore::new(|_| {});
    let server = Hosted::start(dir.path(), vendor.clone(), None).await;
    let created = server.create().await;
    let id = created["id"].as_str().unwrap();
    let body = json!({"mode": "immediate"});
    let path = format!("/credentials/{id}/rotate");
    let (status, rotated) = server.call(reqwest::Method::POST, &path, Some(body)).await;
    assert_eq!(status, 200, "{rotated}");
    // REQ-ROT-7: the old key no longer works when the answer arrives.
    let current = rotated["versions"][1]["key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(vendor.active_keys(), vec![current]);

    // A vendor outage during revoke: 502, and nothing changed (REQ-REV-6).
    vendor.fail_retire.store(true, Ordering::SeqCst);
    let revoke = format!("/credentials/{id}/revoke");
    let (status, problem) = server
        .call(reqwest::Method::POST, &revoke, Some(json!({})))
        .await;
    assert_eq!(status, 502, "{problem}");
    assert_eq!(
        problem["type"],
        "urn:credential-issuer:problem:upstream-unavailable"
    );
    let (_, credential) = server
        .call(reqwest::Method::GET, &format!("/credentials/{id}"), None)
        .await;
    assert_eq!(credential["status"], "active");
    assert_eq!(vendor.active_keys().len(), 1);

    vendor.fail_retire.store(false, Ordering::SeqCst);
    let (status, revoked) = server
        .call(reqwest::Method::POST, &revoke, Some(json!({})))
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(vendor.active_keys().is_empty());
}

#[tokio::test]
async fn operations_a_backend_cannot_do_are_not_claimed_and_answer_501() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = KeyStore::new(|capabilities| {
        capabilities
            .operations
            .retain(|op| *op != Operation::Rotate);
        capabilities.rotation_modes.clear();
        capabilities.limitations = vec![Limitation {
            operation: Operation::Rotate,
            reason: "the vendor has no rotation API".into(),
        }];
    });
    let server = Hosted::start(dir.path(), vendor, None).await;
    let manifest_url = server.endpoint.replace(
        "/vendor/credential-issuer",
        "/.well-known/credential-issuer/vendor",
    );
    let manifest: Value = reqwest::get(manifest_url)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_schema("manifest", &manifest);
    // REQ-MAN-16, REQ-MAN-19: not claimed, and said why.
    assert_eq!(manifest["supports_rotation"], false);
    assert!(manifest.get("rotation").is_none());
    assert_eq!(manifest["limitations"][0]["operation"], "rotate");
    let created = server.create().await;
    let path = format!("/credentials/{}/rotate", created["id"].as_str().unwrap());
    let (status, problem) = server
        .call(reqwest::Method::POST, &path, Some(json!({})))
        .await;
    // REQ-ERR-20
    assert_eq!(status, 501, "{problem}");
    assert_eq!(
        problem["type"],
        "urn:credential-issuer:problem:operation-not-supported"
    );
}

#[tokio::test]
async fn keys_made_in_the_vendors_console_are_adopted_by_list_and_can_be_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = KeyStore::new(|_| {});
    let server = Hosted::start(dir.path(), vendor.clone(), None).await;
    let minted = server.create().await;
    // A person makes a key in the vendor's console; the shim has never seen it.
    vendor
        .active
        .lock()
        .unwrap()
        .insert("key_console".into(), true);
    let (status, page) = server
        .call(reqwest::Method::GET, "/credentials", None)
        .await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    // REQ-LIST-7
    let adopted = items.iter().find(|c| c["id"] != minted["id"]).unwrap();
    assert_eq!(adopted["versions"][0]["key_id"], "key_console");
    assert_eq!(adopted["metadata"]["source"], "vendor");
    let (_, log) = server.call(reqwest::Method::GET, "/audit", None).await;
    let adoption = &log["items"][1];
    assert_eq!(adoption["action"], "credential.create");
    assert_eq!(adoption["details"]["adopted"], true);
    // A second list adopts nothing more.
    let (_, again) = server
        .call(reqwest::Method::GET, "/credentials", None)
        .await;
    assert_eq!(again["items"].as_array().unwrap().len(), 2);
    // Revoking the adopted credential retires the console key at the vendor.
    let path = format!("/credentials/{}/revoke", adopted["id"].as_str().unwrap());
    let (status, _) = server
        .call(reqwest::Method::POST, &path, Some(json!({})))
        .await;
    assert_eq!(status, 200);
    assert!(!vendor.active_keys().contains(&"key_console".to_owned()));
}
