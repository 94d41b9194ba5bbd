//! The GitHub shim: GitHub App installation access tokens, minted through GitHub's REST API
//! (official description: github/rest-api-description, also published as `@octokit/openapi`).
//!
//! The shim signs the app's JWT (RS256, `iss` the app id, `iat` a minute in the past, `exp`
//! nine minutes ahead) with the app's private key (admin credential `private_key`, PEM) and
//! mints with `POST /app/installations/{installation_id}/access_tokens`, narrowed to the
//! permissions and repositories of the credential's scope. A token lives one hour, fixed by
//! GitHub.
//!
//! What GitHub does not allow, the manifest says:
//!
//! - revoke: GitHub revokes an installation token only with `DELETE /installation/token`
//!   authenticated by that token itself, and the issuer does not keep secrets (only their
//!   hashes); so revoke and report_exposure are limitations, and [`Backend::retire`] answers
//!   `Unsupported` until the token's hour is over (then it is dead anyway, and retiring it is
//!   done);
//! - list: GitHub has no API that lists installation tokens, so the issuer's list shows the
//!   tokens it minted (its own records) and adopts nothing (the protocol's `list` also covers
//!   `GET /credentials/{id}`, which a rotation's caller needs, so it is offered);
//! - rotation mints a new token; only `overlap` is offered (an immediate rotation would need
//!   the old token revoked before the answer).

mod api;
mod permissions;
mod settings;

pub use permissions::{PERMISSIONS, token_request};
pub use settings::{AppId, GitHubSettings, GitHubSetupError};

use async_trait::async_trait;
use credential_issuer_spec::{
    ChecksumScheme, CredentialType, IssuerId, Limitation, Operation, PermissionSchema,
    RotationMode, Secret, SecretFormatDescriptor, Timestamp,
};
use josekit::jws::alg::rsassa::RsassaJwsSigner;
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::{self, JwtPayload};
use reqwest::Method;
use serde_json::json;
use url::Url;

use self::api::InstallationToken;
use super::vendor_http::VendorHttp;
use super::{Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued, VendorKey};

/// An installation token's lifetime, fixed by GitHub.
pub const TOKEN_TTL_SECONDS: u64 = 3600;

/// The app's signing key. `Debug` shows nothing of it.
struct AppKey(RsassaJwsSigner);

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(RS256, redacted)")
    }
}

/// The GitHub shim.
#[derive(Debug)]
pub struct GitHubBackend {
    http: VendorHttp,
    app_id: String,
    installation_id: u64,
    key: AppKey,
    capabilities: Capabilities,
}

impl GitHubBackend {
    /// A shim for `settings`' installation, signing with `private_key` (PEM).
    pub fn new(settings: GitHubSettings, private_key: &Secret) -> Result<Self, GitHubSetupError> {
        let signer = RS256
            .signer_from_pem(private_key.expose().as_bytes())
            .map_err(|_| GitHubSetupError::PrivateKey)?;
        Ok(Self {
            http: VendorHttp::new("github", settings.base_url),
            app_id: settings.app_id.to_string(),
            installation_id: settings.installation_id,
            key: AppKey(signer),
            capabilities: capabilities(),
        })
    }

    /// The app's JWT: RS256, issued a minute ago (clock drift), valid nine minutes more.
    fn app_jwt(&self) -> Result<Secret, BackendError> {
        let now = std::time::SystemTime::now();
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        let mut payload = JwtPayload::new();
        payload.set_issuer(&self.app_id);
        payload.set_issued_at(&(now - std::time::Duration::from_secs(60)));
        payload.set_expires_at(&(now + std::time::Duration::from_secs(540)));
        jwt::encode_with_signer(&payload, &header, &self.key.0)
            .map(Secret::new)
            .map_err(|_| BackendError::Unavailable("github: could not sign the app JWT".into()))
    }
}

fn capabilities() -> Capabilities {
    let no_revoke = "GitHub revokes an installation token only with DELETE /installation/token \
                     authenticated by the token itself, which this issuer does not keep; a token \
                     stops working when its hour ends";
    Capabilities {
        credential_types: vec![CredentialType::ApiKey],
        operations: vec![
            Operation::Create,
            Operation::List,
            Operation::Rotate,
            Operation::Introspect,
        ],
        rotation_modes: vec![RotationMode::Overlap],
        max_active_versions: None,
        expiry: ExpirySupport::Fixed {
            ttl_seconds: TOKEN_TTL_SECONDS,
        },
        secret_formats: vec![SecretFormatDescriptor {
            credential_type: CredentialType::ApiKey,
            prefix: "ghs_".into(),
            regex: "ghs_[A-Za-z0-9_.-]{36,}".into(),
            checksum: ChecksumScheme::None,
            length: None,
        }],
        manual_steps: Vec::new(),
        limitations: vec![
            Limitation {
                operation: Operation::Revoke,
                reason: no_revoke.into(),
            },
            Limitation {
                operation: Operation::ReportExposure,
                reason: format!("an exposed token cannot be revoked: {no_revoke}"),
            },
        ],
        documentation_url: Url::parse(
            "https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app",
        )
        .ok(),
    }
}

fn permission_schema(issuer: &IssuerId) -> Option<PermissionSchema> {
    let mut permissions = Vec::new();
    for (name, what) in PERMISSIONS {
        permissions.push(json!({
            "id": format!("{name}:write"),
            "title": format!("{name}: read and write"),
            "description": format!("{what}: read and write (GitHub permission `{name}`, level `write`)."),
            "access": "write",
            "implies": [format!("{name}:read")],
        }));
        permissions.push(json!({
            "id": format!("{name}:read"),
            "title": format!("{name}: read"),
            "description": format!("{what}: read only (GitHub permission `{name}`, level `read`)."),
            "access": "read",
        }));
    }
    serde_json::from_value(json!({
        "issuer": issuer.as_str(),
        "permissions": permissions,
        "resource_types": [{
            "id": "repository",
            "pattern": "^[A-Za-z0-9_.-]{1,100}$",
            "description": "A repository of the installation, by name (without the owner)."
        }],
    }))
    .ok()
}

#[async_trait]
impl Backend for GitHubBackend {
    fn kind(&self) -> &'static str {
        "github"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn permission_schema(&self, issuer: &IssuerId) -> Option<PermissionSchema> {
        permission_schema(issuer)
    }

    async fn issue(&self, request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        let body = token_request(request.scope)?;
        let jwt = self.app_jwt()?;
        let bearer = format!("Bearer {}", jwt.expose());
        let headers = self.http.headers(&[
            ("authorization", &bearer),
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ])?;
        let path = format!("/app/installations/{}/access_tokens", self.installation_id);
        let minted: InstallationToken = self
            .http
            .json(Method::POST, &path, &[], headers, Some(&body))
            .await?;
        // GitHub gives a token no id; the shim names it (never after the secret: a hash of a
        // secret is not served).
        let id = format!(
            "ghs-{}-{}",
            self.installation_id,
            uuid::Uuid::new_v4().simple()
        );
        let key = VendorKey::new(id)
            .with("installation_id", self.installation_id.to_string())
            .with("expires_at", minted.expires_at.unix_seconds().to_string());
        Ok(Issued {
            key: Some(key),
            expires_at: Some(minted.expires_at),
            ..Issued::secret(minted.token)
        })
    }

    async fn retire(&self, key: &VendorKey, now: Timestamp) -> Result<(), BackendError> {
        let expires = key
            .attribute("expires_at")
            .and_then(|s| s.parse::<i64>().ok());
        let reason = "GitHub revokes an installation token only with the token itself, which \
                      this issuer does not keep; it stops working when its hour ends";
        match expires.and_then(|s| Timestamp::from_unix_millis(s.saturating_mul(1000))) {
            Some(expires) if now >= expires => Ok(()),
            Some(until) => Err(BackendError::NotYet {
                until,
                reason: reason.into(),
            }),
            None => Err(BackendError::Unsupported(reason.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use credential_issuer_spec::Grant;

    use super::*;

    fn scope(grants: &[&str]) -> Vec<Grant> {
        grants.iter().map(|g| g.parse().unwrap()).collect()
    }

    #[test]
    fn scopes_map_onto_permissions_and_repositories() {
        let body = token_request(&scope(&[
            "contents:read@repository:app",
            "issues:write@repository:app",
        ]))
        .unwrap();
        assert_eq!(
            body,
            json!({"permissions": {"contents": "read", "issues": "write"}, "repositories": ["app"]})
        );
        let body = token_request(&scope(&["metadata:read"])).unwrap();
        assert_eq!(body, json!({"permissions": {"metadata": "read"}}));
        // Not expressible without widening: refused.
        assert!(
            token_request(&scope(&[
                "contents:read@repository:a",
                "issues:read@repository:b"
            ]))
            .is_err()
        );
        assert!(token_request(&scope(&["contents:read@repository:a*"])).is_err());
    }
}
