//! `Idempotency-Key` on create and rotate (REQ-IDEM-*): the same key and the same request
//! return the first response, secret included, without minting again; the same key with another
//! request is refused. The stored response is sealed, since it holds a secret.

use credential_issuer_spec::{IssuedCredential, Timestamp};
use sha2::{Digest, Sha256};

use super::{Call, Context, LifecycleError};
use crate::sealing;
use crate::store::{IdempotencyKey, StoredResponse, Transaction};

/// How long a response is kept for replay: 24 hours (REQ-IDEM-8).
pub(super) const REPLAY_WINDOW_SECONDS: u64 = 24 * 3600;

/// An idempotent request: the key the caller chose and what it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IdempotencyRequest {
    key: String,
    operation: String,
    request_hash: [u8; 32],
}

impl IdempotencyRequest {
    /// Binds `key` to `operation` and the request body (its canonical serialisation).
    pub(super) fn new(
        key: &str,
        operation: String,
        body: &impl serde::Serialize,
    ) -> Result<Self, LifecycleError> {
        let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(LifecycleError::InvalidRequest(
                "Idempotency-Key must be 1 to 255 visible ASCII characters".to_owned(),
            ));
        }
        let canonical =
            serde_json::to_vec(body).map_err(|e| LifecycleError::InvalidRequest(e.to_string()))?;
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        hasher.update([0]);
        hasher.update(&canonical);
        Ok(Self {
            key: key.to_owned(),
            operation,
            request_hash: hasher.finalize().into(),
        })
    }

    fn store_key(&self, context: &Context, call: &Call) -> IdempotencyKey {
        IdempotencyKey {
            issuer: context.issuer.id.as_str().to_owned(),
            principal: call.caller.token_id.clone(),
            key: self.key.clone(),
        }
    }
}

/// The first response to this request, if there was one; refuses a reused key.
pub(super) async fn replay(
    tx: &mut dyn Transaction,
    context: &Context,
    call: &Call,
    request: &IdempotencyRequest,
) -> Result<Option<IssuedCredential>, LifecycleError> {
    let Some(stored) = tx
        .stored_response(&request.store_key(context, call))
        .await?
    else {
        return Ok(None);
    };
    // After the replay window the key is unused again (REQ-IDEM-8); the old record is replaced.
    if stored.created_at.plus_seconds(REPLAY_WINDOW_SECONDS) <= Timestamp::now() {
        return Ok(None);
    }
    if stored.operation != request.operation || stored.request_hash != request.request_hash {
        return Err(LifecycleError::IdempotencyKeyReused);
    }
    let body = sealing::open(&context.keys.response_seal, &stored.sealed_body)?;
    let issued = serde_json::from_slice(&body)
        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
    Ok(Some(issued))
}

/// Files the response so that a retry gets it again.
pub(super) async fn remember(
    tx: &mut dyn Transaction,
    context: &Context,
    call: &Call,
    request: &IdempotencyRequest,
    status: u16,
    issued: &IssuedCredential,
) -> Result<(), LifecycleError> {
    let body =
        serde_json::to_vec(issued).map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
    let stored = StoredResponse {
        operation: request.operation.clone(),
        request_hash: request.request_hash,
        status,
        sealed_body: sealing::seal(&context.keys.response_seal, &body)?,
        created_at: Timestamp::now(),
    };
    tx.store_response(&request.store_key(context, call), &stored)
        .await?;
    Ok(())
}

/// Deletes the stored responses whose replay window is over; returns how many.
pub async fn purge_expired_responses(context: &Context) -> Result<u64, LifecycleError> {
    let window_ms = i64::try_from(REPLAY_WINDOW_SECONDS * 1000).unwrap_or(i64::MAX);
    let cutoff =
        Timestamp::from_unix_millis(Timestamp::now().unix_millis().saturating_sub(window_ms));
    match cutoff {
        Some(before) => Ok(context.store.purge_stored_responses(before).await?),
        None => Ok(0),
    }
}
