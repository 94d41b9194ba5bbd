//! Turning what a backend minted into a stored version: the secret's keyed hash and
//! fingerprint index, the vendor's key handle, and the version as served. Create, rotate and
//! access requests all go through here, so a version is recorded the same way whoever minted it.

use credential_issuer_spec::{
    CredentialId, CredentialType, Grant, IssuedCredential, Timestamp, Version, VersionStatus,
};

use super::{Context, LifecycleError};
use crate::backends::{IssueRequest, Issued, Replacing};
use crate::crypto::minting::{fingerprint_index, secret_mac};
use crate::model::VendorKey;
use crate::model::{CredentialRecord, VersionRecord};

/// A fresh credential id: `cred_` and a UUIDv7, so ids sort by creation time.
pub(super) fn new_credential_id() -> CredentialId {
    match format!("cred_{}", uuid::Uuid::now_v7().simple()).parse() {
        Ok(id) => id,
        Err(_) => unreachable!("cred_ and 32 hex digits is a valid id"),
    }
}

/// What to ask the backend for.
#[derive(Debug)]
pub(super) struct Mint<'a> {
    pub(super) credential_id: &'a CredentialId,
    pub(super) credential_type: &'a CredentialType,
    pub(super) name: &'a str,
    pub(super) scope: &'a [Grant],
    pub(super) expires_in: Option<u64>,
    pub(super) replacing: Option<Replacing<'a>>,
}

/// Asks the issuer's backend for a secret (outside any transaction where the caller can).
pub(super) async fn mint(context: &Context, mint: Mint<'_>) -> Result<Issued, LifecycleError> {
    let request = IssueRequest {
        credential_id: mint.credential_id,
        credential_type: mint.credential_type,
        name: mint.name,
        scope: mint.scope,
        expires_in: mint.expires_in,
        replacing: mint.replacing,
    };
    Ok(context.issuer.backend.issue(request).await?)
}

/// The version numbered `number` for what the backend minted, and its server-side part.
pub(super) fn version(
    context: &Context,
    number: u32,
    scope: Vec<Grant>,
    issued: &Issued,
    now: Timestamp,
    expires_at: Option<Timestamp>,
) -> (Version, VersionRecord) {
    let secret = &issued.secret;
    let wire = Version {
        version: number,
        status: VersionStatus::Current,
        secret_hint: secret.hint(),
        key_id: issued.key.as_ref().map(|key| key.id.clone()),
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    let server = VersionRecord {
        version: number,
        scope,
        secret_mac: secret_mac(&context.keys.secret_mac, secret.expose()),
        fingerprint: fingerprint_index(&context.keys.fingerprint_mac, &secret.fingerprint()),
        vendor_key: issued.key.clone(),
        vendor_retired_at: None,
    };
    (wire, server)
}

/// The response document for a minted secret.
pub(super) fn issued_credential(record: &CredentialRecord, issued: Issued) -> IssuedCredential {
    IssuedCredential {
        credential: record.credential.clone(),
        secret: issued.secret,
        secret_attributes: issued.secret_attributes,
    }
}

/// Retires a key that was minted but will not be recorded (the request failed after the vendor
/// call), so that no vendor key outlives a failed operation. Best effort: a failure is logged
/// without the key's secret and left to a person.
pub(super) async fn discard(context: &Context, key: Option<&VendorKey>) {
    if let Some(key) = key
        && let Err(error) = context
            .issuer
            .backend
            .retire(key, context.clock.now())
            .await
    {
        tracing::error!(
            %error,
            key_id = %key.id,
            backend = context.issuer.backend.kind(),
            "a vendor key minted for a failed operation could not be retired; retire it by hand"
        );
    }
}

/// The answer of an operation that minted `key` and then tried to record it: the vendor key is
/// discarded when the recording failed, or when a concurrent retry's first answer is returned
/// instead (`(true, first)`).
pub(super) async fn settle_minted<T>(
    context: &Context,
    key: Option<&VendorKey>,
    saved: Result<(bool, T), LifecycleError>,
) -> Result<T, LifecycleError> {
    if saved.as_ref().map_or(true, |(replayed, _)| *replayed) {
        discard(context, key).await;
    }
    saved.map(|(_, issued)| issued)
}
