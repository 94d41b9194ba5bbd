//! Revoke (REQ-REV-*): the whole credential, or one previous version. Irreversible; the record
//! stays for audit; revoking again changes nothing.

use std::collections::BTreeMap;

use credential_issuer_spec::operations::revoke::RevokeRequest;
use credential_issuer_spec::state::{TransitionError, VersionEvent, transition};
use credential_issuer_spec::{
    ApiScope, AuditAction, Credential, CredentialId, CredentialStatus, Operation, Outcome,
    Timestamp,
};

use super::expiry::settle;
use super::{Call, Context, Decoded, LifecycleError, RequestError, audited, save_settled};
use crate::model::CredentialRecord;

/// Revokes credential `id`, or only the version the JSON body names.
pub async fn revoke(
    context: &Context,
    call: &Call,
    id: &CredentialId,
    request: Decoded<RevokeRequest>,
) -> Result<Credential, LifecycleError> {
    audited(
        context,
        call,
        AuditAction::CredentialRevoke,
        Some(id),
        async {
            call.require(ApiScope::CredentialsRevoke)?;
            context.offer(Operation::Revoke)?;
            let request = request?;
            let issuer = context.issuer.id.as_str();
            // A shim's keys stop working at the vendor before the answer (REQ-REV-6): retire
            // them first, then record; a vendor failure changes nothing here.
            let retired = retire_at_vendor(context, id, &request).await?;
            let mut tx = context.store.begin().await?;
            let mut record = tx
                .credential(issuer, id)
                .await?
                .ok_or_else(|| LifecycleError::CredentialNotFound(id.clone()))?;
            let now = context.clock.now();
            let expected = record.credential.current_version;
            let expirations = settle(&mut record, now);
            let changed = match request.version {
                None => revoke_credential(&mut record, now),
                Some(version) => revoke_version(&mut record, version, now)?,
            };
            mark_retired(&mut record, &retired, now);
            save_settled(&mut *tx, call, issuer, &record, expected, expirations, now).await?;
            let mut details = BTreeMap::from([("changed".to_owned(), serde_json::json!(changed))]);
            if let Some(reason) = &request.reason {
                details.insert("reason".to_owned(), serde_json::json!(reason));
            }
            let entry = call.audit(
                context.clock.now(),
                AuditAction::CredentialRevoke,
                Some(id.clone()),
                request.version,
                Outcome::Success,
                details,
            );
            tx.append_audit(issuer, entry).await?;
            tx.commit().await?;
            Ok(record.credential)
        },
    )
    .await
}

/// Retires at the vendor the keys this revoke will end; returns their vendor ids.
async fn retire_at_vendor(
    context: &Context,
    id: &credential_issuer_spec::CredentialId,
    request: &RevokeRequest,
) -> Result<Vec<String>, LifecycleError> {
    let issuer = context.issuer.id.as_str();
    let Some(mut record) = context.store.credential(issuer, id).await? else {
        return Ok(Vec::new());
    };
    let now = context.clock.now();
    settle(&mut record, now);
    match request.version {
        None => {
            revoke_credential(&mut record, now);
        }
        Some(version) => {
            revoke_version(&mut record, version, now)?;
        }
    }
    let mut retired = Vec::new();
    for (wire, server) in record.credential.versions.iter().zip(&record.versions) {
        if let Some(key) = &server.vendor_key
            && server.awaits_vendor_retirement(wire.status)
        {
            context
                .issuer
                .backend
                .retire(key, context.clock.now())
                .await?;
            retired.push(key.id.clone());
        }
    }
    Ok(retired)
}

/// Notes which keys the vendor has confirmed retired; any other revoked key waits in the
/// store's retirement queue.
fn mark_retired(record: &mut CredentialRecord, retired: &[String], now: Timestamp) {
    for (wire, server) in record.credential.versions.iter().zip(&mut record.versions) {
        if server.awaits_vendor_retirement(wire.status)
            && server
                .vendor_key
                .as_ref()
                .is_some_and(|key| retired.contains(&key.id))
        {
            server.vendor_retired_at = Some(now);
        }
    }
}

/// Revokes every version still valid; returns whether anything changed.
pub(super) fn revoke_credential(record: &mut CredentialRecord, now: Timestamp) -> bool {
    let credential = &mut record.credential;
    if credential.status == CredentialStatus::Revoked {
        return false;
    }
    for version in &mut credential.versions {
        if let Ok(next) = transition(version.status, VersionEvent::CredentialRevoked)
            && next != version.status
        {
            version.status = next;
            version.revoked_at = Some(now);
        }
    }
    credential.status = CredentialStatus::Revoked;
    credential.revoked_at = Some(now);
    true
}

/// Revokes one previous version; returns whether anything changed.
pub(super) fn revoke_version(
    record: &mut CredentialRecord,
    number: u32,
    now: Timestamp,
) -> Result<bool, LifecycleError> {
    let current = record.credential.current_version;
    let version = record
        .credential
        .versions
        .iter_mut()
        .find(|v| v.version == number)
        .ok_or(RequestError::NoSuchVersion {
            version: number,
            current,
        })?;
    match transition(version.status, VersionEvent::VersionRevoked) {
        Ok(next) => {
            version.status = next;
            version.revoked_at = Some(now);
            Ok(true)
        }
        Err(TransitionError::Terminal(_)) => Ok(false),
        Err(error) => Err(RequestError::from(error).into()),
    }
}
