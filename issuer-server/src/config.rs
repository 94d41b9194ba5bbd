//! Server configuration: command-line flags, then `CREDENTIAL_ISSUER_*` environment variables,
//! then an optional TOML file, then defaults, in that order of precedence.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use credential_issuer_spec::{ExpiryPolicy, RotationMode, RotationPolicy};
use serde::Deserialize;

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
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
    pub signing_alg: crate::signing::SigningAlgorithm,
    /// Agent access requests, when offered (by the native issuer).
    pub access_requests: Option<crate::policy::AccessPolicy>,
    /// The other issuers this server hosts (the gateway), from `[[issuers]]` in the TOML file.
    pub issuers: Vec<crate::gateway::HostedIssuer>,
    /// The store: SQLite in `data_dir` unless a database URL names another.
    pub database: crate::store::StoreSettings,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from(".credential-issuer"),
            public_url: None,
            log_format: LogFormat::Text,
            permission_schema: None,
            secret_prefix: "cik_".to_owned(),
            default_grace_period_seconds: 86_400,
            max_grace_period_seconds: 30 * 86_400,
            max_active_versions: 2,
            min_ttl_seconds: 60,
            max_ttl_seconds: 366 * 86_400,
            default_ttl_seconds: None,
            signing_alg: crate::signing::SigningAlgorithm::EdDsa,
            access_requests: None,
            issuers: Vec::new(),
            database: crate::store::StoreSettings::default(),
        }
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

/// The TOML file: every key optional, same names as the flags (with `_`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// See [`ServerConfig::addr`].
    pub addr: Option<SocketAddr>,
    /// See [`ServerConfig::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`ServerConfig::public_url`].
    pub public_url: Option<String>,
    /// See [`ServerConfig::log_format`].
    pub log_format: Option<LogFormat>,
    /// See [`ServerConfig::permission_schema`].
    pub permission_schema: Option<PathBuf>,
    /// See [`ServerConfig::secret_prefix`].
    pub secret_prefix: Option<String>,
    /// See [`ServerConfig::default_grace_period_seconds`].
    pub default_grace_period_seconds: Option<u64>,
    /// See [`ServerConfig::max_grace_period_seconds`].
    pub max_grace_period_seconds: Option<u64>,
    /// See [`ServerConfig::max_active_versions`].
    pub max_active_versions: Option<u32>,
    /// See [`ServerConfig::min_ttl_seconds`].
    pub min_ttl_seconds: Option<u64>,
    /// See [`ServerConfig::max_ttl_seconds`].
    pub max_ttl_seconds: Option<u64>,
    /// See [`ServerConfig::default_ttl_seconds`].
    pub default_ttl_seconds: Option<u64>,
    /// See [`ServerConfig::signing_alg`].
    pub signing_alg: Option<crate::signing::SigningAlgorithm>,
    /// See [`ServerConfig::access_requests`].
    pub access_requests: Option<crate::policy::AccessPolicy>,
    /// See [`ServerConfig::issuers`].
    #[serde(default)]
    pub issuers: Vec<crate::gateway::HostedIssuer>,
    /// The database, e.g. `postgres://issuer@db.internal/issuer`; see [`ServerConfig::database`].
    pub database_url: Option<crate::store::DatabaseUrl>,
    /// See [`crate::store::postgres::PoolSettings::max_connections`].
    pub database_max_connections: Option<u32>,
    /// See [`crate::store::postgres::PoolSettings::statement_timeout`], in milliseconds.
    pub database_statement_timeout_ms: Option<u64>,
}

/// Why the configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not valid TOML for this server.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl ConfigFile {
    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}
