//! `serve`: the issuer over HTTP until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::{Serialize, Serializer};

use super::{Global, fail, with_causes};
use crate::config::{ConfigError, LogFormat, ServerConfig, Settings};
use crate::{AppState, serve};

/// Flags of `serve`.
#[derive(Debug, Default, Args, Serialize)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Directory for the database and keys [default: ./.credential-issuer].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The issuer identifier when behind a proxy, e.g. https://issuer.example.com [default: http://<addr>].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Log format on standard error [default: text].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, value_enum, env = "CREDENTIAL_ISSUER_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// A permission schema (JSON) to use instead of the bundled example.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_PERMISSION_SCHEMA")]
    pub permission_schema: Option<PathBuf>,
    /// Prefix of issued secrets: 2 to 16 of [a-z0-9] ending in _ [default: cik_].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_SECRET_PREFIX")]
    pub secret_prefix: Option<String>,
    /// Grace period of overlap rotations that name none, in seconds [default: 86400].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_DEFAULT_GRACE_PERIOD_SECONDS")]
    pub default_grace_period_seconds: Option<u64>,
    /// Longest grace period accepted, in seconds [default: 2592000].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_MAX_GRACE_PERIOD_SECONDS")]
    pub max_grace_period_seconds: Option<u64>,
    /// Versions of a credential that may be valid at once [default: 2].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_MAX_ACTIVE_VERSIONS")]
    pub max_active_versions: Option<u32>,
    /// Shortest credential lifetime accepted, in seconds [default: 60].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_MIN_TTL_SECONDS")]
    pub min_ttl_seconds: Option<u64>,
    /// Longest credential lifetime accepted, in seconds [default: 31622400].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_MAX_TTL_SECONDS")]
    pub max_ttl_seconds: Option<u64>,
    /// Lifetime of credentials created without expires_in, in seconds [default: none].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_DEFAULT_TTL_SECONDS")]
    pub default_ttl_seconds: Option<u64>,
    /// Offer agent access requests (with the default policy unless the config file has an
    /// [access_requests] table).
    #[arg(long, env = "CREDENTIAL_ISSUER_ACCESS_REQUESTS")]
    #[serde(
        skip_serializing_if = "std::ops::Not::not",
        serialize_with = "turned_on"
    )]
    pub access_requests: bool,
    /// Algorithm of new signing keys (existing keys keep theirs) [default: EdDSA].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, value_enum, env = "CREDENTIAL_ISSUER_SIGNING_ALG")]
    pub signing_alg: Option<crate::crypto::signing::SigningAlgorithm>,
    /// Most PostgreSQL connections this server opens [default: 16].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_DATABASE_MAX_CONNECTIONS")]
    pub database_max_connections: Option<u32>,
    /// Longest a PostgreSQL statement may run, lock waits included, in ms [default: 10000].
    #[serde(skip_serializing_if = "Option::is_none")]
    #[arg(long, env = "CREDENTIAL_ISSUER_DATABASE_STATEMENT_TIMEOUT_MS")]
    pub database_statement_timeout_ms: Option<u64>,
}

/// A flag that turns a table of settings on: an empty table, so that the file's table (or the
/// defaults) fills it.
fn turned_on<S: Serializer>(_: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    toml::Table::new().serialize(serializer)
}

impl ServeArgs {
    /// The configuration: these flags and the global ones over the file over the defaults.
    pub fn resolve(&self, global: &Global) -> Result<ServerConfig, ConfigError> {
        #[derive(Serialize)]
        struct Layer<'a> {
            #[serde(flatten)]
            global: &'a Global,
            #[serde(flatten)]
            serve: &'a ServeArgs,
        }
        let layer = Layer {
            global,
            serve: self,
        };
        Settings::load(global.config.as_deref(), &layer).map(ServerConfig::from)
    }

    /// Runs the server.
    pub fn run(&self, global: &Global) -> ExitCode {
        let config = match self.resolve(global) {
            Ok(config) => config,
            Err(error) => return fail(&error.to_string()),
        };
        init_logging(config.log_format);
        match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime.block_on(run_server(config)),
            Err(error) => fail(&format!("cannot start the runtime: {error}")),
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run_server(config: ServerConfig) -> ExitCode {
    let (states, bootstrap) = match AppState::open_gateway(&config).await {
        Ok(opened) => opened,
        Err(error) => return fail(&with_causes(&error)),
    };
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(error) => return fail(&format!("cannot listen on {}: {error}", config.addr)),
    };
    let issuer = config.issuer_identifier();
    if let Some(token) = bootstrap {
        // Shown once, on standard output, never in the log.
        println!("First start: created a bootstrap admin token with every scope.");
        println!(
            "It is also in {}/bootstrap-token (mode 0600):",
            config.data_dir.display()
        );
        println!("{}", token.expose());
    }
    println!("credential issuer {issuer} listening on {}", config.addr);
    let store = config.database.describe(&config.data_dir);
    tracing::info!(%issuer, addr = %config.addr, data_dir = %config.data_dir.display(), %store, "listening");
    for state in states.iter().skip(1) {
        let hosted = &state.context().issuer;
        println!(
            "  also hosting {} ({} backend)",
            hosted.id.as_str(),
            hosted.backend.kind()
        );
    }
    match serve::run_gateway(listener, states).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("server error: {error}")),
    }
}
