//! Create (REQ-CRE-*): mint a credential with a checked scope and lifetime.

use std::collections::BTreeMap;

use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::{
    ApiScope, AuditAction, Credential, CredentialId, CredentialStatus, IssuedCredential, Outcome,
    Timestamp, Version, VersionStatus,
};

use super::body::{Empty, decode};
use super::idempotency::{self, IdempotencyRequest};
use super::{Call, Context, LifecycleError, audited};
use crate::minting::{fingerprint_index, mint, secret_mac};
use crate::store::{CredentialRecord, VersionRecord};

/// Creates a credential from a JSON body. With an `Idempotency-Key`, a retry returns the first
/// credential.
pub async fn create(
    context: &Context,
    call: &Call,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Result<IssuedCredential, LifecycleError> {
    audited(context, call, AuditAction::CredentialCreate, None, async {
        call.require(ApiScope::CredentialsCreate)?;
        let request: CreateRequest = decode(body, Empty::Refused)?;
        let idempotency = idempotency_key
            .map(|key| IdempotencyRequest::new(key, "create".to_owned(), &request))
            .transpose()?;
        check(context, call, &request)?;
        let mut tx = context.store.begin().await?;
        if let Some(idempotency) = &idempotency
            && let Some(first) = idempotency::replay(&mut *tx, context, call, idempotency).await?
        {
            return Ok(first);
        }
        let now = Timestamp::now();
        let (record, issued) = build(context, &request, now);
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
            AuditAction::CredentialCreate,
            Some(issued.credential.id.clone()),
            Some(1),
            Outcome::Success,
            details,
        );
        tx.append_audit(context.issuer.id.as_str(), entry).await?;
        if let Some(idempotency) = &idempotency {
            idempotency::remember(&mut *tx, context, call, idempotency, 201, &issued).await?;
        }
        tx.commit().await?;
        Ok(issued)
    })
    .await
}

fn check(context: &Context, call: &Call, request: &CreateRequest) -> Result<(), LifecycleError> {
    let issuer = &context.issuer;
    if !issuer.credential_types().contains(&request.credential_type) {
        return Err(LifecycleError::InvalidRequest(format!(
            "this issuer does not mint credentials of type {:?}",
            request.credential_type.as_str()
        )));
    }
    issuer
        .index
        .check(&request.scope)
        .map_err(|e| LifecycleError::InvalidScope(e.to_string()))?;
    call.check_authority(context, &request.scope)?;
    if let Some(ttl) = request.expires_in {
        let bounds = &issuer.expiry;
        if ttl < bounds.min_ttl_seconds || ttl > bounds.max_ttl_seconds {
            return Err(LifecycleError::InvalidRequest(format!(
                "expires_in must be between {} and {} seconds",
                bounds.min_ttl_seconds, bounds.max_ttl_seconds
            )));
        }
    }
    Ok(())
}

pub(super) fn build(
    context: &Context,
    request: &CreateRequest,
    now: Timestamp,
) -> (CredentialRecord, IssuedCredential) {
    let issuer = &context.issuer;
    let secret = mint(&issuer.secret_format);
    let ttl = request.expires_in.or(issuer.expiry.default_ttl_seconds);
    let expires_at = ttl.map(|seconds| now.plus_seconds(seconds));
    let id: CredentialId = match format!("cred_{}", uuid::Uuid::now_v7().simple()).parse() {
        Ok(id) => id,
        Err(_) => unreachable!("cred_ and 32 hex digits is a valid id"),
    };
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
        versions: vec![Version {
            version: 1,
            status: VersionStatus::Current,
            secret_hint: secret.hint(),
            key_id: None,
            created_at: now,
            expires_at,
            revoked_at: None,
        }],
    };
    let record = CredentialRecord {
        issuer: issuer.id.as_str().to_owned(),
        credential: credential.clone(),
        versions: vec![VersionRecord {
            version: 1,
            scope: request.scope.clone(),
            secret_mac: secret_mac(&context.keys.secret_mac, secret.expose()),
            fingerprint: fingerprint_index(&context.keys.fingerprint_mac, &secret.fingerprint()),
        }],
    };
    (
        record,
        IssuedCredential {
            credential,
            secret,
            secret_attributes: Default::default(),
        },
    )
}
