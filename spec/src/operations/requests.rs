//! Agent access requests: ask, decide, collect (spec §"Access requests").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Endpoint, Method};
use crate::auth::ApiScope;
use crate::scope::Grant;
use crate::vocabulary::CredentialType;

/// `POST /requests`: answers `202` with an [`AccessRequest`](crate::AccessRequest).
pub const CREATE: Endpoint = Endpoint {
    method: Method::Post,
    path: "/requests",
    scope: ApiScope::RequestsCreate,
};
/// `GET /requests?status=`: a [`Page`](super::Page) of access requests.
pub const LIST: Endpoint = Endpoint {
    method: Method::Get,
    path: "/requests",
    scope: ApiScope::RequestsRead,
};
/// `GET /requests/{id}`: one access request.
pub const GET: Endpoint = Endpoint {
    method: Method::Get,
    path: "/requests/{id}",
    scope: ApiScope::RequestsRead,
};
/// `POST /requests/{id}/approve`: approve, possibly narrower or shorter.
pub const APPROVE: Endpoint = Endpoint {
    method: Method::Post,
    path: "/requests/{id}/approve",
    scope: ApiScope::RequestsApprove,
};
/// `POST /requests/{id}/deny`: deny.
pub const DENY: Endpoint = Endpoint {
    method: Method::Post,
    path: "/requests/{id}/deny",
    scope: ApiScope::RequestsApprove,
};
/// `POST /requests/{id}/collect`: the requester collects the credential, once.
pub const COLLECT: Endpoint = Endpoint {
    method: Method::Post,
    path: "/requests/{id}/collect",
    scope: ApiScope::RequestsCreate,
};

/// The body of `POST /requests`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Access request creation")]
pub struct CreateAccessRequest {
    /// Who asks: an agent or workload name, for the approver to read.
    #[schemars(length(min = 1, max = 256))]
    pub requester: String,
    /// The kind of credential wanted.
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// What it should allow.
    #[schemars(length(min = 1, max = 100))]
    pub scope: Vec<Grant>,
    /// How long the credential should live, in seconds.
    #[schemars(range(min = 1))]
    pub ttl_seconds: u64,
    /// Why, for the approver.
    #[schemars(length(min = 1, max = 1000))]
    pub reason: String,
}

/// The body of an approval; both members may only narrow what was asked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Access request approval")]
pub struct ApproveRequest {
    /// A scope within the requested one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub scope: Option<Vec<Grant>>,
    /// A TTL no longer than the requested one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub ttl_seconds: Option<u64>,
    /// A note for the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub reason: Option<String>,
}

/// The body of a denial.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Access request denial")]
pub struct DenyRequest {
    /// Why, for the requester and the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1000))]
    pub reason: Option<String>,
}
