//! A recorded exposure report.

use credential_issuer_spec::Timestamp;

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
