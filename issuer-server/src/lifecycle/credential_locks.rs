//! Rotations of one credential on one server take turns, so that a vendor call is made only
//! by the rotation that will win: racing rotations with the same `If-Match` then lose with 409
//! before any of them reaches the vendor (REQ-ROT-2), instead of tripping a vendor limit (two
//! AWS keys per user) first. Across replicas, the store's compare-and-set still decides.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use credential_issuer_spec::CredentialId;

/// One async lock per credential, created on demand and dropped when unused.
#[derive(Debug, Default)]
pub struct CredentialLocks {
    locks: Mutex<HashMap<CredentialId, Arc<tokio::sync::Mutex<()>>>>,
}

impl CredentialLocks {
    /// Waits for `id`'s turn; the turn lasts as long as the guard.
    pub async fn turn(&self, id: &CredentialId) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = match self.locks.lock() {
                Ok(locks) => locks,
                Err(poisoned) => poisoned.into_inner(),
            };
            if locks.len() > 1024 {
                locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            locks.entry(id.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }
}
