//! `POST /credentials/{id}/rotate`: replace a credential's secret (spec §"Rotate").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Endpoint, Method};
use crate::auth::ApiScope;
use crate::manifest::RotationMode;
use crate::scope::Grant;

/// Answers `200` with an [`IssuedCredential`](crate::IssuedCredential) holding the new secret.
pub const ENDPOINT: Endpoint = Endpoint {
    method: Method::Post,
    path: "/credentials/{id}/rotate",
    scope: ApiScope::CredentialsRotate,
};

/// The body of a rotation. An empty object asks for an overlap rotation with the default grace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Rotate request")]
pub struct RotateRequest {
    /// `overlap` (default) or `immediate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<RotationMode>,
    /// For `overlap`: how long the old version keeps working, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub grace_period_seconds: Option<u64>,
    /// A narrower scope for the new version; it must be within the current scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub scope: Option<Vec<Grant>>,
}
