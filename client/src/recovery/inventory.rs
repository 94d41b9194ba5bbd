//! The inventory: `credentials.toml`, kept in the repository, saying which credential lives at
//! which issuer and where it is used. Its JSON Schema is `schemas/credentials-inventory.schema.json`,
//! generated from these types (a test checks it is current).
//!
//! ```
//! use credential_issuer_client::recovery::{Inventory, Target};
//! let inventory: Inventory = toml::from_str(r#"
//!     [[credential]]
//!     issuer = "https://issuer.example.com"
//!     id = "cred_0123456789abcdef"
//!     env = "EXAMPLE_API_KEY"
//!     need = [{ permission = "events:read" }]
//!     targets = [
//!       { kind = "env_file", path = ".env" },
//!       { kind = "command", command = "gh secret set EXAMPLE_API_KEY" },
//!     ]
//!     health = [{ kind = "command", command = "curl -fsS -H \"Authorization: Bearer $EXAMPLE_API_KEY\" https://api.example.com/ping" }]
//! "#).unwrap();
//! assert!(matches!(inventory.credentials[0].targets[0], Target::EnvFile { .. }));
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use credential_issuer_spec::{CredentialId, CredentialStatus, Grant};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

use super::targets::{Installer, Readback};
use super::{Issuers, RecoveryError};
use crate::atomic_write::{FileMode, write_atomically};

/// The usual name of the inventory file.
pub const INVENTORY_FILE: &str = "credentials.toml";

/// The whole inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Credentials inventory")]
pub struct Inventory {
    /// Every credential, as `[[credential]]` tables.
    #[serde(default, rename = "credential")]
    pub credentials: Vec<InventoryEntry>,
}

/// One credential and every place it is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryEntry {
    /// The issuer identifier (URL).
    pub issuer: String,
    /// The credential's id at the issuer.
    pub id: CredentialId,
    /// The environment variable the secret is known by (the key in `.env` files).
    pub env: String,
    /// Where the secret is installed.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// What to run after installing a new secret; every one must pass before the old is revoked.
    #[serde(default)]
    pub health: Vec<HealthCheck>,
    /// What the users of this credential need: a scope beyond it is reported as over-broad.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub need: Vec<Grant>,
}

/// A place a secret is installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// `env_file`: a `KEY=value` line of a dotenv file (relative paths are from the inventory's
    /// directory). The file is rewritten atomically; other lines are kept.
    EnvFile {
        /// The file.
        path: PathBuf,
        /// The key; absent means the entry's `env`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// `command`: a shell command that receives the secret on standard input (and the variable
    /// name in `CREDCTL_SECRET_NAME`), e.g. `gh secret set NAME`.
    Command {
        /// The command, run with `sh -c` in the inventory's directory.
        command: String,
    },
    /// `webhook`: an HTTP request with the JSON body `{"name": ENV, "secret": SECRET}`.
    Webhook {
        /// Where.
        url: Url,
        /// `PUT` (default) or `POST`.
        #[serde(default)]
        method: WebhookMethod,
    },
}

/// The method of a webhook target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    /// `POST`.
    Post,
    /// `PUT`.
    #[default]
    Put,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EnvFile { path, key } => match key {
                Some(key) => write!(f, "{} ({key})", path.display()),
                None => write!(f, "{}", path.display()),
            },
            Self::Command { command } => write!(f, "command `{command}`"),
            Self::Webhook { url, method } => write!(f, "webhook {method:?} {url}"),
        }
    }
}

/// A check run with the new secret (in the environment variable named by the entry's `env`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum HealthCheck {
    /// `command`: a shell command that must exit 0.
    Command {
        /// The command, run with `sh -c` in the inventory's directory.
        command: String,
    },
    /// `http`: a `GET` with `Authorization: Bearer <secret>` that must answer `expect_status`.
    Http {
        /// Where.
        url: Url,
        /// The status that means healthy.
        #[serde(default = "ok_status")]
        expect_status: u16,
    },
}

fn ok_status() -> u16 {
    200
}

impl fmt::Display for HealthCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Command { command } => write!(f, "command `{command}`"),
            Self::Http { url, expect_status } => write!(f, "GET {url} answers {expect_status}"),
        }
    }
}

/// A credential named by issuer and id.
pub type CredentialRef = (String, CredentialId);

impl Inventory {
    /// Reads and checks an inventory file.
    pub fn load(path: &Path) -> Result<Self, RecoveryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecoveryError::Read {
            path: path.to_owned(),
            source,
        })?;
        let inventory: Self = toml::from_str(&text).map_err(|e| RecoveryError::Inventory {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })?;
        let mut seen = BTreeSet::new();
        for entry in &inventory.credentials {
            if !seen.insert((entry.issuer.as_str(), entry.id.as_str())) {
                return Err(RecoveryError::Inventory {
                    path: path.to_owned(),
                    message: format!(
                        "credential {} of {} is listed twice",
                        entry.id, entry.issuer
                    ),
                });
            }
        }
        Ok(inventory)
    }

    /// Reads `path`, or an empty inventory when it does not exist.
    pub fn load_or_default(path: &Path) -> Result<Self, RecoveryError> {
        if path.exists() {
            Self::load(path)
        } else {
            Ok(Self::default())
        }
    }

    /// Writes the inventory to `path` (atomically).
    pub fn save(&self, path: &Path) -> Result<(), RecoveryError> {
        let text = toml::to_string_pretty(self).map_err(|e| RecoveryError::Inventory {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        write_atomically(path, text.as_bytes(), FileMode::KeepOr(0o644)).map_err(|source| {
            RecoveryError::Write {
                path: path.to_owned(),
                source,
            }
        })
    }

    /// The JSON Schema of the file (what `schemas/credentials-inventory.schema.json` holds).
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Inventory)).unwrap_or_default()
    }

    /// Every issuer the inventory names, once each.
    pub fn issuer_urls(&self) -> Vec<String> {
        let urls: BTreeSet<&str> = self.credentials.iter().map(|e| e.issuer.as_str()).collect();
        urls.into_iter().map(str::to_owned).collect()
    }

    /// The entry of one credential.
    pub fn entry(&self, issuer: &str, id: &CredentialId) -> Option<&InventoryEntry> {
        self.credentials
            .iter()
            .find(|e| e.issuer == issuer && &e.id == id)
    }

    /// Every credential of the inventory.
    pub fn all(&self) -> Vec<CredentialRef> {
        self.credentials
            .iter()
            .map(|e| (e.issuer.clone(), e.id.clone()))
            .collect()
    }

    /// Adds an entry, or replaces the one of the same credential.
    pub fn upsert(&mut self, entry: InventoryEntry) {
        match self
            .credentials
            .iter_mut()
            .find(|e| e.issuer == entry.issuer && e.id == entry.id)
        {
            Some(existing) => *existing = entry,
            None => self.credentials.push(entry),
        }
    }
}

/// One thing `credctl inventory check` found wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InventoryProblem {
    /// The issuer does not know the credential, or it is no longer active.
    UnknownCredential {
        /// The issuer.
        issuer: String,
        /// The credential.
        credential_id: CredentialId,
        /// What the issuer said.
        detail: String,
    },
    /// A target holds no secret, or one that is not the credential's current version.
    StaleTarget {
        /// The issuer.
        issuer: String,
        /// The credential.
        credential_id: CredentialId,
        /// The target.
        target: String,
        /// What it holds instead.
        detail: String,
    },
    /// The credential can do more than its declared need.
    OverBroad {
        /// The issuer.
        issuer: String,
        /// The credential.
        credential_id: CredentialId,
        /// The grants beyond the need.
        beyond_need: Vec<Grant>,
    },
}

impl fmt::Display for InventoryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCredential {
                issuer,
                credential_id,
                detail,
            } => write!(f, "{credential_id} at {issuer}: {detail}"),
            Self::StaleTarget {
                issuer,
                credential_id,
                target,
                detail,
            } => write!(f, "{credential_id} at {issuer}: {target} {detail}"),
            Self::OverBroad {
                issuer,
                credential_id,
                beyond_need,
            } => {
                let grants: Vec<String> = beyond_need.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{credential_id} at {issuer}: broader than needed: {}",
                    grants.join(", ")
                )
            }
        }
    }
}

/// What `credctl inventory check` found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckReport {
    /// Credentials checked.
    pub checked: usize,
    /// Targets whose content cannot be read back (commands, webhooks): not verified.
    pub unverifiable_targets: usize,
    /// Everything wrong.
    pub problems: Vec<InventoryProblem>,
}

/// Checks every entry against its issuer: the credential is known and active, every readable
/// target holds the current version (compared by introspection; no secret is printed), and the
/// scope is within the declared need.
pub async fn check(
    inventory: &Inventory,
    base: &Path,
    issuers: &Issuers,
) -> Result<CheckReport, RecoveryError> {
    let installer = Installer::new(base);
    let mut report = CheckReport::default();
    for entry in &inventory.credentials {
        report.checked += 1;
        let issuer = issuers
            .get(&entry.issuer)
            .ok_or_else(|| RecoveryError::Inventory {
                path: base.join(INVENTORY_FILE),
                message: format!("issuer {} was not discovered", entry.issuer),
            })?;
        let unknown = |detail: String| InventoryProblem::UnknownCredential {
            issuer: entry.issuer.clone(),
            credential_id: entry.id.clone(),
            detail,
        };
        let credential = match issuer.get(&entry.id).await {
            Ok(credential) => credential,
            Err(error) => {
                report.problems.push(unknown(error.to_string()));
                continue;
            }
        };
        if credential.status != CredentialStatus::Active {
            report.problems.push(unknown(format!(
                "the credential is {}",
                credential.status.as_str()
            )));
            continue;
        }
        for target in &entry.targets {
            let stale = |detail: &str| InventoryProblem::StaleTarget {
                issuer: entry.issuer.clone(),
                credential_id: entry.id.clone(),
                target: target.to_string(),
                detail: detail.to_owned(),
            };
            match installer.read(target, &entry.env) {
                Readback::Unreadable => report.unverifiable_targets += 1,
                Readback::Absent => report.problems.push(stale("holds no secret")),
                Readback::Holds(secret) => {
                    let answer = issuer.introspect(&secret).await.map_err(|source| {
                        RecoveryError::Issuer {
                            issuer: entry.issuer.clone(),
                            source,
                        }
                    })?;
                    if !answer.active || answer.credential_id.as_ref() != Some(&entry.id) {
                        report
                            .problems
                            .push(stale("holds a secret the issuer does not accept for it"));
                    } else if answer.version != Some(credential.current_version) {
                        report.problems.push(stale(&format!(
                            "holds version {} (current: {})",
                            answer.version.unwrap_or_default(),
                            credential.current_version
                        )));
                    }
                }
            }
        }
        if !entry.need.is_empty() {
            let beyond: Vec<Grant> = issuer
                .broader_than(&credential.scope, &entry.need)
                .into_iter()
                .cloned()
                .collect();
            if !beyond.is_empty() {
                report.problems.push(InventoryProblem::OverBroad {
                    issuer: entry.issuer.clone(),
                    credential_id: entry.id.clone(),
                    beyond_need: beyond,
                });
            }
        }
    }
    Ok(report)
}
