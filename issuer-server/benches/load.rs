//! Load benchmark of the real server binary (release build under `cargo bench`) on loopback:
//! manifest requests per second, creates per second, latency percentiles, and the server's
//! resident memory when idle and at the peak of each phase.
//!
//! ```text
//! cargo bench -p credential-issuer-server --bench load [-- --seconds 10 --concurrency 32]
//! ```
//!
//! The load generator runs in this process, the server in its own; on a small machine they share
//! the cores, so the numbers are a floor, not a ceiling.

#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Resident and peak resident memory, in MiB, from /proc.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

struct Phase {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    fn report(&self, name: &str) {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pct = |p: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or_default()
        };
        println!(
            "{name:<10} {:>9.0} req/s  {:>6} requests  {:>3} errors  p50 {:>7.2} ms  p99 {:>7.2} ms",
            self.requests as f64 / self.elapsed.as_secs_f64(),
            self.requests,
            self.errors,
            pct(0.50).as_secs_f64() * 1000.0,
            pct(0.99).as_secs_f64() * 1000.0,
        );
    }
}

async fn drive<F, Fut>(concurrency: usize, seconds: u64, request: F) -> Phase
where
    F: Fn(reqwest::Client) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (stop, client, request) = (stop.clone(), client.clone(), request.clone());
        workers.push(tokio::spawn(async move {
            let (mut ok, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                if request(client.clone()).await {
                    ok += 1
                } else {
                    errors += 1
                }
                latencies.push(sent.elapsed());
            }
            (ok, errors, latencies)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut phase = Phase {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for worker in workers {
        let (ok, errors, latencies) = worker.await.unwrap();
        phase.requests += ok;
        phase.errors += errors;
        phase.latencies.extend(latencies);
    }
    phase.elapsed = started.elapsed();
    phase
}

fn argument(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let seconds = argument("--seconds", 5);
    let concurrency = argument("--concurrency", 32) as usize;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server {
        child: Command::new(env!("CARGO_BIN_EXE_credential-issuer-server"))
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = std::fs::read_to_string(dir.path().join("bootstrap-token"))
        .unwrap()
        .trim()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle, _) = server.memory();
    println!(
        "credential-issuer-server load benchmark: {concurrency} concurrent clients, {seconds} s per phase"
    );
    println!("idle       resident memory {idle:.1} MiB");

    let manifest_url = format!("{base}/.well-known/credential-issuer");
    let manifest = drive(concurrency, seconds, move |client| {
        let url = manifest_url.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;
    manifest.report("manifest");
    let (rss, peak) = server.memory();
    println!("           resident memory {rss:.1} MiB, peak {peak:.1} MiB");

    let create_url = format!("{base}/credential-issuer/credentials");
    let body = serde_json::json!({ "type": "api_key", "name": "bench",
        "scope": [{ "permission": "events:read", "resource": "project:web" }] })
    .to_string();
    let creates = drive(concurrency, seconds, move |client| {
        let (url, token, body) = (create_url.clone(), token.clone(), body.clone());
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .is_ok_and(|r| r.status() == 201)
        }
    })
    .await;
    creates.report("create");
    let (rss, peak) = server.memory();
    println!("           resident memory {rss:.1} MiB, peak {peak:.1} MiB");
    let db = std::fs::metadata(dir.path().join("issuer.db"))
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(dir.path().join("issuer.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "           database {:.1} MiB after {} credentials",
        db as f64 / 1048576.0,
        creates.requests
    );
}
