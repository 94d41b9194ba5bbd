//! Minting issuer-API tokens: the bearer tokens callers present (`credentials:create`,
//! `audit:read`, ...). Stored only as a keyed hash; the token itself is shown once, when minted.

use std::collections::BTreeSet;

use credential_issuer_spec::{ApiScope, Grant, Secret, Timestamp};

use crate::clock::{Clock, SystemClock};
use crate::crypto::keys::Key;
use crate::crypto::minting::{mint, secret_mac};
use crate::crypto::tokens::token_format;
use crate::model::TokenRecord;

/// A token just minted: the record to store and the token to show once.
#[derive(Debug)]
pub struct MintedToken {
    /// What to store.
    pub record: TokenRecord,
    /// What to give the caller.
    pub token: Secret,
}

/// Mints a token with `scopes` and an optional `authority` ceiling, made now by the system
/// clock (for the offline `mint-token` command and tests; a running server uses
/// [`mint_token_at`] with its own clock).
pub fn mint_token(
    key: &Key,
    label: &str,
    scopes: BTreeSet<ApiScope>,
    authority: Option<Vec<Grant>>,
) -> MintedToken {
    mint_token_at(key, label, scopes, authority, SystemClock.now())
}

/// Mints a token with `scopes` and an optional `authority` ceiling, made at `created_at`.
pub fn mint_token_at(
    key: &Key,
    label: &str,
    scopes: BTreeSet<ApiScope>,
    authority: Option<Vec<Grant>>,
    created_at: Timestamp,
) -> MintedToken {
    let token = mint(&token_format());
    let record = TokenRecord {
        id: format!("tok_{}", uuid::Uuid::now_v7().simple()),
        mac: secret_mac(key, token.expose()),
        label: label.to_owned(),
        scopes,
        authority,
        created_at,
    };
    MintedToken { record, token }
}
