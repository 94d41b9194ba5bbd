//! The permission schema: the issuer's vocabulary of permissions and resource types
//! (spec §"Permission schema").

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::issuer::IssuerId;

/// The document at `permission_schema_url`.
///
/// ```
/// use credential_issuer_spec::PermissionSchema;
/// let json = include_str!("../examples/valid/permission-schema/native.json");
/// let schema: PermissionSchema = serde_json::from_str(json).unwrap();
/// let index = schema.index().unwrap();
/// assert!(index.implies(&"credentials:admin".parse().unwrap(), &"credentials:read".parse().unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Permission schema")]
pub struct PermissionSchema {
    /// The issuer this schema belongs to.
    pub issuer: IssuerId,
    /// Every permission a grant can name.
    #[schemars(length(min = 1))]
    pub permissions: Vec<Permission>,
    /// The kinds of resources a grant can be limited to.
    #[serde(default)]
    pub resource_types: Vec<ResourceType>,
}

/// One permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Permission {
    /// The permission's identifier, as grants name it.
    pub id: PermissionId,
    /// A short human-readable name.
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    /// What holding it allows.
    pub description: String,
    /// How much it allows, in coarse terms.
    pub access: Access,
    /// Other permissions that holding this one also grants.
    #[serde(default)]
    pub implies: Vec<PermissionId>,
}

/// The coarse level of a permission, for spotting over-broad credentials.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// `read`: observes, changes nothing.
    Read,
    /// `write`: changes data.
    Write,
    /// `admin`: changes configuration, membership or other credentials.
    Admin,
}

/// A kind of resource; resources of this type are written `<id>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceType {
    /// The type's identifier, the part before `:` in a resource.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]{0,63}$"))]
    pub id: String,
    /// A regular expression the part after `:` must match.
    #[schemars(length(min = 1))]
    pub pattern: String,
    /// What the resource is.
    pub description: String,
}

/// A permission identifier: `^[a-z][a-z0-9_.:-]{0,127}$`.
///
/// ```
/// use credential_issuer_spec::PermissionId;
/// assert!("events:read".parse::<PermissionId>().is_ok());
/// assert!("Events Read".parse::<PermissionId>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermissionId(String);

/// The pattern of [`PermissionId`].
pub const PERMISSION_ID_PATTERN: &str = "^[a-z][a-z0-9_.:-]{0,127}$";

/// Why a string is not a permission identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a permission identifier (lowercase letter, then letters, digits, _ . : -; at most 128)"
)]
pub struct PermissionIdError(pub String);

impl PermissionId {
    /// The identifier as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PermissionId {
    type Err = PermissionIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        let valid = matches!(chars.next(), Some('a'..='z'))
            && s.len() <= 128
            && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | ':' | '-'));
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(PermissionIdError(s.to_owned()))
        }
    }
}

impl fmt::Display for PermissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PermissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl Serialize for PermissionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PermissionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<str>::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for PermissionId {
    fn schema_name() -> Cow<'static, str> {
        "PermissionId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": PERMISSION_ID_PATTERN })
    }
}
