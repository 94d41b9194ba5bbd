//! Rotate (REQ-ROT-*): a new current version; the old one either overlaps for a grace period or
//! is revoked at once. A rotation never leaves the credential without a working secret unless
//! `immediate` was asked for.

use std::collections::BTreeMap;

use credential_issuer_spec::operations::rotate::RotateRequest;
use credential_issuer_spec::state::{VersionEvent, transition};
use credential_issuer_spec::{
    ApiScope, AuditAction, CredentialStatus, IssuedCredential, Outcome, RotationMode, Timestamp,
    Version, VersionStatus,
};

use super::body::{Empty, credential_id, decode};
use super::expiry::settle;
use super::idempotency::{self, IdempotencyRequest};
use super::{Call, Context, LifecycleError, audited, save_settled};
use crate::minting::{fingerprint_index, mint, secret_mac};
use crate::store::{CredentialRecord, VersionRecord};

/// The version an `If-Match` header names: `"3"` (an entity tag), also accepted bare or weak;
/// `*` matches any current version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IfMatch(Option<u32>);

impl std::str::FromStr for IfMatch {
    type Err = LifecycleError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let tag = value.trim().trim_start_matches("W/").trim_matches('"');
        if tag == "*" {
            return Ok(IfMatch(None));
        }
        tag.parse().map(|v| IfMatch(Some(v))).map_err(|_| {
            LifecycleError::InvalidRequest(
                "If-Match must name a version as an entity tag, like \"3\"".to_owned(),
            )
        })
    }
}

/// Rotates credential `id` as the JSON body asks, optionally only if `if_match` names the
/// current version.
pub async fn rotate(
    context: &Context,
    call: &Call,
    raw_id: &str,
    body: &[u8],
    if_match: Option<&str>,
    idempotency_key: Option<&str>,
) -> Result<IssuedCredential, LifecycleError> {
    let id = &credential_id(raw_id)?;
    audited(
        context,
        call,
        AuditAction::CredentialRotate,
        Some(id),
        async {
            call.require(ApiScope::CredentialsRotate)?;
            let request: RotateRequest = decode(body, Empty::IsEmptyObject)?;
            let if_match = if_match.map(str::parse::<IfMatch>).transpose()?;
            let idempotency = idempotency_key
                .map(|key| IdempotencyRequest::new(key, format!("rotate:{id}"), &request))
                .transpose()?;
            let mode = request.mode.unwrap_or_default();
            let grace = grace_period(context, mode, request.grace_period_seconds)?;
            let issuer = context.issuer.id.as_str();
            let mut tx = context.store.begin().await?;
            if let Some(idempotency) = &idempotency
                && let Some(first) =
                    idempotency::replay(&mut *tx, context, call, idempotency).await?
            {
                return Ok(first);
            }
            let mut record = tx
                .credential(issuer, id)
                .await?
                .ok_or_else(|| LifecycleError::CredentialNotFound(id.clone()))?;
            let now = Timestamp::now();
            let expected = record.credential.current_version;
            let expirations = settle(&mut record, now);
            match record.credential.status {
                CredentialStatus::Revoked => {
                    return Err(LifecycleError::CredentialRevoked(id.clone()));
                }
                CredentialStatus::Expired => {
                    return Err(LifecycleError::CredentialExpired(id.clone()));
                }
                CredentialStatus::Active => {}
            }
            if let Some(IfMatch(Some(version))) = if_match
                && version != expected
            {
                return Err(LifecycleError::RotationConflict {
                    current_version: expected,
                });
            }
            let current_scope = record
                .version(expected)
                .map(|(_, server)| server.scope.clone())
                .unwrap_or_else(|| record.credential.scope.clone());
            let scope = match request.scope.clone() {
                Some(narrower) => {
                    context
                        .issuer
                        .index
                        .check(&narrower)
                        .map_err(|e| LifecycleError::InvalidScope(e.to_string()))?;
                    if !context.issuer.index.scope_within(&narrower, &current_scope) {
                        return Err(LifecycleError::InvalidScope(
                            "a rotation may narrow the scope, never widen it".to_owned(),
                        ));
                    }
                    narrower
                }
                None => current_scope,
            };
            call.check_authority(context, &scope)?;
            if mode == RotationMode::Overlap {
                let valid = record
                    .credential
                    .versions
                    .iter()
                    .filter(|v| v.status.is_valid())
                    .count();
                let max = context.issuer.rotation.max_active_versions;
                if valid + 1 > max as usize {
                    return Err(LifecycleError::ActiveVersionLimit { max });
                }
            }
            let issued = apply(context, &mut record, mode, grace, scope, now);
            save_settled(&mut *tx, call, issuer, &record, expected, expirations).await?;
            let details = BTreeMap::from([
                ("mode".to_owned(), serde_json::json!(mode)),
                ("grace_period_seconds".to_owned(), serde_json::json!(grace)),
                ("previous_version".to_owned(), serde_json::json!(expected)),
                (
                    "scope".to_owned(),
                    serde_json::json!(issued.credential.scope),
                ),
            ]);
            let entry = call.audit(
                AuditAction::CredentialRotate,
                Some(id.clone()),
                Some(issued.credential.current_version),
                Outcome::Success,
                details,
            );
            tx.append_audit(issuer, entry).await?;
            if let Some(idempotency) = &idempotency {
                idempotency::remember(&mut *tx, context, call, idempotency, 200, &issued).await?;
            }
            tx.commit().await?;
            Ok(issued)
        },
    )
    .await
}

/// The grace period to use: `None` for `immediate`.
fn grace_period(
    context: &Context,
    mode: RotationMode,
    asked: Option<u64>,
) -> Result<Option<u64>, LifecycleError> {
    let policy = &context.issuer.rotation;
    match (mode, asked) {
        (RotationMode::Immediate, Some(_)) => Err(LifecycleError::InvalidRequest(
            "grace_period_seconds applies only to overlap rotations".to_owned(),
        )),
        (RotationMode::Immediate, None) => Ok(None),
        (RotationMode::Overlap, Some(seconds))
            if seconds == 0 || seconds > policy.max_grace_period_seconds =>
        {
            Err(LifecycleError::InvalidRequest(format!(
                "grace_period_seconds must be between 1 and {}",
                policy.max_grace_period_seconds
            )))
        }
        (RotationMode::Overlap, asked) => {
            Ok(Some(asked.unwrap_or(policy.default_grace_period_seconds)))
        }
    }
}

/// Moves the versions along and adds the new current one.
fn apply(
    context: &Context,
    record: &mut CredentialRecord,
    mode: RotationMode,
    grace: Option<u64>,
    scope: Vec<credential_issuer_spec::Grant>,
    now: Timestamp,
) -> IssuedCredential {
    let event = match mode {
        RotationMode::Overlap => VersionEvent::RotatedOverlap,
        RotationMode::Immediate => VersionEvent::RotatedImmediate,
    };
    let credential = &mut record.credential;
    let lifetime_end = credential.expires_at;
    for version in &mut credential.versions {
        let was = version.status;
        if let Ok(next) = transition(was, event) {
            version.status = next;
            match next {
                VersionStatus::Revoked if was != VersionStatus::Revoked => {
                    version.revoked_at = Some(now);
                }
                VersionStatus::Previous if was == VersionStatus::Current => {
                    let grace_end = now.plus_seconds(grace.unwrap_or(0));
                    version.expires_at = Some(match lifetime_end {
                        Some(end) if end < grace_end => end,
                        _ => grace_end,
                    });
                }
                _ => {}
            }
        }
    }
    // A narrower scope applies to every version still valid, not only the new one (REQ-ROT-8).
    for (wire, server) in credential.versions.iter().zip(record.versions.iter_mut()) {
        if wire.status.is_valid() {
            server.scope = scope.clone();
        }
    }
    let secret = mint(&context.issuer.secret_format);
    let number = credential.current_version + 1;
    credential.versions.push(Version {
        version: number,
        status: VersionStatus::Current,
        secret_hint: secret.hint(),
        key_id: None,
        created_at: now,
        expires_at: lifetime_end,
        revoked_at: None,
    });
    credential.current_version = number;
    credential.scope = scope.clone();
    record.versions.push(VersionRecord {
        version: number,
        scope,
        secret_mac: secret_mac(&context.keys.secret_mac, secret.expose()),
        fingerprint: fingerprint_index(&context.keys.fingerprint_mac, &secret.fingerprint()),
    });
    IssuedCredential {
        credential: record.credential.clone(),
        secret,
        secret_attributes: Default::default(),
    }
}
