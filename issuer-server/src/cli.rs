//! The command line of `credential-issuer-server`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use credential_issuer_spec::{ApiScope, Grant};

use crate::config::{ConfigFile, LogFormat, ServerConfig};

/// The reference issuer of the credential-issuer protocol.
///
/// Configuration comes from flags, then CREDENTIAL_ISSUER_* environment variables, then the
/// TOML file given with --config, then defaults.
#[derive(Debug, Parser)]
#[command(name = "credential-issuer-server", version)]
pub struct Cli {
    /// A TOML configuration file (keys as the serve flags, with underscores).
    #[arg(long, global = true, env = "CREDENTIAL_ISSUER_CONFIG")]
    pub config: Option<PathBuf>,
    /// The database: postgres://user@host/db for PostgreSQL (replicas share it), or
    /// sqlite://path [default: SQLite in the data directory].
    #[arg(
        long,
        global = true,
        env = "CREDENTIAL_ISSUER_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<crate::store::DatabaseUrl>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `file` with the global flags that override it (`--database-url`) applied.
    pub fn file_with_flags(&self, file: ConfigFile) -> ConfigFile {
        ConfigFile {
            database_url: self.database_url.clone().or(file.database_url),
            ..file
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the issuer over HTTP until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Manage issuer-API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the keys that sign the manifest and audit checkpoints.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Give the server a vendor admin credential for a shim; it is stored only as a JWE.
    #[command(subcommand)]
    VendorCredential(VendorCredentialCommand),
    /// Print the OpenAPI 3.1 description of a server with the default configuration.
    Openapi,
}

/// `vendor-credential` subcommands.
#[derive(Debug, Subcommand)]
pub enum VendorCredentialCommand {
    /// Store a vendor admin credential, sealed as a JWE under the key-encryption key (read from
    /// --from-env, --from-file, or standard input; never from the command line).
    Set(VendorCredentialSetArgs),
    /// List the names of the stored credentials of an issuer (never their values).
    List(VendorCredentialListArgs),
}

/// Flags of `vendor-credential set`.
#[derive(Debug, Args)]
pub struct VendorCredentialSetArgs {
    /// The issuer identifier the credential serves, e.g. https://gw.example.com/openai.
    #[arg(long)]
    pub issuer: String,
    /// The credential's name within that issuer, e.g. admin_key.
    #[arg(long)]
    pub name: String,
    /// Read the credential from this environment variable.
    #[arg(long, conflicts_with = "from_file")]
    pub from_env: Option<String>,
    /// Read the credential from this file.
    #[arg(long)]
    pub from_file: Option<PathBuf>,
    /// The server's data directory [default: ./.credential-issuer].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `vendor-credential list`.
#[derive(Debug, Args)]
pub struct VendorCredentialListArgs {
    /// The issuer identifier.
    #[arg(long)]
    pub issuer: String,
    /// The server's data directory [default: ./.credential-issuer].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Rotate: the published next key starts signing, the current key is retired but stays in the
    /// JWK Set for --keep-old, and a new next key is published. Restart the server to apply.
    Rotate(KeysRotateArgs),
}

/// Flags of `keys rotate`.
#[derive(Debug, Args)]
pub struct KeysRotateArgs {
    /// Algorithm of the new next key.
    #[arg(long, value_enum, default_value = "EdDSA")]
    pub alg: crate::signing::SigningAlgorithm,
    /// How long the retired key stays published, e.g. 30d [default: 90d].
    #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
    pub keep_old: std::time::Duration,
    /// The server's data directory [default: ./.credential-issuer].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Flags of `serve`.
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CREDENTIAL_ISSUER_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Directory for the database and keys [default: ./.credential-issuer].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The issuer identifier when behind a proxy, e.g. https://issuer.example.com [default: http://<addr>].
    #[arg(long, env = "CREDENTIAL_ISSUER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Log format on standard error [default: text].
    #[arg(long, value_enum, env = "CREDENTIAL_ISSUER_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// A permission schema (JSON) to use instead of the bundled example.
    #[arg(long, env = "CREDENTIAL_ISSUER_PERMISSION_SCHEMA")]
    pub permission_schema: Option<PathBuf>,
    /// Prefix of issued secrets: 2 to 16 of [a-z0-9] ending in _ [default: cik_].
    #[arg(long, env = "CREDENTIAL_ISSUER_SECRET_PREFIX")]
    pub secret_prefix: Option<String>,
    /// Grace period of overlap rotations that name none, in seconds [default: 86400].
    #[arg(long, env = "CREDENTIAL_ISSUER_DEFAULT_GRACE_PERIOD_SECONDS")]
    pub default_grace_period_seconds: Option<u64>,
    /// Longest grace period accepted, in seconds [default: 2592000].
    #[arg(long, env = "CREDENTIAL_ISSUER_MAX_GRACE_PERIOD_SECONDS")]
    pub max_grace_period_seconds: Option<u64>,
    /// Versions of a credential that may be valid at once [default: 2].
    #[arg(long, env = "CREDENTIAL_ISSUER_MAX_ACTIVE_VERSIONS")]
    pub max_active_versions: Option<u32>,
    /// Shortest credential lifetime accepted, in seconds [default: 60].
    #[arg(long, env = "CREDENTIAL_ISSUER_MIN_TTL_SECONDS")]
    pub min_ttl_seconds: Option<u64>,
    /// Longest credential lifetime accepted, in seconds [default: 31622400].
    #[arg(long, env = "CREDENTIAL_ISSUER_MAX_TTL_SECONDS")]
    pub max_ttl_seconds: Option<u64>,
    /// Lifetime of credentials created without expires_in, in seconds [default: none].
    #[arg(long, env = "CREDENTIAL_ISSUER_DEFAULT_TTL_SECONDS")]
    pub default_ttl_seconds: Option<u64>,
    /// Offer agent access requests (with the default policy unless the config file has an
    /// [access_requests] table).
    #[arg(long, env = "CREDENTIAL_ISSUER_ACCESS_REQUESTS")]
    pub access_requests: bool,
    /// Algorithm of new signing keys (existing keys keep theirs) [default: EdDSA].
    #[arg(long, value_enum, env = "CREDENTIAL_ISSUER_SIGNING_ALG")]
    pub signing_alg: Option<crate::signing::SigningAlgorithm>,
    /// Most PostgreSQL connections this server opens [default: 16].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
    /// Longest a PostgreSQL statement may run, lock waits included, in ms [default: 10000].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATABASE_STATEMENT_TIMEOUT_MS")]
    pub database_statement_timeout_ms: Option<u64>,
}

impl ServeArgs {
    /// Merges flags and environment (already in `self`) over the file over the defaults. The
    /// global `--database-url` is merged into `file` by the caller (see [`Cli::file_with_flags`]).
    pub fn resolve(self, file: ConfigFile) -> ServerConfig {
        let d = ServerConfig::default();
        ServerConfig {
            addr: self.addr.or(file.addr).unwrap_or(d.addr),
            data_dir: self.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            public_url: self.public_url.or(file.public_url),
            log_format: self.log_format.or(file.log_format).unwrap_or(d.log_format),
            permission_schema: self.permission_schema.or(file.permission_schema),
            secret_prefix: self
                .secret_prefix
                .or(file.secret_prefix)
                .unwrap_or(d.secret_prefix),
            default_grace_period_seconds: self
                .default_grace_period_seconds
                .or(file.default_grace_period_seconds)
                .unwrap_or(d.default_grace_period_seconds),
            max_grace_period_seconds: self
                .max_grace_period_seconds
                .or(file.max_grace_period_seconds)
                .unwrap_or(d.max_grace_period_seconds),
            max_active_versions: self
                .max_active_versions
                .or(file.max_active_versions)
                .unwrap_or(d.max_active_versions),
            min_ttl_seconds: self
                .min_ttl_seconds
                .or(file.min_ttl_seconds)
                .unwrap_or(d.min_ttl_seconds),
            max_ttl_seconds: self
                .max_ttl_seconds
                .or(file.max_ttl_seconds)
                .unwrap_or(d.max_ttl_seconds),
            default_ttl_seconds: self.default_ttl_seconds.or(file.default_ttl_seconds),
            signing_alg: self
                .signing_alg
                .or(file.signing_alg)
                .unwrap_or(d.signing_alg),
            access_requests: file.access_requests.or_else(|| {
                self.access_requests
                    .then(crate::policy::AccessPolicy::default)
            }),
            issuers: file.issuers,
            database: crate::store::StoreSettings {
                url: file.database_url,
                pool: crate::store::postgres::PoolSettings {
                    max_connections: self
                        .database_max_connections
                        .or(file.database_max_connections)
                        .unwrap_or(d.database.pool.max_connections),
                    statement_timeout: self
                        .database_statement_timeout_ms
                        .or(file.database_statement_timeout_ms)
                        .map_or(d.database.pool.statement_timeout, Duration::from_millis),
                    ..d.database.pool
                },
            },
        }
    }
}

/// `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint an issuer-API token; it is printed once and stored only as a keyed hash.
    Create(TokenCreateArgs),
}

/// Flags of `token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Issuer-API scope to grant (repeatable or comma-separated), e.g. credentials:create.
    #[arg(long = "scope", required = true, value_delimiter = ',')]
    pub scopes: Vec<ApiScope>,
    /// Limit what credentials this token may mint: permission[@resource] (repeatable).
    #[arg(long = "authority")]
    pub authority: Vec<Grant>,
    /// A name for people.
    #[arg(long, default_value = "cli")]
    pub label: String,
    /// The server's data directory [default: ./.credential-issuer].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print the token and its id as JSON.
    #[arg(long)]
    pub json: bool,
}

impl TokenCreateArgs {
    /// The scopes, without repeats.
    pub fn scope_set(&self) -> BTreeSet<ApiScope> {
        self.scopes.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};
    use crate::config::{ConfigFile, ServerConfig};

    #[test]
    fn flags_override_the_file_which_overrides_the_defaults() {
        let file: ConfigFile = toml::from_str(
            "addr = \"127.0.0.1:9000\"\nsecret_prefix = \"abc_\"\nmax_active_versions = 3\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from([
            "credential-issuer-server",
            "serve",
            "--addr",
            "127.0.0.1:9100",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        let config = args.resolve(file);
        assert_eq!(config.addr.port(), 9100, "the flag wins over the file");
        assert_eq!(
            config.secret_prefix, "abc_",
            "the file wins over the default"
        );
        assert_eq!(config.max_active_versions, 3);
        assert_eq!(config.data_dir, ServerConfig::default().data_dir);
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<ConfigFile>("adress = \"127.0.0.1:1\"\n").is_err());
    }
}
