//! `token`: issuer-API tokens.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use credential_issuer_spec::{ApiScope, Grant};

use super::{Global, block_on, fail};
use crate::crypto::keys::ServerKeys;
use crate::store::StoreSettings;

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

impl TokenCreateArgs {
    /// Mints the token into the server's store and prints it once.
    pub fn run(&self, global: &Global) -> ExitCode {
        match global.admin_target(self.data_dir.as_deref()) {
            Ok(target) => block_on(create_token(self, &target.data_dir, &target.store)),
            Err(code) => code,
        }
    }
}

async fn create_token(
    args: &TokenCreateArgs,
    data_dir: &Path,
    settings: &StoreSettings,
) -> ExitCode {
    let keys = match ServerKeys::load_or_create(data_dir) {
        Ok((keys, _)) => keys,
        Err(error) => return fail(&error.to_string()),
    };
    let store = match crate::store::open(settings, data_dir).await {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    let authority = (!args.authority.is_empty()).then(|| args.authority.clone());
    let minted =
        crate::lifecycle::mint_token(&keys.token_mac, &args.label, args.scope_set(), authority);
    if let Err(error) = store.insert_token(&minted.record).await {
        return fail(&error.to_string());
    }
    if args.json {
        let scopes: Vec<&str> = minted.record.scopes.iter().map(|s| s.as_str()).collect();
        println!(
            "{}",
            serde_json::json!({ "id": minted.record.id, "token": minted.token.expose(), "scopes": scopes })
        );
    } else {
        println!("{}", minted.token.expose());
        eprintln!(
            "token {} created; it is shown only this once",
            minted.record.id
        );
    }
    ExitCode::SUCCESS
}
