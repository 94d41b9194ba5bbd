//! # credential-issuer-conformance
//!
//! The conformance suite of the credential-issuer protocol. Nothing is implemented yet; this
//! crate is a placeholder for the conformance work and offers no API.
