//! The command line of `credential-issuer-server`.

mod keys;
mod serve;
mod token;
mod vendor_credential;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

pub use keys::{KeysCommand, KeysRotateArgs};
pub use serve::ServeArgs;
pub use token::{TokenCommand, TokenCreateArgs};
pub use vendor_credential::{
    VendorCredentialCommand, VendorCredentialListArgs, VendorCredentialSetArgs,
};

use crate::config::{ConfigError, Settings};

/// The reference issuer of the credential-issuer protocol.
///
/// Configuration comes from flags, then CREDENTIAL_ISSUER_* environment variables, then the
/// TOML file given with --config, then defaults.
#[derive(Debug, Parser)]
#[command(name = "credential-issuer-server", version)]
pub struct Cli {
    /// The flags every subcommand takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every subcommand takes.
#[derive(Debug, Args, Serialize)]
pub struct Global {
    /// A TOML configuration file (keys as the serve flags, with underscores).
    #[arg(long, global = true, env = "CREDENTIAL_ISSUER_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// The database: postgres://user@host/db for PostgreSQL (replicas share it), or
    /// sqlite://path [default: SQLite in the data directory].
    #[arg(
        long,
        global = true,
        env = "CREDENTIAL_ISSUER_DATABASE_URL",
        hide_env_values = true
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<crate::store::DatabaseUrl>,
}

impl Global {
    /// The settings of an admin subcommand: its `--data-dir` and the global flags over the
    /// file over the defaults.
    pub fn settings(&self, data_dir: Option<&Path>) -> Result<Settings, ConfigError> {
        #[derive(Serialize)]
        struct Layer<'a> {
            #[serde(flatten)]
            global: &'a Global,
            #[serde(skip_serializing_if = "Option::is_none")]
            data_dir: Option<&'a Path>,
        }
        Settings::load(
            self.config.as_deref(),
            &Layer {
                global: self,
                data_dir,
            },
        )
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

impl Cli {
    /// Runs the subcommand; the exit code says how it went.
    pub fn run(self) -> ExitCode {
        match &self.command {
            Command::Serve(args) => args.run(&self.global),
            Command::Token(TokenCommand::Create(args)) => args.run(&self.global),
            Command::Keys(KeysCommand::Rotate(args)) => args.run(&self.global),
            Command::VendorCredential(command) => command.run(&self.global),
            Command::Openapi => openapi(),
        }
    }
}

/// `openapi`: prints the OpenAPI description of a server with the default configuration.
fn openapi() -> ExitCode {
    match crate::config::default_profile() {
        Ok(profile) => {
            let document = crate::openapi::document(&profile);
            println!(
                "{}",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

/// Runs an admin subcommand's store work to its end on a fresh runtime.
fn block_on(work: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(work),
        Err(error) => fail(&format!("cannot start the runtime: {error}")),
    }
}

/// What an admin subcommand works on: a data directory `serve` has set up, and its store.
struct AdminTarget {
    data_dir: PathBuf,
    store: crate::store::StoreSettings,
}

impl Global {
    /// The data directory (its `--data-dir`, the file's, or the default) and store of an admin
    /// subcommand; a one-line failure when the settings are unusable or the directory is not a
    /// server's.
    fn admin_target(&self, data_dir: Option<&Path>) -> Result<AdminTarget, ExitCode> {
        let settings = self
            .settings(data_dir)
            .map_err(|error| fail(&error.to_string()))?;
        require_data_dir(&settings.data_dir)?;
        Ok(AdminTarget {
            store: crate::store::StoreSettings {
                url: settings.database_url,
                ..crate::store::StoreSettings::default()
            },
            data_dir: settings.data_dir,
        })
    }
}

/// Refuses a directory `serve` has not set up (it has no master key).
fn require_data_dir(data_dir: &Path) -> Result<(), ExitCode> {
    if data_dir.join(crate::crypto::keys::MASTER_KEY_FILE).exists() {
        Ok(())
    } else {
        Err(fail(&format!(
            "{} is not a server data directory (run `serve` once to create it)",
            data_dir.display()
        )))
    }
}

/// `error` and its causes, e.g. `store: database error: error communicating with database:
/// Connection refused`. No cause holds a secret: the database URL is not part of any.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let said = next.to_string();
        // A wrapper that shows its cause already (`store: {0}`) is not repeated.
        if !text.ends_with(&said) {
            text.push_str(&format!(": {said}"));
        }
        cause = next.source();
    }
    text
}

pub(crate) fn fail(message: &str) -> ExitCode {
    eprintln!("credential-issuer-server: {message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};
    use crate::config::ServerConfig;

    #[test]
    fn flags_override_the_file_which_overrides_the_defaults() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            "addr = \"127.0.0.1:9000\"\nsecret_prefix = \"abc_\"\nmax_active_versions = 3\n",
        )
        .unwrap();
        let cli = Cli::try_parse_from([
            "credential-issuer-server",
            "serve",
            "--config",
            file.path().to_str().unwrap(),
            "--addr",
            "127.0.0.1:9100",
        ])
        .unwrap();
        let Command::Serve(args) = &cli.command else {
            panic!("not serve")
        };
        let config = args.resolve(&cli.global).unwrap();
        assert_eq!(config.addr.port(), 9100, "the flag wins over the file");
        assert_eq!(
            config.secret_prefix, "abc_",
            "the file wins over the default"
        );
        assert_eq!(config.max_active_versions, 3);
        assert_eq!(config.data_dir, ServerConfig::default().data_dir);
    }

    #[test]
    fn access_requests_flag_turns_on_the_default_policy() {
        let cli = Cli::try_parse_from(["credential-issuer-server", "serve", "--access-requests"])
            .unwrap();
        let Command::Serve(args) = &cli.command else {
            panic!("not serve")
        };
        let config = args.resolve(&cli.global).unwrap();
        assert_eq!(config.access_requests, Some(Default::default()));
    }
}
