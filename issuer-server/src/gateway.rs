//! The gateway: one server hosting several issuers, each at its own path below the public URL.
//! The native issuer is at the public URL itself; every `[[issuers]]` table of the TOML file
//! adds one more, backed by a shim over a vendor's admin API (or another native backend):
//!
//! ```toml
//! [[issuers]]
//! path = "aws-iam"                 # the issuer https://gw.example.com/aws-iam, whose manifest
//! backend = "aws-iam"              # is at /.well-known/credential-issuer/aws-iam
//! [issuers.settings]               # the backend's own settings
//! endpoint_url = "http://127.0.0.1:5000/"
//! user_name = "ci-deployer"
//! [issuers.credentials]            # the vendor admin credentials, by name
//! access_key_id = { env = "AWS_ACCESS_KEY_ID" }
//! secret_access_key = { file = "/run/secrets/aws" }
//! # a name not given here is read from the encrypted vault
//! # (`credential-issuer-server vendor-credential set --issuer URL --name NAME`)
//! ```
//!
//! Admin credentials are opened once at start and handed to the backend; they are never logged,
//! stored in clear or served.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use credential_issuer_spec::{IssuerId, Secret};
use serde::Deserialize;

use crate::backends::{self, AdminCredentials, Backend, BackendKind, SetupError, UnknownBackend};
use crate::crypto::vault::Vault;
use crate::store::Store;

/// One more issuer the gateway hosts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedIssuer {
    /// The path below the public URL: one or more segments of letters, digits, `-` and `_`.
    pub path: String,
    /// The backend: `native`, or a shim's name (see [`BackendKind`]).
    pub backend: String,
    /// The backend's own settings (base URL, AWS user name, OpenAI project, GitHub app, ...).
    #[serde(default)]
    pub settings: toml::Table,
    /// Where each vendor admin credential comes from, by name.
    #[serde(default)]
    pub credentials: BTreeMap<String, CredentialSource>,
}

/// Where one vendor admin credential comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialSource {
    /// An environment variable of the server.
    Env(String),
    /// A file (its content, without a trailing newline).
    File(PathBuf),
}

/// Why a hosted issuer cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The path is not usable as an issuer path.
    #[error("issuer path {0:?}: use segments of letters, digits, '-' and '_', separated by '/'")]
    Path(String),
    /// Two issuers share a path.
    #[error("two issuers have the path {0:?}")]
    DuplicatePath(String),
    /// No backend has this name.
    #[error(transparent)]
    UnknownBackend(#[from] UnknownBackend),
    /// The backend's settings are invalid.
    #[error("issuer {path}: settings: {message}")]
    Settings {
        /// The issuer's path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An admin credential is missing or unreadable.
    #[error("issuer {path}: admin credential {name}: {message}")]
    Credential {
        /// The issuer's path.
        path: String,
        /// The credential's name.
        name: String,
        /// What is wrong (never the value).
        message: String,
    },
}

impl HostedIssuer {
    /// Reads the credentials of `hosted` (issuer `issuer`): first every one stored in the
    /// vault for it, then the configured sources, which take precedence.
    pub async fn admin_credentials(
        &self,
        issuer: &IssuerId,
        store: &dyn Store,
        vault: Option<&Vault>,
    ) -> Result<AdminCredentials, GatewayError> {
        let hosted = self;
        let fail = |name: &str, message: String| GatewayError::Credential {
            path: hosted.path.clone(),
            name: name.to_owned(),
            message,
        };
        let mut values = AdminCredentials::default();
        if let Some(vault) = vault {
            let names = store
                .vendor_credential_names(issuer.as_str())
                .await
                .map_err(|e| fail("*", e.to_string()))?;
            for name in names {
                let jwe = store
                    .vendor_credential(issuer.as_str(), &name)
                    .await
                    .map_err(|e| fail(&name, e.to_string()))?;
                if let Some(jwe) = jwe {
                    let value = vault
                        .open(issuer.as_str(), &name, &jwe)
                        .map_err(|e| fail(&name, e.to_string()))?;
                    values.insert(name, Secret::new(value));
                }
            }
        }
        for (name, source) in &hosted.credentials {
            let value = match source {
                CredentialSource::Env(variable) => std::env::var(variable).map_err(|_| {
                    fail(name, format!("environment variable {variable} is not set"))
                })?,
                CredentialSource::File(file) => std::fs::read_to_string(file)
                    .map_err(|e| fail(name, format!("{}: {e}", file.display())))?
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
            };
            values.insert(name.clone(), Secret::new(value));
        }
        Ok(values)
    }

    /// The issuer identifier of this issuer on a server whose native issuer is `base`.
    pub fn issuer_id(&self, base: &IssuerId) -> Result<IssuerId, GatewayError> {
        let valid = !self.path.is_empty()
            && self.path.split('/').all(|segment| {
                !segment.is_empty()
                    && segment
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            return Err(GatewayError::Path(self.path.clone()));
        }
        IssuerId::parse(&format!("{}/{}", base.as_str(), self.path))
            .map_err(|_| GatewayError::Path(self.path.clone()))
    }

    /// Builds the backend.
    pub fn backend(&self, admin: &AdminCredentials) -> Result<Arc<dyn Backend>, GatewayError> {
        let kind: BackendKind = self.backend.parse()?;
        backends::build(kind, self.settings.clone(), admin).map_err(|error| match error {
            SetupError::MissingCredential(name) => GatewayError::Credential {
                path: self.path.clone(),
                name,
                message: "not configured: give it in [issuers.credentials] or store it with \
                          `vendor-credential set`"
                    .to_owned(),
            },
            other => GatewayError::Settings {
                path: self.path.clone(),
                message: match other {
                    SetupError::Settings(message) => message,
                    other => other.to_string(),
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosted(text: &str) -> Result<HostedIssuer, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn credentials_come_from_env_or_file_and_debug_shows_names_only() {
        let config = hosted(
            "path = \"x\"\nbackend = \"native\"\n[credentials]\na = { env = \"CI_GATEWAY_TEST_VAR\" }\nb = { file = \"/etc/hostname\" }\n",
        )
        .unwrap();
        assert_eq!(
            config.credentials["a"],
            CredentialSource::Env("CI_GATEWAY_TEST_VAR".into())
        );
        let admin = AdminCredentials::new([("a", Secret::new("very-secret".into()))]);
        assert!(!format!("{admin:?}").contains("very-secret"));
    }

    #[test]
    fn paths_are_checked() {
        let base = IssuerId::parse("https://gw.example.com").unwrap();
        for bad in ["", "a//b", "a b", "../x", "x?y"] {
            let config = HostedIssuer {
                path: bad.into(),
                backend: "native".into(),
                settings: toml::Table::new(),
                credentials: BTreeMap::new(),
            };
            assert!(config.issuer_id(&base).is_err(), "{bad:?}");
        }
        let good = HostedIssuer {
            path: "vendors/aws-iam".into(),
            backend: "native".into(),
            settings: toml::Table::new(),
            credentials: BTreeMap::new(),
        };
        assert_eq!(
            good.issuer_id(&base).unwrap().as_str(),
            "https://gw.example.com/vendors/aws-iam"
        );
    }

    #[test]
    fn unknown_members_are_refused() {
        assert!(hosted("path = \"x\"\nbackend = \"native\"\nshim = \"y\"\n").is_err());
    }
}
