//! The settings as a document: the TOML file's keys, the flags' names (with `_`), merged in
//! layers by `figment`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::Serialized;
use serde::{Deserialize, Serialize};

use super::{LogFormat, ServerConfig};
use crate::crypto::signing::SigningAlgorithm;
use crate::gateway::HostedIssuer;
use crate::issuer::policy::AccessPolicy;
use crate::store::postgres::PoolSettings;
use crate::store::{DatabaseUrl, StoreSettings};

/// Every setting, each with its default; the shape of the TOML file.
///
/// ```
/// use credential_issuer_server::config::{ServerConfig, Settings};
/// #[derive(serde::Serialize)]
/// struct Flags { max_active_versions: u32 }
/// let file = std::env::temp_dir().join("credential-issuer-settings-doc.toml");
/// std::fs::write(&file, "secret_prefix = \"abc_\"\nmax_active_versions = 3\n").unwrap();
/// let config: ServerConfig = Settings::load(Some(&file), &Flags { max_active_versions: 4 })
///     .unwrap()
///     .into();
/// assert_eq!(config.secret_prefix, "abc_"); // the file over the default
/// assert_eq!(config.max_active_versions, 4); // the flag over the file
/// assert_eq!(config.data_dir, ServerConfig::default().data_dir); // the default
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// See [`ServerConfig::addr`].
    pub addr: SocketAddr,
    /// See [`ServerConfig::data_dir`].
    pub data_dir: PathBuf,
    /// See [`ServerConfig::public_url`].
    pub public_url: Option<String>,
    /// See [`ServerConfig::log_format`].
    pub log_format: LogFormat,
    /// See [`ServerConfig::permission_schema`].
    pub permission_schema: Option<PathBuf>,
    /// See [`ServerConfig::secret_prefix`].
    pub secret_prefix: String,
    /// See [`ServerConfig::default_grace_period_seconds`].
    pub default_grace_period_seconds: u64,
    /// See [`ServerConfig::max_grace_period_seconds`].
    pub max_grace_period_seconds: u64,
    /// See [`ServerConfig::max_active_versions`].
    pub max_active_versions: u32,
    /// See [`ServerConfig::min_ttl_seconds`].
    pub min_ttl_seconds: u64,
    /// See [`ServerConfig::max_ttl_seconds`].
    pub max_ttl_seconds: u64,
    /// See [`ServerConfig::default_ttl_seconds`].
    pub default_ttl_seconds: Option<u64>,
    /// See [`ServerConfig::signing_alg`].
    pub signing_alg: SigningAlgorithm,
    /// See [`ServerConfig::access_requests`]. A layer that only turns access requests on gives
    /// an empty table: the default policy, or the lower layer's table.
    pub access_requests: Option<AccessPolicy>,
    /// See [`ServerConfig::issuers`].
    pub issuers: Vec<HostedIssuer>,
    /// The database, e.g. `postgres://issuer@db.internal/issuer`; see [`ServerConfig::database`].
    pub database_url: Option<DatabaseUrl>,
    /// See [`PoolSettings::max_connections`].
    pub database_max_connections: u32,
    /// See [`PoolSettings::statement_timeout`], in milliseconds.
    pub database_statement_timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        let pool = PoolSettings::default();
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
            signing_alg: SigningAlgorithm::EdDsa,
            access_requests: None,
            issuers: Vec::new(),
            database_url: None,
            database_max_connections: pool.max_connections,
            database_statement_timeout_ms: u64::try_from(pool.statement_timeout.as_millis())
                .unwrap_or(u64::MAX),
        }
    }
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: String,
        /// What is wrong.
        source: toml::de::Error,
    },
    /// The merged settings do not fit (an unknown key, a value of the wrong type).
    #[error("{origin}: {}", describe(source))]
    Settings {
        /// The file, or `the command line`.
        origin: String,
        /// What is wrong.
        source: Box<figment::Error>,
    },
}

/// What is wrong and at which key, without figment's own bookkeeping (profiles, providers).
fn describe(error: &figment::Error) -> String {
    if error.path.is_empty() {
        error.kind.to_string()
    } else {
        format!("{} (at {})", error.kind, error.path.join("."))
    }
}

impl Settings {
    /// Merges, lowest first: the defaults, the TOML `file` (when given), then `overrides` (the
    /// flags and environment variables a command line gives; fields it leaves out, or
    /// serializes as nothing, keep the value below).
    pub fn load(file: Option<&Path>, overrides: &impl Serialize) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let table: toml::Table = toml::from_str(&text).map_err(|source| ConfigError::Toml {
                path: path.display().to_string(),
                source,
            })?;
            figment = figment.merge(Serialized::defaults(table));
        }
        figment
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|error| ConfigError::Settings {
                origin: file.map_or_else(
                    || "the command line".to_owned(),
                    |path| path.display().to_string(),
                ),
                source: Box::new(error),
            })
    }
}

impl From<Settings> for ServerConfig {
    fn from(settings: Settings) -> Self {
        let pool = PoolSettings::default();
        Self {
            addr: settings.addr,
            data_dir: settings.data_dir,
            public_url: settings.public_url,
            log_format: settings.log_format,
            permission_schema: settings.permission_schema,
            secret_prefix: settings.secret_prefix,
            default_grace_period_seconds: settings.default_grace_period_seconds,
            max_grace_period_seconds: settings.max_grace_period_seconds,
            max_active_versions: settings.max_active_versions,
            min_ttl_seconds: settings.min_ttl_seconds,
            max_ttl_seconds: settings.max_ttl_seconds,
            default_ttl_seconds: settings.default_ttl_seconds,
            signing_alg: settings.signing_alg,
            access_requests: settings.access_requests,
            issuers: settings.issuers,
            database: StoreSettings {
                url: settings.database_url,
                pool: PoolSettings {
                    max_connections: settings.database_max_connections,
                    statement_timeout: Duration::from_millis(
                        settings.database_statement_timeout_ms,
                    ),
                    ..pool
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_file_keys_are_refused() {
        let file = tempfile_with("adress = \"127.0.0.1:1\"\n");
        let error = Settings::load(Some(file.path()), &toml::Table::new()).unwrap_err();
        assert!(error.to_string().contains("adress"), "{error}");
    }

    #[test]
    fn the_file_keeps_its_tables_under_a_flag_that_turns_them_on() {
        #[derive(Serialize)]
        struct On {
            access_requests: toml::Table,
        }
        let on = On {
            access_requests: toml::Table::new(),
        };
        let file = tempfile_with("[access_requests]\nmax_ttl_seconds = 60\n");
        let settings = Settings::load(Some(file.path()), &on).unwrap();
        assert_eq!(settings.access_requests.unwrap().max_ttl_seconds, 60);
        let settings = Settings::load(None, &on).unwrap();
        assert_eq!(settings.access_requests, Some(AccessPolicy::default()));
        assert_eq!(
            Settings::load(None, &toml::Table::new())
                .unwrap()
                .access_requests,
            None
        );
    }

    #[test]
    fn the_config_file_names_the_database() {
        let file = tempfile_with(
            "database_url = \"postgres://issuer@db.internal/issuer\"\ndatabase_max_connections = 4\n",
        );
        let settings = Settings::load(Some(file.path()), &toml::Table::new()).unwrap();
        assert!(matches!(
            settings.database_url,
            Some(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            ServerConfig::from(settings).database.pool.max_connections,
            4
        );
        let refused = tempfile_with("database_url = \"ftp://x\"\n");
        assert!(Settings::load(Some(refused.path()), &toml::Table::new()).is_err());
    }

    fn tempfile_with(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }
}
