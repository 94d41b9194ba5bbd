//! The OpenAI shim: project API keys minted as project service accounts, or organization admin
//! API keys, through OpenAI's Administration API (the official description is `openapi.yaml`
//! of openai/openai-openapi; paths under `/v1/organization/...`, `Authorization: Bearer` with
//! an admin key).
//!
//! One kind of key per hosted issuer (setting `key_kind`):
//!
//! - `project_key` (the default): create makes a service account in the project
//!   (`POST /v1/organization/projects/{project_id}/service_accounts`), whose answer carries the
//!   account's API key with its value; that key is the credential's secret. Retiring a version
//!   deletes its service account (and so its key); a key the shim adopted from the project's
//!   list (made in the console) is deleted by itself (`DELETE .../api_keys/{key_id}`). The API
//!   description has no lifetime for these keys (`expires_in_seconds` is absent from the
//!   service-account request), so they never expire and `expires_in` is refused.
//! - `admin_key`: organization admin keys (`POST|GET /v1/organization/admin_api_keys`,
//!   `DELETE .../admin_api_keys/{key_id}`), with `expires_in_seconds` from 1 s to one year.
//!
//! Rotation mints the new key first; the old one is deleted when the grace period ends (through
//! the durable retirement queue), or before the answer for an immediate rotation.

mod api;
mod settings;

pub use settings::{KeyKind, OpenAiSettings, OpenAiSetupError};

use async_trait::async_trait;
use credential_issuer_spec::{
    ChecksumScheme, CredentialType, IssuerId, Operation, Permission, PermissionSchema,
    RotationMode, Secret, SecretFormatDescriptor, Timestamp,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use self::api::{AdminApiKey, AdminKeyCreated, Page, ProjectApiKey, ServiceAccountCreated};
use super::vendor_http::{VendorHttp, VendorHttpError};
use super::{
    Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued, ListedKey, VendorKey,
};

/// The longest lifetime OpenAI accepts for an admin key (`expires_in_seconds` maximum).
pub const ADMIN_KEY_MAX_TTL_SECONDS: u64 = 31_536_000;

/// The OpenAI shim.
#[derive(Debug)]
pub struct OpenAiBackend {
    http: VendorHttp,
    admin_key: Secret,
    kind: KeyKind,
    project_id: String,
    capabilities: Capabilities,
}

impl OpenAiBackend {
    /// A shim over the API at `settings.base_url`, calling it with `admin_key`.
    pub fn new(settings: OpenAiSettings, admin_key: Secret) -> Result<Self, OpenAiSetupError> {
        let http = VendorHttp::new("openai", settings.base_url);
        let project_id = match settings.key_kind {
            KeyKind::ProjectKey => {
                let project = settings
                    .project_id
                    .ok_or(OpenAiSetupError::MissingProject)?;
                http.segment("project_id", &project)
                    .map_err(|_| OpenAiSetupError::BadProject)?;
                project
            }
            KeyKind::AdminKey => String::new(),
        };
        Ok(Self {
            http,
            admin_key,
            kind: settings.key_kind,
            project_id,
            capabilities: capabilities(settings.key_kind),
        })
    }

    fn auth(&self) -> Result<reqwest::header::HeaderMap, VendorHttpError> {
        let bearer = format!("Bearer {}", self.admin_key.expose());
        self.http.headers(&[("authorization", &bearer)])
    }

    /// Whether a listed key, shown as `redacted` (`sk-admin...xyz`: a prefix, `...`, the last
    /// characters), is the admin key this issuer authenticates with.
    fn is_own_key(&self, redacted: &str) -> bool {
        let own = self.admin_key.expose();
        redacted.split_once("...").is_some_and(|(head, tail)| {
            !head.is_empty() && !tail.is_empty() && own.starts_with(head) && own.ends_with(tail)
        })
    }

    fn project_path(&self) -> String {
        format!("/v1/organization/projects/{}", self.project_id)
    }

    /// Deletes at `path`; a key or account already gone is success.
    async fn delete(&self, path: &str) -> Result<(), BackendError> {
        match self
            .http
            .send(Method::DELETE, path, self.auth()?, None)
            .await
        {
            Ok(()) => Ok(()),
            Err(error) if error.status() == Some(404) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn issue_project_key(&self, name: &str) -> Result<Issued, BackendError> {
        let path = format!("{}/service_accounts", self.project_path());
        let body = json!({ "name": name });
        let created: ServiceAccountCreated = self
            .http
            .json(Method::POST, &path, &[], self.auth()?, Some(&body))
            .await?;
        let key = created.api_key.ok_or_else(|| {
            BackendError::Unavailable(
                "openai: the new service account came without an API key".to_owned(),
            )
        })?;
        Ok(Issued {
            key: Some(
                VendorKey::new(key.id)
                    .with("project_id", self.project_id.clone())
                    .with("service_account_id", created.id),
            ),
            ..Issued::secret(key.value)
        })
    }

    async fn issue_admin_key(
        &self,
        name: &str,
        expires_in: Option<u64>,
    ) -> Result<Issued, BackendError> {
        let mut body = json!({ "name": name });
        if let Some(seconds) = expires_in {
            body["expires_in_seconds"] = json!(seconds);
        }
        let created: AdminKeyCreated = self
            .http
            .json(
                Method::POST,
                "/v1/organization/admin_api_keys",
                &[],
                self.auth()?,
                Some(&body),
            )
            .await?;
        Ok(Issued {
            key: Some(VendorKey::new(created.id)),
            expires_at: created.expires_at.and_then(unix),
            ..Issued::secret(created.value)
        })
    }

    /// Every page of a list endpoint.
    async fn list_all<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
    ) -> Result<Vec<T>, BackendError> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        // Bounded: 100 pages of 100 keys.
        for _ in 0..100 {
            let mut query = vec![("limit", "100".to_owned())];
            if let Some(after) = &after {
                query.push(("after", after.clone()));
            }
            let page: Page<T> = self
                .http
                .json(Method::GET, path, &query, self.auth()?, None)
                .await?;
            items.extend(page.data);
            match (page.has_more, page.last_id) {
                (true, Some(last)) => after = Some(last),
                _ => return Ok(items),
            }
        }
        Ok(items)
    }
}

fn unix(seconds: i64) -> Option<Timestamp> {
    Timestamp::from_unix_millis(seconds.checked_mul(1000)?)
}

/// What an OpenAI issuer can do, for each kind of key.
fn capabilities(kind: KeyKind) -> Capabilities {
    let (expiry, prefix, documentation) = match kind {
        KeyKind::ProjectKey => (
            ExpirySupport::Never,
            "sk-svcacct-",
            "https://platform.openai.com/docs/api-reference/project-service-accounts",
        ),
        KeyKind::AdminKey => (
            ExpirySupport::Bounded {
                min_ttl_seconds: 1,
                max_ttl_seconds: ADMIN_KEY_MAX_TTL_SECONDS,
            },
            "sk-admin-",
            "https://platform.openai.com/docs/api-reference/admin-api-keys",
        ),
    };
    Capabilities {
        credential_types: vec![CredentialType::ApiKey],
        operations: vec![
            Operation::Create,
            Operation::List,
            Operation::Rotate,
            Operation::Revoke,
            Operation::Introspect,
            Operation::ReportExposure,
        ],
        rotation_modes: vec![RotationMode::Overlap, RotationMode::Immediate],
        max_active_versions: None,
        expiry,
        secret_formats: vec![SecretFormatDescriptor {
            credential_type: CredentialType::ApiKey,
            prefix: prefix.to_owned(),
            regex: format!("{prefix}[A-Za-z0-9_-]{{20,}}"),
            checksum: ChecksumScheme::None,
            length: None,
        }],
        manual_steps: Vec::new(),
        limitations: Vec::new(),
        documentation_url: Url::parse(documentation).ok(),
    }
}

/// The permission vocabulary of an OpenAI issuer: one permission, the role the key gets.
fn permission_schema(kind: KeyKind, issuer: &IssuerId) -> Option<PermissionSchema> {
    let permission = match kind {
        KeyKind::ProjectKey => json!({
            "id": "project:member",
            "title": "Project member",
            "description": "A key of a project service account with the project's member role: \
                            calls the OpenAI API within the project.",
            "access": "write",
        }),
        KeyKind::AdminKey => json!({
            "id": "organization:admin",
            "title": "Organization administration",
            "description": "An organization admin API key: manages projects, users, service \
                            accounts and keys of the organization.",
            "access": "admin",
        }),
    };
    let permission: Permission = serde_json::from_value(permission).ok()?;
    Some(PermissionSchema {
        issuer: issuer.clone(),
        permissions: vec![permission],
        resource_types: Vec::new(),
    })
}

#[async_trait]
impl Backend for OpenAiBackend {
    fn kind(&self) -> &'static str {
        "openai"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn permission_schema(&self, issuer: &IssuerId) -> Option<PermissionSchema> {
        permission_schema(self.kind, issuer)
    }

    async fn issue(&self, request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        match self.kind {
            KeyKind::ProjectKey => self.issue_project_key(request.name).await,
            KeyKind::AdminKey => self.issue_admin_key(request.name, request.expires_in).await,
        }
    }

    async fn retire(&self, key: &VendorKey, _now: Timestamp) -> Result<(), BackendError> {
        let id = self.http.segment("key id", &key.id)?;
        match self.kind {
            KeyKind::ProjectKey => match key.attribute("service_account_id") {
                Some(account) => {
                    let account = self.http.segment("service account id", account)?;
                    let path = format!("{}/service_accounts/{account}", self.project_path());
                    self.delete(&path).await
                }
                None => {
                    let path = format!("{}/api_keys/{id}", self.project_path());
                    self.delete(&path).await
                }
            },
            KeyKind::AdminKey => {
                self.delete(&format!("/v1/organization/admin_api_keys/{id}"))
                    .await
            }
        }
    }

    async fn list(&self, now: Timestamp) -> Result<Vec<ListedKey>, BackendError> {
        match self.kind {
            KeyKind::ProjectKey => {
                let path = format!("{}/api_keys", self.project_path());
                let keys: Vec<ProjectApiKey> = self.list_all(&path).await?;
                Ok(keys
                    .into_iter()
                    .map(|key| ListedKey {
                        active: key.owner_project_access.as_deref() != Some("inactive"),
                        key: VendorKey::new(key.id).with("project_id", self.project_id.clone()),
                        name: key.name,
                        created_at: unix(key.created_at),
                        hint: Some(key.redacted_value),
                    })
                    .collect())
            }
            KeyKind::AdminKey => {
                let keys: Vec<AdminApiKey> =
                    self.list_all("/v1/organization/admin_api_keys").await?;
                Ok(keys
                    .into_iter()
                    // The key this issuer authenticates with is not one of its credentials.
                    .filter(|key| !self.is_own_key(&key.redacted_value))
                    .map(|key| ListedKey {
                        active: key
                            .expires_at
                            .and_then(unix)
                            .is_none_or(|expires| expires > now),
                        key: VendorKey::new(key.id),
                        name: key.name,
                        created_at: unix(key.created_at),
                        hint: Some(key.redacted_value),
                    })
                    .collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_keys_need_a_project_and_never_expire() {
        let settings: OpenAiSettings = toml::from_str("").unwrap();
        assert!(OpenAiBackend::new(settings, Secret::new("sk-admin-x".into())).is_err());
        let settings: OpenAiSettings = toml::from_str("project_id = \"proj_abc\"").unwrap();
        let backend = OpenAiBackend::new(settings, Secret::new("sk-admin-x".into())).unwrap();
        assert_eq!(backend.capabilities().expiry, ExpirySupport::Never);
        assert!(!format!("{backend:?}").contains("sk-admin-x"));
    }
}
