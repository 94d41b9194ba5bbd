//! # credential-issuer-server
//!
//! The reference issuer of the credential-issuer protocol: an axum server that serves the
//! manifest, the permission schema and the lifecycle operations, with SQLite as the embedded
//! store. Nothing is implemented yet; this crate is a placeholder for the issuer-server work and
//! offers no API.
