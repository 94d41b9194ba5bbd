//! Stateless replicas on one PostgreSQL database: two server processes (the real binary) share
//! a database and their key files, and nothing else. Concurrent rotations of the same
//! credentials on both serialise, the audit chain stays one line, time-driven transitions are
//! recorded once, and `kill -9` of one replica loses no acknowledged write while the other
//! keeps serving (DESIGN.md section 8). The time-driven tests run their replicas in this
//! process instead (each with its own store, as a process has), to share a clock they move.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use credential_issuer_server::clock::ManualClock;
use credential_issuer_spec::audit::verify_chain;
use credential_issuer_spec::{AuditAction, AuditEvent, GENESIS_HASH, Outcome, Timestamp};
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::postgres::TestDatabase;

/// The issuer identifier both replicas serve: a load balancer's address in production; here a
/// loopback URL, since plain http is allowed only for loopback hosts.
const PUBLIC_URL: &str = "http://127.0.0.1:8443";

/// One server process.
pub(crate) struct Replica {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    pub(crate) data_dir: PathBuf,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Replica {
    /// Starts `serve` on a free port with `data_dir` and the database `url`, and waits until
    /// it is ready.
    pub(crate) async fn start(data_dir: &Path, url: &str, log: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_credential-issuer-server"))
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                PUBLIC_URL,
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .env("CREDENTIAL_ISSUER_DATABASE_URL", url)
            .env("CREDENTIAL_ISSUER_MIN_TTL_SECONDS", "1")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let replica = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_owned(),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(reply) = client.get(format!("{}/readyz", replica.base)).send().await
                && reply.status().is_success()
            {
                return replica;
            }
            // Waits for the server process to listen and answer on its socket.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("replica {} did not become ready", replica.base);
    }

    /// `kill -9`.
    pub(crate) fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("{}/credential-issuer", self.base)
    }
}

/// Two replicas on a fresh database, the second given the first's key files (every replica
/// needs the same keys: they verify each other's secrets and tokens), and the admin token.
pub(crate) struct Pair {
    pub(crate) a: Replica,
    pub(crate) b: Replica,
    pub(crate) token: String,
    pub(crate) client: reqwest::Client,
    _dir: tempfile::TempDir,
    pub(crate) database: TestDatabase,
}

impl Pair {
    pub(crate) async fn start() -> Self {
        let database = TestDatabase::create().await;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("replicas.log");
        let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));
        let a = Replica::start(&data_a, &database.url_text(), &log).await;
        std::fs::create_dir_all(&data_b).unwrap();
        for file in ["server.key", "signing-keys.json"] {
            std::fs::copy(data_a.join(file), data_b.join(file)).unwrap();
        }
        let b = Replica::start(&data_b, &database.url_text(), &log).await;
        assert!(
            !data_b.join("bootstrap-token").exists(),
            "a replica with the shared keys is not a first start"
        );
        let token = std::fs::read_to_string(data_a.join("bootstrap-token"))
            .unwrap()
            .trim()
            .to_owned();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        Self {
            a,
            b,
            token,
            client,
            _dir: dir,
            database,
        }
    }

    pub(crate) fn replicas(&self) -> [&Replica; 2] {
        [&self.a, &self.b]
    }

    pub(crate) async fn create(
        &self,
        on: &Replica,
        name: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let body = json!({ "type": "api_key", "name": name,
                           "scope": [{ "permission": "events:read" }] });
        self.client
            .post(format!("{}/credentials", on.endpoint()))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
    }

    pub(crate) async fn get(&self, on: &Replica, path: &str) -> Value {
        let reply = self
            .client
            .get(format!("{}{path}", on.endpoint()))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success(), "{path}: {}", reply.status());
        reply.json().await.unwrap()
    }

    /// The whole audit log, read from `on`.
    pub(crate) async fn audit(&self, on: &Replica) -> Vec<AuditEvent> {
        let mut events: Vec<AuditEvent> = Vec::new();
        loop {
            let after = events.last().map_or(0, |e| e.seq);
            let page = self
                .get(on, &format!("/audit?after_seq={after}&limit=200"))
                .await;
            let items: Vec<AuditEvent> = serde_json::from_value(page["items"].clone()).unwrap();
            if items.is_empty() {
                return events;
            }
            events.extend(items);
        }
    }
}

/// Asserts the log is one line: `seq` 1, 2, 3, ... and every `prev_hash` the previous `hash`
/// (REQ-AUD-11), whichever replica wrote each event.
fn assert_one_line(events: &[AuditEvent]) {
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "gaps or duplicates in seq"
    );
    verify_chain(events, 0, GENESIS_HASH).expect("the chain verifies");
}

async fn rotate(pair: &Pair, on: &Replica, id: &str, if_match: Option<u32>) -> (u16, Value) {
    let mut request = pair
        .client
        .post(format!("{}/credentials/{id}/rotate", on.endpoint()))
        .bearer_auth(&pair.token)
        .json(&json!({ "mode": "immediate" }));
    if let Some(version) = if_match {
        request = request.header("if-match", format!("\"{version}\""));
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

/// REQ-ROT-1, REQ-ROT-2, REQ-AUD-11 across two replicas: 200 rotations of four credentials,
/// fired at once at both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
async fn two_replicas_serialise_200_concurrent_rotations() {
    let pair = Pair::start().await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let on = pair.replicas()[n % 2];
        let reply = pair.create(on, &format!("shared {n}")).await.unwrap();
        assert_eq!(reply.status(), 201);
        let body: Value = reply.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }

    // 100 rotations race with `If-Match: "1"`, 25 per credential: one wins each race.
    let mut racing = Vec::new();
    for i in 0..100 {
        let id = ids[i % 4].clone();
        let pair = &pair;
        racing.push(async move {
            (
                id.clone(),
                rotate(pair, pair.replicas()[i % 2], &id, Some(1)).await,
            )
        });
    }
    let raced = futures_join(racing).await;
    // Then 100 more without If-Match: every one is accepted and moves the version on once.
    let mut free = Vec::new();
    for i in 0..100 {
        let id = ids[i % 4].clone();
        let pair = &pair;
        free.push(async move {
            (
                id.clone(),
                rotate(pair, pair.replicas()[(i / 4) % 2], &id, None).await,
            )
        });
    }
    let freed = futures_join(free).await;

    let mut winners: BTreeMap<String, usize> = BTreeMap::new();
    let mut issued: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (id, (status, body)) in &raced {
        match status {
            200 => {
                *winners.entry(id.clone()).or_default() += 1;
                issued
                    .entry(id.clone())
                    .or_default()
                    .push(body["current_version"].as_u64().unwrap());
            }
            409 => {
                assert_eq!(
                    body["type"], "urn:credential-issuer:problem:rotation-conflict",
                    "{body}"
                );
                assert_eq!(
                    body["current_version"], 2,
                    "the loser learns the current version: {body}"
                );
            }
            other => panic!("a racing rotation answered {other}: {body}"),
        }
    }
    assert_eq!(winners.len(), 4, "each race has a winner: {winners:?}");
    assert!(
        winners.values().all(|&n| n == 1),
        "exactly one winner per race: {winners:?}"
    );
    for (id, (status, body)) in &freed {
        assert_eq!(
            *status, 200,
            "a rotation without If-Match is accepted: {body}"
        );
        issued
            .entry(id.clone())
            .or_default()
            .push(body["current_version"].as_u64().unwrap());
    }

    for id in &ids {
        let mut versions = issued.remove(id).unwrap();
        versions.sort_unstable();
        assert_eq!(
            versions,
            (2..=27).collect::<Vec<_>>(),
            "each accepted rotation made one version"
        );
        for replica in pair.replicas() {
            let credential = pair.get(replica, &format!("/credentials/{id}")).await;
            assert_eq!(credential["current_version"], 27);
            let numbers: Vec<u64> = credential["versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["version"].as_u64().unwrap())
                .collect();
            assert_eq!(
                numbers,
                (1..=27).collect::<Vec<_>>(),
                "versions without gaps or duplicates"
            );
        }
    }

    let events = pair.audit(&pair.b).await;
    assert_one_line(&events);
    let rotations = events
        .iter()
        .filter(|e| e.action == AuditAction::CredentialRotate);
    let (accepted, refused): (Vec<_>, Vec<_>) =
        rotations.partition(|e| e.outcome == Outcome::Success);
    assert_eq!((accepted.len(), refused.len()), (104, 96));
    assert_eq!(
        events,
        pair.audit(&pair.a).await,
        "both replicas serve the same log"
    );
}

/// Runs every future at once; their outputs in order.
async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    futures_util::future::join_all(futures).await
}

/// REQ-ERR-18 with replicas: `kill -9` of one loses no acknowledged create (on either), the
/// other keeps serving, and the chain still links.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
async fn kill_9_of_one_replica_loses_no_acknowledged_write() {
    let mut pair = Pair::start().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Each acknowledged create adds a permit; the test waits for a number of them instead of
    // for time to pass.
    let acknowledgements = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let mut writers = Vec::new();
    for writer in 0..8 {
        let (client, token, stop) = (pair.client.clone(), pair.token.clone(), stop.clone());
        let acknowledgements = acknowledgements.clone();
        let endpoint = pair.replicas()[writer % 2].endpoint();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0.. {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let body = json!({ "type": "api_key", "name": format!("w{writer}-{i}"),
                                   "scope": [{ "permission": "events:read" }] });
                let sent = client
                    .post(format!("{endpoint}/credentials"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(reply) if reply.status() == 201 => {
                        if let Ok(json) = reply.json::<Value>().await {
                            acknowledged
                                .push((Instant::now(), json["id"].as_str().unwrap().to_owned()));
                            acknowledgements.add_permits(1);
                        }
                    }
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    let acknowledged_by = |count: u32| {
        let acknowledgements = acknowledgements.clone();
        async move {
            tokio::time::timeout(
                Duration::from_secs(60),
                acknowledgements.acquire_many(count),
            )
            .await
            .expect("the replicas kept acknowledging creates")
            .unwrap()
            .forget();
        }
    };
    // Both replicas under load, then one is killed mid-stream.
    acknowledged_by(80).await;
    pair.a.kill();
    let killed_at = Instant::now();
    // Writers to the killed replica stop at their first failure; the others go on. Permits
    // taken from here on are acknowledgements at or after the kill.
    acknowledgements.forget_permits(usize::MAX);
    acknowledged_by(40).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    let after_kill = acknowledged
        .iter()
        .filter(|(at, _)| *at > killed_at)
        .count();
    assert!(
        after_kill > 0,
        "the surviving replica kept acknowledging creates"
    );

    let mut stored = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/credentials?limit=200&cursor={c}"),
            None => "/credentials?limit=200".to_owned(),
        };
        let page = pair.get(&pair.b, &path).await;
        stored.extend(
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
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|(_, id)| !stored.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged creates lost",
        lost.len(),
        acknowledged.len()
    );
    let events = pair.audit(&pair.b).await;
    assert_one_line(&events);
    assert!(events.len() >= acknowledged.len());

    // A restarted replica (same data directory, so the same keys) joins again.
    let log = pair.a.data_dir.with_file_name("restart.log");
    let again = Replica::start(&pair.a.data_dir.clone(), &pair.database.url_text(), &log).await;
    let reply = pair.create(&again, "after the restart").await.unwrap();
    assert_eq!(reply.status(), 201);
}

/// REQ-AUD-5, REQ-AUD-11: a grace period that ends while two replicas run is recorded once,
/// by one of them, as one `version.expire` event per version. The replicas run in this process,
/// each with its own store, pool and sweep lease (as separate processes have), and share a
/// clock that the test moves past the grace periods; both then sweep at once, beside their
/// background sweeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
async fn grace_periods_end_once_across_replicas() {
    let database = TestDatabase::create().await;
    let a = TestServer::start_with(|config| config.database.url = Some(database.url())).await;
    let b = a.replica().await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let on = [&a, &b][n % 2];
        let created = on.create(&["events:read"]).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let reply = on
            .post(
                &format!("/credentials/{id}/rotate"),
                &json!({ "mode": "overlap", "grace_period_seconds": 1 }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        ids.push(id);
    }
    a.advance(Duration::from_millis(1500));
    tokio::join!(a.sweep(), b.sweep());
    let events: Vec<AuditEvent> = a
        .audit()
        .await
        .into_iter()
        .map(|e| serde_json::from_value(e).unwrap())
        .collect();
    assert_one_line(&events);
    for id in &ids {
        let expiries = events
            .iter()
            .filter(|e| e.action == AuditAction::VersionExpire)
            .filter(|e| e.credential_id.as_ref().is_some_and(|c| c.as_str() == id))
            .count();
        assert_eq!(
            expiries, 1,
            "{id}: the end of its grace period recorded once"
        );
    }
}

/// Without the lease's help: sweeps racing on one store (so all of them hold the lease) still
/// record each ended grace period once, because each re-reads the credential locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
async fn racing_sweeps_record_each_transition_once() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = credential_issuer_server::config::ServerConfig {
        addr: listener.local_addr().unwrap(),
        data_dir: dir.path().join("data"),
        ..Default::default()
    };
    config.database.url = Some(database.url());
    let clock = std::sync::Arc::new(ManualClock::starting_at(Timestamp::now()));
    let (state, token) =
        credential_issuer_server::AppState::open_with_clock(&config, clock.clone())
            .await
            .unwrap();
    let token = token.unwrap().expose().to_owned();
    let context = state.context().clone();
    // Served without the background sweeper: the sweeps below are the only ones.
    let server =
        tokio::spawn(
            async move { axum::serve(listener, credential_issuer_server::app(state)).await },
        );
    let endpoint = format!("http://{}/credential-issuer", config.addr);
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for n in 0..10 {
        let created: Value = client
            .post(format!("{endpoint}/credentials"))
            .bearer_auth(&token)
            .json(&json!({ "type": "api_key", "name": format!("r{n}"), "scope": [{ "permission": "events:read" }] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        let rotated = client
            .post(format!("{endpoint}/credentials/{id}/rotate"))
            .bearer_auth(&token)
            .json(&json!({ "mode": "overlap", "grace_period_seconds": 1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(rotated.status(), 200);
        ids.push(id);
    }
    clock.advance(Duration::from_millis(1100));
    let sweeps: Vec<_> = (0..8)
        .map(|_| {
            let context = context.clone();
            tokio::spawn(async move {
                credential_issuer_server::lifecycle::expiry::sweep(&context).await
            })
        })
        .collect();
    let mut changed = 0;
    for sweep in sweeps {
        // A sweep that waited for another one on a credential finds nothing left to do there.
        changed += sweep.await.unwrap().unwrap();
    }
    assert_eq!(changed, ids.len(), "each credential changed by one sweep");
    let events = context
        .store
        .audit_events(
            context.issuer.id.as_str(),
            &credential_issuer_server::store::AuditQuery {
                credential_id: None,
                after_seq: 0,
                limit: 1000,
            },
        )
        .await
        .unwrap();
    assert_one_line(&events);
    let expiries = events
        .iter()
        .filter(|e| e.action == AuditAction::VersionExpire)
        .count();
    assert_eq!(expiries, ids.len(), "each ended grace period recorded once");
    server.abort();
}

/// A replica started without the others' keys refuses to start (instead of serving, unable to
/// verify any secret or token they issued), and mints no bootstrap token into the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
async fn a_replica_with_other_keys_refuses_to_start() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let _first = Replica::start(
        &dir.path().join("a"),
        &database.url_text(),
        &dir.path().join("log"),
    )
    .await;
    let stranger = Command::new(env!("CARGO_BIN_EXE_credential-issuer-server"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--public-url",
            PUBLIC_URL,
            "--data-dir",
        ])
        .arg(dir.path().join("b"))
        .env("CREDENTIAL_ISSUER_DATABASE_URL", database.url_text())
        .output()
        .unwrap();
    assert!(!stranger.status.success());
    let said = String::from_utf8_lossy(&stranger.stderr);
    assert!(said.contains("other keys"), "{said}");
    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tokens")
        .fetch_one(&database.pool().await)
        .await
        .unwrap();
    assert_eq!(tokens, 1, "only the first replica's bootstrap token");
}

/// REQ-IDEM-4, REQ-IDEM-6, REQ-IDEM-9 across replicas: retries of one create and of one
/// rotation, with one `Idempotency-Key`, fired at both replicas at once, do the operation once:
/// each retry gets its answer, secret included, or, while it is still running, 409
/// `request-in-progress`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
async fn an_idempotent_retry_on_the_other_replica_gets_the_first_answer() {
    let pair = Pair::start().await;
    let body =
        json!({ "type": "api_key", "name": "once", "scope": [{ "permission": "events:read" }] });
    let send = |on: &Replica, path: String, body: Value, key: &'static str| {
        let request = pair
            .client
            .post(format!("{}{path}", on.endpoint()))
            .bearer_auth(&pair.token)
            .header("idempotency-key", key)
            .json(&body);
        async move {
            let reply = request.send().await.unwrap();
            (
                reply.status().as_u16(),
                reply.json::<Value>().await.unwrap(),
            )
        }
    };
    let creates: Vec<_> = (0..10)
        .map(|i| {
            send(
                pair.replicas()[i % 2],
                "/credentials".to_owned(),
                body.clone(),
                "create-once",
            )
        })
        .collect();
    let created = futures_join(creates).await;
    let first = settled(&created, 201);
    // Once the first is answered, a retry on either replica replays it.
    for replica in pair.replicas() {
        let again = send(
            replica,
            "/credentials".to_owned(),
            body.clone(),
            "create-once",
        )
        .await;
        assert_eq!(again, (201, first.clone()));
    }
    let id = first["id"].as_str().unwrap().to_owned();
    let rotations: Vec<_> = (0..10)
        .map(|i| {
            let path = format!("/credentials/{id}/rotate");
            send(
                pair.replicas()[i % 2],
                path,
                json!({ "mode": "immediate" }),
                "rotate-once",
            )
        })
        .collect();
    let rotated = futures_join(rotations).await;
    let answer = settled(&rotated, 200);
    assert_eq!(answer["current_version"], 2, "rotated once");
    let events = pair.audit(&pair.a).await;
    assert_one_line(&events);
    // Retries refused while the first ran are audited as refused; the operation succeeded once.
    let count = |action| {
        events
            .iter()
            .filter(|e| e.action == action && e.outcome == Outcome::Success)
            .count()
    };
    assert_eq!(
        count(AuditAction::CredentialCreate),
        1,
        "replays append no event"
    );
    assert_eq!(count(AuditAction::CredentialRotate), 1);
}

/// The one answer of racing retries: every reply is it (`success` with the same body) or 409
/// `request-in-progress`, and at least one is it.
fn settled(replies: &[(u16, Value)], success: u16) -> Value {
    let answers: Vec<&Value> = replies
        .iter()
        .filter(|(status, _)| *status == success)
        .map(|(_, answer)| answer)
        .collect();
    for (status, answer) in replies {
        if *status != success {
            assert_eq!(*status, 409, "{answer}");
            assert_eq!(
                answer["type"], "urn:credential-issuer:problem:request-in-progress",
                "{answer}"
            );
        }
    }
    let first = answers.first().expect("one retry was answered");
    assert!(first["secret"].is_string(), "{first}");
    for answer in &answers {
        assert_eq!(
            (&answer["id"], &answer["secret"]),
            (&first["id"], &first["secret"])
        );
    }
    (*first).clone()
}
