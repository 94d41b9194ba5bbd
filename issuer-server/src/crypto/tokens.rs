//! The format of issuer-API tokens: the bearer tokens callers present. A distinct prefix from
//! credential secrets, so that a scanner tells a leaked token from a leaked key.

use credential_issuer_spec::NativeSecretFormat;

/// The prefix of issuer-API tokens, distinct from credential secrets so scanners tell them apart.
pub const TOKEN_PREFIX: &str = "cit_";

/// The token format (prefix + base62 + checksum).
pub fn token_format() -> NativeSecretFormat {
    match NativeSecretFormat::new(TOKEN_PREFIX) {
        Ok(format) => format,
        Err(_) => unreachable!("the token prefix is well-formed"),
    }
}
