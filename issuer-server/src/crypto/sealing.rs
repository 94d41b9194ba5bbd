//! Sealing stored responses: an idempotent create or rotate must replay its first response,
//! secret included, without that secret sitting in the database in clear. AES-256-GCM under a
//! key derived from the master key, with a random 96-bit nonce per response.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};

use super::keys::Key;

/// The sealed bytes could not be opened: wrong key, or tampered with.
#[derive(Debug, thiserror::Error)]
#[error("a stored response could not be opened")]
pub struct SealError;

/// Seals `plaintext`; the result is the nonce followed by the ciphertext and tag.
pub fn seal(key: &Key, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let cipher = Aes256Gcm::new(key.bytes().into());
    let nonce_bytes: [u8; 12] = rand::random();
    let nonce = Nonce::from(nonce_bytes);
    let mut out = nonce_bytes.to_vec();
    out.extend(cipher.encrypt(&nonce, plaintext).map_err(|_| SealError)?);
    Ok(out)
}

/// Opens what [`seal`] produced.
pub fn open(key: &Key, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < 12 {
        return Err(SealError);
    }
    let (nonce, ciphertext) = sealed.split_at(12);
    let nonce = <[u8; 12]>::try_from(nonce).map_err(|_| SealError)?;
    Aes256Gcm::new(key.bytes().into())
        .decrypt(&Nonce::from(nonce), ciphertext)
        .map_err(|_| SealError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let key = Key::generate();
        let mut sealed = seal(&key, b"cik_secret").unwrap();
        assert!(!sealed.windows(10).any(|w| w == b"cik_secret"));
        assert_eq!(open(&key, &sealed).unwrap(), b"cik_secret");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(open(&key, &sealed).is_err());
        assert!(open(&Key::generate(), &seal(&key, b"x").unwrap()).is_err());
    }
}
