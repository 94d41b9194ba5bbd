//! The server's keys and what it does with them: keyed hashes of secrets and tokens, minting
//! native secrets, sealing stored responses, the vault of vendor admin credentials, and the
//! keys that sign the manifest and audit checkpoints.
//!
//! A leaf: it imports only the spec crate and the cryptography crates. Key material lives in
//! the data directory (or the environment), never in the database, and no `Debug` output shows
//! it.

pub mod keys;
pub mod minting;
pub mod sealing;
pub mod signing;
pub mod tokens;
pub mod vault;
