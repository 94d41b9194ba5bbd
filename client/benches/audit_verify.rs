//! How long `audit verify` takes on a long log: fills a fresh reference server's audit log with
//! N events (default 100,000) through its store, then times downloading the log and the
//! checkpoint over loopback and verifying every hash, link and the signature.
//!
//! ```text
//! cargo bench -p credential-issuer-client --bench audit_verify [-- --events 100000]
//! ```

#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::collections::BTreeMap;
use std::time::Instant;

use credential_issuer_client::Client;
use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::model::AuditEntry;
use credential_issuer_server::{AppState, serve};
use credential_issuer_spec::{AuditAction, Outcome, Secret, Timestamp};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let events: u64 = args
        .iter()
        .position(|a| a == "--events")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ServerConfig {
        addr: listener.local_addr().unwrap(),
        data_dir: dir.path().join("data"),
        ..ServerConfig::default()
    };
    let (state, token) = AppState::open(&config).await.unwrap();
    let issuer = config.issuer_identifier();

    let filling = Instant::now();
    let store = state.context().store.clone();
    let mut written = 0;
    while written < events {
        let mut tx = store.begin().await.unwrap();
        for _ in 0..1000.min(events - written) {
            let entry = AuditEntry {
                time: Timestamp::now(),
                actor: "token:bench".into(),
                action: AuditAction::CredentialIntrospect,
                credential_id: None,
                version: None,
                outcome: Outcome::Success,
                request_id: format!("bench-{written}"),
                details: BTreeMap::from([("active".to_owned(), serde_json::Value::Bool(false))]),
            };
            tx.append_audit(&issuer, entry).await.unwrap();
            written += 1;
        }
        tx.commit().await.unwrap();
    }
    println!(
        "appended {events} events in {:.1} s",
        filling.elapsed().as_secs_f64()
    );

    tokio::spawn(async move { serve::run(listener, state).await.unwrap() });
    let started = Instant::now();
    let issuer = Client::new()
        .discover(&issuer)
        .await
        .unwrap()
        .with_token(Secret::new(token.unwrap().expose().to_owned()));
    let export = issuer.export_audit(1).await.unwrap();
    let downloaded = started.elapsed();
    let verified = export.verify(&[], None).unwrap();
    let total = started.elapsed();
    println!(
        "audit verify: {} events (seq {}..{}) downloaded in {:.2} s, verified in {:.2} s, {:.2} s in all ({:.0} events/s)",
        verified.events,
        verified.first_seq,
        verified.last_seq,
        downloaded.as_secs_f64(),
        (total - downloaded).as_secs_f64(),
        total.as_secs_f64(),
        verified.events as f64 / total.as_secs_f64()
    );
}
