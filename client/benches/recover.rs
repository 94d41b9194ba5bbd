//! How long `recover` takes for many credentials: starts the reference server in-process on
//! 127.0.0.1 with a fresh SQLite store, creates N credentials (default 1,000) at the native
//! issuer, writes an inventory placing them in ten `.env` files with a command health check
//! each, then times the library's recovery of all of them (rotate → install → check → revoke,
//! journaled and fsynced) at each concurrency (default 32, then 1). Every run rotates every
//! credential once more.
//!
//! ```text
//! cargo bench -p credential-issuer-client --bench recover [-- --credentials 1000 --concurrency 32,1]
//! ```

#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::fmt::Write as _;
use std::time::Instant;

use credential_issuer_client::Client;
use credential_issuer_client::recovery::{
    self, Inventory, Issuers, Journal, RecoverOptions, progress::Quiet,
};
use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::{AppState, serve};
use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::{CredentialType, Secret};

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = arg(&args, "--credentials").unwrap_or(1000);
    let levels: Vec<usize> = arg::<String>(&args, "--concurrency")
        .unwrap_or_else(|| "32,1".into())
        .split(',')
        .filter_map(|v| v.parse().ok())
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ServerConfig {
        addr: listener.local_addr().unwrap(),
        data_dir: dir.path().join("data"),
        ..ServerConfig::default()
    };
    let (state, token) = AppState::open(&config).await.unwrap();
    let url = config.issuer_identifier();
    tokio::spawn(async move { serve::run(listener, state).await.unwrap() });
    let token = Secret::new(token.unwrap().expose().to_owned());
    let issuer = Client::new()
        .discover(&url)
        .await
        .unwrap()
        .with_token(token.clone());

    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let started = Instant::now();
    let mut inventory = String::new();
    let mut env_files = vec![String::new(); 10];
    for n in 0..count {
        let request = CreateRequest::new(
            CredentialType::ApiKey,
            format!("bench {n}").parse().unwrap(),
            vec!["events:read".parse().unwrap()],
        );
        let issued = issuer.create(&request).await.unwrap();
        writeln!(env_files[n % 10], "KEY_{n}={}", issued.secret.expose()).unwrap();
        write!(
            inventory,
            "[[credential]]\nissuer = \"{url}\"\nid = \"{}\"\nenv = \"KEY_{n}\"\n\
             targets = [{{ kind = \"env_file\", path = \".env.{}\" }}]\n\
             health = [{{ kind = \"command\", command = 'test -n \"$KEY_{n}\"' }}]\n\n",
            issued.credential.id,
            n % 10
        )
        .unwrap();
    }
    for (n, text) in env_files.iter().enumerate() {
        std::fs::write(project.join(format!(".env.{n}")), text).unwrap();
    }
    let inventory_path = project.join("credentials.toml");
    std::fs::write(&inventory_path, inventory).unwrap();
    println!("created {count} credentials in {:.1?}", started.elapsed());

    let inventory = Inventory::load(&inventory_path).unwrap();
    let issuers = Issuers::discover(&Client::new(), inventory.issuer_urls(), |_| {
        Some(token.clone())
    })
    .await
    .unwrap();
    let journal = Journal::open(&project.join(".credctl/journal")).unwrap();
    for concurrency in levels {
        let plan = recovery::plan::plan(
            &inventory,
            &inventory.all(),
            &issuers,
            false,
            &Default::default(),
        );
        let options = RecoverOptions {
            concurrency,
            ..RecoverOptions::default()
        };
        let started = Instant::now();
        let report = recovery::recover::run(&plan, &issuers, &journal, &project, &options, &Quiet)
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(report.recovered, count, "{}", report.text());
        println!(
            "recover {count} credentials, concurrency {concurrency:>3}: {elapsed:.2?} ({:.1} credentials/s, {:.1} ms each)",
            count as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0 / count as f64
        );
    }
}
