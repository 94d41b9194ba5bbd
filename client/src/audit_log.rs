//! Verifying an issuer's audit log (spec §13.6): download the signed checkpoint and the chain,
//! recompute every hash, check every link and the checkpoint's signature against the JWK Set,
//! and check that a checkpoint verified earlier still holds (so that a truncated or rewritten
//! log is caught). The same check runs offline on an [`AuditExport`].

use credential_issuer_spec::audit::{CHECKPOINT_TYPE, ChainError, verify_served_chain};
use credential_issuer_spec::operations::audit as endpoints;
use credential_issuer_spec::{CheckpointPayload, GENESIS_HASH, Operation, Timestamp};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ClientError;
use crate::issuer::{AuditQuery, Issuer};
use crate::signature::{self, SignatureError};

/// An audit log exported for offline verification: the events as served, the checkpoint JWS
/// and the JWK Set to check it with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditExport {
    /// The issuer identifier.
    pub issuer: String,
    /// When the export was made.
    pub exported_at: Timestamp,
    /// The issuer's JWK Set at export time.
    pub jwks: Value,
    /// The signed checkpoint (compact JWS).
    pub checkpoint: String,
    /// The events, in order, exactly as served.
    pub events: Vec<Value>,
}

/// What a verification proved.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedLog {
    /// The issuer.
    pub issuer: String,
    /// How many events were verified.
    pub events: u64,
    /// The first and last sequence numbers verified.
    pub first_seq: u64,
    /// The last sequence number verified.
    pub last_seq: u64,
    /// The verified checkpoint.
    pub checkpoint: CheckpointPayload,
    /// The thumbprint of the key that signed the checkpoint.
    pub key_thumbprint: String,
}

/// Why a log does not verify; each names the first sequence number concerned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditVerifyError {
    /// The chain breaks at an event.
    #[error("{0}")]
    Chain(#[from] ChainError),
    /// The checkpoint's signature or form is not accepted.
    #[error("the checkpoint is not accepted: {0}")]
    Checkpoint(String),
    /// The checkpoint names an event the log does not have, or has with another hash.
    #[error("event {seq}: {reason}")]
    CheckpointMismatch {
        /// The event the checkpoint names.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint verified earlier no longer holds: the log was truncated or rewritten.
    #[error("event {seq}: a checkpoint verified earlier names it, but {reason}")]
    EarlierCheckpoint {
        /// The event the earlier checkpoint names.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
}

impl AuditVerifyError {
    /// The sequence number of the first event that does not verify, when there is one.
    pub fn seq(&self) -> Option<u64> {
        match self {
            Self::Chain(error) => Some(error.seq()),
            Self::CheckpointMismatch { seq, .. } | Self::EarlierCheckpoint { seq, .. } => {
                Some(*seq)
            }
            Self::Checkpoint(_) => None,
        }
    }
}

impl AuditExport {
    /// Verifies the export: the checkpoint's signature (with `pins` when not empty), the chain
    /// from its first event, the checkpoint against the chain, and `earlier` (a checkpoint
    /// verified before) against the chain.
    pub fn verify(
        &self,
        pins: &[String],
        earlier: Option<&CheckpointPayload>,
    ) -> Result<VerifiedLog, AuditVerifyError> {
        let verified = signature::verify(self.checkpoint.trim(), &self.jwks, CHECKPOINT_TYPE, pins)
            .map_err(|e: SignatureError| AuditVerifyError::Checkpoint(e.to_string()))?;
        let checkpoint: CheckpointPayload = serde_json::from_value(verified.payload)
            .map_err(|e| AuditVerifyError::Checkpoint(format!("its payload: {e}")))?;
        if checkpoint.issuer.as_str() != self.issuer {
            return Err(AuditVerifyError::Checkpoint(format!(
                "it names issuer {}",
                checkpoint.issuer
            )));
        }
        let first_seq = self
            .events
            .first()
            .and_then(|e| e["seq"].as_u64())
            .unwrap_or(checkpoint.seq + 1);
        let start_hash = match self.events.first() {
            Some(first) if first_seq > 1 => {
                first["prev_hash"].as_str().unwrap_or_default().to_owned()
            }
            _ => GENESIS_HASH.to_owned(),
        };
        let (last_seq, _) =
            verify_served_chain(&self.events, first_seq.saturating_sub(1), &start_hash)?;
        let hash_at = |seq: u64| -> Option<&str> {
            let index = usize::try_from(seq.checked_sub(first_seq)?).ok()?;
            self.events.get(index).and_then(|e| e["hash"].as_str())
        };
        if checkpoint.seq > last_seq {
            return Err(AuditVerifyError::CheckpointMismatch {
                seq: checkpoint.seq,
                reason: format!("the checkpoint names it, but the log ends at {last_seq}"),
            });
        }
        if checkpoint.seq >= first_seq && hash_at(checkpoint.seq) != Some(checkpoint.hash.as_str())
        {
            return Err(AuditVerifyError::CheckpointMismatch {
                seq: checkpoint.seq,
                reason: "its hash differs from the checkpoint's".to_owned(),
            });
        }
        if let Some(earlier) = earlier {
            if earlier.seq > last_seq {
                return Err(AuditVerifyError::EarlierCheckpoint {
                    seq: earlier.seq,
                    reason: format!("the log now ends at {last_seq} (events were removed)"),
                });
            }
            if earlier.seq >= first_seq && hash_at(earlier.seq) != Some(earlier.hash.as_str()) {
                return Err(AuditVerifyError::EarlierCheckpoint {
                    seq: earlier.seq,
                    reason: "its hash has changed (the log was rewritten)".to_owned(),
                });
            }
        }
        Ok(VerifiedLog {
            issuer: self.issuer.clone(),
            events: self.events.len() as u64,
            first_seq,
            last_seq,
            checkpoint,
            key_thumbprint: verified.thumbprint,
        })
    }
}

impl Issuer {
    /// Downloads the checkpoint first, then the events from `from_seq` (1 for the whole log) up
    /// to at least the checkpoint, and the JWK Set.
    pub async fn export_audit(&self, from_seq: u64) -> Result<AuditExport, ClientError> {
        if !self.manifest().supports(&Operation::Audit) {
            return Err(ClientError::NotOffered(Operation::Audit));
        }
        let checkpoint = self.checkpoint().await?;
        let jwks_uri =
            self.manifest()
                .jwks_uri
                .clone()
                .ok_or_else(|| ClientError::InvalidDocument {
                    document: "manifest",
                    url: self.discovery().manifest_url.to_string(),
                    rule: "an issuer with audit checkpoints must publish jwks_uri".to_owned(),
                })?;
        let jwks: Value = serde_json::from_slice(&self.client().fetch_document(&jwks_uri).await?)
            .map_err(|_| ClientError::NotJson {
            url: jwks_uri.to_string(),
        })?;
        let query = AuditQuery {
            after_seq: Some(from_seq.saturating_sub(1)),
            limit: Some(200),
            ..AuditQuery::default()
        };
        let events: Vec<Value> = self.audit_raw(query).try_collect().await?;
        Ok(AuditExport {
            issuer: self.manifest().issuer.as_str().to_owned(),
            exported_at: Timestamp::now(),
            jwks,
            checkpoint,
            events,
        })
    }

    /// The signed checkpoint of the audit log (a compact JWS).
    pub async fn checkpoint(&self) -> Result<String, ClientError> {
        let reply = self
            .send_endpoint(&endpoints::CHECKPOINT, Operation::Audit)
            .await?;
        reply.expect_success()?;
        String::from_utf8(reply.body.clone()).map_err(|_| ClientError::NotJson {
            url: reply.url.to_string(),
        })
    }
}
