//! Who calls: an issuer-API token, checked against the store (REQ-AUTH-1, REQ-AUTH-3).

use super::{Caller, Context};
use crate::crypto::minting::{macs_equal, secret_mac};
use crate::crypto::tokens::token_format;
use crate::store::StoreError;

/// Why a caller is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token is malformed, or the issuer does not know it.
    #[error("the bearer token is not valid here")]
    Invalid,
    /// The store could not be asked.
    #[error("the store is unavailable")]
    Unavailable(#[source] StoreError),
}

/// The caller holding `token` (the bearer token as presented), if the issuer knows it.
pub async fn authenticate(context: &Context, token: &str) -> Result<Caller, AuthError> {
    // The checksum turns away typos and random strings without a database lookup.
    if token_format().verify(token).is_err() {
        return Err(AuthError::Invalid);
    }
    let mac = secret_mac(&context.keys.token_mac, token);
    let record = context
        .store
        .token_by_mac(&mac)
        .await
        .map_err(AuthError::Unavailable)?
        .filter(|record| macs_equal(&record.mac, &mac))
        .ok_or(AuthError::Invalid)?;
    Ok(Caller {
        token_id: record.id,
        scopes: record.scopes,
        authority: record.authority,
    })
}
