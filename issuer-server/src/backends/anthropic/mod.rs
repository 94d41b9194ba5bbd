//! The Anthropic shim, over the Admin API's API-key endpoints (`x-api-key` with an admin key,
//! `anthropic-version: 2023-06-01`): `GET /v1/organizations/api_keys`,
//! `GET /v1/organizations/api_keys/{api_key_id}` and
//! `POST /v1/organizations/api_keys/{api_key_id}` with `{"status": "inactive" | "archived"}`.
//! Anthropic publishes no OpenAPI description of it; the wire format is the one documented at
//! <https://docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys>.
//!
//! The Admin API cannot create keys, and never returns a key's secret. So:
//!
//! - create and rotate are manual steps in the console: a person makes the key there, and the
//!   shim registers it by its id at the next list (adoption: every active key the shim does not
//!   know becomes a credential); a rotation ends by revoking the old credential here;
//! - revoke disables the key (`status` set to `inactive`, or to `archived` with the setting
//!   `retire_status = "archived"`, which cannot be undone);
//! - introspect and report_exposure are limitations: both start from a secret, which this issuer
//!   never sees for Anthropic keys.

mod api;
mod settings;

pub use settings::{AnthropicSettings, RetireStatus};

use async_trait::async_trait;
use credential_issuer_spec::{
    ChecksumScheme, CredentialType, IssuerId, Limitation, ManualStep, Operation, Permission,
    PermissionSchema, Secret, SecretFormatDescriptor, Timestamp,
};
use reqwest::Method;
use serde_json::json;
use url::Url;

use self::api::{ApiKey, Page};
use super::vendor_http::{VendorHttp, VendorHttpError};
use super::{
    Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued, ListedKey, VendorKey,
};

/// The API version the shim speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The console page where keys are made.
pub const CONSOLE_URL: &str = "https://console.anthropic.com/settings/keys";

/// The Anthropic shim.
#[derive(Debug)]
pub struct AnthropicBackend {
    http: VendorHttp,
    admin_key: Secret,
    workspace_id: Option<String>,
    retire_status: RetireStatus,
    capabilities: Capabilities,
}

impl AnthropicBackend {
    /// A shim over the Admin API at `settings.base_url`, calling it with `admin_key`.
    pub fn new(settings: AnthropicSettings, admin_key: Secret) -> Self {
        Self {
            http: VendorHttp::new("anthropic", settings.base_url),
            admin_key,
            workspace_id: settings.workspace_id,
            retire_status: settings.retire_status,
            capabilities: capabilities(),
        }
    }

    fn headers(&self) -> Result<reqwest::header::HeaderMap, VendorHttpError> {
        self.http.headers(&[
            ("x-api-key", self.admin_key.expose()),
            ("anthropic-version", ANTHROPIC_VERSION),
        ])
    }
}

fn capabilities() -> Capabilities {
    let secretless = "the issuer never sees an Anthropic key's secret: keys are made in the \
                      console, and the Admin API returns only a hint of them";
    Capabilities {
        credential_types: vec![CredentialType::ApiKey],
        operations: vec![Operation::List, Operation::Revoke],
        rotation_modes: Vec::new(),
        max_active_versions: None,
        expiry: ExpirySupport::Never,
        secret_formats: vec![SecretFormatDescriptor {
            credential_type: CredentialType::ApiKey,
            prefix: "sk-ant-api03-".into(),
            regex: "sk-ant-api03-[A-Za-z0-9_-]{80,}".into(),
            checksum: ChecksumScheme::None,
            length: None,
        }],
        manual_steps: match Url::parse(CONSOLE_URL) {
            Ok(console_url) => vec![
                ManualStep {
                    operation: Operation::Create,
                    console_url: console_url.clone(),
                    instructions: "The Admin API cannot create keys. Create the key in the \
                                   Claude Console (Settings, API keys) in the workspace this \
                                   issuer serves, and copy its value to where it is used. Then \
                                   list this issuer's credentials: the new key is registered by \
                                   its id (apikey_...) as a credential, which can be revoked \
                                   here."
                        .into(),
                },
                ManualStep {
                    operation: Operation::Rotate,
                    console_url,
                    instructions: "Create the new key in the Claude Console and list this \
                                   issuer's credentials to register it; move the key's users \
                                   to the new key; then revoke the old credential here, which \
                                   disables the old key at Anthropic."
                        .into(),
                },
            ],
            Err(_) => Vec::new(),
        },
        limitations: vec![
            Limitation {
                operation: Operation::Introspect,
                reason: format!("{secretless}, so a secret cannot be matched to a credential"),
            },
            Limitation {
                operation: Operation::ReportExposure,
                reason: format!(
                    "{secretless}, so a reported secret cannot be matched; revoke the \
                     credential of the exposed key instead"
                ),
            },
        ],
        documentation_url: Url::parse(
            "https://docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys",
        )
        .ok(),
    }
}

fn permission_schema(issuer: &IssuerId) -> Option<PermissionSchema> {
    let permission: Permission = serde_json::from_value(json!({
        "id": "workspace:api",
        "title": "Claude API in a workspace",
        "description": "An Anthropic API key: calls the Claude API within its workspace (keys \
                        have no finer permissions).",
        "access": "write",
    }))
    .ok()?;
    Some(PermissionSchema {
        issuer: issuer.clone(),
        permissions: vec![permission],
        resource_types: Vec::new(),
    })
}

#[async_trait]
impl Backend for AnthropicBackend {
    fn kind(&self) -> &'static str {
        "anthropic"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn permission_schema(&self, issuer: &IssuerId) -> Option<PermissionSchema> {
        permission_schema(issuer)
    }

    async fn issue(&self, _request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        Err(BackendError::Unsupported(format!(
            "the Anthropic Admin API cannot create keys: create it at {CONSOLE_URL}"
        )))
    }

    async fn retire(&self, key: &VendorKey, _now: Timestamp) -> Result<(), BackendError> {
        let id = self.http.segment("api key id", &key.id)?;
        let path = format!("/v1/organizations/api_keys/{id}");
        let current: Result<ApiKey, _> = self
            .http
            .json(Method::GET, &path, &[], self.headers()?, None)
            .await;
        let current = match current {
            Ok(current) => current,
            Err(error) if error.status() == Some(404) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        let target = self.retire_status.as_str();
        if current.status == target || current.status == "archived" {
            return Ok(());
        }
        let body = json!({ "status": target });
        let _: ApiKey = self
            .http
            .json(Method::POST, &path, &[], self.headers()?, Some(&body))
            .await?;
        Ok(())
    }

    async fn list(&self, now: Timestamp) -> Result<Vec<ListedKey>, BackendError> {
        let mut keys = Vec::new();
        let mut after: Option<String> = None;
        // Bounded: 100 pages of 100 keys.
        for _ in 0..100 {
            let mut query = vec![("limit", "100".to_owned())];
            if let Some(workspace) = &self.workspace_id {
                query.push(("workspace_id", workspace.clone()));
            }
            if let Some(after) = &after {
                query.push(("after_id", after.clone()));
            }
            let page: Page = self
                .http
                .json(
                    Method::GET,
                    "/v1/organizations/api_keys",
                    &query,
                    self.headers()?,
                    None,
                )
                .await?;
            keys.extend(page.data.into_iter().map(|key| ListedKey {
                active: key.status == "active" && key.expires_at.is_none_or(|at| at > now),
                key: VendorKey::new(key.id),
                name: Some(key.name),
                created_at: Some(key.created_at),
                hint: Some(key.partial_key_hint),
            }));
            match (page.has_more, page.last_id) {
                (true, Some(last)) => after = Some(last),
                _ => break,
            }
        }
        Ok(keys)
    }
}
