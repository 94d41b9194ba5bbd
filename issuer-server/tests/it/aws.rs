//! The AWS shims over HTTP through a real gateway server (SQLite store, 127.0.0.1), against a
//! real `moto_server` for IAM and STS (see [`moto`]) and, for Bedrock API keys, which moto
//! lacks, a fake that follows botocore's service model (see [`bedrock_fake`]). What moto holds
//! is read back with boto3, not with our code.
//!
//! The tests that need moto are `#[ignore]`d with the reason; `cargo test -- --ignored` runs
//! them (CI does, with moto installed), and then a missing moto is a failure.

mod bedrock_fake;
mod moto;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use credential_issuer_server::clock::ManualClock;
use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::gateway::{CredentialSource, HostedIssuer};
use credential_issuer_server::{AppState, serve};
use reqwest::Method;
use serde_json::{Value, json};

use self::moto::Moto;
use crate::harness::assert_schema;

/// The IAM user whose keys the `aws-iam` issuer manages.
const USER: &str = "ci-deployer";

/// A gateway server hosting one AWS issuer, on a data directory that outlives it.
struct Gateway {
    /// `http://127.0.0.1:PORT/{path}/credential-issuer`.
    endpoint: String,
    /// `http://127.0.0.1:PORT/.well-known/credential-issuer/{path}`.
    manifest_url: String,
    token: String,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
    states: Vec<AppState>,
    /// The clock the server reads; it moves only when the test says.
    clock: Arc<ManualClock>,
}

impl Gateway {
    /// Starts a server on `data` hosting `hosted`; `token` is the admin token of an earlier
    /// start on the same directory (a first start mints one).
    async fn start(data: &Path, hosted: HostedIssuer, token: Option<String>) -> Self {
        let clock = Arc::new(ManualClock::starting_at(
            credential_issuer_spec::Timestamp::now(),
        ));
        Self::start_on(data, hosted, token, clock).await
    }

    /// Like [`start`](Self::start), reading `clock` (a restart keeps its clock).
    async fn start_on(
        data: &Path,
        hosted: HostedIssuer,
        token: Option<String>,
        clock: Arc<ManualClock>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let path = hosted.path.clone();
        let config = ServerConfig {
            addr,
            data_dir: data.to_owned(),
            // The same identifiers across restarts; routing uses only the path.
            public_url: Some("http://127.0.0.1".to_owned()),
            min_ttl_seconds: 1,
            default_grace_period_seconds: 60,
            issuers: vec![hosted],
            ..ServerConfig::default()
        };
        let (states, bootstrap) = AppState::open_gateway_with_clock(&config, clock.clone())
            .await
            .unwrap();
        let token = token
            .or_else(|| bootstrap.map(|t| t.expose().to_owned()))
            .expect("a first start mints a bootstrap token");
        let task = tokio::spawn({
            let states = states.clone();
            async move {
                serve::run_gateway(listener, states).await.unwrap();
            }
        });
        Self {
            endpoint: format!("http://{addr}/{path}/credential-issuer"),
            manifest_url: format!("http://{addr}/.well-known/credential-issuer/{path}"),
            token,
            client: reqwest::Client::new(),
            task,
            states,
            clock,
        }
    }

    /// One pass of the time-driven work over every issuer served, as the background sweep
    /// does.
    async fn sweep(&self) {
        let contexts: Vec<_> = self.states.iter().map(|s| s.context().clone()).collect();
        let report = credential_issuer_server::lifecycle::sweep_once(&contexts).await;
        assert!(report.failures.is_empty(), "{:?}", report.failures);
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
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

    async fn manifest(&self) -> Value {
        let manifest: Value = reqwest::get(&self.manifest_url)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_schema("manifest", &manifest);
        manifest
    }

    async fn create(&self, credential_type: &str, extra: Value) -> Value {
        let mut body = json!({"type": credential_type, "name": "deploy", "scope": [{"permission": "events:read"}]});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, created) = self.call(Method::POST, "/credentials", Some(body)).await;
        assert_eq!(status, 201, "{created}");
        created
    }

    async fn rotate(&self, id: &str, body: Value) -> Value {
        let (status, rotated) = self
            .call(
                Method::POST,
                &format!("/credentials/{id}/rotate"),
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "{rotated}");
        rotated
    }

    async fn actions(&self) -> Vec<String> {
        let (_, page) = self.call(Method::GET, "/audit?limit=200", None).await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `[[issuers]]` table of an AWS issuer whose admin key is in files under `dir`.
fn hosted(
    dir: &Path,
    path: &str,
    backend: &str,
    settings: &str,
    access_key_id: &str,
    secret: &str,
) -> HostedIssuer {
    let id_file = dir.join("aws-access-key-id");
    let secret_file = dir.join("aws-secret-access-key");
    std::fs::write(&id_file, format!("{access_key_id}\n")).unwrap();
    std::fs::write(&secret_file, secret).unwrap();
    HostedIssuer {
        path: path.to_owned(),
        backend: backend.to_owned(),
        settings: toml::from_str(settings).unwrap(),
        credentials: BTreeMap::from([
            ("access_key_id".to_owned(), CredentialSource::File(id_file)),
            (
                "secret_access_key".to_owned(),
                CredentialSource::File(secret_file),
            ),
        ]),
    }
}

fn iam_issuer(dir: &Path, moto: &Moto) -> HostedIssuer {
    let settings = format!(
        "user_name = \"{USER}\"\nendpoint_url = \"{}\"",
        moto.endpoint
    );
    hosted(
        dir,
        "aws-iam",
        "aws-iam",
        &settings,
        &moto.access_key_id,
        &moto.secret_access_key,
    )
}

fn key_id(credential: &Value, index: usize) -> String {
    credential["versions"][index]["key_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
#[ignore = "needs moto (python3 -m pip install \"moto[server]==5.2.5\"); run with `cargo test -- --ignored`, as CI does"]
async fn aws_iam_create_makes_an_access_key_that_moto_lists_and_the_manifest_says_what_iam_allows()
{
    let moto = Moto::start("aws_iam_create", &[USER]).await;
    let dir = tempfile::tempdir().unwrap();
    let server = Gateway::start(
        &dir.path().join("data"),
        iam_issuer(dir.path(), &moto),
        None,
    )
    .await;

    // REQ-MAN-17, REQ-MAN-19: the manifest claims exactly what IAM allows.
    let manifest = server.manifest().await;
    assert_eq!(
        manifest["supported_credential_types"],
        json!(["access_key"])
    );
    assert_eq!(
        manifest["rotation"]["modes"],
        json!(["overlap", "immediate"])
    );
    assert_eq!(manifest["rotation"]["max_active_versions"], 2);
    assert_eq!(manifest["supports_expiring_credentials"], false);
    assert_eq!(manifest["supports_revocation"], true);
    for operation in ["create", "list", "rotate", "revoke"] {
        assert!(
            manifest["supported_operations"]
                .as_array()
                .unwrap()
                .contains(&json!(operation)),
            "{manifest}"
        );
    }
    assert!(
        manifest["documentation_url"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.aws.amazon.com/IAM/")
    );

    // A protocol create makes an access key that moto lists for the user.
    let created = server.create("access_key", json!({})).await;
    // The access key id is the version's key_id, public; REQ-STATE-14: secret_attributes holds
    // only secrets, so it is not there.
    let access_key_id = key_id(&created, 0);
    assert!(created.get("secret_attributes").is_none(), "{created}");
    assert!(access_key_id.starts_with("AKIA"), "{access_key_id}");
    assert_eq!(
        moto.keys(USER).await,
        vec![(access_key_id.clone(), "Active".to_owned())]
    );
    let secret = created["secret"].as_str().unwrap();
    assert!(
        moto.accepts(&access_key_id, secret).await,
        "moto refuses the minted key"
    );
    let (_, read) = server
        .call(
            Method::GET,
            &format!("/credentials/{}", created["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert!(read.get("secret_attributes").is_none(), "{read}");

    // Access keys never expire: a lifetime is refused, and nothing is made at AWS.
    let body = json!({"type": "access_key", "name": "x", "scope": [{"permission": "events:read"}], "expires_in": 3600});
    let (status, problem) = server.call(Method::POST, "/credentials", Some(body)).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(moto.keys(USER).await.len(), 1);

    // REQ-LIST-7: a key made in the console is adopted by list.
    let console = moto.create_key(USER).await;
    let (status, page) = server.call(Method::GET, "/credentials", None).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert!(items.iter().any(|c| key_id(c, 0) == console), "{page}");

    // At IAM's two-key limit a create fails at AWS: 502, and nothing changes (REQ-ERR-…).
    let body =
        json!({"type": "access_key", "name": "third", "scope": [{"permission": "events:read"}]});
    let (status, problem) = server.call(Method::POST, "/credentials", Some(body)).await;
    assert_eq!(status, 502, "{problem}");
    assert_eq!(
        problem["type"],
        "urn:credential-issuer:problem:upstream-unavailable"
    );
    assert!(!problem.to_string().contains(&moto.secret_access_key));
    let (_, page) = server.call(Method::GET, "/credentials", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(moto.keys(USER).await.len(), 2);
}

#[tokio::test]
#[ignore = "needs moto (python3 -m pip install \"moto[server]==5.2.5\"); run with `cargo test -- --ignored`, as CI does"]
async fn aws_iam_overlap_rotation_keeps_two_keys_until_the_grace_ends_then_only_the_new_even_across_a_restart()
 {
    let moto = Moto::start("aws_iam_overlap", &[USER]).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Gateway::start(&data, iam_issuer(dir.path(), &moto), None).await;
    let created = server.create("access_key", json!({})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let old = key_id(&created, 0);
    let old_secret = created["secret"].as_str().unwrap().to_owned();
    let grace = Duration::from_secs(10);
    let rotated = server
        .rotate(
            &id,
            json!({"mode": "overlap", "grace_period_seconds": grace.as_secs()}),
        )
        .await;
    let new = key_id(&rotated, 1);
    assert!(new.starts_with("AKIA"), "{rotated}");
    // REQ-STATE-12: both keys work during the overlap.
    let mut both = vec![old.clone(), new.clone()];
    both.sort();
    assert_eq!(moto.key_ids(USER).await, both);
    assert!(moto.accepts(&old, &old_secret).await);

    // The server stops before the grace period ends, and stays down past it.
    let (token, clock) = (server.token.clone(), server.clock.clone());
    drop(server);
    clock.advance(grace + Duration::from_secs(1));
    assert_eq!(
        moto.key_ids(USER).await,
        both,
        "nobody retired it while down"
    );

    // A new server on the same data directory finds the due retirement and carries it out:
    // UpdateAccessKey Inactive, then DeleteAccessKey.
    let server = Gateway::start_on(&data, iam_issuer(dir.path(), &moto), Some(token), clock).await;
    server.sweep().await;
    assert_eq!(
        moto.key_ids(USER).await,
        vec![new.clone()],
        "moto lists only the new key"
    );
    assert!(
        !moto.accepts(&old, &old_secret).await,
        "the old key still works"
    );
    let secret = rotated["secret"].as_str().unwrap();
    assert!(moto.accepts(&new, secret).await);
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
#[ignore = "needs moto (python3 -m pip install \"moto[server]==5.2.5\"); run with `cargo test -- --ignored`, as CI does"]
async fn aws_iam_immediate_rotation_at_the_two_key_limit_and_revoke_leave_what_the_spec_says() {
    let moto = Moto::start("aws_iam_immediate", &[USER]).await;
    let dir = tempfile::tempdir().unwrap();
    let server = Gateway::start(
        &dir.path().join("data"),
        iam_issuer(dir.path(), &moto),
        None,
    )
    .await;
    let created = server.create("access_key", json!({})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let first_secret = created["secret"].as_str().unwrap().to_owned();
    let overlapped = server
        .rotate(
            &id,
            json!({"mode": "overlap", "grace_period_seconds": 3600}),
        )
        .await;
    assert_eq!(moto.keys(USER).await.len(), 2, "at IAM's two-key limit");
    let second_secret = overlapped["secret"].as_str().unwrap().to_owned();

    // An immediate rotation at the limit deletes the old keys first, then creates the new one.
    let rotated = server.rotate(&id, json!({"mode": "immediate"})).await;
    let newest = key_id(&rotated, 2);
    // REQ-ROT-7: when the answer arrives the old keys no longer work; only the new one is left.
    assert_eq!(moto.key_ids(USER).await, vec![newest.clone()]);
    assert!(!moto.accepts(&key_id(&rotated, 0), &first_secret).await);
    assert!(!moto.accepts(&key_id(&rotated, 1), &second_secret).await);
    assert!(
        moto.accepts(&newest, rotated["secret"].as_str().unwrap())
            .await
    );
    assert_eq!(rotated["versions"][0]["status"], "revoked", "{rotated}");
    assert_eq!(rotated["versions"][1]["status"], "revoked", "{rotated}");

    // Below the limit an immediate rotation creates first, and still leaves one key.
    let again = server.rotate(&id, json!({"mode": "immediate"})).await;
    let latest = key_id(&again, 3);
    assert_eq!(moto.key_ids(USER).await, vec![latest]);

    // REQ-REV-1: a revoke deletes the key at AWS before answering.
    let (status, revoked) = server
        .call(
            Method::POST,
            &format!("/credentials/{id}/revoke"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert!(moto.keys(USER).await.is_empty());
    assert!(
        !moto
            .accepts(&key_id(&again, 3), again["secret"].as_str().unwrap())
            .await
    );
}

#[tokio::test]
#[ignore = "needs moto (python3 -m pip install \"moto[server]==5.2.5\"); run with `cargo test -- --ignored`, as CI does"]
async fn aws_iam_in_group_mode_makes_each_credential_its_own_user_deleted_with_its_last_key() {
    let moto = Moto::start("aws_iam_group", &[]).await;
    moto.create_group("deployers").await;
    let dir = tempfile::tempdir().unwrap();
    let settings = format!(
        "group_name = \"deployers\"\nendpoint_url = \"{}\"",
        moto.endpoint
    );
    let issuer = hosted(
        dir.path(),
        "aws-iam",
        "aws-iam",
        &settings,
        &moto.access_key_id,
        &moto.secret_access_key,
    );
    let server = Gateway::start(&dir.path().join("data"), issuer, None).await;
    // Three credentials: more keys than one user may hold, one user each.
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(server.create("access_key", json!({})).await);
    }
    let group = moto.group("deployers").await;
    assert_eq!(group.len(), 3, "{group:?}");
    for credential in &created {
        assert!(
            group
                .values()
                .any(|keys| keys == &vec![key_id(credential, 0)]),
            "{group:?}"
        );
    }
    // An immediate rotation at the user's limit, then a revoke that deletes the user too.
    let id = created[0]["id"].as_str().unwrap();
    server
        .rotate(id, json!({"mode": "overlap", "grace_period_seconds": 3600}))
        .await;
    let rotated = server.rotate(id, json!({"mode": "immediate"})).await;
    let group = moto.group("deployers").await;
    assert!(
        group
            .values()
            .any(|keys| keys == &vec![key_id(&rotated, 2)]),
        "{group:?}"
    );
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/credentials/{id}/revoke"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(moto.group("deployers").await.len(), 2);
    // REQ-LIST-7: list reads every user of the group; nothing new to adopt.
    let (_, page) = server.call(Method::GET, "/credentials", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
#[ignore = "needs moto (python3 -m pip install \"moto[server]==5.2.5\"); run with `cargo test -- --ignored`, as CI does"]
async fn aws_sts_sessions_are_short_lived_and_the_manifest_says_they_cannot_be_revoked() {
    let moto = Moto::start("aws_sts", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = format!(
        "role_arn = \"arn:aws:iam::123456789012:role/deployer\"\nendpoint_url = \"{}\"",
        moto.endpoint
    );
    let issuer = hosted(
        dir.path(),
        "aws-sts",
        "aws-sts",
        &settings,
        &moto.access_key_id,
        &moto.secret_access_key,
    );
    let server = Gateway::start(&dir.path().join("data"), issuer, None).await;
    let manifest = server.manifest().await;
    // REQ-MAN-19: not claimed, and said why.
    assert_eq!(manifest["supports_revocation"], false);
    assert_eq!(manifest["rotation"]["modes"], json!(["overlap"]));
    assert_eq!(manifest["expiry"]["min_ttl_seconds"], 900);
    assert_eq!(manifest["expiry"]["max_ttl_seconds"], 43_200);
    let limited: Vec<&str> = manifest["limitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert_eq!(limited, ["revoke"]);

    let created = server
        .create("access_key", json!({"expires_in": 900}))
        .await;
    // REQ-STATE-14: the session token comes with the secret, once; the key id is public.
    let access_key_id = key_id(&created, 0);
    assert!(access_key_id.starts_with("ASIA"), "{created}");
    assert_eq!(
        created["secret_attributes"].as_object().unwrap().len(),
        1,
        "{created}"
    );
    assert!(
        created["secret_attributes"]["session_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(created["expires_at"].as_str().is_some(), "{created}");
    let id = created["id"].as_str().unwrap();
    let rotated = server
        .rotate(id, json!({"mode": "overlap", "grace_period_seconds": 60}))
        .await;
    assert_ne!(key_id(&rotated, 1), access_key_id);
    // The issuer lists the sessions it made (STS lists none itself, so none is adopted).
    let (status, listed) = server.call(Method::GET, "/credentials", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    // REQ-ERR-20
    let (status, problem) = server
        .call(
            Method::POST,
            &format!("/credentials/{id}/revoke"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 501, "{problem}");
}

#[tokio::test]
async fn aws_bedrock_api_keys_follow_the_iam_service_specific_credential_model() {
    let fake = bedrock_fake::FakeIam::start().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = format!(
        "user_name = \"{USER}\"\nendpoint_url = \"{}\"",
        fake.endpoint
    );
    let issuer = hosted(
        dir.path(),
        "aws-bedrock",
        "aws-bedrock",
        &settings,
        bedrock_fake::ADMIN_KEY_ID,
        "fake-admin-secret",
    );
    let server = Gateway::start(&dir.path().join("data"), issuer, None).await;
    let manifest = server.manifest().await;
    assert_eq!(manifest["rotation"]["max_active_versions"], 2);
    assert_eq!(manifest["expiry"]["min_ttl_seconds"], 86_400);

    // expires_in becomes CredentialAgeDays, and AWS's ExpirationDate is the credential's.
    let created = server
        .create("api_key", json!({"expires_in": 2 * 86_400}))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let first = key_id(&created, 0);
    assert_eq!(fake.held(), vec![(first.clone(), Some(2))]);
    assert_eq!(
        created["secret"].as_str(),
        fake.secret_of(&first).as_deref()
    );
    assert!(created.get("expires_at").is_some(), "{created}");

    let overlapped = server
        .rotate(&id, json!({"mode": "overlap", "grace_period_seconds": 1}))
        .await;
    let second = key_id(&overlapped, 1);
    assert_eq!(fake.held().len(), 2);
    server.clock.advance(Duration::from_secs(1));
    server.sweep().await;
    assert_eq!(
        fake.held().iter().map(|h| h.0.clone()).collect::<Vec<_>>(),
        vec![second],
        "the old key is deleted when the grace ends"
    );

    let rotated = server.rotate(&id, json!({"mode": "immediate"})).await;
    let third = key_id(&rotated, 2);
    assert_eq!(
        fake.held().iter().map(|h| h.0.clone()).collect::<Vec<_>>(),
        vec![third]
    );

    let (status, _) = server
        .call(
            Method::POST,
            &format!("/credentials/{id}/revoke"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200);
    assert!(fake.held().is_empty());
    assert!(fake.every_request_was_signed());
}
