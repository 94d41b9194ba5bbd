//! The issuer's signing keys (Ed25519, created on first start in the data directory, mode 0600),
//! the JWK Set that publishes them, and compact JWS signatures for the signed manifest and audit
//! checkpoints (spec §4.5 and §13.5). Every JOSE operation goes through `josekit`.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{EdDSA, JwsHeader};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::keys::write_private;

/// The file holding the private signing keys, newest first.
pub const SIGNING_KEYS_FILE: &str = "signing-keys.json";

/// Why a key could not be loaded or a signature made.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// Reading or writing the key file.
    #[error("signing keys: {0}")]
    Io(#[from] std::io::Error),
    /// A key or signature operation failed.
    #[error("signing keys: {0}")]
    Jose(String),
}

fn jose(error: impl fmt::Display) -> SigningError {
    SigningError::Jose(error.to_string())
}

/// The signing keys. `Debug` shows key ids only.
#[derive(Clone)]
pub struct SigningKeys {
    /// Private keys, newest (the one that signs) first.
    private: Vec<Jwk>,
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.private.iter().filter_map(Jwk::key_id).collect();
        f.debug_struct("SigningKeys").field("kids", &kids).finish()
    }
}

/// The RFC 7638 thumbprint of an Ed25519 public key, used as its `kid`.
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn generate() -> Result<Jwk, SigningError> {
    let pair = EdDSA.generate_key_pair(EdCurve::Ed25519).map_err(jose)?;
    let mut jwk = josekit::jwk::KeyPair::to_jwk_key_pair(&pair);
    let x = jwk
        .parameter("x")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    jwk.set_key_id(thumbprint(&x));
    jwk.set_key_use("sig");
    jwk.set_algorithm("EdDSA");
    Ok(jwk)
}

impl SigningKeys {
    /// Loads the keys from `dir`, creating a first key (mode 0600) if there is none.
    pub fn load_or_create(dir: &Path) -> Result<Self, SigningError> {
        let path = dir.join(SIGNING_KEYS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let value: Value = serde_json::from_slice(&bytes).map_err(jose)?;
                let private = value["keys"]
                    .as_array()
                    .ok_or_else(|| SigningError::Jose(format!("{} holds no keys", path.display())))?
                    .iter()
                    .map(|key| match key {
                        Value::Object(map) => Jwk::from_map(map.clone()).map_err(jose),
                        _ => Err(SigningError::Jose("a key is not an object".into())),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if private.is_empty() {
                    return Err(SigningError::Jose(format!(
                        "{} holds no keys",
                        path.display()
                    )));
                }
                Ok(Self { private })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let keys = Self {
                    private: vec![generate()?],
                };
                let file = json!({ "keys": keys.private.iter().map(|k| Value::Object(k.as_ref().clone())).collect::<Vec<_>>() });
                write_private(&path, file.to_string().as_bytes())?;
                Ok(keys)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// The public JWK Set (`kid`, `use`, `alg` on every key).
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .private
            .iter()
            .map(|key| {
                let mut map = key.as_ref().clone();
                map.remove("d");
                Value::Object(map)
            })
            .collect();
        json!({ "keys": keys })
    }

    /// A compact JWS over `payload`, signed with the newest key, with `typ`.
    pub fn sign(&self, payload: &[u8], typ: &str) -> Result<String, SigningError> {
        let key = &self.private[0];
        let signer = EdDSA.signer_from_jwk(key).map_err(jose)?;
        let mut header = JwsHeader::new();
        header.set_algorithm("EdDSA");
        header.set_token_type(typ);
        if let Some(kid) = key.key_id() {
            header.set_key_id(kid);
        }
        josekit::jws::serialize_compact(payload, &header, &signer).map_err(jose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_with_the_published_key_and_debug_hides_the_private_part() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SigningKeys::load_or_create(dir.path()).unwrap();
        let again = SigningKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(keys.jwks(), again.jwks(), "the key is kept across restarts");
        let jws = keys.sign(br#"{"a":1}"#, "test+jws").unwrap();
        let public = Jwk::from_map(keys.jwks()["keys"][0].as_object().unwrap().clone()).unwrap();
        assert!(public.parameter("d").is_none());
        let verifier = EdDSA.verifier_from_jwk(&public).unwrap();
        let (payload, header) = josekit::jws::deserialize_compact(&jws, &verifier).unwrap();
        assert_eq!(payload, br#"{"a":1}"#);
        assert_eq!(header.key_id(), public.key_id());
        let debug = format!("{keys:?}");
        let d = keys.private[0]
            .parameter("d")
            .and_then(Value::as_str)
            .unwrap();
        assert!(!debug.contains(d));
    }
}
