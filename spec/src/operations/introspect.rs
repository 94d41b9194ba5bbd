//! `POST /credentials/introspect`: which credential is this secret? (spec §"Introspect").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Endpoint, Method};
use crate::auth::ApiScope;
use crate::credential::CredentialStatus;
use crate::id::CredentialId;
use crate::scope::Grant;
use crate::secret::Secret;
use crate::timestamp::Timestamp;
use crate::vocabulary::CredentialType;

/// Answers `200` with an [`IntrospectResponse`].
pub const ENDPOINT: Endpoint = Endpoint {
    method: Method::Post,
    path: "/credentials/introspect",
    scope: ApiScope::CredentialsIntrospect,
};

/// The body of an introspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Introspect request")]
pub struct IntrospectRequest {
    /// The secret to look up.
    pub secret: Secret,
}

/// What the issuer knows of a secret. A secret that is unknown, revoked or expired gives only
/// `{"active": false}` (RFC 7662 style).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Introspect response", transform = inactive_has_nothing_else)]
pub struct IntrospectResponse {
    /// Whether the secret is accepted now.
    pub active: bool,
    /// The credential it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<CredentialId>,
    /// The version it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The credential's type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub credential_type: Option<CredentialType>,
    /// The credential's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CredentialStatus>,
    /// The credential's scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<Grant>>,
    /// When this version stops working; absent for never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

impl IntrospectResponse {
    /// The answer for a secret that is not accepted.
    pub fn inactive() -> Self {
        Self {
            active: false,
            credential_id: None,
            version: None,
            credential_type: None,
            status: None,
            scope: None,
            expires_at: None,
        }
    }
}

fn inactive_has_nothing_else(schema: &mut schemars::Schema) {
    let rule = serde_json::json!({
        "if": { "properties": { "active": { "const": false } } },
        "then": { "maxProperties": 1 },
        "else": { "required": ["active", "credential_id", "version", "type", "status", "scope"] }
    });
    if let (Some(object), serde_json::Value::Object(extra)) = (schema.as_object_mut(), rule) {
        object.extend(extra);
    }
}
