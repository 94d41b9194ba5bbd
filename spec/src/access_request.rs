//! The access request resource (spec §"Access requests").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::id::{AccessRequestId, CredentialId};
use crate::scope::Grant;
use crate::timestamp::Timestamp;
use crate::vocabulary::CredentialType;

/// An agent's request for a short-lived credential, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Access request")]
pub struct AccessRequest {
    /// The issuer's id for the request.
    pub id: AccessRequestId,
    /// Where it stands.
    pub status: AccessRequestStatus,
    /// Who asked.
    pub requester: String,
    /// The kind of credential asked for.
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// The scope asked for, or once approved, the scope granted.
    pub scope: Vec<Grant>,
    /// The lifetime asked for, or once approved, the lifetime granted, in seconds.
    #[schemars(range(min = 1))]
    pub ttl_seconds: u64,
    /// Why the requester asked.
    pub reason: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When a pending request expires undecided.
    pub expires_at: Timestamp,
    /// When it was approved or denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// Who approved or denied it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// The approver's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_reason: Option<String>,
    /// Whether the issuer's policy approved it without a person.
    #[serde(default)]
    pub auto_approved: bool,
    /// The credential minted on approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<CredentialId>,
}

/// Where an access request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessRequestStatus {
    /// `approved`: a credential is waiting to be collected.
    Approved,
    /// `collected`: the requester has collected the credential.
    Collected,
    /// `denied`: refused; never yields a credential.
    Denied,
    /// `expired`: not decided in time; never yields a credential.
    Expired,
    /// `pending`: waiting for a decision.
    Pending,
}

impl AccessRequestStatus {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Collected => "collected",
            Self::Denied => "denied",
            Self::Expired => "expired",
            Self::Pending => "pending",
        }
    }
}
