//! # credential-issuer-client
//!
//! The client of the credential-issuer protocol: discovery and typed operations over HTTP, and
//! the `credctl` tool. Nothing is implemented yet; this crate is a placeholder for the client
//! work and offers no API.
