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

#[cfg(test)]
mod tests {
    use josekit::jwk::alg::ed::EdCurve;
    use josekit::jws::{EdDSA, JwsHeader};
    use serde_json::{Value, json};

    use super::verify;
    use crate::outcome::Outcome;

    const TYP: &str = "credential-issuer-checkpoint+jws";

    /// A JWS over `payload` with a header of `kid` and `typ` (each left out when `None`), and
    /// a JWK Set publishing the key as `published_kid`.
    fn signed(
        kid: Option<&str>,
        typ: Option<&str>,
        payload: &[u8],
        published_kid: &str,
    ) -> (String, Value) {
        let pair = EdDSA.generate_key_pair(EdCurve::Ed25519).unwrap();
        let mut header = JwsHeader::new();
        if let Some(kid) = kid {
            header.set_key_id(kid);
        }
        if let Some(typ) = typ {
            header.set_token_type(typ);
        }
        let signer = EdDSA.signer_from_der(pair.to_der_private_key()).unwrap();
        let jws = josekit::jws::serialize_compact(payload, &header, &signer).unwrap();
        let mut public: Value = serde_json::to_value(pair.to_jwk_public_key()).unwrap();
        public["kid"] = json!(published_kid);
        (jws, json!({ "keys": [public] }))
    }

    fn outcome(result: Result<Value, crate::outcome::Verdict>) -> Option<Outcome> {
        result.err().map(|verdict| verdict.outcome)
    }

    #[test]
    fn a_good_signature_gives_the_payload() {
        let (jws, jwks) = signed(Some("k1"), Some(TYP), br#"{"seq":1}"#, "k1");
        assert_eq!(verify(&jws, &jwks, TYP).unwrap(), json!({ "seq": 1 }));
    }

    #[test]
    fn another_typ_is_a_warning() {
        let (jws, jwks) = signed(Some("k1"), Some("JWT"), b"{}", "k1");
        assert_eq!(outcome(verify(&jws, &jwks, TYP)), Some(Outcome::Warning));
        let (jws, jwks) = signed(Some("k1"), None, b"{}", "k1");
        assert_eq!(outcome(verify(&jws, &jwks, TYP)), Some(Outcome::Warning));
    }

    #[test]
    fn a_header_without_kid_fails_even_against_a_key_without_one() {
        let (jws, jwks) = signed(None, Some(TYP), b"{}", "");
        let failure = verify(&jws, &jwks, TYP).unwrap_err();
        assert_eq!(failure.outcome, Outcome::Failed);
        assert_eq!(failure.message, "the JWS has no kid");
    }

    #[test]
    fn unknown_keys_bad_signatures_and_non_json_fail() {
        let (jws, jwks) = signed(Some("k1"), Some(TYP), b"{}", "k2");
        assert_eq!(outcome(verify(&jws, &jwks, TYP)), Some(Outcome::Failed));
        let (jws, _) = signed(Some("k1"), Some(TYP), b"{}", "k1");
        let (_, other) = signed(Some("k1"), Some(TYP), b"{}", "k1");
        assert_eq!(outcome(verify(&jws, &other, TYP)), Some(Outcome::Failed));
        let (jws, jwks) = signed(Some("k1"), Some(TYP), b"not json", "k1");
        assert_eq!(outcome(verify(&jws, &jwks, TYP)), Some(Outcome::Failed));
        assert_eq!(
            outcome(verify("garbage", &jwks, TYP)),
            Some(Outcome::Failed)
        );
    }
}
