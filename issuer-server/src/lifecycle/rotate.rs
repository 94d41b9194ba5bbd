//! Rotate (REQ-ROT-*): a new current version; the old one either overlaps for a grace period or
//! is revoked at once. A rotation never leaves the credential without a working secret unless
//! `immediate` was asked for.

use std::collections::BTreeMap;

use credential_issuer_spec::operations::rotate::RotateRequest;
use credential_issuer_spec::state::{VersionEvent, transition};
use credential_issuer_spec::{
    ApiScope, AuditAction, CredentialId, CredentialStatus, Grant, IssuedCredential, Operation,
    Outcome, RotationMode, RotationPolicy, Timestamp, VersionStatus,
};

use super::expiry::settle;
use super::idempotency::{self, Claimed, IdempotencyRequest};
use super::minted::{Mint, discard, issued_credential, mint, settle_minted, version};
use super::{
    Call, Context, Decoded, LifecycleError, Narrowing, RequestError, ScopeRefusal, audited,
    save_settled,
};
use crate::backends::{Issued, Replacing};
use crate::model::CredentialRecord;
use crate::model::VendorKey;

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
        tag.parse()
            .map(|v| IfMatch(Some(v)))
            .map_err(|_| RequestError::IfMatch.into())
    }
}

/// Rotates credential `id` as the JSON body asks, optionally only if `if_match` names the
/// current version.
///
/// The backend is called between two transactions (a vendor call may be slow): the first checks
/// the request against the credential as it is, the second records the new version only if the
/// credential has not changed meanwhile (else the new key is discarded and the caller gets 409).
pub async fn rotate(
    context: &Context,
    call: &Call,
    id: &CredentialId,
    request: Decoded<RotateRequest>,
    if_match: Option<&str>,
    idempotency_key: Option<&str>,
) -> Result<IssuedCredential, LifecycleError> {
    audited(
        context,
        call,
        AuditAction::CredentialRotate,
        Some(id),
        async {
            call.require(ApiScope::CredentialsRotate)?;
            context.offer(Operation::Rotate)?;
            let request = request?;
            let if_match = if_match.map(str::parse::<IfMatch>).transpose()?;
            let idempotency = idempotency_key
                .map(|key| IdempotencyRequest::new(key, format!("rotate:{id}"), &request))
                .transpose()?;
            let mode = request.mode.unwrap_or_default();
            let grace = grace_period(context, mode, request.grace_period_seconds)?;
            // A replay must not reach the vendor: claim the key before anything else.
            let claim = match &idempotency {
                Some(idempotency) => match idempotency::claim(context, call, idempotency).await? {
                    Claimed::Replay(first) => return Ok(*first),
                    Claimed::Held(claim) => Some(claim),
                },
                None => None,
            };
            let rotated: Result<IssuedCredential, LifecycleError> = async {
                let _minting = context.minting.read().await;
                let issuer = context.issuer.id.as_str();
                let _turn = context.rotations.turn(id).await;
                let (record, scope) = {
                    let mut tx = context.store.begin().await?;
                    let mut record = tx
                        .credential(issuer, id)
                        .await?
                        .ok_or_else(|| LifecycleError::CredentialNotFound(id.clone()))?;
                    settle(&mut record, context.clock.now());
                    let scope = check(context, call, &record, &request, mode, if_match)?;
                    (record, scope)
                };
                let expected = record.credential.current_version;
                let valid_keys: Vec<&VendorKey> = valid_vendor_keys(&record).collect();
                let minted = mint(
                    context,
                    Mint {
                        credential_id: id,
                        credential_type: &record.credential.credential_type,
                        name: record.credential.name.as_str(),
                        scope: &scope,
                        expires_in: None,
                        replacing: Some(Replacing {
                            mode,
                            current: record
                                .version(expected)
                                .and_then(|(_, server)| server.vendor_key.as_ref()),
                            valid: valid_keys.clone(),
                        }),
                    },
                )
                .await?;
                let new_key = minted.key.clone();
                // An immediate rotation is for a known leak: the old keys stop working before the
                // answer (REQ-ROT-7), retired by the backend itself or here.
                if mode == RotationMode::Immediate && !minted.retired_replaced {
                    for key in &valid_keys {
                        if let Err(error) = context
                            .issuer
                            .backend
                            .retire(key, context.clock.now())
                            .await
                        {
                            discard(context, new_key.as_ref()).await;
                            return Err(error.into());
                        }
                    }
                }
                let retired = if mode == RotationMode::Immediate {
                    valid_keys.iter().map(|key| key.id.clone()).collect()
                } else {
                    Vec::new()
                };
                let params = Params {
                    mode,
                    grace,
                    scope,
                    retired,
                };
                let saved = save(
                    context,
                    call,
                    id,
                    &request,
                    if_match,
                    idempotency.as_ref(),
                    params,
                    minted,
                )
                .await;
                settle_minted(context, new_key.as_ref(), saved).await
            }
            .await;
            match claim {
                Some(claim) => claim.end(rotated).await,
                None => rotated,
            }
        },
    )
    .await
}

/// What the first look decided, and what the vendor did since.
#[derive(Debug)]
struct Params {
    mode: RotationMode,
    grace: Option<u64>,
    scope: Vec<Grant>,
    /// The vendor ids of the keys already retired (immediate mode).
    retired: Vec<String>,
}

/// The vendor keys of the versions still valid.
fn valid_vendor_keys(record: &CredentialRecord) -> impl Iterator<Item = &VendorKey> + Clone {
    record
        .credential
        .versions
        .iter()
        .zip(&record.versions)
        .filter(|(wire, _)| wire.status.is_valid())
        .filter_map(|(_, server)| server.vendor_key.as_ref())
}

/// Checks a rotation against the credential as it is; returns the new version's scope.
fn check(
    context: &Context,
    call: &Call,
    record: &CredentialRecord,
    request: &RotateRequest,
    mode: RotationMode,
    if_match: Option<IfMatch>,
) -> Result<Vec<Grant>, LifecycleError> {
    let id = &record.credential.id;
    match record.credential.status {
        CredentialStatus::Revoked => return Err(LifecycleError::CredentialRevoked(id.clone())),
        CredentialStatus::Expired => return Err(LifecycleError::CredentialExpired(id.clone())),
        CredentialStatus::Active => {}
    }
    let current = record.credential.current_version;
    if let Some(IfMatch(Some(version))) = if_match
        && version != current
    {
        return Err(LifecycleError::RotationConflict {
            current_version: current,
        });
    }
    let current_scope = record
        .version(current)
        .map(|(_, server)| server.scope.clone())
        .unwrap_or_else(|| record.credential.scope.clone());
    let scope = match request.scope.clone() {
        Some(narrower) => {
            context
                .issuer
                .index
                .check(&narrower)
                .map_err(ScopeRefusal::from)?;
            if !context.issuer.index.scope_within(&narrower, &current_scope) {
                return Err(ScopeRefusal::Widened(Narrowing::Rotation).into());
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
        let max = policy(context)?.max_active_versions;
        if valid + 1 > max as usize {
            return Err(LifecycleError::ActiveVersionLimit { max });
        }
    }
    Ok(scope)
}

/// Records the new version if the rotation still holds on the credential as it is now; `(true,
/// first)` when a concurrent retry with the same idempotency key won.
#[expect(
    clippy::too_many_arguments,
    reason = "one transaction's inputs, kept in one place"
)]
async fn save(
    context: &Context,
    call: &Call,
    id: &CredentialId,
    request: &RotateRequest,
    if_match: Option<IfMatch>,
    idempotency: Option<&IdempotencyRequest>,
    params: Params,
    minted: Issued,
) -> Result<(bool, IssuedCredential), LifecycleError> {
    let issuer = context.issuer.id.as_str();
    let mut tx = context.store.begin().await?;
    if let Some(idempotency) = idempotency
        && let Some(first) = idempotency::replay(&mut *tx, context, call, idempotency).await?
    {
        return Ok((true, first));
    }
    let mut record = tx
        .credential(issuer, id)
        .await?
        .ok_or_else(|| LifecycleError::CredentialNotFound(id.clone()))?;
    let now = context.clock.now();
    let expected = record.credential.current_version;
    let expirations = settle(&mut record, now);
    // Checked again on the credential as it is now: an If-Match that no longer holds is a
    // conflict; without one, a rotation that landed meanwhile is simply rotated past, unless it
    // changed the scope the new key was minted with.
    let scope = check(context, call, &record, request, params.mode, if_match)?;
    if scope != params.scope {
        return Err(LifecycleError::RotationConflict {
            current_version: expected,
        });
    }
    let issued = apply(context, &mut record, &params, minted, now);
    save_settled(&mut *tx, call, issuer, &record, expected, expirations, now).await?;
    let details = BTreeMap::from([
        ("mode".to_owned(), serde_json::json!(params.mode)),
        (
            "grace_period_seconds".to_owned(),
            serde_json::json!(params.grace),
        ),
        ("previous_version".to_owned(), serde_json::json!(expected)),
        (
            "scope".to_owned(),
            serde_json::json!(issued.credential.scope),
        ),
    ]);
    let entry = call.audit(
        context.clock.now(),
        AuditAction::CredentialRotate,
        Some(id.clone()),
        Some(issued.credential.current_version),
        Outcome::Success,
        details,
    );
    tx.append_audit(issuer, entry).await?;
    if let Some(idempotency) = idempotency {
        idempotency::remember(&mut *tx, context, call, idempotency, 200, &issued).await?;
    }
    tx.commit().await?;
    Ok((false, issued))
}

/// The rotation policy of an issuer that rotates.
fn policy(context: &Context) -> Result<&RotationPolicy, LifecycleError> {
    context
        .issuer
        .rotation
        .as_ref()
        .ok_or(LifecycleError::OperationNotOffered(Operation::Rotate))
}

/// The grace period to use: `None` for `immediate`.
fn grace_period(
    context: &Context,
    mode: RotationMode,
    asked: Option<u64>,
) -> Result<Option<u64>, LifecycleError> {
    let policy = policy(context)?;
    if !policy.modes.contains(&mode) {
        return Err(RequestError::RotationMode(mode).into());
    }
    match (mode, asked) {
        (RotationMode::Immediate, Some(_)) => Err(RequestError::GraceForImmediate.into()),
        (RotationMode::Immediate, None) => Ok(None),
        (RotationMode::Overlap, Some(seconds))
            if seconds == 0 || seconds > policy.max_grace_period_seconds =>
        {
            Err(RequestError::GracePeriod(policy.max_grace_period_seconds).into())
        }
        (RotationMode::Overlap, asked) => {
            Ok(Some(asked.unwrap_or(policy.default_grace_period_seconds)))
        }
    }
}

/// Moves the versions along and adds the new current one. The keys an immediate rotation
/// revoked were retired at the vendor before this (by the backend or by `rotate`).
fn apply(
    context: &Context,
    record: &mut CredentialRecord,
    params: &Params,
    minted: Issued,
    now: Timestamp,
) -> IssuedCredential {
    let event = match params.mode {
        RotationMode::Overlap => VersionEvent::RotatedOverlap,
        RotationMode::Immediate => VersionEvent::RotatedImmediate,
    };
    let credential = &mut record.credential;
    let lifetime_end = credential.expires_at;
    for (version, server) in credential
        .versions
        .iter_mut()
        .zip(record.versions.iter_mut())
    {
        let was = version.status;
        if let Ok(next) = transition(was, event) {
            version.status = next;
            match next {
                VersionStatus::Revoked if was != VersionStatus::Revoked => {
                    version.revoked_at = Some(now);
                    // A key the vendor has not confirmed retired waits in the queue.
                    if server
                        .vendor_key
                        .as_ref()
                        .is_some_and(|key| params.retired.contains(&key.id))
                    {
                        server.vendor_retired_at = Some(now);
                    }
                }
                VersionStatus::Previous if was == VersionStatus::Current => {
                    let grace_end = now.plus_seconds(params.grace.unwrap_or(0));
                    version.expires_at = Some(match lifetime_end {
                        Some(end) if end < grace_end => end,
                        _ => grace_end,
                    });
                }
                _ => {}
            }
        }
        // A narrower scope applies to every version still valid, not only the new one (REQ-ROT-8).
        if version.status.is_valid() {
            server.scope = params.scope.clone();
        }
    }
    let number = credential.current_version + 1;
    let expires_at = minted.expires_at.or(lifetime_end);
    let (version, server) = version(
        context,
        number,
        params.scope.clone(),
        &minted,
        now,
        expires_at,
    );
    credential.versions.push(version);
    credential.current_version = number;
    credential.scope = params.scope.clone();
    record.versions.push(server);
    issued_credential(record, minted)
}
