//! An issuer-API token as the server keeps it: who it is and what it may do, never the token.

use std::collections::BTreeSet;

use credential_issuer_spec::{ApiScope, Grant, Timestamp};

/// A stored token: who it is and what it may do. Holds no secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// `tok_<uuid>`.
    pub id: String,
    /// HMAC-SHA-256 of the token.
    pub mac: [u8; 32],
    /// A name for people.
    pub label: String,
    /// The issuer-API scopes it holds.
    pub scopes: BTreeSet<ApiScope>,
    /// The most a credential minted by this caller may do; `None` for no ceiling.
    pub authority: Option<Vec<Grant>>,
    /// When it was minted.
    pub created_at: Timestamp,
}
