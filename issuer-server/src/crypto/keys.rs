//! The server's key material, kept in the data directory and never in the database.
//!
//! One random master key (`<data-dir>/server.key`, mode 0600) is created on first start; every
//! purpose gets its own key derived from it with HMAC-SHA-256 over a fixed label, so that a key
//! used to hash secrets is never also used to seal replayed responses.

use std::fmt;
use std::io::Write;
use std::path::Path;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The file that holds the master key.
pub const MASTER_KEY_FILE: &str = "server.key";

/// A 256-bit key. `Debug` does not show it.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl Key {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(rand::random())
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// HMAC-SHA-256 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail for 32 bytes.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// A key for one purpose, derived from this one.
    fn derive(&self, label: &str) -> Self {
        Self(self.mac(label.as_bytes()))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// The keys the server works with, each derived from the master key.
#[derive(Debug, Clone)]
pub struct ServerKeys {
    /// Keyed hash of issued credential secrets.
    pub secret_mac: Key,
    /// Keyed hash of secret fingerprints, the index exposure reports are resolved through.
    pub fingerprint_mac: Key,
    /// Keyed hash of issuer-API tokens.
    pub token_mac: Key,
    /// Seals stored idempotent responses, which hold a secret.
    pub response_seal: Key,
}

impl ServerKeys {
    /// Derives every purpose key from `master`.
    pub fn from_master(master: &Key) -> Self {
        Self {
            secret_mac: master.derive("credential-issuer/secret-mac/v1"),
            fingerprint_mac: master.derive("credential-issuer/fingerprint-mac/v1"),
            token_mac: master.derive("credential-issuer/token-mac/v1"),
            response_seal: master.derive("credential-issuer/response-seal/v1"),
        }
    }

    /// A value that tells these keys apart from others without revealing them (an HMAC of a
    /// fixed label), recorded in the store so that servers sharing it agree on their keys.
    pub fn check_value(&self) -> String {
        hex::encode(self.secret_mac.mac(b"credential-issuer/key-check/v1"))
    }

    /// Loads the master key from `dir`, creating it (mode 0600) if absent. Returns the keys and
    /// whether the key was created now (a first start).
    pub fn load_or_create(dir: &Path) -> std::io::Result<(Self, bool)> {
        let path = dir.join(MASTER_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok());
                let bytes = bytes.ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} does not hold a 32-byte hex key", path.display()),
                    )
                })?;
                Ok((Self::from_master(&Key(bytes)), false))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let master = Key::generate();
                write_private(&path, hex::encode(master.bytes()).as_bytes())?;
                Ok((Self::from_master(&master), true))
            }
            Err(error) => Err(error),
        }
    }
}

/// Writes `contents` to a new file readable only by its owner, and syncs it.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Replaces the file at `path` with `contents` in one step, readable by the owner only: a
/// temporary file beside it (created mode 0600 by `tempfile`), synced, then renamed over it, so
/// that a crash leaves the old file or the new one, never a part.
pub fn replace_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}
