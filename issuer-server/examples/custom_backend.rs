//! A vendor that implements the protocol over its own key store: it implements `Backend` (mint
//! and retire keys in its store), and mounts the issuer's router in its own axum application.
//!
//! `cargo run -p credential-issuer-server --example custom_backend -- [DATA_DIR]`, then
//! `curl http://127.0.0.1:8090/.well-known/credential-issuer/acme`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::{Router, routing::get};
use credential_issuer_server::backends::native::NativeBackend;
use credential_issuer_server::backends::*;
use credential_issuer_server::{AppState, crypto::keys::ServerKeys, crypto::signing::*, issuer::*};
use credential_issuer_server::{lifecycle::mint_token, store::sqlite::SqliteStore};
use credential_issuer_spec::{ApiScope, ExpiryPolicy, IssuerId, NativeSecretFormat, RotationMode};
use credential_issuer_spec::{RotationPolicy, Secret, Timestamp};

/// Acme's own key store: key id -> whether Acme's API still accepts the key.
#[derive(Debug)]
struct AcmeKeys {
    active: Mutex<HashMap<String, bool>>,
    capabilities: Capabilities,
}

#[async_trait]
impl Backend for AcmeKeys {
    fn kind(&self) -> &'static str {
        "acme"
    }
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
    async fn issue(&self, _request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        let id = format!("key_{}", uuid::Uuid::new_v4().simple());
        let secret = format!(
            "acme_{}",
            credential_issuer_server::crypto::minting::random_base62(40)
        );
        let mut active = self
            .active
            .lock()
            .map_err(|_| BackendError::Unavailable("lock".into()))?;
        active.insert(id.clone(), true);
        Ok(Issued {
            key: Some(VendorKey::new(id)),
            ..Issued::secret(Secret::new(secret))
        })
    }
    async fn retire(&self, key: &VendorKey, _now: Timestamp) -> Result<(), BackendError> {
        let mut active = self
            .active
            .lock()
            .map_err(|_| BackendError::Unavailable("lock".into()))?;
        active.insert(key.id.clone(), false);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or("acme-data".into()));
    std::fs::create_dir_all(&dir)?;
    let store = Arc::new(SqliteStore::open(&dir.join("issuer.db")).await?);
    let (keys, _) = ServerKeys::load_or_create(&dir)?;
    let signing = SigningKeys::load_or_create(&dir, SigningAlgorithm::EdDsa)?;
    // Start from the native capabilities, without secret formats of its own.
    let native = NativeBackend::new(NativeSecretFormat::new("cik_")?, 60, 86_400);
    let mut capabilities = native.capabilities().clone();
    capabilities.secret_formats.clear();
    let backend = Arc::new(AcmeKeys {
        active: Mutex::default(),
        capabilities,
    });
    let id = IssuerId::parse("http://127.0.0.1:8090/acme")?;
    let rotation = RotationPolicy {
        modes: vec![RotationMode::Overlap, RotationMode::Immediate],
        default_grace_period_seconds: 3600,
        max_grace_period_seconds: 86_400,
        max_active_versions: 2,
    };
    let expiry = ExpiryPolicy {
        min_ttl_seconds: 60,
        max_ttl_seconds: 86_400,
        default_ttl_seconds: None,
    };
    let schema = default_permission_schema(&id);
    let profile = IssuerProfile::new(id, schema, backend, rotation, expiry)?;
    let admin = mint_token(&keys.token_mac, "acme-admin", ApiScope::ALL.into(), None);
    credential_issuer_server::store::Store::insert_token(&*store, &admin.record).await?;
    println!("admin token (shown once): {}", admin.token.expose());
    let state = AppState::new(store, keys, signing, profile)?;
    let app = Router::new()
        .route("/", get(|| async { "Acme's own API" }))
        .merge(credential_issuer_server::app(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8090").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
