//! Linking an audit event to the one before it: the part of an append both dialects share.

use credential_issuer_spec::{AuditEvent, Timestamp};

use crate::model::AuditEntry;
use crate::store::StoreError;

/// The newest event of a log, as far as the next one needs it.
pub(crate) struct Head {
    /// Its sequence number (0 for an empty log).
    pub(crate) seq: u64,
    /// Its hash (the genesis hash for an empty log).
    pub(crate) hash: String,
    /// When it happened (`None` for an empty log).
    pub(crate) time: Option<Timestamp>,
}

/// `entry` as the event after `head`: numbered, linked by hash, and never earlier than the
/// event before it (REQ-AUD-8), whatever this server's clock says.
pub(crate) fn link(entry: AuditEntry, head: Head) -> Result<AuditEvent, StoreError> {
    let time = match head.time {
        Some(previous) if previous > entry.time => previous,
        _ => entry.time,
    };
    let mut event = AuditEvent {
        seq: head.seq + 1,
        time,
        actor: entry.actor,
        action: entry.action,
        credential_id: entry.credential_id,
        version: entry.version,
        outcome: entry.outcome,
        request_id: entry.request_id,
        details: entry.details,
        prev_hash: head.hash,
        hash: String::new(),
    };
    event.hash = event
        .compute_hash()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(event)
}
