//! What to read: the filters of the store's list queries.

use std::collections::BTreeMap;

use credential_issuer_spec::{CredentialId, CredentialStatus, CredentialType, Timestamp};

/// Which credentials to list.
#[derive(Debug, Clone, Default)]
pub struct CredentialFilter {
    /// Only with this status.
    pub status: Option<StatusAt>,
    /// Only of this type.
    pub credential_type: Option<CredentialType>,
    /// Only with each of these metadata pairs.
    pub metadata: BTreeMap<String, String>,
    /// Only with an id greater than this.
    pub after: Option<CredentialId>,
    /// At most this many.
    pub limit: u32,
}

/// A status as of an instant: an active credential whose lifetime is over by then counts as
/// expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusAt {
    /// The status.
    pub status: CredentialStatus,
    /// The instant it is evaluated at (the store never reads a clock).
    pub at: Timestamp,
}

/// Which audit events to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only about this credential.
    pub credential_id: Option<CredentialId>,
    /// Only with a sequence number greater than this.
    pub after_seq: u64,
    /// At most this many.
    pub limit: u32,
}
