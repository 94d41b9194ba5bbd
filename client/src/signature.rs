//! JWS verification against an issuer's JWK Set (josekit), with optional key pinning by RFC 7638
//! thumbprint ([`credential_issuer_spec::jwk::thumbprint`]): how the client checks signed
//! manifests and audit checkpoints, and the one verification the conformance suite and the
//! server's tests use too.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_issuer_spec::jwk::thumbprint;
use serde_json::Value;

/// Why a signature is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The JWS is not three base64url parts with a JSON header.
    #[error("not a compact JWS")]
    Malformed,
    /// The header names no key, or a key the JWK Set does not have.
    #[error("the signing key {0:?} is not in the issuer's JWK Set")]
    UnknownKey(String),
    /// The algorithm is neither EdDSA nor ES256.
    #[error("algorithm {0:?} is not allowed (EdDSA or ES256)")]
    Algorithm(String),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Invalid,
    /// The key is not one of the pinned thumbprints.
    #[error("the signing key {0:?} is not pinned")]
    NotPinned(String),
    /// The `typ` header is not the expected one.
    #[error("the JWS typ is {found:?}, expected {expected:?}")]
    Type {
        /// Expected.
        expected: String,
        /// Found.
        found: String,
    },
}

/// A verified JWS: its payload and the thumbprint of the key that signed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The payload, as JSON.
    pub payload: Value,
    /// The protected header, as JSON (`alg`, `kid`, `typ`, ...).
    pub header: Value,
    /// The `kid` of the signing key.
    pub kid: String,
    /// The RFC 7638 thumbprint of the signing key.
    pub thumbprint: String,
}

/// Verifies compact `jws` with a key of `jwks`: `alg` EdDSA or ES256, `typ` as expected, and,
/// when `pins` is not empty, a key whose thumbprint is pinned.
///
/// ```
/// use credential_issuer_client::signature::{SignatureError, verify};
/// let jwks = serde_json::json!({ "keys": [] });
/// assert_eq!(verify("e30.e30.AA", &jwks, "x+jwt", &[]), Err(SignatureError::UnknownKey(String::new())));
/// assert_eq!(verify("not a JWS", &jwks, "x+jwt", &[]), Err(SignatureError::Malformed));
/// ```
pub fn verify(
    jws: &str,
    jwks: &Value,
    typ: &str,
    pins: &[String],
) -> Result<Verified, SignatureError> {
    let verified = verify_signature(jws, jwks, pins)?;
    let found = verified.header["typ"].as_str().unwrap_or_default();
    if found != typ {
        return Err(SignatureError::Type {
            expected: typ.to_owned(),
            found: found.to_owned(),
        });
    }
    Ok(verified)
}

/// [`verify`] without the `typ` check, for a caller that judges `typ` itself (the conformance
/// suite warns on a wrong `typ` where the client refuses it): [`Verified::header`] holds it.
pub fn verify_signature(
    jws: &str,
    jwks: &Value,
    pins: &[String],
) -> Result<Verified, SignatureError> {
    let header: Value = jws
        .split('.')
        .next()
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(SignatureError::Malformed)?;
    let kid = header["kid"].as_str().unwrap_or_default().to_owned();
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str()))
        .and_then(Value::as_object)
        .ok_or_else(|| SignatureError::UnknownKey(kid.clone()))?;
    let print = thumbprint(key).map_err(|_| SignatureError::UnknownKey(kid.clone()))?;
    if !pins.is_empty() && !pins.contains(&print) {
        return Err(SignatureError::NotPinned(print));
    }
    let jwk = josekit::jwk::Jwk::from_map(key.clone())
        .map_err(|_| SignatureError::UnknownKey(kid.clone()))?;
    let alg = header["alg"].as_str().unwrap_or_default();
    let payload = match alg {
        "EdDSA" => {
            let verifier = josekit::jws::EdDSA
                .verifier_from_jwk(&jwk)
                .map_err(|_| SignatureError::Invalid)?;
            josekit::jws::deserialize_compact(jws, &verifier)
        }
        "ES256" => {
            let verifier = josekit::jws::ES256
                .verifier_from_jwk(&jwk)
                .map_err(|_| SignatureError::Invalid)?;
            josekit::jws::deserialize_compact(jws, &verifier)
        }
        other => return Err(SignatureError::Algorithm(other.to_owned())),
    }
    .map_err(|_| SignatureError::Invalid)?
    .0;
    let payload = serde_json::from_slice(&payload).map_err(|_| SignatureError::Malformed)?;
    Ok(Verified {
        payload,
        header,
        kid,
        thumbprint: print,
    })
}
