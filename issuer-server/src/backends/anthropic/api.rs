//! Anthropic's wire types, as the Admin API documentation has them (only the fields used).

use credential_issuer_spec::Timestamp;
use serde::Deserialize;

/// `APIKey` (only the fields used).
#[derive(Deserialize)]
pub(super) struct ApiKey {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) created_at: Timestamp,
    #[serde(default)]
    pub(super) expires_at: Option<Timestamp>,
    pub(super) partial_key_hint: String,
    pub(super) status: String,
}

/// A list page.
#[derive(Deserialize)]
pub(super) struct Page {
    pub(super) data: Vec<ApiKey>,
    #[serde(default)]
    pub(super) has_more: bool,
    #[serde(default)]
    pub(super) last_id: Option<String>,
}
