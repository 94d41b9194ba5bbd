//! `/readyz` answers 503 (problem+json) within a few seconds when PostgreSQL cannot be reached,
//! and 200 again once it can; `/livez` answers 200 throughout. The database is cut off for real:
//! the server reaches it through a TCP relay on 127.0.0.1 that the test stops and restarts.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::store::DatabaseUrl;
use credential_issuer_server::{AppState, serve};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::postgres::TestDatabase;

/// Relays TCP connections from `listen` to `upstream` until dropped (which cuts every relayed
/// connection too).
struct Relay {
    tasks: JoinSet<()>,
}

impl Relay {
    async fn start(listener: TcpListener, upstream: SocketAddr) -> Self {
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { tasks }
    }

    fn cut(mut self) {
        self.tasks.abort_all();
    }
}

async fn status(client: &reqwest::Client, url: &str) -> (u16, Option<String>) {
    let reply = client.get(url).send().await.unwrap();
    let kind = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (reply.status().as_u16(), kind)
}

async fn wait_for(client: &reqwest::Client, url: &str, want: u16) -> (u16, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = status(client, url).await;
        if got.0 == want || Instant::now() > deadline {
            return got;
        }
        // Polls the server over its socket: readyz changes when the pool's connection to the
        // relay fails or comes back (a socket timeout in sqlx, not the server's clock).
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL (CREDENTIAL_ISSUER_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test); run with `cargo test -- --ignored`, as CI does"]
async fn readyz_fails_while_postgresql_is_unreachable() {
    let database = TestDatabase::create().await;
    let direct = url::Url::parse(&database.url_text()).unwrap();
    let upstream: SocketAddr = format!(
        "{}:{}",
        direct.host_str().unwrap(),
        direct.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let relay_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_addr = relay_listener.local_addr().unwrap();
    let relay = Relay::start(relay_listener, upstream).await;
    let mut relayed = direct.clone();
    relayed.set_port(Some(relay_addr.port())).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = ServerConfig {
        addr: listener.local_addr().unwrap(),
        data_dir: dir.path().join("data"),
        ..ServerConfig::default()
    };
    config.database.url = Some(relayed.as_str().parse::<DatabaseUrl>().unwrap());
    config.database.pool.acquire_timeout = Duration::from_secs(2);
    let (state, _) = AppState::open(&config).await.unwrap();
    let server = tokio::spawn(async move { serve::run(listener, state).await });
    let base = format!("http://{}", config.addr);
    let client = reqwest::Client::new();
    let (ready, live) = (format!("{base}/readyz"), format!("{base}/livez"));
    assert_eq!(status(&client, &ready).await.0, 200);

    relay.cut();
    let started = Instant::now();
    let (code, kind) = wait_for(&client, &ready, 503).await;
    assert_eq!(code, 503, "readyz while the database is unreachable");
    assert_eq!(kind.as_deref(), Some("application/problem+json"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "readyz gives up quickly"
    );
    assert_eq!(
        status(&client, &live).await.0,
        200,
        "the process itself is alive"
    );

    // The database comes back (on the same address): the server is ready again.
    let relay = Relay::start(TcpListener::bind(relay_addr).await.unwrap(), upstream).await;
    assert_eq!(wait_for(&client, &ready, 200).await.0, 200, "ready again");
    relay.cut();
    server.abort();
}
