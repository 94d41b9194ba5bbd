//! OpenAI's wire types, as the official API description has them (only the fields used).

use credential_issuer_spec::Secret;
use serde::Deserialize;

/// `ProjectServiceAccountCreateResponse`.
#[derive(Deserialize)]
pub(super) struct ServiceAccountCreated {
    pub(super) id: String,
    pub(super) api_key: Option<ServiceAccountApiKey>,
}

/// `ProjectServiceAccountApiKey`.
#[derive(Deserialize)]
pub(super) struct ServiceAccountApiKey {
    pub(super) id: String,
    pub(super) value: Secret,
}

/// `AdminApiKeyCreateResponse`.
#[derive(Deserialize)]
pub(super) struct AdminKeyCreated {
    pub(super) id: String,
    pub(super) value: Secret,
    #[serde(default)]
    pub(super) expires_at: Option<i64>,
}

/// `ProjectApiKey`.
#[derive(Deserialize)]
pub(super) struct ProjectApiKey {
    pub(super) id: String,
    #[serde(default)]
    pub(super) name: Option<String>,
    pub(super) redacted_value: String,
    pub(super) created_at: i64,
    #[serde(default)]
    pub(super) owner_project_access: Option<String>,
}

/// `AdminApiKey`.
#[derive(Deserialize)]
pub(super) struct AdminApiKey {
    pub(super) id: String,
    #[serde(default)]
    pub(super) name: Option<String>,
    pub(super) redacted_value: String,
    pub(super) created_at: i64,
    #[serde(default)]
    pub(super) expires_at: Option<i64>,
}

/// A list page (`ProjectApiKeyListResponse`, `ApiKeyList`).
#[derive(Deserialize)]
pub(super) struct Page<T> {
    pub(super) data: Vec<T>,
    #[serde(default)]
    pub(super) has_more: bool,
    #[serde(default)]
    pub(super) last_id: Option<String>,
}
