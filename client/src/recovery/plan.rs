//! The plan: for each credential, how it will be rotated (overlap, or immediate and why), where
//! the new secret goes, which checks must pass, and when the old version is revoked. Credentials
//! whose issuer needs a person get the person's instructions instead.

use std::collections::BTreeMap;

use credential_issuer_spec::{CredentialId, ManualStep, Operation, RotationMode, Secret};
use serde::Serialize;

use super::Issuers;
use super::inventory::{CredentialRef, HealthCheck, Inventory, Target};

/// The plan of one credential.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanItem {
    /// The issuer.
    pub issuer: String,
    /// The credential.
    pub credential_id: CredentialId,
    /// The variable name.
    pub env: String,
    /// The rotation mode.
    pub mode: RotationMode,
    /// Why the mode is immediate (asked for, or the only one the issuer offers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_reason: Option<String>,
    /// What a person must do at the vendor, when rotation is a manual step there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual: Option<ManualStep>,
    /// What a person must do to revoke the old version, when revocation is a manual step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manual_revoke: Option<ManualStep>,
    /// Where the new secret goes.
    pub targets: Vec<Target>,
    /// What must pass before the old version is revoked.
    pub health: Vec<HealthCheck>,
    /// The steps, in order, in words.
    pub steps: Vec<String>,
    /// The exposed (previous) secret, when it came from an exposure file or a scan.
    #[serde(skip)]
    pub exposed_secret: Option<Secret>,
    /// Problems found while planning (not in the inventory, issuer not discovered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A whole plan, in the order credentials will be started.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Every credential.
    pub items: Vec<PlanItem>,
}

/// Plans the recovery of `selected` credentials. `immediate` asks for immediate rotation;
/// `exposed` gives previous secrets that are known. Credentials with the most places are started
/// first (their installs take longest); manual ones last.
///
/// ```
/// use credential_issuer_client::recovery::{plan, Inventory, Issuers};
/// let plan = plan::plan(&Inventory::default(), &[], &Issuers::default(), false, &Default::default());
/// assert!(plan.items.is_empty());
/// ```
pub fn plan(
    inventory: &Inventory,
    selected: &[CredentialRef],
    issuers: &Issuers,
    immediate: bool,
    exposed: &BTreeMap<CredentialRef, Secret>,
) -> Plan {
    let mut items: Vec<PlanItem> = selected
        .iter()
        .map(|(issuer_url, id)| {
            let entry = inventory.entry(issuer_url, id);
            let mut item = PlanItem {
                issuer: issuer_url.clone(),
                credential_id: id.clone(),
                env: entry.map(|e| e.env.clone()).unwrap_or_default(),
                mode: RotationMode::Overlap,
                mode_reason: None,
                manual: None,
                manual_revoke: None,
                targets: entry.map(|e| e.targets.clone()).unwrap_or_default(),
                health: entry.map(|e| e.health.clone()).unwrap_or_default(),
                steps: Vec::new(),
                exposed_secret: exposed.get(&(issuer_url.clone(), id.clone())).cloned(),
                problem: None,
            };
            if entry.is_none() {
                item.problem = Some(
                    "not in the inventory: its places are unknown; add it with `credctl inventory add`"
                        .into(),
                );
            }
            let Some(issuer) = issuers.get(issuer_url) else {
                item.problem = Some(format!("issuer {issuer_url} was not discovered"));
                return item;
            };
            let manifest = issuer.manifest();
            let manual_for = |operation: Operation| {
                manifest
                    .manual_steps
                    .iter()
                    .find(|s| s.operation == operation)
                    .cloned()
            };
            let modes = manifest
                .rotation
                .as_ref()
                .map(|r| r.modes.clone())
                .unwrap_or_default();
            if !manifest.supports(&Operation::Rotate) {
                item.manual = manual_for(Operation::Rotate);
                if item.manual.is_none() {
                    item.problem =
                        Some("the issuer offers no rotation, not even as a manual step".into());
                }
            } else if immediate {
                item.mode = RotationMode::Immediate;
                item.mode_reason = Some("asked for with --immediate".into());
            } else if !modes.contains(&RotationMode::Overlap) && modes.contains(&RotationMode::Immediate) {
                item.mode = RotationMode::Immediate;
                item.mode_reason = Some(
                    "the issuer offers only immediate rotation: the old secret stops working at once"
                        .into(),
                );
            }
            if !manifest.supports(&Operation::Revoke) {
                item.manual_revoke = manual_for(Operation::Revoke);
            }
            item.steps = steps(&item);
            item
        })
        .collect();
    items.sort_by_key(|item| (item.manual.is_some(), std::cmp::Reverse(item.targets.len())));
    Plan { items }
}

fn steps(item: &PlanItem) -> Vec<String> {
    let mut steps = Vec::new();
    match (&item.manual, item.mode) {
        (Some(manual), _) => steps.push(format!(
            "a person rotates it at {}: {}; then: credctl recover --provide {} --secret-file FILE",
            manual.console_url, manual.instructions, item.credential_id
        )),
        (None, RotationMode::Overlap) => {
            steps.push("rotate (overlap: the old secret keeps working meanwhile)".into());
        }
        (None, _) => steps.push(format!(
            "rotate immediately ({}): the old secret stops working now",
            item.mode_reason.as_deref().unwrap_or("immediate")
        )),
    }
    for target in &item.targets {
        steps.push(format!("install into {target}"));
    }
    for check in &item.health {
        steps.push(format!("check: {check}"));
    }
    match (&item.manual_revoke, item.mode) {
        (_, RotationMode::Immediate) => {}
        (Some(manual), _) => steps.push(format!(
            "a person revokes the previous version at {}: {}",
            manual.console_url, manual.instructions
        )),
        (None, _) => steps.push(
            "revoke the previous version, once every target holds the new secret and every check passed"
                .into(),
        ),
    }
    steps
}

impl Plan {
    /// The plan in words.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (n, item) in self.items.iter().enumerate() {
            out.push_str(&format!(
                "{}. {} at {} ({})\n",
                n + 1,
                item.credential_id,
                item.issuer,
                item.env
            ));
            if let Some(problem) = &item.problem {
                out.push_str(&format!("   ! {problem}\n"));
            }
            for step in &item.steps {
                out.push_str(&format!("   - {step}\n"));
            }
        }
        out
    }
}
