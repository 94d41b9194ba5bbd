//! `Idempotency-Key` on create and rotate (REQ-IDEM-*): the same key and the same request
//! return the first response, secret included, without minting again; the same key with another
//! request is refused; while the first is still running, a retry is told so. The key is claimed
//! in the store before the request does anything, so this holds across servers sharing a
//! store. The stored response is sealed, since it holds a secret.

use credential_issuer_spec::{IssuedCredential, Timestamp};
use sha2::{Digest, Sha256};

use super::{Call, Context, LifecycleError, RequestError};
use crate::crypto::sealing;
use crate::model::{IdempotencyKey, StoredOutcome, StoredResponse};
use crate::store::Transaction;

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
            return Err(RequestError::IdempotencyKey.into());
        }
        let canonical = serde_json::to_vec(body).map_err(RequestError::Body)?;
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

/// How long a claim holds a key: longer than any one request, vendor calls included. A claim
/// older than this belongs to a server that died mid-request, and the key is free again.
pub(super) const CLAIM_LEASE_SECONDS: u64 = 120;

/// What is filed under a key, as far as this request is concerned.
enum Filed {
    /// Nothing (or only what has lapsed).
    Nothing,
    /// The same request is being processed.
    Running,
    /// The same request was answered.
    Done(Box<IssuedCredential>),
}

async fn look(
    tx: &mut dyn Transaction,
    context: &Context,
    call: &Call,
    request: &IdempotencyRequest,
) -> Result<Filed, LifecycleError> {
    let Some(stored) = tx
        .stored_response(&request.store_key(context, call))
        .await?
    else {
        return Ok(Filed::Nothing);
    };
    let lifetime = match stored.outcome {
        StoredOutcome::InProgress => CLAIM_LEASE_SECONDS,
        // After the replay window the key is unused again (REQ-IDEM-8); the old record is
        // replaced.
        StoredOutcome::Done { .. } => REPLAY_WINDOW_SECONDS,
    };
    if stored.created_at.plus_seconds(lifetime) <= context.clock.now() {
        return Ok(Filed::Nothing);
    }
    if stored.operation != request.operation || stored.request_hash != request.request_hash {
        return Err(LifecycleError::IdempotencyKeyReused);
    }
    match stored.outcome {
        StoredOutcome::InProgress => Ok(Filed::Running),
        StoredOutcome::Done { sealed_body, .. } => {
            let body = sealing::open(&context.keys.response_seal, &sealed_body)?;
            let issued = serde_json::from_slice(&body)
                .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
            Ok(Filed::Done(Box::new(issued)))
        }
    }
}

/// What the first look at a key decided.
pub(super) enum Claimed {
    /// The same request was answered: its response, to replay.
    Replay(Box<IssuedCredential>),
    /// The key is this request's until the guard is dropped.
    Held(Box<Claim>),
}

/// A claim on an idempotency key. Dropping it gives the key back, whether the request failed
/// or was cancelled (the client went away and the server dropped its handler), so that a retry
/// is processed as a new request (REQ-IDEM-7) instead of being refused until the claim lapses.
/// A claim that became a stored response is left alone: releasing drops only claims.
pub(super) struct Claim {
    context: Context,
    key: IdempotencyKey,
    /// Whether dropping still has to give the key back.
    held: bool,
}

impl Claim {
    /// Ends the claim with the request's `outcome`: after a failure the key is given back before
    /// the answer, so that an immediate retry is processed as a new request; after a success the
    /// claim has become the stored response. Only a request dropped before this (cancelled)
    /// leaves its release to [`Drop`].
    pub(super) async fn end<T>(
        mut self,
        outcome: Result<T, LifecycleError>,
    ) -> Result<T, LifecycleError> {
        // Answered: the claim became the stored response. Failed: given back now (and by the
        // drop, if this is cancelled meanwhile). Either way nothing is left for the drop to do.
        if outcome.is_err() {
            release(&self.context, &self.key).await;
        }
        self.held = false;
        outcome
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        let (context, key) = (self.context.clone(), self.key.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { release(&context, &key).await });
        }
    }
}

/// The first look at a key, before anything is done: the first response when the same request
/// was answered (REQ-IDEM-4); `request-in-progress` while it is still running (REQ-IDEM-6);
/// `idempotency-key-reused` for another request (REQ-IDEM-5). Otherwise the key is claimed for
/// this request (committed, so that every server sees it) until the returned guard is dropped;
/// [`remember`] files the response meanwhile.
pub(super) async fn claim(
    context: &Context,
    call: &Call,
    request: &IdempotencyRequest,
) -> Result<Claimed, LifecycleError> {
    let mut tx = context.store.begin().await?;
    match look(&mut *tx, context, call, request).await? {
        Filed::Done(first) => return Ok(Claimed::Replay(first)),
        Filed::Running => return Err(LifecycleError::RequestInProgress),
        Filed::Nothing => {}
    }
    let claim = StoredResponse {
        operation: request.operation.clone(),
        request_hash: request.request_hash,
        outcome: StoredOutcome::InProgress,
        created_at: context.clock.now(),
    };
    let key = request.store_key(context, call);
    tx.store_response(&key, &claim).await?;
    // The guard exists before the commit: a request dropped while committing (its client went
    // away) gives the key back like any cancelled one, instead of leaving it claimed, with no
    // request behind it, until the lease lapses.
    let guard = Claim {
        context: context.clone(),
        key,
        held: true,
    };
    tx.commit().await?;
    Ok(Claimed::Held(Box::new(guard)))
}

/// The first response to this request, looked up again in the transaction that would file this
/// one (a claim that lapsed may have let another server answer meanwhile). A running claim, this
/// request's own, is not a response.
pub(super) async fn replay(
    tx: &mut dyn Transaction,
    context: &Context,
    call: &Call,
    request: &IdempotencyRequest,
) -> Result<Option<IssuedCredential>, LifecycleError> {
    match look(tx, context, call, request).await? {
        Filed::Done(first) => Ok(Some(*first)),
        Filed::Running | Filed::Nothing => Ok(None),
    }
}

/// Drops the claim on `key`, if it is still a claim. Best effort: a claim left behind lapses
/// after [`CLAIM_LEASE_SECONDS`].
async fn release(context: &Context, key: &IdempotencyKey) {
    let released = async {
        let mut tx = context.store.begin().await?;
        tx.release_claim(key).await?;
        tx.commit().await
    }
    .await;
    if let Err(error) = released {
        tracing::warn!(%error, "an idempotency claim was not released; it lapses by itself");
    }
}

/// Files the response so that a retry gets it again (replacing this request's claim).
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
        outcome: StoredOutcome::Done {
            status,
            sealed_body: sealing::seal(&context.keys.response_seal, &body)?,
        },
        created_at: context.clock.now(),
    };
    tx.store_response(&request.store_key(context, call), &stored)
        .await?;
    Ok(())
}

/// Deletes the stored responses whose replay window is over; returns how many.
pub async fn purge_expired_responses(context: &Context) -> Result<u64, LifecycleError> {
    let window_ms = i64::try_from(REPLAY_WINDOW_SECONDS * 1000).unwrap_or(i64::MAX);
    let cutoff =
        Timestamp::from_unix_millis(context.clock.now().unix_millis().saturating_sub(window_ms));
    match cutoff {
        Some(before) => Ok(context.store.purge_stored_responses(before).await?),
        None => Ok(0),
    }
}
