//! The settings of a GitHub issuer (`[issuers.settings]`) and why they can be refused.

use serde::Deserialize;
use url::Url;

/// An app's identifier: its numeric id or its client id, as the JWT's `iss`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AppId {
    /// The numeric app id.
    Number(u64),
    /// The client id (`Iv1...`).
    Text(String),
}

impl std::fmt::Display for AppId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Text(s) => f.write_str(s),
        }
    }
}

/// The settings of a GitHub issuer (`[issuers.settings]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitHubSettings {
    /// The API's origin.
    #[serde(default = "default_base_url")]
    pub base_url: Url,
    /// The GitHub App.
    pub app_id: AppId,
    /// The installation whose tokens are minted.
    pub installation_id: u64,
}

pub(super) fn default_base_url() -> Url {
    match Url::parse("https://api.github.com") {
        Ok(url) => url,
        Err(error) => unreachable!("a valid constant URL: {error}"),
    }
}

/// Why a GitHub issuer cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitHubSetupError {
    /// The private key is not an RSA private key in PEM.
    #[error("private_key is not an RSA private key in PEM")]
    PrivateKey,
}
