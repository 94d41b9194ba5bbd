//! An audit event as an operation writes it, before the store numbers and links it.

use std::collections::BTreeMap;

use credential_issuer_spec::{AuditAction, CredentialId, Outcome, Timestamp};

/// An audit event before the store numbers and links it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// When.
    pub time: Timestamp,
    /// Who: `token:<id>` or `system`.
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// Which credential.
    pub credential_id: Option<CredentialId>,
    /// Which version.
    pub version: Option<u32>,
    /// How it ended.
    pub outcome: Outcome,
    /// The request that caused it.
    pub request_id: String,
    /// Anything else; never a secret.
    pub details: BTreeMap<String, serde_json::Value>,
}
