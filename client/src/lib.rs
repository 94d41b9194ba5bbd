//! # credential-issuer-client
//!
//! Discover and drive any credential issuer over HTTP, exactly as a tool would drive a vendor:
//! this crate never links a server.
//!
//! - [`Client::discover`] derives the manifest URL (path insertion), fetches the manifest with
//!   a timeout and a size limit, validates it against the project's JSON Schemas (embedded at
//!   build), checks that its `issuer` matches exactly, tells it apart from OpenID4VCI metadata,
//!   verifies `signed_manifest` against the issuer's JWK Set (optionally only with pinned keys),
//!   fetches and checks the permission schema, and caches both by `ETag` and `Cache-Control`.
//! - [`Issuer::verify_audit`] downloads the audit log and a signed checkpoint and proves the log
//!   links, matches the checkpoint and still holds an earlier checkpoint; [`AuditExport`] lets an
//!   auditor do the same offline.
//! - [`Issuer`] offers typed operations for every endpoint (create, list as a stream over
//!   cursor pages, get, rotate, revoke, introspect, report exposure, audit), with an
//!   `Idempotency-Key` on create and rotate, and retries with backoff on 429, 503 and
//!   connection failures for requests that are safe to repeat.
//! - [`ClientError`] tells transport failures, problem documents (typed by problem type),
//!   invalid documents (with the rule they break) and issuer mismatches apart.
//!
//! - [`recovery`] is the workflow after a leak: the `credentials.toml` inventory, scanning by
//!   the issuers' `secret_formats`, the blast radius of exposed secrets, and a journaled,
//!   resumable rotate → install → check → revoke run over many credentials and issuers.
//!
//! The `credctl` binary of this crate is the command-line tool built on it.
//!
//! Features: `recovery` (the recovery workflow and [`atomic_write`]; adds toml, regex and
//! tempfile) and `cli` (the `credctl` binary; adds clap, indicatif, comfy-table and the colour
//! crates, and turns `recovery` on), both on by default. A library consumer that needs neither
//! depends on this crate with `default-features = false`.
//!
//! ```no_run
//! # async fn run() -> Result<(), credential_issuer_client::ClientError> {
//! use credential_issuer_client::Client;
//! use credential_issuer_spec::operations::create::CreateRequest;
//! use credential_issuer_spec::{CredentialType, Secret};
//!
//! let issuer = Client::new()
//!     .discover("http://127.0.0.1:8080")
//!     .await?
//!     .with_token(Secret::new(std::fs::read_to_string(".credential-issuer/bootstrap-token").unwrap_or_default().trim().to_owned()));
//! let request = CreateRequest::new(
//!     CredentialType::ApiKey,
//!     "dashboard reader".parse().unwrap(),
//!     vec!["events:read@project:web".parse().unwrap()],
//! );
//! let issued = issuer.create(&request).await?;
//! println!("created {} (version {})", issued.credential.id, issued.credential.current_version);
//! # Ok(()) }
//! ```

#[cfg(feature = "recovery")]
pub mod atomic_write;
mod audit_log;
mod client;
pub mod discovery;
mod error;
mod issuer;
#[cfg(feature = "recovery")]
pub mod recovery;
pub mod schemas;
pub mod signature;
mod transport;

pub use audit_log::{AuditExport, AuditVerifyError, VerifiedLog};
pub use client::Client;
pub use error::{ClientError, ProblemError};
pub use issuer::{AuditQuery, Issuer, PageStream};
pub use transport::TransportOptions;
