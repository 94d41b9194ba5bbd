//! What the store keeps, in the server's own terms.

use std::collections::BTreeMap;

use crate::backends::VendorKey;

use credential_issuer_spec::{
    AuditAction, Credential, CredentialId, CredentialStatus, CredentialType, Grant, Outcome,
    Timestamp, Version,
};

/// A credential with what only the server may see: per version, its scope and the keyed hash
/// and fingerprint of its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialRecord {
    /// The issuer the credential belongs to.
    pub issuer: String,
    /// The credential as served (the secret-free wire document).
    pub credential: Credential,
    /// Per version, in the order of `credential.versions`.
    pub versions: Vec<VersionRecord>,
}

/// The server-side part of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    /// The version number.
    pub version: u32,
    /// What this version's secret may do.
    pub scope: Vec<Grant>,
    /// HMAC-SHA-256 of the secret.
    pub secret_mac: [u8; 32],
    /// The keyed hash of the secret's fingerprint (see `minting::fingerprint_index`).
    pub fingerprint: String,
    /// The vendor's handle on this version's key; `None` for native secrets.
    pub vendor_key: Option<VendorKey>,
    /// When the vendor confirmed the key retired; `None` while it may still work there (or for
    /// native secrets, which stop working when the store says so).
    pub vendor_retired_at: Option<Timestamp>,
}

impl VersionRecord {
    /// Whether this version's key must still be retired at the vendor, given its status.
    pub fn awaits_vendor_retirement(&self, status: credential_issuer_spec::VersionStatus) -> bool {
        self.vendor_key.is_some() && self.vendor_retired_at.is_none() && !status.is_valid()
    }
}

impl CredentialRecord {
    /// The wire version and server part of `version`.
    pub fn version(&self, version: u32) -> Option<(&Version, &VersionRecord)> {
        let wire = self
            .credential
            .versions
            .iter()
            .find(|v| v.version == version)?;
        let server = self.versions.iter().find(|v| v.version == version)?;
        Some((wire, server))
    }
}

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

/// Where an idempotent response is filed: per issuer, caller and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The issuer.
    pub issuer: String,
    /// The caller's token id.
    pub principal: String,
    /// The `Idempotency-Key` header.
    pub key: String,
}

/// What is filed under an idempotency key: a request still running, or its response.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    /// Which operation it is (`create`, `rotate:<id>`).
    pub operation: String,
    /// SHA-256 of the request body, to detect a reused key.
    pub request_hash: [u8; 32],
    /// Whether the request is still running, or how it ended.
    pub outcome: StoredOutcome,
    /// When it was claimed or, once done, answered.
    pub created_at: Timestamp,
}

/// The state of an idempotent request.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredOutcome {
    /// A server is still processing it (REQ-IDEM-6); stored as status 0 with an empty body.
    InProgress,
    /// It was answered.
    Done {
        /// The HTTP status.
        status: u16,
        /// The body, sealed (it holds a secret).
        sealed_body: Vec<u8>,
    },
}

impl std::fmt::Debug for StoredOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InProgress => f.write_str("InProgress"),
            Self::Done {
                status,
                sealed_body,
            } => f
                .debug_struct("Done")
                .field("status", status)
                .field("sealed_body_len", &sealed_body.len())
                .finish(),
        }
    }
}

impl StoredOutcome {
    /// The outcome stored as `status` and `sealed_body` columns.
    pub fn from_columns(status: u16, sealed_body: Vec<u8>) -> Self {
        if status == 0 {
            Self::InProgress
        } else {
            Self::Done {
                status,
                sealed_body,
            }
        }
    }

    /// The `status` and `sealed_body` columns of this outcome.
    pub fn columns(&self) -> (u16, &[u8]) {
        match self {
            Self::InProgress => (0, &[]),
            Self::Done {
                status,
                sealed_body,
            } => (*status, sealed_body),
        }
    }
}

/// An access request with what only the server sees: the requester's token and, between
/// approval and collection, the sealed secret of the minted credential.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRequestRecord {
    /// The issuer.
    pub issuer: String,
    /// The request as served.
    pub request: credential_issuer_spec::AccessRequest,
    /// The id of the token that made the request (the only one that may collect it).
    pub requester_token: String,
    /// The minted credential's secret, sealed, until it is collected.
    pub sealed_secret: Option<Vec<u8>>,
}

/// A recorded exposure report.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureRecord {
    /// The issuer.
    pub issuer: String,
    /// `exp_<uuid>`.
    pub id: String,
    /// When it was reported.
    pub reported_at: Timestamp,
    /// Who reported it.
    pub actor: String,
    /// The reporter's `source`.
    pub source: Option<String>,
    /// `report` or `revoke`.
    pub action: String,
    /// The results, as served (no secret).
    pub results: serde_json::Value,
}
