//! The durable retirement queue of shims: a version that ended (its grace period passed, its
//! credential expired or was revoked while the vendor was unreachable) may still have a working
//! key at the vendor. Such versions are the queue, kept in the store, so a restarted server
//! finishes what a stopped one began; [`retire_due`] works through it, run by the server's
//! background sweep. Each retirement the vendor confirms is recorded with a `version.retire`
//! audit event.

use std::collections::BTreeMap;

use credential_issuer_spec::{AuditAction, Outcome, Timestamp};

use super::{Context, LifecycleError};
use crate::backends::BackendError;
use crate::model::AuditEntry;
use crate::store::StoreError;

/// Retires at their vendors the keys of ended versions, for every issuer in `contexts` (one per
/// issuer the server hosts). Returns how many keys were retired. A vendor that fails is tried
/// again at the next sweep; the others go on.
pub async fn retire_due(contexts: &[Context]) -> Result<usize, LifecycleError> {
    let Some(first) = contexts.first() else {
        return Ok(0);
    };
    let due = first
        .store
        .due_vendor_retirements(first.clock.now(), 100)
        .await?;
    let mut retired = 0;
    for (issuer, id) in due {
        let Some(context) = contexts.iter().find(|c| c.issuer.id.as_str() == issuer) else {
            continue;
        };
        let Some(record) = context.store.credential(&issuer, &id).await? else {
            continue;
        };
        let mut confirmed = Vec::new();
        for (wire, server) in record.credential.versions.iter().zip(&record.versions) {
            let Some(key) = &server.vendor_key else {
                continue;
            };
            if !server.awaits_vendor_retirement(wire.status) {
                continue;
            }
            let error = match context
                .issuer
                .backend
                .retire(key, context.clock.now())
                .await
            {
                Ok(()) => {
                    confirmed.push(server.version);
                    continue;
                }
                Err(error) => error,
            };
            let until = retry_at(&error, context.clock.now());
            if matches!(error, BackendError::NotYet { .. }) {
                tracing::debug!(%error, credential_id = %id, version = server.version, "vendor key retires itself later");
            } else {
                tracing::warn!(
                    %error,
                    credential_id = %id,
                    version = server.version,
                    key_id = %key.id,
                    backend = context.issuer.backend.kind(),
                    retry_at = %until,
                    "could not retire a vendor key; trying again later"
                );
            }
            context
                .store
                .defer_vendor_retirement(&issuer, &id, server.version, until)
                .await?;
        }
        if confirmed.is_empty() {
            continue;
        }
        match record_retired(context, &issuer, &id, &confirmed).await {
            Ok(count) => retired += count,
            // A concurrent change wins; the next sweep sees the key retired (idempotent).
            Err(LifecycleError::Store(StoreError::Conflict)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(retired)
}

/// When to try a failed retirement again: when the key can be retired, after a vendor outage
/// in half a minute, after a refusal (which a person must look at) in ten minutes.
fn retry_at(error: &BackendError, now: Timestamp) -> Timestamp {
    match error {
        BackendError::NotYet { until, .. } => (*until).max(now.plus_seconds(1)),
        BackendError::Unavailable(_) => now.plus_seconds(UNAVAILABLE_RETRY_SECONDS),
        BackendError::Rejected(_) | BackendError::Unsupported(_) => {
            now.plus_seconds(REFUSED_RETRY_SECONDS)
        }
    }
}

/// How long the queue waits after a vendor outage.
const UNAVAILABLE_RETRY_SECONDS: u64 = 30;
/// How long the queue waits after the vendor refused a retirement.
const REFUSED_RETRY_SECONDS: u64 = 600;

/// Marks `versions` retired at the vendor, with one audit event each.
async fn record_retired(
    context: &Context,
    issuer: &str,
    id: &credential_issuer_spec::CredentialId,
    versions: &[u32],
) -> Result<usize, LifecycleError> {
    let mut tx = context.store.begin().await?;
    // Taken inside the transaction, so that event times never run backwards (REQ-AUD-8).
    let now = context.clock.now();
    let Some(mut record) = tx.credential(issuer, id).await? else {
        return Ok(0);
    };
    let mut marked = Vec::new();
    for (wire, server) in record.credential.versions.iter().zip(&mut record.versions) {
        if versions.contains(&server.version) && server.awaits_vendor_retirement(wire.status) {
            server.vendor_retired_at = Some(now);
            marked.push((server.version, server.vendor_key.clone()));
        }
    }
    let expected = record.credential.current_version;
    tx.save_credential(&record, expected).await?;
    for (version, key) in &marked {
        let details = BTreeMap::from([
            (
                "backend".to_owned(),
                serde_json::json!(context.issuer.backend.kind()),
            ),
            (
                "key_id".to_owned(),
                serde_json::json!(key.as_ref().map(|k| k.id.clone())),
            ),
        ]);
        let entry = AuditEntry {
            time: now,
            actor: "system".to_owned(),
            action: AuditAction::VersionRetire,
            credential_id: Some(id.clone()),
            version: Some(*version),
            outcome: Outcome::Success,
            request_id: format!("retire-{}", uuid::Uuid::now_v7().simple()),
            details,
        };
        tx.append_audit(issuer, entry).await?;
    }
    tx.commit().await?;
    Ok(marked.len())
}
