//! `POST /exposures`: report secrets found where they should not be (spec §"Report exposure").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Endpoint, Method};
use crate::auth::ApiScope;
use crate::id::{CredentialId, ExposureId};
use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// Answers `200` with an [`ExposureReportResponse`].
pub const ENDPOINT: Endpoint = Endpoint {
    method: Method::Post,
    path: "/exposures",
    scope: ApiScope::ExposuresReport,
};

/// The body of an exposure report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Exposure report")]
pub struct ExposureReport {
    /// What was found; 1 to 100 entries.
    #[schemars(length(min = 1, max = 100))]
    pub exposures: Vec<Exposure>,
    /// What the reporter wants done.
    pub action: ExposureAction,
    /// Who found it (a scanner's name, an incident id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub source: Option<String>,
}

/// One exposed secret, given either as the secret or as its fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{ "required": ["secret"] }, { "required": ["fingerprint"] }]))]
pub struct Exposure {
    /// The secret as found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// `sha256:` and the lowercase hex SHA-256 of the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^sha256:[0-9a-f]{64}$"))]
    pub fingerprint: Option<String>,
    /// Where it was found (a URL, a file path and line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2048))]
    pub location: Option<String>,
    /// When it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<Timestamp>,
}

/// Why an exposure report is refused beyond its JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExposureError {
    /// No exposures, or more than 100.
    #[error("an exposure report holds 1 to 100 exposures")]
    Count,
    /// An entry has neither or both of `secret` and `fingerprint`.
    #[error("exposure {0} must have exactly one of secret and fingerprint")]
    SecretOrFingerprint(usize),
    /// A fingerprint is not `sha256:` and 64 lowercase hex digits.
    #[error("exposure {0} has a malformed fingerprint")]
    Fingerprint(usize),
}

impl ExposureReport {
    /// Checks the rules the JSON shape alone does not enforce.
    pub fn check(&self) -> Result<(), ExposureError> {
        if self.exposures.is_empty() || self.exposures.len() > 100 {
            return Err(ExposureError::Count);
        }
        for (index, exposure) in self.exposures.iter().enumerate() {
            match (&exposure.secret, &exposure.fingerprint) {
                (Some(_), None) => {}
                (None, Some(fingerprint)) => {
                    let hex = fingerprint.strip_prefix("sha256:").unwrap_or("");
                    if hex.len() != 64
                        || !hex
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                    {
                        return Err(ExposureError::Fingerprint(index));
                    }
                }
                _ => return Err(ExposureError::SecretOrFingerprint(index)),
            }
        }
        Ok(())
    }
}

impl Exposure {
    /// The fingerprint of this exposure, computed from the secret when that was given.
    pub fn fingerprint(&self) -> Option<String> {
        match (&self.secret, &self.fingerprint) {
            (Some(secret), _) => Some(secret.fingerprint()),
            (None, Some(fingerprint)) => Some(fingerprint.clone()),
            (None, None) => None,
        }
    }
}

/// What the reporter wants done with matched secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExposureAction {
    /// `report`: record the exposure only.
    Report,
    /// `revoke`: revoke each exposed version (the whole credential if it was the current one).
    Revoke,
}

/// What the issuer found and did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Exposure report response")]
pub struct ExposureReportResponse {
    /// The issuer's id for this report.
    pub exposure_id: ExposureId,
    /// One result per exposure, in the order given.
    pub results: Vec<ExposureResult>,
}

/// The outcome for one exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExposureResult {
    /// The position of the exposure in the report, from 0.
    pub index: u32,
    /// Whether the secret belongs to a credential of this issuer.
    pub matched: bool,
    /// The credential, when matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<CredentialId>,
    /// The version, when matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// What the issuer did.
    pub action_taken: ActionTaken,
}

/// What the issuer did about one exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionTaken {
    /// `already_inactive`: the version was already revoked or expired.
    AlreadyInactive,
    /// `credential_revoked`: the exposed version was current, so the credential was revoked.
    CredentialRevoked,
    /// `none`: nothing matched.
    None,
    /// `recorded`: the exposure was recorded against the credential.
    Recorded,
    /// `version_revoked`: the exposed (previous) version was revoked.
    VersionRevoked,
}
