//! Creates per second by store and replica count: SQLite (one server), PostgreSQL with one
//! replica, and PostgreSQL with two replicas sharing the database (the load split between
//! them). Real server binaries (release build under `cargo bench`) on loopback.
//!
//! ```text
//! cargo bench -p credential-issuer-server --bench replicas [-- --seconds 10 --concurrency 32]
//! ```
//!
//! PostgreSQL is the server at `CREDENTIAL_ISSUER_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each run gets a fresh database, dropped after.
//! Every audited write of one issuer appends to one hash chain, so creates serialise on the
//! chain's head whatever the replica count: a second replica adds availability, not
//! throughput. On a small machine the load generator, the servers and PostgreSQL share the
//! cores, so the numbers are a floor.

#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(data_dir: &Path, database_url: Option<&str>) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_credential-issuer-server"));
    command
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--public-url", "http://127.0.0.1:8443", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        command.env("CREDENTIAL_ISSUER_DATABASE_URL", url);
    }
    let server = Server {
        child: command.spawn().unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if client
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

/// Creates for `seconds` from `concurrency` clients spread over `servers`; creates per second.
async fn creates(servers: &[&Server], token: &str, concurrency: usize, seconds: u64) -> (f64, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let (done, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let body = serde_json::json!({ "type": "api_key", "name": "bench",
        "scope": [{ "permission": "events:read", "resource": "project:web" }] })
    .to_string();
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let url = format!(
            "{}/credential-issuer/credentials",
            servers[worker % servers.len()].base
        );
        let (stop, done, errors, client) =
            (stop.clone(), done.clone(), errors.clone(), client.clone());
        let (token, body) = (token.to_owned(), body.clone());
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let created = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 201);
                let counter = if created { &done } else { &errors };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    (rate, errors.load(Ordering::Relaxed))
}

fn argument(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn token(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("bootstrap-token"))
        .unwrap()
        .trim()
        .to_owned()
}

/// A fresh database on the PostgreSQL server; its URL and name.
async fn fresh_database(server: &str) -> (String, String) {
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(server).unwrap();
    url.set_path(&format!("/{name}"));
    (url.to_string(), name)
}

async fn drop_database(server: &str, name: &str) {
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await;
}

#[tokio::main]
async fn main() {
    let seconds = argument("--seconds", 5);
    let concurrency = argument("--concurrency", 32) as usize;
    let pg = std::env::var("CREDENTIAL_ISSUER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    println!("creates per second: {concurrency} concurrent clients, {seconds} s per setup");
    let report = |name: &str, (rate, errors): (f64, u64)| {
        println!("{name:<26} {rate:>8.0} creates/s  {errors:>4} errors");
    };

    let dir = tempfile::tempdir().unwrap();
    {
        let server = start(&dir.path().join("sqlite"), None).await;
        let token = token(&dir.path().join("sqlite"));
        report(
            "SQLite, 1 server",
            creates(&[&server], &token, concurrency, seconds).await,
        );
    }
    for replicas in [1, 2] {
        let (url, name) = fresh_database(&pg).await;
        let first_dir = dir.path().join(format!("pg{replicas}-0"));
        let first = start(&first_dir, Some(&url)).await;
        let token = token(&first_dir);
        let mut servers = vec![first];
        for n in 1..replicas {
            let data = dir.path().join(format!("pg{replicas}-{n}"));
            std::fs::create_dir_all(&data).unwrap();
            for file in ["server.key", "signing-keys.json"] {
                std::fs::copy(first_dir.join(file), data.join(file)).unwrap();
            }
            servers.push(start(&data, Some(&url)).await);
        }
        let refs: Vec<&Server> = servers.iter().collect();
        let label = format!(
            "PostgreSQL, {replicas} replica{}",
            if replicas > 1 { "s" } else { "" }
        );
        report(&label, creates(&refs, &token, concurrency, seconds).await);
        drop(servers);
        drop_database(&pg, &name).await;
    }
}
