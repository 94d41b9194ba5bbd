//! Minting native secrets: the issuer's prefix, 43 random base62 characters (256 bits), and a
//! CRC-32 checksum (REQ-SEC on secret formats); and the keyed hash under which they are stored.

use credential_issuer_spec::secret::{BASE62_ALPHABET, NATIVE_BODY_LEN};
use credential_issuer_spec::{NativeSecretFormat, Secret};

use super::keys::Key;

/// A random base62 string of `len` characters, without modulo bias.
pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let bytes: [u8; 64] = rand::random();
        // 248 = 4 * 62: bytes below it map uniformly onto the alphabet.
        for byte in bytes.into_iter().filter(|b| *b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(BASE62_ALPHABET[usize::from(byte % 62)]));
        }
    }
    out
}

/// Mints a new secret in `format`.
pub fn mint(format: &NativeSecretFormat) -> Secret {
    match format.assemble(&random_base62(NATIVE_BODY_LEN)) {
        Ok(secret) => secret,
        // `random_base62` yields exactly the body `assemble` expects.
        Err(_) => unreachable!("a random body of the right length and alphabet"),
    }
}

/// The keyed hash a secret is stored and looked up by.
pub fn secret_mac(key: &Key, secret: &str) -> [u8; 32] {
    key.mac(secret.as_bytes())
}

/// The index entry of a fingerprint (`sha256:<hex>` of a secret): a keyed hash, so that the
/// database holds nothing a leaked secret can be checked against without the server's key.
pub fn fingerprint_index(key: &Key, fingerprint: &str) -> String {
    hex::encode(key.mac(fingerprint.as_bytes()))
}

/// Compares two hashes in constant time.
pub fn macs_equal(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_secrets_verify_and_differ() {
        let format = NativeSecretFormat::new("cik_").unwrap();
        let a = mint(&format);
        let b = mint(&format);
        assert_ne!(a.expose(), b.expose());
        assert!(format.verify(a.expose()).is_ok());
        assert_eq!(a.expose().len(), format.len());
    }

    #[test]
    fn every_base62_character_occurs() {
        let sample = random_base62(20_000);
        for c in BASE62_ALPHABET {
            assert!(sample.as_bytes().contains(c));
        }
    }
}
