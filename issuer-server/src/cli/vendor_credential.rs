//! `vendor-credential`: vendor admin credentials for shims, stored only as JWEs.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use credential_issuer_spec::IssuerId;

use super::{Global, block_on, fail};
use crate::clock::{Clock, SystemClock};
use crate::store::StoreSettings;

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

impl VendorCredentialCommand {
    /// Stores or lists vendor credentials in the server's store.
    pub fn run(&self, global: &Global) -> ExitCode {
        let (issuer, data_dir) = match self {
            Self::Set(args) => (&args.issuer, &args.data_dir),
            Self::List(args) => (&args.issuer, &args.data_dir),
        };
        let issuer = match IssuerId::parse(issuer) {
            Ok(issuer) => issuer,
            Err(error) => return fail(&format!("--issuer: {error}")),
        };
        match global.admin_target(data_dir.as_deref()) {
            Ok(target) => block_on(vendor_credential(
                self,
                issuer,
                &target.data_dir,
                &target.store,
            )),
            Err(code) => code,
        }
    }
}

async fn vendor_credential(
    command: &VendorCredentialCommand,
    issuer: IssuerId,
    data_dir: &Path,
    settings: &StoreSettings,
) -> ExitCode {
    let store = match crate::store::open(settings, data_dir).await {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    match command {
        VendorCredentialCommand::List(_) => {
            match store.vendor_credential_names(issuer.as_str()).await {
                Ok(names) => {
                    for name in names {
                        println!("{name}");
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error.to_string()),
            }
        }
        VendorCredentialCommand::Set(args) => {
            let secret = if let Some(variable) = &args.from_env {
                match std::env::var(variable) {
                    Ok(value) => value,
                    Err(_) => return fail(&format!("${variable} is not set")),
                }
            } else if let Some(path) = &args.from_file {
                match std::fs::read_to_string(path) {
                    Ok(value) => value,
                    Err(error) => return fail(&format!("cannot read {}: {error}", path.display())),
                }
            } else {
                let mut value = String::new();
                if let Err(error) = std::io::stdin().read_to_string(&mut value) {
                    return fail(&format!("cannot read standard input: {error}"));
                }
                value
            };
            let secret = secret.trim();
            if secret.is_empty() {
                return fail("the vendor credential is empty");
            }
            let vault = match crate::crypto::vault::Vault::load_or_create(data_dir) {
                Ok(vault) => vault,
                Err(error) => return fail(&error.to_string()),
            };
            let jwe = match vault.seal(issuer.as_str(), &args.name, secret) {
                Ok(jwe) => jwe,
                Err(error) => return fail(&error.to_string()),
            };
            if let Err(error) = store
                .put_vendor_credential(issuer.as_str(), &args.name, &jwe, SystemClock.now())
                .await
            {
                return fail(&error.to_string());
            }
            eprintln!("stored {} for {} (sealed as a JWE)", args.name, issuer);
            ExitCode::SUCCESS
        }
    }
}
