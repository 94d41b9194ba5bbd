//! `POST /credentials/{id}/revoke`: revoke a credential or one version (spec §"Revoke").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Endpoint, Method};
use crate::auth::ApiScope;

/// Answers `200` with the [`Credential`](crate::Credential) after the revocation.
pub const ENDPOINT: Endpoint = Endpoint {
    method: Method::Post,
    path: "/credentials/{id}/revoke",
    scope: ApiScope::CredentialsRevoke,
};

/// The body of a revocation. Without `version`, the whole credential is revoked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Revoke request")]
pub struct RevokeRequest {
    /// Revoke only this version (a previous one: ends an overlap early).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub version: Option<u32>,
    /// Why, for the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub reason: Option<String>,
}
