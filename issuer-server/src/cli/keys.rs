//! `keys`: the keys that sign the manifest and audit checkpoints.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Global, fail};
use crate::clock::{Clock, SystemClock};
use crate::crypto::signing::{SIGNING_KEYS_FILE, SigningAlgorithm, SigningKeys};

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
    pub alg: SigningAlgorithm,
    /// How long the retired key stays published, e.g. 30d [default: 90d].
    #[arg(long, default_value = "90d", value_parser = humantime::parse_duration)]
    pub keep_old: std::time::Duration,
    /// The server's data directory [default: ./.credential-issuer].
    #[arg(long, env = "CREDENTIAL_ISSUER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl KeysRotateArgs {
    /// Rotates the signing keys in the data directory.
    pub fn run(&self, global: &Global) -> ExitCode {
        let data_dir = match global.settings(self.data_dir.as_deref()) {
            Ok(settings) => settings.data_dir,
            Err(error) => return fail(&error.to_string()),
        };
        if !data_dir.join(SIGNING_KEYS_FILE).exists() {
            return fail(&format!(
                "{} has no signing keys (run `serve` once to create them)",
                data_dir.display()
            ));
        }
        let now = SystemClock.now();
        match SigningKeys::rotate(&data_dir, self.keep_old.as_secs(), self.alg, now) {
            Ok(rotation) => {
                println!("signing key now {}", rotation.current);
                println!("next key published {}", rotation.next);
                if let Some((kid, until)) = rotation.retired {
                    println!("retired key {kid} stays published until {until}");
                }
                println!("restart the server to serve the new JWK Set and sign with the new key");
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string()),
        }
    }
}
