//! An issuer's identity and policies: what its manifest says and what its operations
//! enforce come from this one value, so the two cannot disagree.

use std::sync::Arc;

use credential_issuer_spec::operations::Endpoint;
use credential_issuer_spec::{
    AuthMethod, CredentialType, ExpiryPolicy, IssuerId, Manifest, NativeSecretFormat, Operation,
    PermissionIndex, PermissionSchema, ProtocolName, RotationMode, RotationPolicy, SPEC_VERSION,
};

use crate::backends::native::NativeBackend;
use crate::backends::{Backend, Capabilities, ExpirySupport};
use url::Url;

pub mod policy;

/// The path, below the issuer identifier, where the operations live.
pub const ENDPOINT_PATH: &str = "/credential-issuer";

/// Where the permission schema lives, below the operations' base.
pub const PERMISSION_SCHEMA_PATH: &str = "/permission-schema";

/// Where the JWK Set lives, below the operations' base.
pub const JWKS_PATH: &str = "/jwks.json";

/// One issuer's configuration: its identity, vocabulary and policies, and the backend that
/// mints its credentials.
#[derive(Debug, Clone)]
pub struct IssuerProfile {
    /// The issuer identifier.
    pub id: IssuerId,
    /// The permission vocabulary.
    pub permissions: PermissionSchema,
    /// `permissions`, prepared for containment checks.
    pub index: PermissionIndex,
    /// Where its credentials are minted.
    pub backend: Arc<dyn Backend>,
    /// Rotation bounds, already narrowed to what the backend allows; `None` when the backend
    /// does not rotate.
    pub rotation: Option<RotationPolicy>,
    /// Lifetime bounds, already narrowed to what the backend allows; `None` when its
    /// credentials never expire.
    pub expiry: Option<ExpiryPolicy>,
    /// The access request policy, when access requests are offered.
    pub access: Option<policy::AccessPolicy>,
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
    /// Checks and assembles a profile: the configured `rotation` and `expiry` bounds are
    /// narrowed to what `backend` can do. The schema's `issuer` is set to `id`; a backend with a
    /// vocabulary of its own (a shim) replaces `permissions` with it.
    pub fn new(
        id: IssuerId,
        permissions: PermissionSchema,
        backend: Arc<dyn Backend>,
        rotation: RotationPolicy,
        expiry: ExpiryPolicy,
    ) -> Result<Self, ProfileError> {
        let mut permissions = backend.permission_schema(&id).unwrap_or(permissions);
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
        let capabilities = backend.capabilities();
        let rotation = capabilities
            .operations
            .contains(&Operation::Rotate)
            .then(|| narrow_rotation(rotation, capabilities))
            .transpose()?;
        let expiry = narrow_expiry(expiry, capabilities.expiry)?;
        Ok(Self {
            index: permissions.index()?,
            id,
            permissions,
            backend,
            rotation,
            expiry,
            access: None,
        })
    }

    /// The credential types this issuer mints.
    pub fn credential_types(&self) -> &[CredentialType] {
        &self.backend.capabilities().credential_types
    }

    /// Whether the manifest lists `operation` (REQ-ERR-20: the others are answered with 501).
    pub fn offers(&self, operation: &Operation) -> bool {
        match operation {
            Operation::Audit => true,
            Operation::Request | Operation::Approve => self.access.is_some(),
            other => self.backend.capabilities().operations.contains(other),
        }
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

    /// The manifest: every claim here is backed by a route and a check, and comes from the
    /// backend's capabilities (REQ-MAN-15, REQ-MAN-17).
    pub fn manifest(&self) -> Manifest {
        let capabilities = self.backend.capabilities();
        let supported_operations: Vec<Operation> = [
            Operation::Create,
            Operation::List,
            Operation::Rotate,
            Operation::Revoke,
            Operation::Introspect,
            Operation::ReportExposure,
            Operation::Audit,
            Operation::Request,
            Operation::Approve,
        ]
        .into_iter()
        .filter(|operation| self.offers(operation))
        .collect();
        Manifest {
            protocol: ProtocolName,
            spec_version: SPEC_VERSION.to_owned(),
            issuer: self.id.clone(),
            credential_issuer_endpoint: self.endpoint(),
            supported_credential_types: capabilities.credential_types.clone(),
            auth_methods: vec![AuthMethod::Bearer],
            permission_schema_url: self.url(&format!("{ENDPOINT_PATH}{PERMISSION_SCHEMA_PATH}")),
            supports_expiring_credentials: self.expiry.is_some(),
            supports_workload_bound_credentials: false,
            supports_rotation: supported_operations.contains(&Operation::Rotate),
            supports_revocation: supported_operations.contains(&Operation::Revoke),
            supports_audit: true,
            supported_operations,
            jwks_uri: Some(self.url(&format!("{ENDPOINT_PATH}{JWKS_PATH}"))),
            rotation: self.rotation.clone(),
            expiry: self.expiry.clone(),
            secret_formats: capabilities.secret_formats.clone(),
            manual_steps: capabilities.manual_steps.clone(),
            limitations: capabilities.limitations.clone(),
            documentation_url: capabilities.documentation_url.clone(),
            signed_manifest: None,
        }
    }
}

/// The configured rotation bounds within what the backend allows.
fn narrow_rotation(
    configured: RotationPolicy,
    capabilities: &Capabilities,
) -> Result<RotationPolicy, ProfileError> {
    let modes: Vec<RotationMode> = [RotationMode::Overlap, RotationMode::Immediate]
        .into_iter()
        .filter(|mode| capabilities.rotation_modes.contains(mode))
        .collect();
    if modes.is_empty() {
        return Err(ProfileError::Policy(
            "a backend that rotates must support a rotation mode",
        ));
    }
    let max_active_versions = match capabilities.max_active_versions {
        Some(vendor) => configured.max_active_versions.min(vendor),
        None => configured.max_active_versions,
    };
    if modes.contains(&RotationMode::Overlap) && max_active_versions < 2 {
        return Err(ProfileError::Policy(
            "overlap rotation needs max_active_versions of at least 2 (REQ-MAN-8)",
        ));
    }
    Ok(RotationPolicy {
        modes,
        max_active_versions,
        ..configured
    })
}

/// The configured lifetime bounds within what the backend allows.
fn narrow_expiry(
    configured: ExpiryPolicy,
    support: ExpirySupport,
) -> Result<Option<ExpiryPolicy>, ProfileError> {
    let (min, max) = match support {
        ExpirySupport::Never => return Ok(None),
        ExpirySupport::Fixed { ttl_seconds } => {
            return Ok(Some(ExpiryPolicy {
                min_ttl_seconds: ttl_seconds,
                max_ttl_seconds: ttl_seconds,
                default_ttl_seconds: Some(ttl_seconds),
            }));
        }
        ExpirySupport::Bounded {
            min_ttl_seconds,
            max_ttl_seconds,
        } => (
            configured.min_ttl_seconds.max(min_ttl_seconds),
            configured.max_ttl_seconds.min(max_ttl_seconds),
        ),
    };
    if min > max {
        return Err(ProfileError::Policy(
            "the configured lifetimes and the backend's do not overlap",
        ));
    }
    let default_ttl_seconds = configured
        .default_ttl_seconds
        .map(|ttl| ttl.clamp(min, max));
    Ok(Some(ExpiryPolicy {
        min_ttl_seconds: min,
        max_ttl_seconds: max,
        default_ttl_seconds,
    }))
}

/// The native backend a configuration asks for.
pub fn native_backend(
    secret_prefix: &str,
    expiry: &ExpiryPolicy,
) -> Result<Arc<dyn Backend>, ProfileError> {
    Ok(Arc::new(NativeBackend::new(
        NativeSecretFormat::new(secret_prefix)?,
        expiry.min_ttl_seconds,
        expiry.max_ttl_seconds,
    )))
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
