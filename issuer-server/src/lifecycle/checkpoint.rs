//! `GET /audit/checkpoint` (REQ-AUD-15, REQ-AUD-16): a compact JWS over the newest event's
//! sequence number and hash, signed with a key from `jwks_uri`.

use credential_issuer_spec::audit::CHECKPOINT_TYPE;
use credential_issuer_spec::{ApiScope, CheckpointPayload, GENESIS_HASH};

use super::{Call, Context, LifecycleError};

/// Signs a checkpoint of the issuer's audit log as it is now.
pub async fn checkpoint(context: &Context, call: &Call) -> Result<String, LifecycleError> {
    call.require(ApiScope::AuditRead)?;
    let issuer = &context.issuer.id;
    let (seq, hash) = context
        .store
        .audit_head(issuer.as_str())
        .await?
        .unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
    let payload = CheckpointPayload {
        issuer: issuer.clone(),
        seq,
        hash,
        time: context.clock.now(),
    };
    let bytes = serde_json::to_vec(&payload)
        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
    Ok(context.signing.sign(&bytes, CHECKPOINT_TYPE)?)
}
