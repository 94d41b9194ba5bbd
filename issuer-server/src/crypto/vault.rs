//! Vendor admin credentials at rest: each one a compact JWE (`dir` + `A256GCM`, via josekit)
//! under a key-encryption key kept outside the database: the `CREDENTIAL_ISSUER_KEK` environment
//! variable (64 hex digits) when set, else `<data-dir>/vendor-kek` (created, mode 0600). The
//! issuer and the credential's name are bound into the JWE header, so a sealed value cannot be
//! moved to another slot unnoticed. Never logged (`Debug` redacts), never served.

use std::fmt;
use std::path::Path;

use josekit::jwe::{Dir, JweHeader};

use super::keys::write_private;

/// The key-encryption key file in the data directory.
pub const KEK_FILE: &str = "vendor-kek";

/// The environment variable that overrides the key file.
pub const KEK_ENV: &str = "CREDENTIAL_ISSUER_KEK";

/// Why a credential could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The key file or variable is unusable.
    #[error("key-encryption key: {0}")]
    Key(String),
    /// Reading or writing the key file.
    #[error("key-encryption key: {0}")]
    Io(#[from] std::io::Error),
    /// The JWE could not be made or opened (wrong key, tampering, or another slot's value).
    #[error("a vendor credential could not be sealed or opened")]
    Jwe,
}

/// Seals and opens vendor admin credentials.
#[derive(Clone)]
pub struct Vault {
    kek: [u8; 32],
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

impl Vault {
    /// The vault of `dir`: the key from the environment, or from (a new) `dir/vendor-kek`.
    pub fn load_or_create(dir: &Path) -> Result<Self, VaultError> {
        if let Ok(hex_key) = std::env::var(KEK_ENV) {
            return Self::from_hex(hex_key.trim());
        }
        let path = dir.join(KEK_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(text.trim()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let kek: [u8; 32] = rand::random();
                write_private(&path, hex::encode(kek).as_bytes())?;
                Ok(Self { kek })
            }
            Err(error) => Err(error.into()),
        }
    }

    fn from_hex(text: &str) -> Result<Self, VaultError> {
        let bytes = hex::decode(text).map_err(|_| VaultError::Key("not hex".to_owned()))?;
        let kek =
            <[u8; 32]>::try_from(bytes).map_err(|_| VaultError::Key("not 32 bytes".to_owned()))?;
        Ok(Self { kek })
    }

    fn header(issuer: &str, name: &str) -> JweHeader {
        let mut header = JweHeader::new();
        header.set_content_encryption("A256GCM");
        header.set_content_type("vendor-credential");
        let _ = header.set_claim("credential_issuer", Some(issuer.into()));
        let _ = header.set_claim("credential_name", Some(name.into()));
        header
    }

    /// Seals `secret` for the slot (`issuer`, `name`).
    pub fn seal(&self, issuer: &str, name: &str, secret: &str) -> Result<String, VaultError> {
        let encrypter = Dir
            .encrypter_from_bytes(self.kek)
            .map_err(|_| VaultError::Jwe)?;
        josekit::jwe::serialize_compact(secret.as_bytes(), &Self::header(issuer, name), &encrypter)
            .map_err(|_| VaultError::Jwe)
    }

    /// Opens a value sealed for the slot (`issuer`, `name`).
    pub fn open(&self, issuer: &str, name: &str, jwe: &str) -> Result<String, VaultError> {
        let decrypter = Dir
            .decrypter_from_bytes(self.kek)
            .map_err(|_| VaultError::Jwe)?;
        let (plaintext, header) =
            josekit::jwe::deserialize_compact(jwe, &decrypter).map_err(|_| VaultError::Jwe)?;
        let slot_matches = header.claim("credential_issuer").and_then(|v| v.as_str())
            == Some(issuer)
            && header.claim("credential_name").and_then(|v| v.as_str()) == Some(name);
        if !slot_matches {
            return Err(VaultError::Jwe);
        }
        String::from_utf8(plaintext).map_err(|_| VaultError::Jwe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_key_and_in_their_slot() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::load_or_create(dir.path()).unwrap();
        let jwe = vault
            .seal(
                "https://gw.example.com/openai",
                "admin_key",
                "sk-admin-secret",
            )
            .unwrap();
        assert!(!jwe.contains("sk-admin-secret"));
        assert_eq!(jwe.split('.').count(), 5, "a compact JWE");
        assert_eq!(
            vault
                .open("https://gw.example.com/openai", "admin_key", &jwe)
                .unwrap(),
            "sk-admin-secret"
        );
        assert!(
            vault
                .open("https://gw.example.com/aws-iam", "admin_key", &jwe)
                .is_err(),
            "another slot"
        );
        let other = Vault::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(
            other
                .open("https://gw.example.com/openai", "admin_key", &jwe)
                .is_err(),
            "another key"
        );
        assert_eq!(format!("{vault:?}"), "Vault(<redacted>)");
        let again = Vault::load_or_create(dir.path()).unwrap();
        assert_eq!(
            again
                .open("https://gw.example.com/openai", "admin_key", &jwe)
                .unwrap(),
            "sk-admin-secret"
        );
    }
}
