//! The native issuer's identity and policies: what its manifest says and what its operations
//! enforce come from this one value, so the two cannot disagree.

use credential_issuer_spec::operations::Endpoint;
use credential_issuer_spec::{
    AuthMethod, ChecksumScheme, CredentialType, ExpiryPolicy, IssuerId, Manifest,
    NativeSecretFormat, Operation, PermissionIndex, PermissionSchema, ProtocolName, RotationMode,
    RotationPolicy, SPEC_VERSION, SecretFormatDescriptor,
};
use url::Url;

/// The path, below the issuer identifier, where the operations live.
pub const ENDPOINT_PATH: &str = "/credential-issuer";

/// Where the permission schema lives, below the operations' base.
pub const PERMISSION_SCHEMA_PATH: &str = "/permission-schema";

/// Where the JWK Set lives, below the operations' base.
pub const JWKS_PATH: &str = "/jwks.json";

/// The native issuer's configuration.
#[derive(Debug, Clone)]
pub struct IssuerProfile {
    /// The issuer identifier.
    pub id: IssuerId,
    /// The permission vocabulary.
    pub permissions: PermissionSchema,
    /// `permissions`, prepared for containment checks.
    pub index: PermissionIndex,
    /// How this issuer's secrets look.
    pub secret_format: NativeSecretFormat,
    /// Rotation bounds.
    pub rotation: RotationPolicy,
    /// Lifetime bounds.
    pub expiry: ExpiryPolicy,
    /// The access request policy, when access requests are offered.
    pub access: Option<crate::policy::AccessPolicy>,
}

/// Why an issuer profile cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The permission schema is unusable.
    #[error("permission schema: {0}")]
    Permissions(#[from] credential_issuer_spec::scope::PermissionSchemaError),
    /// The secret prefix is malformed.
    #[error("secret prefix: {0}")]
    Prefix(#[from] credential_issuer_spec::secret::SecretFormatError),
    /// The issuer identifier is malformed.
    #[error("issuer identifier: {0}")]
    Issuer(#[from] credential_issuer_spec::issuer::IssuerIdError),
    /// A policy bound is inconsistent.
    #[error("policy: {0}")]
    Policy(&'static str),
}

impl IssuerProfile {
    /// Checks and assembles a profile. The schema's `issuer` is set to `id`.
    pub fn new(
        id: IssuerId,
        mut permissions: PermissionSchema,
        secret_prefix: &str,
        rotation: RotationPolicy,
        expiry: ExpiryPolicy,
    ) -> Result<Self, ProfileError> {
        permissions.issuer = id.clone();
        if rotation.default_grace_period_seconds > rotation.max_grace_period_seconds {
            return Err(ProfileError::Policy(
                "the default grace period exceeds the maximum",
            ));
        }
        if rotation.max_active_versions < 1 {
            return Err(ProfileError::Policy(
                "max_active_versions must be at least 1",
            ));
        }
        if expiry.min_ttl_seconds > expiry.max_ttl_seconds {
            return Err(ProfileError::Policy(
                "min_ttl_seconds exceeds max_ttl_seconds",
            ));
        }
        Ok(Self {
            index: permissions.index()?,
            id,
            permissions,
            secret_format: NativeSecretFormat::new(secret_prefix)?,
            rotation,
            expiry,
            access: None,
        })
    }

    /// The credential types this issuer mints.
    pub fn credential_types(&self) -> Vec<CredentialType> {
        vec![CredentialType::ApiKey]
    }

    /// The base URL of the operations.
    pub fn endpoint(&self) -> Url {
        self.url(ENDPOINT_PATH)
    }

    /// The absolute URL of `path` below the operations' base.
    pub fn operation_url(&self, endpoint: &Endpoint, id: &str) -> Url {
        self.url(&format!("{ENDPOINT_PATH}{}", endpoint.path_for(id)))
    }

    fn url(&self, suffix: &str) -> Url {
        let mut url = self.id.as_url().clone();
        url.set_path(&format!("{}{suffix}", self.id.path()));
        url
    }

    /// The manifest: every claim here is backed by a route and a check.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            protocol: ProtocolName,
            spec_version: SPEC_VERSION.to_owned(),
            issuer: self.id.clone(),
            credential_issuer_endpoint: self.endpoint(),
            supported_credential_types: self.credential_types(),
            supported_operations: vec![
                Operation::Create,
                Operation::List,
                Operation::Rotate,
                Operation::Revoke,
                Operation::Introspect,
                Operation::ReportExposure,
                Operation::Audit,
            ]
            .into_iter()
            .chain(
                self.access
                    .iter()
                    .flat_map(|_| [Operation::Request, Operation::Approve]),
            )
            .collect(),
            auth_methods: vec![AuthMethod::Bearer],
            permission_schema_url: self.url(&format!("{ENDPOINT_PATH}{PERMISSION_SCHEMA_PATH}")),
            supports_expiring_credentials: true,
            supports_workload_bound_credentials: false,
            supports_rotation: true,
            supports_revocation: true,
            supports_audit: true,
            jwks_uri: Some(self.url(&format!("{ENDPOINT_PATH}{JWKS_PATH}"))),
            rotation: Some(RotationPolicy {
                modes: vec![RotationMode::Overlap, RotationMode::Immediate],
                ..self.rotation.clone()
            }),
            expiry: Some(self.expiry.clone()),
            secret_formats: vec![SecretFormatDescriptor {
                credential_type: CredentialType::ApiKey,
                prefix: self.secret_format.prefix().to_owned(),
                regex: self.secret_format.regex(),
                checksum: ChecksumScheme::Crc32Base62,
                length: u32::try_from(self.secret_format.len()).ok(),
            }],
            manual_steps: Vec::new(),
            limitations: Vec::new(),
            documentation_url: None,
            signed_manifest: None,
        }
    }
}

/// The profile of a server started with no configuration at all (the one `schemas/openapi.json`
/// describes).
pub fn default_profile() -> Result<IssuerProfile, ProfileError> {
    let config = crate::config::ServerConfig::default();
    let id = IssuerId::parse(&config.issuer_identifier())?;
    let permissions = default_permission_schema(&id);
    IssuerProfile::new(
        id,
        permissions,
        &config.secret_prefix,
        config.rotation_policy(),
        config.expiry_policy(),
    )
}

/// The permission schema the server uses when none is configured: a small example API with
/// projects, events and billing.
pub fn default_permission_schema(issuer: &IssuerId) -> PermissionSchema {
    let text = include_str!("default-permission-schema.json").replace("{issuer}", issuer.as_str());
    match serde_json::from_str(&text) {
        Ok(schema) => schema,
        Err(error) => unreachable!("the bundled permission schema is valid: {error}"),
    }
}
