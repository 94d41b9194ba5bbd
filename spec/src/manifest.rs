//! The manifest served at `/.well-known/credential-issuer` (spec §"Manifest").

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use crate::issuer::IssuerId;
use crate::secret::ChecksumScheme;
use crate::vocabulary::{AuthMethod, CredentialType, Operation};

/// The value of the manifest's `protocol` member: what tells this document apart from the
/// OpenID4VCI issuer metadata that some deployments serve at the same path (REQ-COLL-*).
pub const PROTOCOL_NAME: &str = "credential-issuer";

/// The `typ` header of the signed manifest's JWS (REQ-DISC-16); served alone as `application/jwt`.
pub const SIGNED_MANIFEST_TYPE: &str = "credential-issuer-manifest+jwt";

/// The version of the specification these types implement.
pub const SPEC_VERSION: &str = "0.1";

/// The issuer's self-description: what it mints, which operations it offers and how.
///
/// Unknown members are ignored when reading, so that later minor versions can add members.
///
/// ```
/// use credential_issuer_spec::Manifest;
/// let json = include_str!("../examples/valid/manifest/native.json");
/// let manifest: Manifest = serde_json::from_str(json).unwrap();
/// assert_eq!(manifest.spec_version, "0.1");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Credential issuer manifest")]
pub struct Manifest {
    /// Always `credential-issuer`: names this protocol.
    pub protocol: ProtocolName,
    /// The version of the specification the issuer implements, `MAJOR.MINOR`.
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+$"))]
    pub spec_version: String,
    /// The issuer identifier; equal, byte for byte, to the identifier the manifest was fetched for.
    pub issuer: IssuerId,
    /// The base URL of the operations.
    pub credential_issuer_endpoint: Url,
    /// The kinds of credentials this issuer mints.
    pub supported_credential_types: Vec<CredentialType>,
    /// The operations this issuer offers; each one listed must work.
    pub supported_operations: Vec<Operation>,
    /// How callers authenticate to the operations.
    pub auth_methods: Vec<AuthMethod>,
    /// Where the permission schema is served.
    pub permission_schema_url: Url,
    /// Whether credentials can be created with an expiry.
    pub supports_expiring_credentials: bool,
    /// Whether credentials can be bound to a workload identity.
    pub supports_workload_bound_credentials: bool,
    /// Whether `rotate` is offered.
    pub supports_rotation: bool,
    /// Whether `revoke` is offered.
    pub supports_revocation: bool,
    /// Whether `audit` is offered.
    pub supports_audit: bool,
    /// Where the issuer's signing keys are published as a JWK Set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<Url>,
    /// How rotation behaves; present when `rotate` is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationPolicy>,
    /// Bounds on credential lifetimes; present when expiring credentials are supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<ExpiryPolicy>,
    /// How this issuer's secrets look, for secret scanners.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_formats: Vec<SecretFormatDescriptor>,
    /// Operations that can only be done by a person in the vendor's console.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual_steps: Vec<ManualStep>,
    /// Operations this issuer cannot offer at all, each with the reason (a shim's vendor has no
    /// such API); neither supported nor a manual step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limitations: Vec<Limitation>,
    /// Human-readable documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<Url>,
    /// A compact JWS over the other members, signed with a key from `jwks_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"))]
    pub signed_manifest: Option<String>,
}

impl Manifest {
    /// Whether the manifest claims `operation`.
    pub fn supports(&self, operation: &Operation) -> bool {
        self.supported_operations.contains(operation)
    }
}

/// The constant `credential-issuer`; any other value is refused when reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtocolName;

impl Serialize for ProtocolName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(PROTOCOL_NAME)
    }
}

impl<'de> Deserialize<'de> for ProtocolName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Cow::<str>::deserialize(deserializer)?;
        if value == PROTOCOL_NAME {
            Ok(ProtocolName)
        } else {
            Err(serde::de::Error::custom(format!(
                "protocol must be {PROTOCOL_NAME:?}, got {value:?}"
            )))
        }
    }
}

impl JsonSchema for ProtocolName {
    fn schema_name() -> Cow<'static, str> {
        "ProtocolName".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "const": PROTOCOL_NAME,
            "description": "Names this protocol, and so tells the manifest apart from OpenID4VCI issuer metadata."
        })
    }
}

/// A rotation mode (spec §"Rotate").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RotationMode {
    /// `immediate`: every previously valid version is revoked at once (for a known leak).
    Immediate,
    /// `overlap`: the old current version stays valid until its grace period ends.
    #[default]
    Overlap,
}

/// How the issuer rotates credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RotationPolicy {
    /// The modes offered.
    #[schemars(length(min = 1))]
    pub modes: Vec<RotationMode>,
    /// The grace period used when an overlap rotation names none, in seconds.
    #[schemars(range(min = 1))]
    pub default_grace_period_seconds: u64,
    /// The longest grace period accepted, in seconds.
    #[schemars(range(min = 1))]
    pub max_grace_period_seconds: u64,
    /// The most versions of one credential that can be valid at once.
    #[schemars(range(min = 1))]
    pub max_active_versions: u32,
}

/// Bounds on credential lifetimes, in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExpiryPolicy {
    /// The shortest `expires_in` accepted.
    #[schemars(range(min = 1))]
    pub min_ttl_seconds: u64,
    /// The longest `expires_in` accepted.
    #[schemars(range(min = 1))]
    pub max_ttl_seconds: u64,
    /// The lifetime given when a create names none; absent means no expiry by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub default_ttl_seconds: Option<u64>,
}

/// How one kind of secret looks, so that scanners can find it and check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecretFormatDescriptor {
    /// The credential type whose secrets have this format.
    pub credential_type: CredentialType,
    /// The fixed prefix every such secret starts with.
    #[schemars(length(min = 1, max = 32))]
    pub prefix: String,
    /// A regular expression matching the whole secret (no anchors needed by scanners).
    #[schemars(length(min = 1))]
    pub regex: String,
    /// How the checksum at the end of the secret is computed.
    pub checksum: ChecksumScheme,
    /// The secret's length in characters, when fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub length: Option<u32>,
}

/// An operation the issuer cannot offer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Limitation {
    /// The operation not offered.
    pub operation: Operation,
    /// Why, in plain words (for a shim: what the vendor's API lacks).
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// An operation the vendor offers only in its console: where to go and what to do there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ManualStep {
    /// The operation that needs a person.
    pub operation: Operation,
    /// The console page where it is done.
    pub console_url: Url,
    /// What to do there, in plain words.
    #[schemars(length(min = 1))]
    pub instructions: String,
}
