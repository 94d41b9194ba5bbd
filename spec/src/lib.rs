//! # credential-issuer-spec
//!
//! The credential-issuer protocol: the Rust types of every document on the wire, and the pure
//! rules the specification defines over them. The normative text is `credential-issuer.md` in
//! this crate's directory; requirement ids (`REQ-...`) there are cited by the tests and the
//! conformance checks that enforce them.
//!
//! This crate does no I/O: the issuer server and the client both build on it, so that they agree
//! on every member name, status and problem type.
//!
//! | module | spec section |
//! |---|---|
//! | [`issuer`] | issuer identifier, manifest URL (path insertion) |
//! | [`manifest`] | the manifest and its members |
//! | [`vocabulary`] | open vocabularies: credential types, operations, auth methods |
//! | [`permissions`], [`scope`] | permission schema, grants, scope containment |
//! | [`credential`], [`state`] | credentials, versions and their state machine |
//! | [`secret`] | redacted secrets, the scannable format, hints and fingerprints |
//! | [`operations`] | each operation: method, path, scope, request and response |
//! | [`access_request`] | agent access requests |
//! | [`audit`] | audit events, the hash chain, checkpoints |
//! | [`jwk`] | signing keys: the RFC 7638 thumbprint (`kid`, pins) |
//! | [`problem`] | RFC 9457 problem details and the closed list of problem types |
//! | [`auth`] | the issuer API's own scopes |
//! | [`catalog`] | the JSON Schema documents generated from these types |
//!
//! ```
//! use credential_issuer_spec::{Grant, IssuerId};
//! let issuer: IssuerId = "https://api.example.com".parse().unwrap();
//! assert_eq!(issuer.manifest_url().path(), "/.well-known/credential-issuer");
//! let grant: Grant = "events:read@project:web".parse().unwrap();
//! assert_eq!(grant.to_string(), "events:read@project:web");
//! ```

pub mod access_request;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod credential;
pub mod id;
pub mod issuer;
pub mod jwk;
pub mod manifest;
mod nullable;
pub mod operations;
pub mod permissions;
pub mod problem;
pub mod scope;
pub mod secret;
pub mod state;
pub mod timestamp;
pub mod vocabulary;

pub use access_request::{AccessRequest, AccessRequestStatus};
pub use audit::{AuditAction, AuditEvent, CheckpointPayload, GENESIS_HASH, Outcome};
pub use auth::ApiScope;
pub use credential::{
    Credential, CredentialName, CredentialStatus, IssuedCredential, Metadata, Version,
    VersionStatus,
};
pub use id::{AccessRequestId, CredentialId, ExposureId};
pub use issuer::{IssuerId, WELL_KNOWN_SUFFIX};
pub use manifest::{
    ExpiryPolicy, Limitation, Manifest, ManualStep, PROTOCOL_NAME, ProtocolName, RotationMode,
    RotationPolicy, SPEC_VERSION, SecretFormatDescriptor,
};
pub use operations::Page;
pub use permissions::{Access, Permission, PermissionId, PermissionSchema, ResourceType};
pub use problem::{Problem, ProblemType};
pub use scope::{Grant, PermissionIndex, Resource, ScopeError};
pub use secret::{ChecksumScheme, NativeSecretFormat, Secret};
pub use timestamp::Timestamp;
pub use vocabulary::{AuthMethod, CredentialType, Operation};
