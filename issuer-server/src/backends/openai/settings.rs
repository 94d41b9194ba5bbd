//! The settings of an OpenAI issuer (`[issuers.settings]`) and why they can be refused.

use serde::Deserialize;
use url::Url;

/// Which OpenAI keys a hosted issuer mints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Project API keys, each of its own project service account.
    #[default]
    ProjectKey,
    /// Organization admin API keys.
    AdminKey,
}

/// The settings of an OpenAI issuer (`[issuers.settings]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiSettings {
    /// The API's origin; paths start with `/v1`.
    #[serde(default = "default_base_url")]
    pub base_url: Url,
    /// The project whose keys are minted (required for `project_key`).
    #[serde(default)]
    pub project_id: Option<String>,
    /// Which keys this issuer mints.
    #[serde(default)]
    pub key_kind: KeyKind,
}

pub(super) fn default_base_url() -> Url {
    match Url::parse("https://api.openai.com") {
        Ok(url) => url,
        Err(error) => unreachable!("a valid constant URL: {error}"),
    }
}

/// Why an OpenAI issuer cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenAiSetupError {
    /// `key_kind = "project_key"` needs a project.
    #[error("project_id is required when key_kind is \"project_key\"")]
    MissingProject,
    /// The project id is not a plain identifier.
    #[error("project_id is not a plain identifier")]
    BadProject,
}
