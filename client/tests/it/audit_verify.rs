//! `credctl audit verify` proves the log and catches an edited event, a removed event and a
//! wrong key; the client refuses a manifest whose signature does not verify.

use std::process::Output;

use credential_issuer_client::{Client, ClientError};
use credential_issuer_spec::Secret;
use serde_json::Value;

use crate::server::Server;

async fn credctl(server: &Server, state: &std::path::Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_credctl"))
        .args(args)
        .env("XDG_CONFIG_HOME", state)
        .env("XDG_STATE_HOME", state)
        .env("CREDCTL_ISSUER", &server.issuer)
        .env("CREDCTL_TOKEN", &server.token)
        .output()
        .await
        .unwrap()
}

async fn database(server: &Server) -> sqlx::SqlitePool {
    let path = server.data_dir().join("issuer.db");
    sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

async fn some_events(server: &Server, n: usize) {
    let issuer = Client::new()
        .discover(&server.issuer)
        .await
        .unwrap()
        .with_token(Secret::new(server.token.clone()));
    for i in 0..n {
        let request = credential_issuer_spec::operations::create::CreateRequest::new(
            credential_issuer_spec::CredentialType::ApiKey,
            format!("key {i}").parse().unwrap(),
            vec!["events:read".parse().unwrap()],
        );
        issuer.create(&request).await.unwrap();
    }
}

#[tokio::test]
async fn an_edited_event_is_named_by_its_sequence_number() {
    let server = Server::start().await;
    let state = tempfile::tempdir().unwrap();
    some_events(&server, 5).await;
    let ok = credctl(&server, state.path(), &["audit", "verify", "--json"]).await;
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["last_seq"], 5);

    let db = database(&server).await;
    sqlx::query(
        "UPDATE audit_events SET event = json_set(event, '$.actor', 'token:mallory') WHERE seq = 3",
    )
    .execute(&db)
    .await
    .unwrap();
    let edited = credctl(&server, state.path(), &["audit", "verify"]).await;
    assert_eq!(edited.status.code(), Some(1));
    let message = String::from_utf8_lossy(&edited.stderr);
    assert!(message.contains("event 3"), "{message}");
}

#[tokio::test]
async fn removing_the_newest_event_is_caught_against_the_last_checkpoint() {
    let server = Server::start().await;
    let state = tempfile::tempdir().unwrap();
    some_events(&server, 4).await;
    let first = credctl(&server, state.path(), &["audit", "verify"]).await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    let db = database(&server).await;
    sqlx::query("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)")
        .execute(&db)
        .await
        .unwrap();
    let truncated = credctl(&server, state.path(), &["audit", "verify"]).await;
    assert_eq!(truncated.status.code(), Some(1));
    let message = String::from_utf8_lossy(&truncated.stderr);
    assert!(
        message.contains("event 4") && message.contains("removed"),
        "{message}"
    );
}

#[tokio::test]
async fn exports_verify_offline_and_keys_can_be_pinned() {
    let server = Server::start().await;
    let state = tempfile::tempdir().unwrap();
    some_events(&server, 3).await;
    let file = state.path().join("export.json");
    let exported = credctl(
        &server,
        state.path(),
        &["audit", "export", "--output", file.to_str().unwrap()],
    )
    .await;
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let offline = tokio::process::Command::new(env!("CARGO_BIN_EXE_credctl"))
        .args([
            "audit",
            "verify",
            "--json",
            "--file",
            file.to_str().unwrap(),
        ])
        .env_remove("CREDCTL_ISSUER")
        .output()
        .await
        .unwrap();
    assert!(
        offline.status.success(),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
    let report: Value = serde_json::from_slice(&offline.stdout).unwrap();
    let thumbprint = report["key_thumbprint"].as_str().unwrap().to_owned();

    let pinned = credctl(
        &server,
        state.path(),
        &["--pin-jwk-thumbprint", &thumbprint, "audit", "verify"],
    )
    .await;
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    let wrong = credctl(
        &server,
        state.path(),
        &["--pin-jwk-thumbprint", "not-this-key", "discover"],
    )
    .await;
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not pinned"));

    // An export edited after the fact no longer verifies.
    let mut export: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    export["events"][1]["outcome"] = Value::String("refused".into());
    std::fs::write(&file, export.to_string()).unwrap();
    let edited = tokio::process::Command::new(env!("CARGO_BIN_EXE_credctl"))
        .args(["audit", "verify", "--file", file.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert_eq!(edited.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&edited.stderr).contains("event 2"));
}

#[tokio::test]
async fn a_manifest_whose_signature_does_not_verify_is_refused() {
    let server = Server::start().await;
    let manifest_url = format!("{}/.well-known/credential-issuer", server.issuer);
    let mut manifest: Value = reqwest::get(&manifest_url)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Serve the real manifest with one member changed inside a re-signed-looking JWS: take the
    // real signature but a payload that claims another endpoint.
    let signed = manifest["signed_manifest"].as_str().unwrap().to_owned();
    let parts: Vec<&str> = signed.split('.').collect();
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut payload: Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
    payload["documentation_url"] = Value::String("https://evil.example.com".into());
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        engine.encode(payload.to_string()),
        parts[2]
    );
    manifest["signed_manifest"] = Value::String(forged);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let upstream = server.issuer.clone();
    manifest["issuer"] = Value::String(base.clone());
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let (manifest, upstream) = (manifest.clone(), upstream.clone());
        async move {
            if uri.path().starts_with("/.well-known/") {
                return ([("content-type", "application/json")], manifest.to_string());
            }
            // Everything else (the JWK Set, the permission schema) comes from the real server.
            let body = reqwest::get(format!("{upstream}{}", uri.path()))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            ([("content-type", "application/json")], body)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // The manifest's URLs still point at the real server, whose JWK Set verifies real signatures.
    let error = Client::new().discover(&base).await.unwrap_err();
    assert!(matches!(error, ClientError::Signature { .. }), "{error}");
}

#[tokio::test]
async fn es256_issuers_are_verified_too() {
    let server =
        Server::start_with(credential_issuer_server::crypto::signing::SigningAlgorithm::Es256)
            .await;
    let state = tempfile::tempdir().unwrap();
    some_events(&server, 2).await;
    let jwks: Value = reqwest::get(format!("{}/credential-issuer/jwks.json", server.issuer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    let verified = credctl(&server, state.path(), &["audit", "verify", "--json"]).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
}
