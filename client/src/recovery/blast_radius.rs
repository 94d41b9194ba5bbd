//! The blast radius of exposed secrets: per secret, which issuer and credential it is
//! (introspection), its status, what its scope allows (each permission with its access level),
//! every place the inventory says it is used, what breaks if it is revoked now, and the plan.

use std::collections::BTreeMap;

use credential_issuer_spec::{Access, CredentialId, CredentialStatus, Grant, Secret};
use serde::Serialize;

use super::inventory::{CredentialRef, Inventory};
use super::plan::{self, PlanItem};
use super::scan::{Finding, Location};
use super::{Issuers, RecoveryError};

/// One permission of an exposed credential's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeLine {
    /// The grant.
    pub grant: Grant,
    /// Its access level (`read`, `write`, `admin`), when the permission schema knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
}

/// One exposed secret and its consequences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exposed {
    /// Where it was found (each place).
    pub found_at: Vec<Location>,
    /// The issuer whose format it has.
    pub issuer: String,
    /// A hint a person can recognise it by.
    pub hint: String,
    /// `sha256:<hex>` of the secret.
    pub fingerprint: String,
    /// Whether the issuer accepts it now.
    pub active: bool,
    /// The credential, when active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<CredentialId>,
    /// The version the secret is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The credential's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CredentialStatus>,
    /// What it can do.
    pub scope: Vec<ScopeLine>,
    /// Every place the inventory says it is used.
    pub used_in: Vec<String>,
    /// What stops working if it is revoked now, before a replacement is installed.
    pub breaks_if_revoked_now: Vec<String>,
    /// How it will be recovered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanItem>,
}

/// The blast radius of a set of findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BlastRadius {
    /// Every distinct exposed secret.
    pub exposed: Vec<Exposed>,
}

impl BlastRadius {
    /// The active credentials among the exposed secrets, with their exposed secret.
    pub fn active_credentials(&self) -> Vec<CredentialRef> {
        self.exposed
            .iter()
            .filter_map(|e| {
                e.credential_id
                    .clone()
                    .filter(|_| e.active)
                    .map(|id| (e.issuer.clone(), id))
            })
            .collect()
    }

    /// The blast radius in words.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for e in &self.exposed {
            let places: Vec<String> = e
                .found_at
                .iter()
                .map(|l| match &l.commit {
                    Some(commit) => format!(
                        "{}:{} (commit {})",
                        l.file.display(),
                        l.line,
                        &commit[..commit.len().min(12)]
                    ),
                    None => format!("{}:{}", l.file.display(), l.line),
                })
                .collect();
            out.push_str(&format!(
                "{} at {} (found at {})\n",
                e.hint,
                e.issuer,
                places.join(", ")
            ));
            let Some(id) = &e.credential_id else {
                out.push_str(
                    "  not active at the issuer (unknown, revoked or expired): nothing to do\n",
                );
                continue;
            };
            out.push_str(&format!(
                "  credential {id} version {}, {}\n",
                e.version.unwrap_or_default(),
                e.status.map_or("unknown", |s| s.as_str())
            ));
            out.push_str("  can do:\n");
            for line in &e.scope {
                let access = match line.access {
                    Some(Access::Read) => "read",
                    Some(Access::Write) => "write",
                    Some(Access::Admin) => "ADMIN",
                    _ => "?",
                };
                out.push_str(&format!("    {access:<5} {}\n", line.grant));
            }
            out.push_str("  used in:\n");
            if e.used_in.is_empty() {
                out.push_str("    (not in the inventory)\n");
            }
            for place in &e.used_in {
                out.push_str(&format!("    {place}\n"));
            }
            out.push_str("  breaks if revoked now:\n");
            for place in &e.breaks_if_revoked_now {
                out.push_str(&format!("    {place}\n"));
            }
            if let Some(plan) = &e.plan {
                out.push_str("  plan:\n");
                for step in &plan.steps {
                    out.push_str(&format!("    - {step}\n"));
                }
            }
        }
        out
    }
}

/// Introspects each distinct secret of `findings` at its issuer and relates it to `inventory`.
pub async fn assess(
    findings: &[Finding],
    inventory: &Inventory,
    issuers: &Issuers,
    immediate: bool,
) -> Result<BlastRadius, RecoveryError> {
    let mut distinct: BTreeMap<(String, String), (Secret, String, Vec<Location>)> = BTreeMap::new();
    for finding in findings {
        distinct
            .entry((finding.issuer.clone(), finding.fingerprint.clone()))
            .or_insert_with(|| (finding.secret.clone(), finding.hint.clone(), Vec::new()))
            .2
            .push(finding.location.clone());
    }
    let mut radius = BlastRadius::default();
    for ((issuer_url, fingerprint), (secret, hint, found_at)) in distinct {
        let issuer = issuers
            .get(&issuer_url)
            .ok_or_else(|| RecoveryError::Inventory {
                path: super::inventory::INVENTORY_FILE.into(),
                message: format!("issuer {issuer_url} was not discovered"),
            })?;
        let answer = issuer
            .introspect(&secret)
            .await
            .map_err(|source| RecoveryError::Issuer {
                issuer: issuer_url.clone(),
                source,
            })?;
        let mut exposed = Exposed {
            found_at,
            issuer: issuer_url.clone(),
            hint,
            fingerprint,
            active: answer.active,
            credential_id: answer.credential_id.clone(),
            version: answer.version,
            status: answer.status,
            scope: answer
                .scope
                .unwrap_or_default()
                .into_iter()
                .map(|grant| ScopeLine {
                    access: issuer.permissions().access(&grant.permission),
                    grant,
                })
                .collect(),
            used_in: Vec::new(),
            breaks_if_revoked_now: Vec::new(),
            plan: None,
        };
        if let (true, Some(id)) = (answer.active, &answer.credential_id) {
            if let Some(entry) = inventory.entry(&issuer_url, id) {
                exposed.used_in = entry
                    .targets
                    .iter()
                    .map(|t| format!("{t} as {}", entry.env))
                    .collect();
                exposed.breaks_if_revoked_now = entry
                    .targets
                    .iter()
                    .map(|t| format!("whatever reads {} from {t}", entry.env))
                    .chain(entry.health.iter().map(|c| format!("health check {c}")))
                    .collect();
            } else {
                exposed.breaks_if_revoked_now.push(
                    "unknown: the credential is not in the inventory, so its users are not known"
                        .into(),
                );
            }
            let key = (issuer_url.clone(), id.clone());
            let exposed_secrets = BTreeMap::from([(key.clone(), secret.clone())]);
            exposed.plan = plan::plan(inventory, &[key], issuers, immediate, &exposed_secrets)
                .items
                .into_iter()
                .next();
        }
        radius.exposed.push(exposed);
    }
    Ok(radius)
}
