//! The state every request shares: the lifecycle context and the discovery documents,
//! serialised once at start.

use std::sync::Arc;

use axum::body::Bytes;
use credential_issuer_spec::{ApiScope, IssuerId, Secret};
use sha2::{Digest, Sha256};

use crate::clock::{Clock, SystemClock};
use crate::config::ServerConfig;
use crate::crypto::keys::{ServerKeys, write_private};
use crate::crypto::signing::{SigningError, SigningKeys};
use crate::crypto::vault::Vault;
use crate::gateway::GatewayError;
use crate::issuer::{IssuerProfile, ProfileError, default_permission_schema, native_backend};
use crate::lifecycle::Context;
use crate::lifecycle::mint_token_at;
use crate::store::{Store, StoreError};
use credential_issuer_spec::manifest::SIGNED_MANIFEST_TYPE;

/// The file the bootstrap token is written to on first start.
pub const BOOTSTRAP_TOKEN_FILE: &str = "bootstrap-token";

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The data directory or a key file.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The store.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The issuer's configuration.
    #[error("issuer: {0}")]
    Profile(#[from] ProfileError),
    /// The public URL is not an issuer identifier.
    #[error("public URL: {0}")]
    PublicUrl(#[from] credential_issuer_spec::issuer::IssuerIdError),
    /// The signing keys.
    #[error("{0}")]
    Signing(#[from] SigningError),
    /// A hosted issuer of the gateway.
    #[error("{0}")]
    Gateway(#[from] crate::gateway::GatewayError),
    /// The vault of vendor admin credentials.
    #[error("{0}")]
    Vault(#[from] crate::crypto::vault::VaultError),
    /// The store holds data written under other keys (another replica's, or an old data
    /// directory's): starting would fail every secret and token.
    #[error(
        "the database was written by a server with other keys: give this server the same server.key and signing-keys.json as the others"
    )]
    KeyMismatch,
    /// The permission schema file.
    #[error("permission schema {path}: {message}")]
    PermissionSchema {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// A document served as is, with its entity tag.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub(crate) body: Bytes,
    pub(crate) etag: String,
}

impl Document {
    fn of(value: &impl serde::Serialize) -> Self {
        let body = serde_json::to_vec_pretty(value).unwrap_or_default();
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
        Self {
            body: Bytes::from(body),
            etag,
        }
    }
}

/// Shared, cheaply cloned state of the server.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) context: Context,
    pub(crate) manifest: Arc<Document>,
    /// The signed manifest (a compact JWS), for `Accept: application/jwt`.
    pub(crate) signed_manifest: Arc<String>,
    pub(crate) jwks: Arc<Document>,
    pub(crate) permission_schema: Arc<Document>,
    pub(crate) openapi: Arc<Document>,
}

impl AppState {
    /// Builds the state from its parts, signing the manifest (REQ-DISC-15), on the system
    /// clock.
    pub fn new(
        store: Arc<dyn Store>,
        keys: ServerKeys,
        signing: SigningKeys,
        issuer: IssuerProfile,
    ) -> Result<Self, SigningError> {
        Self::with_clock(store, keys, signing, issuer, Arc::new(SystemClock))
    }

    /// Like [`new`](Self::new), reading the time from `clock`.
    pub fn with_clock(
        store: Arc<dyn Store>,
        keys: ServerKeys,
        signing: SigningKeys,
        issuer: IssuerProfile,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SigningError> {
        let mut manifest = issuer.manifest();
        let mut payload =
            serde_json::to_value(&manifest).map_err(|e| SigningError::Jose(e.to_string()))?;
        if let Some(object) = payload.as_object_mut() {
            object.insert("iss".to_owned(), issuer.id.as_str().into());
        }
        let signed = signing.sign(payload.to_string().as_bytes(), SIGNED_MANIFEST_TYPE)?;
        manifest.signed_manifest = Some(signed.clone());
        let manifest = Document::of(&manifest);
        let jwks = Document::of(&signing.jwks(clock.now()));
        let permission_schema = Document::of(&issuer.permissions);
        let openapi = Document::of(&crate::openapi::document(&issuer));
        Ok(Self {
            context: Context {
                store,
                keys,
                issuer: Arc::new(issuer),
                signing: Arc::new(signing),
                rotations: Arc::default(),
                minting: Arc::default(),
                clock,
            },
            manifest: Arc::new(manifest),
            signed_manifest: Arc::new(signed),
            jwks: Arc::new(jwks),
            permission_schema: Arc::new(permission_schema),
            openapi: Arc::new(openapi),
        })
    }

    /// Opens the data directory (creating keys, database and, on first start, a bootstrap
    /// token with every scope) and builds the state of the native issuer alone. Returns the
    /// bootstrap token when it was created now, so that the caller can show it once.
    pub async fn open(config: &ServerConfig) -> Result<(Self, Option<Secret>), StartupError> {
        Self::open_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`open`](Self::open), reading the time from `clock` (a test's
    /// [`ManualClock`](crate::clock::ManualClock), say).
    pub async fn open_with_clock(
        config: &ServerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(Self, Option<Secret>), StartupError> {
        let (mut states, bootstrap) = Self::open_gateway_with_clock(
            &ServerConfig {
                issuers: Vec::new(),
                ..config.clone()
            },
            clock,
        )
        .await?;
        Ok((states.remove(0), bootstrap))
    }

    /// Like [`open`](Self::open), with every issuer the configuration hosts: the native one
    /// first, then each `[[issuers]]` entry, sharing the store, the keys and the signing keys.
    pub async fn open_gateway(
        config: &ServerConfig,
    ) -> Result<(Vec<Self>, Option<Secret>), StartupError> {
        Self::open_gateway_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`open_gateway`](Self::open_gateway), every issuer reading the time from `clock`.
    pub async fn open_gateway_with_clock(
        config: &ServerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(Vec<Self>, Option<Secret>), StartupError> {
        std::fs::create_dir_all(&config.data_dir)?;
        let (keys, first_start) = ServerKeys::load_or_create(&config.data_dir)?;
        let store = crate::store::open(&config.database, &config.data_dir).await?;
        if !store.agree_key_check(&keys.check_value()).await? {
            return Err(StartupError::KeyMismatch);
        }
        let issuer_id = IssuerId::parse(&config.issuer_identifier())?;
        let permissions = match &config.permission_schema {
            Some(path) => {
                let text = std::fs::read_to_string(path)?;
                serde_json::from_str(&text).map_err(|e| StartupError::PermissionSchema {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => default_permission_schema(&issuer_id),
        };
        let expiry = config.expiry_policy();
        let profile = IssuerProfile::new(
            issuer_id.clone(),
            permissions,
            native_backend(&config.secret_prefix, &expiry)?,
            config.rotation_policy(),
            expiry,
        )?;
        let profile = IssuerProfile {
            access: config.access_requests.clone(),
            ..profile
        };
        let bootstrap = if first_start {
            let minted = mint_token_at(
                &keys.token_mac,
                "bootstrap",
                ApiScope::ALL.into(),
                None,
                clock.now(),
            );
            store.insert_token(&minted.record).await?;
            let path = config.data_dir.join(BOOTSTRAP_TOKEN_FILE);
            write_private(&path, format!("{}\n", minted.token.expose()).as_bytes())?;
            Some(minted.token)
        } else {
            None
        };
        let signing = SigningKeys::load_or_create(&config.data_dir, config.signing_alg)?;
        let mut states = vec![Self::with_clock(
            store.clone(),
            keys.clone(),
            signing.clone(),
            profile,
            clock.clone(),
        )?];
        if !config.issuers.is_empty() {
            let vault = Vault::load_or_create(&config.data_dir)?;
            let mut seen = std::collections::BTreeSet::new();
            for hosted in &config.issuers {
                let id = hosted.issuer_id(&issuer_id)?;
                if !seen.insert(id.as_str().to_owned()) {
                    return Err(GatewayError::DuplicatePath(hosted.path.clone()).into());
                }
                let admin = hosted.admin_credentials(&id, &*store, Some(&vault)).await?;
                let backend = hosted.backend(&admin)?;
                let permissions = default_permission_schema(&id);
                let profile = IssuerProfile::new(
                    id,
                    permissions,
                    backend,
                    config.rotation_policy(),
                    config.expiry_policy(),
                )?;
                states.push(Self::with_clock(
                    store.clone(),
                    keys.clone(),
                    signing.clone(),
                    profile,
                    clock.clone(),
                )?);
            }
        }
        Ok((states, bootstrap))
    }

    /// The lifecycle context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Runs one pass of the time-driven work for this issuer (what the server's background
    /// sweep does every [`SWEEP_INTERVAL`](crate::serve::SWEEP_INTERVAL)) and says what it did.
    pub async fn sweep_once(&self) -> crate::lifecycle::SweepReport {
        crate::lifecycle::sweep_once(std::slice::from_ref(&self.context)).await
    }

    /// The clock this issuer reads the time from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.context.clock
    }
}
