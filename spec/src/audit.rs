//! Audit events, the hash chain that links them and the checkpoint payload (spec §"Audit").

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::id::CredentialId;
use crate::issuer::IssuerId;
use crate::timestamp::Timestamp;

/// The `typ` header of an audit checkpoint's JWS (REQ-AUD-15).
pub const CHECKPOINT_TYPE: &str = "credential-issuer-checkpoint+jws";

/// The `prev_hash` of the first event: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Audit event")]
pub struct AuditEvent {
    /// The position in the log, from 1, without gaps.
    #[schemars(range(min = 1))]
    pub seq: u64,
    /// When it happened.
    pub time: Timestamp,
    /// Who did it: `token:<id>` for an issuer-API token, `system` for the issuer itself.
    #[schemars(length(min = 1, max = 256))]
    pub actor: String,
    /// What was done.
    pub action: AuditAction,
    /// The credential concerned, if any.
    #[schemars(required, schema_with = "crate::nullable::nullable::<CredentialId>")]
    pub credential_id: Option<CredentialId>,
    /// The version concerned, if any.
    #[schemars(required, schema_with = "crate::nullable::nullable_version")]
    pub version: Option<u32>,
    /// How it ended.
    pub outcome: Outcome,
    /// The request that caused it (the `X-Request-Id` of the response).
    pub request_id: String,
    /// What else is worth recording; never a secret.
    pub details: BTreeMap<String, serde_json::Value>,
    /// The `hash` of the previous event, or [`GENESIS_HASH`].
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub prev_hash: String,
    /// Lowercase hex SHA-256 over the RFC 8785 canonical JSON of this event without `hash`.
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub hash: String,
}

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum AuditAction {
    /// `credential.create`
    #[serde(rename = "credential.create")]
    CredentialCreate,
    /// `credential.expire`: the credential's lifetime ended.
    #[serde(rename = "credential.expire")]
    CredentialExpire,
    /// `credential.introspect`
    #[serde(rename = "credential.introspect")]
    CredentialIntrospect,
    /// `credential.revoke` (the credential or one version)
    #[serde(rename = "credential.revoke")]
    CredentialRevoke,
    /// `credential.rotate`
    #[serde(rename = "credential.rotate")]
    CredentialRotate,
    /// `exposure.report`
    #[serde(rename = "exposure.report")]
    ExposureReport,
    /// `request.approve`
    #[serde(rename = "request.approve")]
    RequestApprove,
    /// `request.collect`
    #[serde(rename = "request.collect")]
    RequestCollect,
    /// `request.create`
    #[serde(rename = "request.create")]
    RequestCreate,
    /// `request.deny`
    #[serde(rename = "request.deny")]
    RequestDeny,
    /// `request.expire`: a pending request timed out.
    #[serde(rename = "request.expire")]
    RequestExpire,
    /// `version.expire`: a previous version's grace period ended.
    #[serde(rename = "version.expire")]
    VersionExpire,
    /// `version.retire`: a shim's vendor confirmed an ended version's key no longer works.
    #[serde(rename = "version.retire")]
    VersionRetire,
}

/// How an audited operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `error`: the issuer failed (5xx).
    Error,
    /// `refused`: the issuer refused (4xx); nothing changed.
    Refused,
    /// `success`: done.
    Success,
}

/// Why an event's hash could not be computed.
#[derive(Debug, thiserror::Error)]
#[error("cannot canonicalise the audit event: {0}")]
pub struct CanonicalisationError(String);

impl AuditEvent {
    /// Computes the event's hash: SHA-256 over the RFC 8785 (JCS) canonical JSON of every member
    /// but `hash`, as lowercase hex.
    pub fn compute_hash(&self) -> Result<String, CanonicalisationError> {
        let value = serde_json::to_value(self).map_err(|e| CanonicalisationError(e.to_string()))?;
        hash_event(&value)
    }
}

/// The hash of an event exactly as served (REQ-AUD-12): SHA-256 over the RFC 8785 canonical JSON
/// of every member but `hash`. Verifiers use this on the received JSON, so that members or
/// spellings this crate does not know still count.
pub fn hash_event(event: &serde_json::Value) -> Result<String, CanonicalisationError> {
    let mut value = event.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove("hash");
    }
    let canonical = serde_json_canonicalizer::to_vec(&value)
        .map_err(|e| CanonicalisationError(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

/// The first place where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// A sequence number is missing or repeated.
    #[error("expected event {expected}, found {found}: an event is missing or repeated")]
    Gap {
        /// The sequence number that should come next.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// `prev_hash` is not the previous event's hash.
    #[error("event {seq}: prev_hash does not match the previous event's hash")]
    BrokenLink {
        /// The event whose link is broken.
        seq: u64,
    },
    /// `hash` does not match the event's content: the event was changed.
    #[error("event {seq}: hash does not match its content (the event was altered)")]
    Tampered {
        /// The altered event.
        seq: u64,
    },
}

impl ChainError {
    /// The sequence number of the first event that does not verify.
    pub fn seq(&self) -> u64 {
        match self {
            Self::Gap { expected, .. } => *expected,
            Self::BrokenLink { seq } | Self::Tampered { seq } => *seq,
        }
    }
}

/// Verifies a contiguous run of events that follows an event whose number is `after_seq` and
/// whose hash is `after_hash` (`0` and [`GENESIS_HASH`] for the start of the log). Returns the
/// last sequence number and hash verified.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a AuditEvent>,
    after_seq: u64,
    after_hash: &str,
) -> Result<(u64, String), ChainError> {
    let values: Vec<serde_json::Value> = events
        .into_iter()
        .map(|event| serde_json::to_value(event).unwrap_or_default())
        .collect();
    verify_served_chain(&values, after_seq, after_hash)
}

/// [`verify_chain`] over events exactly as served (JSON), hashing what was received.
pub fn verify_served_chain(
    events: &[serde_json::Value],
    after_seq: u64,
    after_hash: &str,
) -> Result<(u64, String), ChainError> {
    let mut seq = after_seq;
    let mut hash = after_hash.to_owned();
    for event in events {
        let found = event["seq"].as_u64().unwrap_or(0);
        if found != seq + 1 {
            return Err(ChainError::Gap {
                expected: seq + 1,
                found,
            });
        }
        if event["prev_hash"].as_str() != Some(hash.as_str()) {
            return Err(ChainError::BrokenLink { seq: found });
        }
        let claimed = event["hash"].as_str().unwrap_or_default();
        match hash_event(event) {
            Ok(computed) if computed == claimed => {}
            _ => return Err(ChainError::Tampered { seq: found }),
        }
        seq = found;
        hash = claimed.to_owned();
    }
    Ok((seq, hash))
}

/// The payload of the signed checkpoint at `GET /audit/checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Audit checkpoint payload")]
pub struct CheckpointPayload {
    /// The issuer.
    pub issuer: IssuerId,
    /// The sequence number of the newest event.
    pub seq: u64,
    /// That event's hash.
    #[schemars(regex(pattern = "^[0-9a-f]{64}$"))]
    pub hash: String,
    /// When the checkpoint was made.
    pub time: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut event = AuditEvent {
                    seq,
                    time: "2026-11-22T10:00:00Z".parse().unwrap(),
                    actor: "token:t1".into(),
                    action: AuditAction::CredentialCreate,
                    credential_id: Some("cred_1".parse().unwrap()),
                    version: Some(1),
                    outcome: Outcome::Success,
                    request_id: format!("req-{seq}"),
                    details: BTreeMap::new(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                event.hash = event.compute_hash().unwrap();
                prev = event.hash.clone();
                event
            })
            .collect()
    }

    #[test]
    fn a_sound_chain_verifies() {
        let events = chain(5);
        let (seq, hash) = verify_chain(&events, 0, GENESIS_HASH).unwrap();
        assert_eq!(seq, 5);
        assert_eq!(hash, events[4].hash);
    }

    #[test]
    fn an_edit_a_removal_and_a_relink_are_each_found() {
        let mut edited = chain(5);
        edited[2].actor = "token:mallory".into();
        assert_eq!(
            verify_chain(&edited, 0, GENESIS_HASH),
            Err(ChainError::Tampered { seq: 3 })
        );

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(
            verify_chain(&removed, 0, GENESIS_HASH),
            Err(ChainError::Gap {
                expected: 2,
                found: 3
            })
        );

        let mut relinked = chain(5);
        relinked[3].prev_hash = GENESIS_HASH.into();
        relinked[3].hash = relinked[3].compute_hash().unwrap();
        assert_eq!(
            verify_chain(&relinked, 0, GENESIS_HASH),
            Err(ChainError::BrokenLink { seq: 4 })
        );
    }
}
