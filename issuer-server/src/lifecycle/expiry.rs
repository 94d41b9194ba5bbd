//! Time-driven transitions: a previous version's grace period ends, a credential's lifetime
//! ends. [`settle`] applies them to a record in memory (so every read is exact to the
//! millisecond); [`sweep`] makes them durable and audits them, run periodically by the server.

use std::collections::BTreeMap;

use credential_issuer_spec::state::{VersionEvent, transition};
use credential_issuer_spec::{AuditAction, CredentialStatus, Outcome, Timestamp, VersionStatus};

use super::{Context, LifecycleError};
use crate::model::{AuditEntry, CredentialRecord};

/// What [`settle`] changed: `(action, version)` pairs to audit.
pub type Settled = Vec<(AuditAction, Option<u32>)>;

/// Applies every time-driven transition due at `now` to `record`.
pub fn settle(record: &mut CredentialRecord, now: Timestamp) -> Settled {
    let mut changes = Vec::new();
    let credential = &mut record.credential;
    let lifetime_over = credential.expires_at.is_some_and(|t| t <= now);
    if credential.status == CredentialStatus::Active && lifetime_over {
        for version in &mut credential.versions {
            if let Ok(next) = transition(version.status, VersionEvent::CredentialExpired) {
                version.status = next;
            }
        }
        credential.status = CredentialStatus::Expired;
        changes.push((
            AuditAction::CredentialExpire,
            Some(credential.current_version),
        ));
    }
    for version in &mut credential.versions {
        let grace_over = version.expires_at.is_some_and(|t| t <= now);
        if version.status == VersionStatus::Previous
            && grace_over
            && let Ok(next) = transition(version.status, VersionEvent::GraceEnded)
        {
            version.status = next;
            changes.push((AuditAction::VersionExpire, Some(version.version)));
        }
    }
    changes
}

/// Makes the transitions due now durable, each credential in its own transaction with its audit
/// events. Returns how many credentials changed.
pub async fn sweep(context: &Context) -> Result<usize, LifecycleError> {
    let now = context.clock.now();
    let issuer = context.issuer.id.as_str();
    let due = context.store.due_for_expiry(now, 100).await?;
    let mut changed = 0;
    for (due_issuer, id) in due {
        if due_issuer != issuer {
            continue;
        }
        let mut tx = context.store.begin().await?;
        let Some(mut record) = tx.credential(issuer, &id).await? else {
            continue;
        };
        let expected = record.credential.current_version;
        let changes = settle(&mut record, now);
        if changes.is_empty() {
            continue;
        }
        tx.save_credential(&record, expected).await?;
        for (action, version) in changes {
            let entry = AuditEntry {
                time: now,
                actor: "system".to_owned(),
                action,
                credential_id: Some(id.clone()),
                version,
                outcome: Outcome::Success,
                request_id: format!("sweep-{}", uuid::Uuid::now_v7().simple()),
                details: BTreeMap::new(),
            };
            tx.append_audit(issuer, entry).await?;
        }
        tx.commit().await?;
        changed += 1;
    }
    Ok(changed)
}
