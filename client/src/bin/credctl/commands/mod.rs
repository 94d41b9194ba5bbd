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

use std::io::Write;
use std::path::Path;

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

fn write_secret(path: &Path, secret: &Secret) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let fail = |e: std::io::Error| Failure::Io(format!("cannot write {}: {e}", path.display()));
    let mut file = options.open(path).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    writeln!(file, "{}", secret.expose()).map_err(fail)?;
    file.sync_all().map_err(fail)
}
