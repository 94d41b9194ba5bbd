//! Which issuer and which token: flags, environment, or the config file
//! (`$XDG_CONFIG_HOME/credctl/config.toml`).
//!
//! ```toml
//! default_issuer = "local"
//!
//! [issuers.local]
//! url = "http://127.0.0.1:8080"
//! token_file = "/home/me/.credential-issuer/bootstrap-token"
//!
//! [issuers.prod]
//! url = "https://issuer.example.com"
//! token_command = "pass show issuers/prod"   # or token_env = "PROD_ISSUER_TOKEN"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use credential_issuer_spec::Secret;
use serde::Deserialize;

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    /// The issuer used when none is named.
    pub(crate) default_issuer: Option<String>,
    /// Named issuers.
    #[serde(default)]
    pub(crate) issuers: BTreeMap<String, IssuerEntry>,
}

/// One named issuer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssuerEntry {
    /// The issuer identifier.
    pub(crate) url: String,
    /// A file holding the token.
    pub(crate) token_file: Option<PathBuf>,
    /// An environment variable holding the token.
    pub(crate) token_env: Option<String>,
    /// A command printing the token.
    pub(crate) token_command: Option<String>,
}

/// A configuration problem (exit code 2).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Parse(String, String),
    #[error(
        "no issuer: give --issuer, set CREDCTL_ISSUER, or set default_issuer in the config file"
    )]
    NoIssuer,
    #[error("{0:?} is neither a URL nor an issuer named in the config file")]
    UnknownIssuer(String),
    #[error("cannot get the token of issuer {0:?}: {1}")]
    Token(String, String),
}

impl ConfigFile {
    /// Loads `path`, or the default location; a missing default file is an empty config.
    pub(crate) fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, explicit) = match path {
            Some(path) => (path.to_owned(), true),
            None => match default_path() {
                Some(path) => (path, false),
                None => return Ok(Self::default()),
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                ConfigError::Parse(path.display().to_string(), e.message().to_owned())
            }),
            Err(error) if !explicit && error.kind() == std::io::ErrorKind::NotFound => {
                Ok(Self::default())
            }
            Err(error) => Err(ConfigError::Read(path.display().to_string(), error)),
        }
    }

    /// The issuer asked for: `issuer` (from `--issuer` or `CREDCTL_ISSUER`, which clap has
    /// already weighed), else the file's `default_issuer`. A name or a URL.
    pub(crate) fn chosen_issuer(&self, issuer: Option<&str>) -> Option<String> {
        issuer
            .map(str::to_owned)
            .or_else(|| self.default_issuer.clone())
    }

    /// The issuer identifier and token to use: the issuer as [`Self::chosen_issuer`] says, the
    /// token from `token` (flag or environment), else from the file's entry for that issuer.
    pub(crate) fn resolve(
        &self,
        issuer: Option<&str>,
        token: Option<&str>,
    ) -> Result<(String, Option<Secret>), ConfigError> {
        let chosen = self.chosen_issuer(issuer).ok_or(ConfigError::NoIssuer)?;
        let (url, entry) = if chosen.contains("://") {
            let entry = self.issuers.iter().find(|(_, e)| e.url == chosen);
            (chosen.clone(), entry)
        } else {
            let entry = self
                .issuers
                .get_key_value(&chosen)
                .ok_or_else(|| ConfigError::UnknownIssuer(chosen.clone()))?;
            (entry.1.url.clone(), Some(entry))
        };
        if let Some(token) = token {
            return Ok((url, Some(Secret::new(token.to_owned()))));
        }
        let token = match entry {
            Some((name, entry)) => entry.token(name)?,
            None => None,
        };
        Ok((url, token))
    }
}

impl IssuerEntry {
    fn token(&self, name: &str) -> Result<Option<Secret>, ConfigError> {
        let fail = |why: String| ConfigError::Token(name.to_owned(), why);
        let raw = if let Some(file) = &self.token_file {
            std::fs::read_to_string(file).map_err(|e| fail(format!("{}: {e}", file.display())))?
        } else if let Some(variable) = &self.token_env {
            std::env::var(variable).map_err(|_| fail(format!("${variable} is not set")))?
        } else if let Some(command) = &self.token_command {
            let output = std::process::Command::new("sh")
                .args(["-c", command])
                .stderr(std::process::Stdio::inherit())
                .output()
                .map_err(|e| fail(format!("cannot run the token command: {e}")))?;
            if !output.status.success() {
                return Err(fail(format!(
                    "the token command exited with {}",
                    output.status
                )));
            }
            String::from_utf8(output.stdout)
                .map_err(|_| fail("the token command printed non-UTF-8".into()))?
        } else {
            return Ok(None);
        };
        Ok(Some(Secret::new(raw.trim().to_owned())))
    }
}

fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("credctl").join("config.toml"))
}
