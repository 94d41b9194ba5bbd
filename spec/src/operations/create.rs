//! `POST /credentials`: mint a credential (spec §"Create").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Endpoint, Method};
use crate::auth::ApiScope;
use crate::credential::{CredentialName, Metadata};
use crate::scope::Grant;
use crate::vocabulary::CredentialType;

/// Answers `201 Created` with an [`IssuedCredential`](crate::IssuedCredential) and `Location`.
pub const ENDPOINT: Endpoint = Endpoint {
    method: Method::Post,
    path: "/credentials",
    scope: ApiScope::CredentialsCreate,
};

/// The body of a create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Create request")]
pub struct CreateRequest {
    /// The kind of credential, one of `supported_credential_types`.
    #[serde(rename = "type")]
    pub credential_type: crate::vocabulary::CredentialType,
    /// A human-readable name.
    pub name: CredentialName,
    /// What the credential may do; at least one grant.
    #[schemars(length(min = 1, max = 100))]
    pub scope: Vec<Grant>,
    /// Lifetime in seconds, within the manifest's `expiry` bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub expires_in: Option<u64>,
    /// Labels: owner, project, environment, purpose, ...
    #[serde(default, skip_serializing_if = "is_empty_metadata")]
    pub metadata: Metadata,
}

fn is_empty_metadata(metadata: &Metadata) -> bool {
    metadata.as_map().is_empty()
}

impl CreateRequest {
    /// A request for a credential of `credential_type` named `name` with `scope`.
    pub fn new(credential_type: CredentialType, name: CredentialName, scope: Vec<Grant>) -> Self {
        Self {
            credential_type,
            name,
            scope,
            expires_in: None,
            metadata: Metadata::default(),
        }
    }
}
