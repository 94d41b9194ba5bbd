//! Credentials and their versions as the issuer describes them (spec §"Credential").

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

use crate::id::CredentialId;
use crate::scope::Grant;
use crate::secret::Secret;
use crate::timestamp::Timestamp;
use crate::vocabulary::CredentialType;

/// A credential: one identity with a scope, and the versions of its secret. Never carries the
/// secret; see [`IssuedCredential`] for the create, rotate and collect responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Credential", extend("not" = { "required": ["secret"] }))]
pub struct Credential {
    /// The issuer's identifier for the credential.
    pub id: CredentialId,
    /// The kind of credential.
    #[serde(rename = "type")]
    pub credential_type: CredentialType,
    /// A human-readable name.
    pub name: CredentialName,
    /// `active`, `expired` or `revoked`.
    pub status: CredentialStatus,
    /// What the credential may do.
    pub scope: Vec<Grant>,
    /// Owner, project, environment, purpose and other labels.
    #[serde(default)]
    pub metadata: Metadata,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working; `null` for never.
    #[schemars(required, schema_with = "crate::nullable::nullable::<Timestamp>")]
    pub expires_at: Option<Timestamp>,
    /// When it was revoked; `null` while not revoked.
    #[schemars(required, schema_with = "crate::nullable::nullable::<Timestamp>")]
    pub revoked_at: Option<Timestamp>,
    /// The number of the current version.
    #[schemars(range(min = 1))]
    pub current_version: u32,
    /// Every version, oldest first.
    #[schemars(length(min = 1))]
    pub versions: Vec<Version>,
}

impl Credential {
    /// The version numbered `version`.
    pub fn version(&self, version: u32) -> Option<&Version> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// The `ETag` of the credential resource: its current version, quoted (used with `If-Match`
    /// on rotate).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.current_version)
    }
}

/// A credential together with its new secret: only in the create, rotate and collect responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Issued credential", transform = allow_secret)]
pub struct IssuedCredential {
    /// The credential.
    #[serde(flatten)]
    pub credential: Credential,
    /// The secret of the current version, shown this once.
    pub secret: Secret,
    /// Further secret parts the credential needs next to `secret`, by name (an AWS session token:
    /// `session_token`), shown this once; absent for most credentials.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub secret_attributes: std::collections::BTreeMap<String, Secret>,
}

/// The flattened [`Credential`] brings its "never a secret" rule along; an issued credential is the
/// one document where the secret belongs.
fn allow_secret(schema: &mut Schema) {
    if let Some(object) = schema.as_object_mut() {
        object.remove("not");
    }
}

/// One version of a credential's secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Version {
    /// The version number, from 1.
    #[schemars(range(min = 1))]
    pub version: u32,
    /// `current`, `previous`, `revoked` or `expired`.
    pub status: VersionStatus,
    /// Lets a person recognise the secret without revealing it.
    pub secret_hint: String,
    /// The vendor's public identifier of this version's key, when it has one (an AWS access key
    /// id, an OpenAI key id); never secret, and what a person finds in the vendor's console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// When it was minted.
    pub created_at: Timestamp,
    /// When it stops working (the end of the grace period for a previous version); `null` for never.
    #[schemars(required, schema_with = "crate::nullable::nullable::<Timestamp>")]
    pub expires_at: Option<Timestamp>,
    /// When it was revoked; `null` while not revoked.
    #[schemars(required, schema_with = "crate::nullable::nullable::<Timestamp>")]
    pub revoked_at: Option<Timestamp>,
}

/// The status of a credential as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    /// `active`: its current version works.
    Active,
    /// `expired`: its lifetime ended.
    Expired,
    /// `revoked`: revoked as a whole; irreversible.
    Revoked,
}

impl CredentialStatus {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// The status of one version (spec §"State machine").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// `current`: the newest version; works.
    Current,
    /// `expired`: its lifetime or grace period ended; terminal.
    Expired,
    /// `previous`: superseded by an overlap rotation; works until its `expires_at`.
    Previous,
    /// `revoked`: revoked; terminal.
    Revoked,
}

impl VersionStatus {
    /// Whether a secret of this version is accepted.
    pub fn is_valid(self) -> bool {
        matches!(self, Self::Current | Self::Previous)
    }

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Expired => "expired",
            Self::Previous => "previous",
            Self::Revoked => "revoked",
        }
    }
}

/// A credential's human-readable name: 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct CredentialName(
    #[schemars(length(min = 1, max = 200), regex(pattern = r"^[^\x00-\x1f\x7f]+$"))] String,
);

impl CredentialName {
    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for CredentialName {
    type Err = MetadataError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let length = s.chars().count();
        if (1..=200).contains(&length) && !s.chars().any(char::is_control) {
            Ok(Self(s.to_owned()))
        } else {
            Err(MetadataError::InvalidName)
        }
    }
}

impl<'de> Deserialize<'de> for CredentialName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<str>::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Labels of a credential: at most 32 keys matching `^[a-z][a-z0-9_.-]{0,63}$`, string values of
/// at most 256 characters. The spec defines `owner`, `project`, `environment` and `purpose`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata(BTreeMap<String, String>);

/// Why a name or metadata is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The name is empty, too long or holds control characters.
    #[error("a name has 1 to 200 characters and no control characters")]
    InvalidName,
    /// More than 32 keys.
    #[error("metadata holds at most 32 keys")]
    TooManyKeys,
    /// A key does not match the pattern.
    #[error("metadata key {0:?} does not match ^[a-z][a-z0-9_.-]{{0,63}}$")]
    InvalidKey(String),
    /// A value is too long.
    #[error("the value of metadata key {0:?} is longer than 256 characters")]
    ValueTooLong(String),
}

impl Metadata {
    /// Checks and wraps a map of labels.
    pub fn new(map: BTreeMap<String, String>) -> Result<Self, MetadataError> {
        if map.len() > 32 {
            return Err(MetadataError::TooManyKeys);
        }
        for (key, value) in &map {
            let mut chars = key.chars();
            let key_ok = matches!(chars.next(), Some('a'..='z'))
                && key.len() <= 64
                && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-'));
            if !key_ok {
                return Err(MetadataError::InvalidKey(key.clone()));
            }
            if value.chars().count() > 256 {
                return Err(MetadataError::ValueTooLong(key.clone()));
            }
        }
        Ok(Self(map))
    }

    /// The labels.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::new(BTreeMap::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Metadata {
    fn schema_name() -> Cow<'static, str> {
        "Metadata".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "maxProperties": 32,
            "propertyNames": { "pattern": "^[a-z][a-z0-9_.-]{0,63}$" },
            "additionalProperties": { "type": "string", "maxLength": 256 },
            "description": "Labels such as owner, project, environment and purpose."
        })
    }
}
