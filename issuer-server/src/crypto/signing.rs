//! The issuer's signing keys (Ed25519, created on first start in the data directory, mode 0600),
//! the JWK Set that publishes them, and compact JWS signatures for the signed manifest and audit
//! checkpoints (spec §4.5 and §13.5). Every JOSE operation goes through `josekit`.

use std::fmt;
use std::path::Path;

use josekit::jwk::Jwk;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, JwsHeader};
use serde_json::{Value, json};

use super::keys::{replace_private, write_private};

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

/// Where a key is in its life: `next` is published before it ever signs, `current` signs,
/// `retired` stays published (for verifying what it signed) until `retire_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Signs manifests and checkpoints.
    Current,
    /// Published, signs nothing yet; becomes current at the next rotation.
    Next,
    /// Signs nothing any more; published until `retire_at`.
    Retired,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct StoredKey {
    state: KeyState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retire_at: Option<credential_issuer_spec::Timestamp>,
    jwk: serde_json::Map<String, Value>,
}

/// The signing keys. `Debug` shows key ids and states only.
#[derive(Clone)]
pub struct SigningKeys {
    keys: Vec<StoredKey>,
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<(String, KeyState)> = self
            .keys
            .iter()
            .map(|k| {
                (
                    k.jwk
                        .get("kid")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    k.state,
                )
            })
            .collect();
        f.debug_struct("SigningKeys").field("keys", &kids).finish()
    }
}

/// The signature algorithm of new keys.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
pub enum SigningAlgorithm {
    /// `EdDSA` with Ed25519 (the default).
    #[default]
    #[serde(rename = "EdDSA")]
    #[value(name = "EdDSA", alias = "eddsa")]
    EdDsa,
    /// `ES256`: ECDSA with P-256 and SHA-256.
    #[serde(rename = "ES256")]
    #[value(name = "ES256", alias = "es256")]
    Es256,
}

fn generate(state: KeyState, algorithm: SigningAlgorithm) -> Result<StoredKey, SigningError> {
    let (mut jwk, alg) = match algorithm {
        SigningAlgorithm::EdDsa => {
            let pair = EdDSA.generate_key_pair(EdCurve::Ed25519).map_err(jose)?;
            (josekit::jwk::KeyPair::to_jwk_key_pair(&pair), "EdDSA")
        }
        SigningAlgorithm::Es256 => {
            let pair = ES256.generate_key_pair().map_err(jose)?;
            (josekit::jwk::KeyPair::to_jwk_key_pair(&pair), "ES256")
        }
    };
    let kid = credential_issuer_spec::jwk::thumbprint(jwk.as_ref()).map_err(jose)?;
    jwk.set_key_id(kid);
    jwk.set_key_use("sig");
    jwk.set_algorithm(alg);
    Ok(StoredKey {
        state,
        retire_at: None,
        jwk: jwk.as_ref().clone(),
    })
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key that signs from now on.
    pub current: String,
    /// The key published for the next rotation.
    pub next: String,
    /// The key that stopped signing, and until when it stays published.
    pub retired: Option<(String, credential_issuer_spec::Timestamp)>,
}

impl SigningKeys {
    /// Loads the keys from `dir`, creating a current and a next key of `algorithm` (mode 0600)
    /// if there are none.
    pub fn load_or_create(dir: &Path, algorithm: SigningAlgorithm) -> Result<Self, SigningError> {
        let path = dir.join(SIGNING_KEYS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let value: Value = serde_json::from_slice(&bytes).map_err(jose)?;
                let keys: Vec<StoredKey> =
                    serde_json::from_value(value["keys"].clone()).map_err(jose)?;
                let loaded = Self { keys };
                loaded.current()?;
                Ok(loaded)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let keys = Self {
                    keys: vec![
                        generate(KeyState::Current, algorithm)?,
                        generate(KeyState::Next, algorithm)?,
                    ],
                };
                write_private(&path, keys.file_contents().as_bytes())?;
                Ok(keys)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Rotates the keys in `dir`: next becomes current, current is retired and stays published
    /// for `keep_seconds`, retired keys past their time are dropped, and a new next key is made.
    /// A running server picks the new keys up when it restarts.
    pub fn rotate(
        dir: &Path,
        keep_seconds: u64,
        algorithm: SigningAlgorithm,
        now: credential_issuer_spec::Timestamp,
    ) -> Result<Rotation, SigningError> {
        let mut keys = Self::load_or_create(dir, algorithm)?;
        keys.keys
            .retain(|k| k.state != KeyState::Retired || k.retire_at.is_some_and(|t| t > now));
        let mut retired = None;
        for key in &mut keys.keys {
            match key.state {
                KeyState::Current => {
                    key.state = KeyState::Retired;
                    key.retire_at = Some(now.plus_seconds(keep_seconds));
                    retired = Some((kid(key), now.plus_seconds(keep_seconds)));
                }
                KeyState::Next => key.state = KeyState::Current,
                KeyState::Retired => {}
            }
        }
        if !keys.keys.iter().any(|k| k.state == KeyState::Current) {
            keys.keys.push(generate(KeyState::Current, algorithm)?);
        }
        let next = generate(KeyState::Next, algorithm)?;
        let next_kid = kid(&next);
        keys.keys.push(next);
        replace_private(
            &dir.join(SIGNING_KEYS_FILE),
            keys.file_contents().as_bytes(),
        )?;
        Ok(Rotation {
            current: kid(keys.current()?),
            next: next_kid,
            retired,
        })
    }

    fn file_contents(&self) -> String {
        json!({ "keys": self.keys }).to_string()
    }

    fn current(&self) -> Result<&StoredKey, SigningError> {
        self.keys
            .iter()
            .find(|k| k.state == KeyState::Current)
            .ok_or_else(|| SigningError::Jose("no current signing key".to_owned()))
    }

    /// The public JWK Set at `now`: the current, next and still-published retired keys, each
    /// with `kid`, `use` and `alg`, never a private member.
    pub fn jwks(&self, now: credential_issuer_spec::Timestamp) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|k| k.state != KeyState::Retired || k.retire_at.is_some_and(|t| t > now))
            .map(|key| {
                let mut map = key.jwk.clone();
                map.remove("d");
                Value::Object(map)
            })
            .collect();
        json!({ "keys": keys })
    }

    /// A compact JWS over `payload`, signed with the current key, with `typ`.
    pub fn sign(&self, payload: &[u8], typ: &str) -> Result<String, SigningError> {
        let key = self.current()?;
        let jwk = Jwk::from_map(key.jwk.clone()).map_err(jose)?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(kid(key));
        if key.jwk.get("alg").and_then(Value::as_str) == Some("ES256") {
            header.set_algorithm("ES256");
            let signer = ES256.signer_from_jwk(&jwk).map_err(jose)?;
            return josekit::jws::serialize_compact(payload, &header, &signer).map_err(jose);
        }
        header.set_algorithm("EdDSA");
        let signer = EdDSA.signer_from_jwk(&jwk).map_err(jose)?;
        josekit::jws::serialize_compact(payload, &header, &signer).map_err(jose)
    }
}

fn kid(key: &StoredKey) -> String {
    key.jwk
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use credential_issuer_spec::Timestamp;

    /// Whether `jws` verifies with a key of `jwks`, as a client checks it.
    fn verify(jwks: &Value, jws: &str) -> bool {
        credential_issuer_client::signature::verify_signature(jws, jwks, &[]).is_ok()
    }

    #[test]
    fn es256_keys_sign_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SigningKeys::load_or_create(dir.path(), SigningAlgorithm::Es256).unwrap();
        let jws = keys.sign(br#"{"a":1}"#, "t").unwrap();
        assert!(verify(&keys.jwks(Timestamp::now()), &jws));
        let key = &keys.jwks(Timestamp::now())["keys"][0];
        assert_eq!(key["alg"], "ES256");
        assert_eq!(key["kty"], "EC");
        assert!(key.get("d").is_none());
    }

    #[test]
    fn signatures_verify_with_the_published_key_and_debug_hides_the_private_part() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SigningKeys::load_or_create(dir.path(), SigningAlgorithm::EdDsa).unwrap();
        let again = SigningKeys::load_or_create(dir.path(), SigningAlgorithm::EdDsa).unwrap();
        assert_eq!(
            keys.jwks(Timestamp::now()),
            again.jwks(Timestamp::now()),
            "the keys are kept across restarts"
        );
        let jws = keys.sign(br#"{"a":1}"#, "test+jws").unwrap();
        assert!(verify(&keys.jwks(Timestamp::now()), &jws));
        for key in keys.jwks(Timestamp::now())["keys"].as_array().unwrap() {
            assert!(key.get("d").is_none());
            assert!(key.get("kid").is_some() && key["use"] == "sig" && key["alg"] == "EdDSA");
        }
        let debug = format!("{keys:?}");
        let d = keys.keys[0].jwk.get("d").and_then(Value::as_str).unwrap();
        assert!(!debug.contains(d));
    }

    #[test]
    fn rotation_publishes_before_signing_and_keeps_old_keys_for_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let before = SigningKeys::load_or_create(dir.path(), SigningAlgorithm::EdDsa).unwrap();
        let old_signature = before.sign(b"{}", "t").unwrap();
        let next_kid = kid(before
            .keys
            .iter()
            .find(|k| k.state == KeyState::Next)
            .unwrap());
        assert!(
            before.jwks(Timestamp::now())["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == next_kid.as_str()),
            "the next key is published before it signs"
        );

        let rotation =
            SigningKeys::rotate(dir.path(), 3600, SigningAlgorithm::EdDsa, Timestamp::now())
                .unwrap();
        assert_eq!(
            rotation.current, next_kid,
            "the published next key is the one that now signs"
        );
        let after = SigningKeys::load_or_create(dir.path(), SigningAlgorithm::EdDsa).unwrap();
        let new_signature = after.sign(b"{}", "t").unwrap();
        assert!(verify(&after.jwks(Timestamp::now()), &new_signature));
        assert!(
            verify(&after.jwks(Timestamp::now()), &old_signature),
            "the retired key still verifies what it signed"
        );
        assert_eq!(
            after.jwks(Timestamp::now())["keys"]
                .as_array()
                .unwrap()
                .len(),
            3
        );

        // A key retired with no time to keep leaves the JWK Set at once; the earlier one stays.
        let rotated_at = Timestamp::now();
        SigningKeys::rotate(dir.path(), 0, SigningAlgorithm::EdDsa, rotated_at).unwrap();
        let later = SigningKeys::load_or_create(dir.path(), SigningAlgorithm::EdDsa).unwrap();
        let just_after = rotated_at.plus_seconds(1);
        assert!(!verify(&later.jwks(just_after), &new_signature));
        assert!(verify(&later.jwks(just_after), &old_signature));
    }
}
