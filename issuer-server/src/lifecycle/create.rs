//! Create (REQ-CRE-*): mint a credential with a checked scope and lifetime.

use std::collections::BTreeMap;

use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::{
    ApiScope, AuditAction, Credential, CredentialId, CredentialStatus, IssuedCredential, Operation,
    Outcome, Timestamp,
};

use super::idempotency::{self, Claimed, IdempotencyRequest};
use super::minted::{Mint, issued_credential, mint, new_credential_id, settle_minted, version};
use super::{Call, Context, Decoded, LifecycleError, RequestError, ScopeRefusal, audited};
use crate::backends::Issued;
use crate::model::CredentialRecord;

/// Creates a credential from a JSON body. With an `Idempotency-Key`, a retry returns the first
/// credential.
pub async fn create(
    context: &Context,
    call: &Call,
    request: Decoded<CreateRequest>,
    idempotency_key: Option<&str>,
) -> Result<IssuedCredential, LifecycleError> {
    audited(context, call, AuditAction::CredentialCreate, None, async {
        call.require(ApiScope::CredentialsCreate)?;
        context.offer(Operation::Create)?;
        let request = request?;
        let idempotency = idempotency_key
            .map(|key| IdempotencyRequest::new(key, "create".to_owned(), &request))
            .transpose()?;
        check(context, call, &request)?;
        // A replay must not reach the vendor: claim the key before minting, look again after.
        let claim = match &idempotency {
            Some(idempotency) => match idempotency::claim(context, call, idempotency).await? {
                Claimed::Replay(first) => return Ok(*first),
                Claimed::Held(claim) => Some(claim),
            },
            None => None,
        };
        let created = {
            let _minting = context.minting.read().await;
            mint_and_save(context, call, &request, idempotency.as_ref()).await
        };
        match claim {
            Some(claim) => claim.end(created).await,
            None => created,
        }
    })
    .await
}

/// Mints the credential's first secret and records it.
async fn mint_and_save(
    context: &Context,
    call: &Call,
    request: &CreateRequest,
    idempotency: Option<&IdempotencyRequest>,
) -> Result<IssuedCredential, LifecycleError> {
    let now = context.clock.now();
    let id = new_credential_id();
    let ttl = request.expires_in.or(context
        .issuer
        .expiry
        .as_ref()
        .and_then(|e| e.default_ttl_seconds));
    let minted = mint(
        context,
        Mint {
            credential_id: &id,
            credential_type: &request.credential_type,
            name: request.name.as_str(),
            scope: &request.scope,
            expires_in: ttl,
            replacing: None,
        },
    )
    .await?;
    let key = minted.key.clone();
    let saved = save(context, call, request, idempotency, id, minted, ttl, now).await;
    settle_minted(context, key.as_ref(), saved).await
}

/// Records the new credential with its audit event; `(true, first)` when a concurrent retry
/// with the same idempotency key won.
#[expect(
    clippy::too_many_arguments,
    reason = "one transaction's inputs, kept in one place"
)]
async fn save(
    context: &Context,
    call: &Call,
    request: &CreateRequest,
    idempotency: Option<&IdempotencyRequest>,
    id: CredentialId,
    minted: Issued,
    ttl: Option<u64>,
    now: Timestamp,
) -> Result<(bool, IssuedCredential), LifecycleError> {
    let mut tx = context.store.begin().await?;
    if let Some(idempotency) = idempotency
        && let Some(first) = idempotency::replay(&mut *tx, context, call, idempotency).await?
    {
        return Ok((true, first));
    }
    let (record, issued) = build(context, request, id, minted, ttl, now);
    tx.insert_credential(&record).await?;
    let details = BTreeMap::from([
        (
            "type".to_owned(),
            serde_json::json!(request.credential_type),
        ),
        ("scope".to_owned(), serde_json::json!(request.scope)),
        (
            "expires_at".to_owned(),
            serde_json::json!(issued.credential.expires_at),
        ),
    ]);
    let entry = call.audit(
        context.clock.now(),
        AuditAction::CredentialCreate,
        Some(issued.credential.id.clone()),
        Some(1),
        Outcome::Success,
        details,
    );
    tx.append_audit(context.issuer.id.as_str(), entry).await?;
    if let Some(idempotency) = idempotency {
        idempotency::remember(&mut *tx, context, call, idempotency, 201, &issued).await?;
    }
    tx.commit().await?;
    Ok((false, issued))
}

fn check(context: &Context, call: &Call, request: &CreateRequest) -> Result<(), LifecycleError> {
    let issuer = &context.issuer;
    if !issuer.credential_types().contains(&request.credential_type) {
        return Err(RequestError::CredentialType(request.credential_type.clone()).into());
    }
    issuer
        .index
        .check(&request.scope)
        .map_err(ScopeRefusal::from)?;
    call.check_authority(context, &request.scope)?;
    if let Some(ttl) = request.expires_in {
        let Some(bounds) = &issuer.expiry else {
            return Err(RequestError::NoExpiry.into());
        };
        if ttl < bounds.min_ttl_seconds || ttl > bounds.max_ttl_seconds {
            return Err(RequestError::ExpiresIn {
                min: bounds.min_ttl_seconds,
                max: bounds.max_ttl_seconds,
            }
            .into());
        }
    }
    Ok(())
}

/// The record and response of a new credential whose first secret the backend minted.
pub(super) fn build(
    context: &Context,
    request: &CreateRequest,
    id: CredentialId,
    minted: Issued,
    ttl: Option<u64>,
    now: Timestamp,
) -> (CredentialRecord, IssuedCredential) {
    let expires_at = minted
        .expires_at
        .or_else(|| ttl.map(|seconds| now.plus_seconds(seconds)));
    let (version, server) = version(context, 1, request.scope.clone(), &minted, now, expires_at);
    let credential = Credential {
        id,
        credential_type: request.credential_type.clone(),
        name: request.name.clone(),
        status: CredentialStatus::Active,
        scope: request.scope.clone(),
        metadata: request.metadata.clone(),
        created_at: now,
        expires_at,
        revoked_at: None,
        current_version: 1,
        versions: vec![version],
    };
    let record = CredentialRecord {
        issuer: context.issuer.id.as_str().to_owned(),
        credential,
        versions: vec![server],
    };
    let issued = issued_credential(&record, minted);
    (record, issued)
}
