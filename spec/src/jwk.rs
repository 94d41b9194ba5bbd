//! JSON Web Keys: the RFC 7638 thumbprint, which is a signing key's `kid` in an issuer's JWK Set
//! (spec §4.5) and what a client pins.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Why a JWK has no thumbprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ThumbprintError {
    /// `kty` is missing or names a key type RFC 7638 does not define members for.
    #[error("unsupported key type {0:?}")]
    KeyType(String),
    /// A member the key type requires is missing or not a string.
    #[error("the JWK has no {0:?} member")]
    Member(&'static str),
}

/// The RFC 7638 thumbprint of a public JWK, base64url without padding: the SHA-256 of the JSON
/// object made of the key type's required members only (§3.2), in lexicographic order, without
/// whitespace (§3.3). Defined for `EC`, `OKP` (RFC 8037 §2), `RSA` and `oct` keys; any other
/// member (`kid`, `alg`, `use`, a private `d`) does not change it.
///
/// ```
/// use credential_issuer_spec::jwk::thumbprint;
/// let jwk = serde_json::json!({
///     "kty": "OKP",
///     "crv": "Ed25519",
///     "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
///     "kid": "ignored",
/// });
/// let jwk = jwk.as_object().unwrap();
/// assert_eq!(thumbprint(jwk).unwrap(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
/// ```
pub fn thumbprint(jwk: &Map<String, Value>) -> Result<String, ThumbprintError> {
    let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
    let required: &[&'static str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "OKP" => &["crv", "kty", "x"],
        "RSA" => &["e", "kty", "n"],
        "oct" => &["k", "kty"],
        other => return Err(ThumbprintError::KeyType(other.to_owned())),
    };
    let mut canonical = String::from("{");
    for (i, &name) in required.iter().enumerate() {
        let value = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or(ThumbprintError::Member(name))?;
        if i > 0 {
            canonical.push(',');
        }
        // Member names and values as JSON strings (escaped as RFC 8259 requires).
        canonical.push_str(&Value::from(name).to_string());
        canonical.push(':');
        canonical.push_str(&Value::from(value).to_string());
    }
    canonical.push('}');
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// RFC 7638 §3.1: the example RSA key and its thumbprint.
    #[test]
    fn rfc_7638_section_3_1_example() {
        let jwk = object(serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29",
        }));
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    /// RFC 8037 appendix A.3: the Ed25519 public key and its thumbprint.
    #[test]
    fn rfc_8037_appendix_a_3_okp_example() {
        let jwk = object(serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        }));
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn other_members_do_not_count_and_missing_ones_are_errors() {
        let public = object(serde_json::json!({ "kty": "EC", "crv": "P-256", "x": "a", "y": "b" }));
        let mut private = public.clone();
        private.insert("d".into(), "secret".into());
        private.insert("kid".into(), "k".into());
        assert_eq!(thumbprint(&public), thumbprint(&private));
        let mut no_y = public.clone();
        no_y.remove("y");
        assert_eq!(thumbprint(&no_y), Err(ThumbprintError::Member("y")));
        assert_eq!(
            thumbprint(&object(serde_json::json!({ "kty": "XYZ" }))),
            Err(ThumbprintError::KeyType("XYZ".into()))
        );
    }
}
