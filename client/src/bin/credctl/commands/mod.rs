//! One module per verb; each takes the [`Session`] and its arguments.

pub(crate) mod audit;
pub(crate) mod blast_radius;
pub(crate) mod create;
pub(crate) mod discover;
pub(crate) mod introspect;
pub(crate) mod inventory;
pub(crate) mod list;
pub(crate) mod recover;
pub(crate) mod requests;
pub(crate) mod revoke;
pub(crate) mod rotate;
pub(crate) mod scan;
pub(crate) mod workspace;

use std::path::Path;

use credential_issuer_client::atomic_write::{FileMode, write_atomically};
use credential_issuer_client::{Client, Issuer};
use credential_issuer_spec::{CredentialId, IssuedCredential, Secret};

use crate::failure::Failure;
use crate::output::Output;

/// What every command works with.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) issuer: String,
    pub(crate) token: Option<Secret>,
    pub(crate) out: Output,
    pub(crate) pins: Vec<String>,
}

impl Session {
    /// The pinned key thumbprints.
    pub(crate) fn pins(&self) -> Vec<String> {
        self.pins.clone()
    }

    /// Discovers the issuer and attaches the token.
    pub(crate) async fn issuer(&self) -> Result<Issuer, Failure> {
        let issuer = self.client.discover(&self.issuer).await?;
        Ok(match &self.token {
            Some(token) => issuer.with_token(token.clone()),
            None => issuer,
        })
    }
}

/// A credential id from the command line.
pub(crate) fn credential_id(raw: &str) -> Result<CredentialId, Failure> {
    raw.parse()
        .map_err(|_| Failure::Usage(format!("{raw:?} is not a credential id")))
}

/// Shows a newly issued credential: the secret printed once, or written to `secret_file`.
pub(crate) fn show_issued(
    out: &Output,
    issued: &IssuedCredential,
    secret_file: Option<&Path>,
    verb: &str,
) -> Result<(), Failure> {
    if let Some(path) = secret_file {
        write_secret(path, &issued.secret)?;
    }
    if out.json {
        match secret_file {
            Some(_) => out.json(&issued.credential),
            None => out.json(issued),
        }
        return Ok(());
    }
    let credential = &issued.credential;
    out.line(&format!(
        "{verb} {} (version {})",
        credential.id, credential.current_version
    ));
    match secret_file {
        Some(path) => out.line(&format!("secret written to {} (mode 0600)", path.display())),
        None => {
            out.line("secret (shown once; store it now):");
            out.line(issued.secret.expose());
        }
    }
    Ok(())
}

/// Writes the secret and a newline to `path`, mode 0600, replacing the file in one step.
fn write_secret(path: &Path, secret: &Secret) -> Result<(), Failure> {
    let contents = format!("{}\n", secret.expose());
    write_atomically(path, contents.as_bytes(), FileMode::Exactly(0o600))
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))
}
