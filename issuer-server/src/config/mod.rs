//! Server configuration: command-line flags, then `CREDENTIAL_ISSUER_*` environment variables,
//! then an optional TOML file, then defaults, in that order of precedence.
//!
//! The layers are [`Settings`] documents merged by `figment` ([`Settings::load`]); the merged
//! settings become the [`ServerConfig`] the server runs with.

mod settings;

pub use settings::{ConfigError, Settings};

use std::net::SocketAddr;
use std::path::PathBuf;

use credential_issuer_spec::{ExpiryPolicy, IssuerId, RotationMode, RotationPolicy};

use crate::issuer::{IssuerProfile, ProfileError, default_permission_schema, native_backend};
use serde::{Deserialize, Serialize};

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the server needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// Where the database and keys live.
    pub data_dir: PathBuf,
    /// The issuer identifier when the server sits behind a proxy; default `http://<addr>`.
    pub public_url: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// A permission schema file to use instead of the bundled example.
    pub permission_schema: Option<PathBuf>,
    /// The prefix of issued secrets.
    pub secret_prefix: String,
    /// Grace period of an overlap rotation that names none, in seconds.
    pub default_grace_period_seconds: u64,
    /// The longest grace period accepted, in seconds.
    pub max_grace_period_seconds: u64,
    /// How many versions of a credential may be valid at once.
    pub max_active_versions: u32,
    /// The shortest lifetime accepted, in seconds.
    pub min_ttl_seconds: u64,
    /// The longest lifetime accepted, in seconds.
    pub max_ttl_seconds: u64,
    /// The lifetime of credentials created without `expires_in`; none means no expiry.
    pub default_ttl_seconds: Option<u64>,
    /// The algorithm of new signing keys.
    pub signing_alg: crate::crypto::signing::SigningAlgorithm,
    /// Agent access requests, when offered (by the native issuer).
    pub access_requests: Option<crate::issuer::policy::AccessPolicy>,
    /// The other issuers this server hosts (the gateway), from `[[issuers]]` in the TOML file.
    pub issuers: Vec<crate::gateway::HostedIssuer>,
    /// The store: SQLite in `data_dir` unless a database URL names another.
    pub database: crate::store::StoreSettings,
}

impl Default for ServerConfig {
    /// The defaults of every setting (see [`Settings::default`]).
    fn default() -> Self {
        Settings::default().into()
    }
}

impl ServerConfig {
    /// The issuer identifier: `public_url`, or `http://<addr>`.
    pub fn issuer_identifier(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.addr),
        }
    }

    /// The rotation policy the manifest publishes and rotations enforce.
    pub fn rotation_policy(&self) -> RotationPolicy {
        RotationPolicy {
            modes: vec![RotationMode::Overlap, RotationMode::Immediate],
            default_grace_period_seconds: self.default_grace_period_seconds,
            max_grace_period_seconds: self.max_grace_period_seconds,
            max_active_versions: self.max_active_versions,
        }
    }

    /// The lifetime bounds the manifest publishes and creates enforce.
    pub fn expiry_policy(&self) -> ExpiryPolicy {
        ExpiryPolicy {
            min_ttl_seconds: self.min_ttl_seconds,
            max_ttl_seconds: self.max_ttl_seconds,
            default_ttl_seconds: self.default_ttl_seconds,
        }
    }
}

/// The profile of a server started with no configuration at all (the one `schemas/openapi.json`
/// describes).
pub fn default_profile() -> Result<IssuerProfile, ProfileError> {
    let config = ServerConfig::default();
    let id = IssuerId::parse(&config.issuer_identifier())?;
    let permissions = default_permission_schema(&id);
    let expiry = config.expiry_policy();
    IssuerProfile::new(
        id,
        permissions,
        native_backend(&config.secret_prefix, &expiry)?,
        config.rotation_policy(),
        expiry,
    )
}
