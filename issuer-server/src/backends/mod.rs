//! Backends: where credentials are really minted.
//!
//! The HTTP layer, the store, the audit log, idempotency and the version state machine are the
//! same for every issuer a server hosts; what differs is who makes and kills secrets. The
//! [`native`] backend mints them itself; a shim backend calls a vendor's admin API (AWS IAM,
//! OpenAI, GitHub, Anthropic, ...). Each implements [`Backend`]:
//!
//! - [`Backend::capabilities`] says what the backend can do, and why not where it cannot; the
//!   issuer's manifest is built from it, so a manifest claims only what the backend does;
//! - [`Backend::issue`] mints a secret for a new credential or a new version;
//! - [`Backend::retire`] makes a version's secret stop working at the vendor;
//! - [`Backend::list`] reads the keys the vendor holds, where it can.
//!
//! The lifecycle calls the backend outside any store transaction (a vendor call may be slow),
//! records every vendor key it is given, and retires keys it no longer needs through a durable
//! queue in the store, so that a grace period that outlives the request (an old AWS key retired
//! when the overlap ends) is carried out even across restarts.
//!
//! A vendor that implements the protocol over its own key store implements this trait and
//! mounts the router in its own axum application; see `examples/custom_backend.rs`.

mod admin;
pub mod anthropic;
pub mod aws;
pub mod github;
mod kind;
pub mod native;
pub mod openai;
mod registry;
pub mod vendor_http;

pub use admin::AdminCredentials;
pub use kind::{BackendKind, UnknownBackend};
pub use registry::{SetupError, build};

/// The vendor's handle on a key (kept with each version; see [`crate::model::VendorKey`]).
pub use crate::model::VendorKey;

use std::collections::BTreeMap;

use async_trait::async_trait;
use credential_issuer_spec::{
    CredentialId, CredentialType, Grant, Limitation, ManualStep, Operation, PermissionSchema,
    RotationMode, Secret, SecretFormatDescriptor, Timestamp,
};

/// What a backend can do. The issuer's manifest and its policy checks come from this value.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    /// The credential types it mints (an open vocabulary: `api_key`, `aws_access_key`, ...).
    pub credential_types: Vec<CredentialType>,
    /// The protocol operations it offers, among `create`, `list`, `rotate`, `revoke`,
    /// `introspect`, `report_exposure`; `audit` is always offered by the server.
    pub operations: Vec<Operation>,
    /// The rotation modes it supports (empty when `rotate` is not offered).
    pub rotation_modes: Vec<RotationMode>,
    /// The most versions of one credential the vendor lets be valid at once (AWS: two access
    /// keys per user); `None` for no vendor limit.
    pub max_active_versions: Option<u32>,
    /// Whether and how credentials expire.
    pub expiry: ExpirySupport,
    /// How its secrets look, for scanners.
    pub secret_formats: Vec<SecretFormatDescriptor>,
    /// Operations only a person can do, in the vendor's console.
    pub manual_steps: Vec<ManualStep>,
    /// Operations it cannot offer at all, and why.
    pub limitations: Vec<Limitation>,
    /// Where a person reads about this backend's behaviour (delays, limits).
    pub documentation_url: Option<url::Url>,
}

/// How a backend's credentials expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpirySupport {
    /// They never expire by themselves (AWS access keys): `expires_in` is refused.
    Never,
    /// `expires_in` is accepted between these bounds, in seconds.
    Bounded {
        /// The shortest lifetime.
        min_ttl_seconds: u64,
        /// The longest lifetime.
        max_ttl_seconds: u64,
    },
    /// Every credential lives exactly this long (GitHub installation tokens: one hour).
    Fixed {
        /// The lifetime, in seconds.
        ttl_seconds: u64,
    },
}

/// What to mint.
#[derive(Debug, Clone)]
pub struct IssueRequest<'a> {
    /// The credential the secret belongs to (new or rotated).
    pub credential_id: &'a CredentialId,
    /// Its type, one of [`Capabilities::credential_types`].
    pub credential_type: &'a CredentialType,
    /// Its name.
    pub name: &'a str,
    /// What the secret may do (already checked against the permission schema).
    pub scope: &'a [Grant],
    /// Its lifetime in seconds, already checked against [`Capabilities::expiry`].
    pub expires_in: Option<u64>,
    /// For a rotation: the version being replaced.
    pub replacing: Option<Replacing<'a>>,
}

/// The version a rotation replaces.
#[derive(Debug, Clone)]
pub struct Replacing<'a> {
    /// The mode asked for.
    pub mode: RotationMode,
    /// The vendor key of the current version, if it has one.
    pub current: Option<&'a VendorKey>,
    /// The vendor keys of every version still valid (the current one included).
    pub valid: Vec<&'a VendorKey>,
}

/// A minted secret.
#[derive(Debug)]
pub struct Issued {
    /// The secret, shown once to the caller and never stored in clear.
    pub secret: Secret,
    /// Other secret parts (an AWS session token), shown once with the secret.
    pub secret_attributes: BTreeMap<String, Secret>,
    /// The vendor's handle on the key; `None` for native secrets.
    pub key: Option<VendorKey>,
    /// When the vendor will make the secret stop working, if it says (overrides the lifetime
    /// asked for: a GitHub token always ends after an hour).
    pub expires_at: Option<Timestamp>,
    /// For an immediate rotation: the backend already retired the replaced keys (AWS deletes
    /// the old key first when the two-key limit leaves no room).
    pub retired_replaced: bool,
}

impl Issued {
    /// A secret with no vendor key and nothing else.
    pub fn secret(secret: Secret) -> Self {
        Self {
            secret,
            secret_attributes: BTreeMap::new(),
            key: None,
            expires_at: None,
            retired_replaced: false,
        }
    }
}

/// A key as the vendor lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// The vendor's handle on it.
    pub key: VendorKey,
    /// Whether the vendor still accepts it.
    pub active: bool,
    /// Its name at the vendor, if any.
    pub name: Option<String>,
    /// When the vendor made it, if it says.
    pub created_at: Option<Timestamp>,
    /// A hint that lets a person recognise it (never the secret).
    pub hint: Option<String>,
}

/// Why a backend could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The backend cannot do this at all (served as `operation-not-supported`).
    #[error("not supported by this issuer's backend: {0}")]
    Unsupported(String),
    /// The vendor refused the request as invalid (served as `invalid-request`); the message
    /// names the vendor's error code, never a secret.
    #[error("the vendor refused the request: {0}")]
    Rejected(String),
    /// The vendor failed or could not be reached (served as `upstream-unavailable`).
    #[error("the vendor is unavailable: {0}")]
    Unavailable(String),
    /// The key cannot be retired before `until`, when it stops working by itself (a GitHub
    /// installation token, which only the token can revoke); the retirement queue waits.
    #[error("the key cannot be retired before {until}: {reason}")]
    NotYet {
        /// When the key stops working.
        until: Timestamp,
        /// Why it cannot be retired sooner.
        reason: String,
    },
}

/// Where credentials are minted: the native issuer, or a shim over a vendor's admin API.
///
/// Implementations hold their vendor admin credentials themselves and never put them (or any
/// minted secret) in an error, a log line or `Debug` output.
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// A short name for logs and the README's capability table (`native`, `aws-iam`, ...).
    fn kind(&self) -> &'static str;

    /// What this backend can do.
    fn capabilities(&self) -> &Capabilities;

    /// The permission vocabulary of a shim (its vendor's permissions, mapped onto the
    /// protocol's); `None` to use the one the server is configured with.
    fn permission_schema(
        &self,
        issuer: &credential_issuer_spec::IssuerId,
    ) -> Option<PermissionSchema> {
        let _ = issuer;
        None
    }

    /// Mints a secret for a new credential, or for a new version when `request.replacing` is
    /// set. For an immediate rotation the backend may retire the replaced keys itself first
    /// (and say so in [`Issued::retired_replaced`]); otherwise the lifecycle retires them.
    async fn issue(&self, request: IssueRequest<'_>) -> Result<Issued, BackendError>;

    /// Makes `key` stop working at the vendor. Idempotent: a key already gone is success.
    /// `now` is the server's clock, for keys that end by themselves at an instant.
    async fn retire(&self, key: &VendorKey, now: Timestamp) -> Result<(), BackendError>;

    /// The keys the vendor holds for this issuer, where the vendor can list them; a key whose
    /// vendor expiry is at or before `now` (the server's clock) is listed inactive.
    async fn list(&self, now: Timestamp) -> Result<Vec<ListedKey>, BackendError> {
        let _ = now;
        Err(BackendError::Unsupported(
            "the vendor cannot list keys".to_owned(),
        ))
    }
}
