//! Starts a server on 127.0.0.1 with a fresh data directory and drives it over HTTP. The store
//! is SQLite in the data directory, or a fresh PostgreSQL database when
//! `CREDENTIAL_ISSUER_TEST_STORE=postgres` (see [`crate::postgres`]).
//!
//! Each server reads the time from a [`ManualClock`] that stands still: a test moves it with
//! [`TestServer::advance`] and runs the time-driven work with [`TestServer::sweep`], so that no
//! test waits for time to pass. (The background sweep runs too, as in production; it finds
//! nothing to do until the clock moves, and records each transition once with the test's.)

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use credential_issuer_server::clock::{Clock, ManualClock, SystemClock};
use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::lifecycle::mint_token;
use credential_issuer_server::lifecycle::{SweepReport, sweep_once};
use credential_issuer_server::{AppState, serve};
use credential_issuer_spec::{ApiScope, Grant, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::postgres::TestDatabase;

/// The clock a test server reads.
#[derive(Debug, Clone)]
pub(crate) enum TestClock {
    /// Stands still until the test moves it: every test that is not a black box.
    Manual(Arc<ManualClock>),
    /// The machine's, for a client that waits real time because it cannot move the server's
    /// clock (the conformance suite, which checks any issuer from outside).
    System,
}

impl TestClock {
    /// A manual clock reading the current instant.
    pub(crate) fn manual() -> Self {
        Self::Manual(Arc::new(ManualClock::starting_at(Timestamp::now())))
    }

    fn server_clock(&self) -> Arc<dyn Clock> {
        match self {
            Self::Manual(clock) => clock.clone(),
            Self::System => Arc::new(SystemClock),
        }
    }
}

/// A running server and the tokens to talk to it.
pub(crate) struct TestServer {
    /// The issuer identifier, e.g. `http://127.0.0.1:41234`.
    pub(crate) issuer: String,
    /// `{issuer}/credential-issuer`.
    pub(crate) endpoint: String,
    /// A token with every scope and no authority ceiling.
    pub(crate) admin: String,
    pub(crate) state: AppState,
    /// Every issuer served: `state` first, then each hosted issuer of the configuration.
    pub(crate) states: Vec<AppState>,
    pub(crate) dir: tempfile::TempDir,
    /// The clock every issuer of this server (and every replica of it) reads.
    pub(crate) clock: TestClock,
    /// The configuration it was started with.
    config: ServerConfig,
    client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
    /// The PostgreSQL database, when the server runs on one (dropped after the server).
    database: Option<TestDatabase>,
}

/// The server's database, for tests that look at or change rows behind its back.
pub(crate) enum RawDatabase {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl RawDatabase {
    /// Runs `sql` on SQLite, or `postgres_sql` on PostgreSQL.
    pub(crate) async fn execute(&self, sqlite_sql: &'static str, postgres_sql: &'static str) {
        match self {
            Self::Sqlite(pool) => sqlx::query(sqlite_sql).execute(pool).await.map(drop),
            Self::Postgres(pool) => sqlx::raw_sql(postgres_sql).execute(pool).await.map(drop),
        }
        .unwrap();
    }

    /// A count (a query returning one integer), the same SQL on both.
    pub(crate) async fn count(&self, sql: &'static str) -> i64 {
        match self {
            Self::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .unwrap()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with `status` and the problem type `name`.
    #[track_caller]
    pub(crate) fn assert_problem(&self, status: u16, name: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(
            body["type"],
            format!("urn:credential-issuer:problem:{name}"),
            "{}",
            self.text
        );
        assert_eq!(body["status"], status);
    }
}

impl TestServer {
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server reading `clock` and hosting one more issuer at `/path`: `backend` with
    /// `settings` (TOML) and each admin credential read from a file.
    pub(crate) async fn hosting(
        clock: TestClock,
        path: &str,
        backend: &str,
        settings: &str,
        credentials: &[(&str, PathBuf)],
    ) -> Self {
        let hosted = credential_issuer_server::gateway::HostedIssuer {
            path: path.into(),
            backend: backend.into(),
            settings: toml::from_str(settings).unwrap(),
            credentials: credentials
                .iter()
                .map(|(name, file)| {
                    (
                        (*name).to_owned(),
                        credential_issuer_server::gateway::CredentialSource::File(file.clone()),
                    )
                })
                .collect(),
        };
        Self::start_on(clock, |config| config.issuers = vec![hosted]).await
    }

    /// Starts a server whose configuration `tune` may change (`addr` and `data_dir` are set).
    pub(crate) async fn start_with(tune: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::start_on(TestClock::manual(), tune).await
    }

    /// Another replica of this server: the same issuer identifier (a load balancer's, in
    /// production) and database, a data directory of its own given this one's key files (every
    /// replica needs the same keys), the same clock, and this server's admin token. Its
    /// `endpoint` is its own address. Keep this server alive as long as the replica: it owns
    /// the database.
    pub(crate) async fn replica(&self) -> Self {
        let config = self.config.clone();
        let mut replica = Self::start_on(self.clock.clone(), |tuned| {
            *tuned = ServerConfig {
                addr: tuned.addr,
                data_dir: tuned.data_dir.clone(),
                public_url: Some(config.issuer_identifier()),
                ..config
            };
            std::fs::create_dir_all(&tuned.data_dir).unwrap();
            for file in ["server.key", "signing-keys.json"] {
                std::fs::copy(self.data_dir().join(file), tuned.data_dir.join(file)).unwrap();
            }
        })
        .await;
        replica.admin = self.admin.clone();
        replica.endpoint = format!("http://{}/credential-issuer", replica.config.addr);
        replica
    }

    /// Starts a server reading `clock`, with the configuration `tune` may change.
    async fn start_on(clock: TestClock, tune: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut config = ServerConfig {
            addr: listener.local_addr().unwrap(),
            data_dir: dir.path().join("data"),
            min_ttl_seconds: 1,
            ..ServerConfig::default()
        };
        let database = if crate::postgres::servers_on_postgres() {
            let database = TestDatabase::create().await;
            config.database.url = Some(database.url());
            Some(database)
        } else {
            None
        };
        tune(&mut config);
        let (states, bootstrap) = AppState::open_gateway_with_clock(&config, clock.server_clock())
            .await
            .unwrap();
        let state = states[0].clone();
        // A replica joins a database that has its bootstrap token already.
        let admin = bootstrap.map(|t| t.expose().to_owned()).unwrap_or_default();
        let task = tokio::spawn({
            let states = states.clone();
            async move {
                serve::run_gateway(listener, states).await.unwrap();
            }
        });
        let issuer = config.issuer_identifier();
        Self {
            endpoint: format!("{issuer}/credential-issuer"),
            issuer,
            admin,
            state,
            states,
            dir,
            clock,
            config,
            client: reqwest::Client::new(),
            task,
            database,
        }
    }

    /// Moves this server's clock (and its replicas') forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        match &self.clock {
            TestClock::Manual(clock) => clock.advance(by),
            TestClock::System => panic!("this server reads the system clock"),
        }
    }

    /// Runs one pass of the time-driven work over every issuer served, as the background
    /// sweep does, and asserts that no step failed.
    pub(crate) async fn sweep(&self) -> SweepReport {
        let contexts: Vec<_> = self.states.iter().map(|s| s.context().clone()).collect();
        let report = sweep_once(&contexts).await;
        assert!(report.failures.is_empty(), "{:?}", report.failures);
        report
    }

    /// The database URL to give a server process or subcommand working on this server's
    /// store, if it is not SQLite in the data directory.
    pub(crate) fn database_url(&self) -> Option<String> {
        self.database.as_ref().map(TestDatabase::url_text)
    }

    /// The server's database, opened beside it.
    pub(crate) async fn raw_database(&self) -> RawDatabase {
        match &self.database {
            Some(database) => RawDatabase::Postgres(database.pool().await),
            None => RawDatabase::Sqlite(
                sqlx::SqlitePool::connect(&format!(
                    "sqlite://{}",
                    self.data_dir().join("issuer.db").display()
                ))
                .await
                .unwrap(),
            ),
        }
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Mints a token with `scopes` and, optionally, an authority ceiling.
    pub(crate) async fn token(&self, scopes: &[ApiScope], authority: Option<&[&str]>) -> String {
        let authority: Option<Vec<Grant>> =
            authority.map(|grants| grants.iter().map(|g| g.parse().unwrap()).collect());
        let scopes: BTreeSet<ApiScope> = scopes.iter().copied().collect();
        let minted = mint_token(
            &self.state.context().keys.token_mac,
            "test",
            scopes,
            authority,
        );
        self.state
            .context()
            .store
            .insert_token(&minted.record)
            .await
            .unwrap();
        minted.token.expose().to_owned()
    }

    /// Sends a request to `url` (absolute, or relative to the endpoint when it starts with `/`).
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.endpoint)
        } else {
            url.to_owned()
        };
        let mut request = self.client.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    /// `POST` JSON with the admin token.
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(&self.admin),
            &[],
            Some(&body.to_string()),
        )
        .await
    }

    /// `GET` with the admin token.
    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(&self.admin), &[], None)
            .await
    }

    /// Creates a credential with `scope` and returns the issued credential.
    pub(crate) async fn create(&self, scope: &[&str]) -> Value {
        let grants: Vec<Value> = scope
            .iter()
            .map(|g| serde_json::to_value(g.parse::<Grant>().unwrap()).unwrap())
            .collect();
        let reply = self
            .post(
                "/credentials",
                &serde_json::json!({ "type": "api_key", "name": "test", "scope": grants }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json()
    }

    /// Introspects `secret` with the admin token.
    pub(crate) async fn introspect(&self, secret: &str) -> Value {
        let reply = self
            .post(
                "/credentials/introspect",
                &serde_json::json!({ "secret": secret }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.json()
    }

    /// Every audit event, oldest first.
    pub(crate) async fn audit(&self) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .get(&format!("/audit?after_seq={after}&limit=200"))
                .await
                .json();
            let items = page["items"].as_array().unwrap().clone();
            if items.is_empty() {
                return events;
            }
            after = items.last().unwrap()["seq"].as_u64().unwrap();
            events.extend(items);
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Validates `instance` against `schemas/<name>.schema.json` (formats enforced).
#[track_caller]
pub(crate) fn assert_schema(name: &str, instance: &Value) {
    let path = format!(
        "{}/../schemas/{name}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{instance}");
}
