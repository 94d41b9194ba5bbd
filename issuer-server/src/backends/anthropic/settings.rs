//! The settings of an Anthropic issuer (`[issuers.settings]`).

use serde::Deserialize;
use url::Url;

/// The status a revoked key is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetireStatus {
    /// `inactive`: disabled, can be made active again in the console.
    #[default]
    Inactive,
    /// `archived`: disabled for good.
    Archived,
}

impl RetireStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Archived => "archived",
        }
    }
}

/// The settings of an Anthropic issuer (`[issuers.settings]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnthropicSettings {
    /// The API's origin.
    #[serde(default = "default_base_url")]
    pub base_url: Url,
    /// Only the keys of this workspace (all the organization's keys when absent).
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// What revoke sets a key's status to.
    #[serde(default)]
    pub retire_status: RetireStatus,
}

pub(super) fn default_base_url() -> Url {
    match Url::parse("https://api.anthropic.com") {
        Ok(url) => url,
        Err(error) => unreachable!("a valid constant URL: {error}"),
    }
}
