//! Signed documents (the signed manifest, audit checkpoints): verified with the client
//! library's JWS verification, its errors turned into verdicts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_issuer_client::signature::{self, SignatureError};
use serde_json::Value;

use crate::outcome::Verdict;

/// Verifies compact `jws` against the JWK Set `jwks` (`alg` EdDSA or ES256, `kid` in the set)
/// and returns its payload. A `typ` other than `typ` is a warning (a SHOULD); every other
/// fault fails.
pub(crate) fn verify(jws: &str, jwks: &Value, typ: &str) -> Result<Value, Verdict> {
    names_its_key(jws)?;
    signature::verify(jws, jwks, typ, &[])
        .map(|verified| verified.payload)
        .map_err(verdict)
}

/// The protected header names its key with a `kid` (REQ-DISC-16, REQ-AUD-15): the client's
/// key lookup would also match a published key whose `kid` is empty.
fn names_its_key(jws: &str) -> Result<(), Verdict> {
    let header: Value = URL_SAFE_NO_PAD
        .decode(jws.split('.').next().unwrap_or_default())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Verdict::fail("the JWS protected header is not base64url JSON"))?;
    match header["kid"] {
        Value::String(_) => Ok(()),
        _ => Err(Verdict::fail("the JWS has no kid")),
    }
}

/// The verdict on a signature the client library did not accept.
fn verdict(error: SignatureError) -> Verdict {
    match error {
        SignatureError::Type { expected, found } => {
            Verdict::warn(format!("the JWS typ is {found:?}, not {expected}"))
        }
        SignatureError::UnknownKey(kid) => {
            Verdict::fail(format!("kid {kid} is not an OKP or EC key of the JWK Set"))
        }
        SignatureError::Algorithm(alg) => {
            Verdict::fail(format!("alg {alg:?} is neither EdDSA nor ES256"))
        }
        SignatureError::Invalid => Verdict::fail("the JWS signature does not verify"),
        SignatureError::Malformed => Verdict::fail("the JWS payload is not JSON"),
        other => Verdict::fail(other.to_string()),
    }
}
