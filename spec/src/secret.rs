//! Secrets: the redacting wrapper, the scannable native format (prefix, base62 body, CRC32
//! checksum), hints and fingerprints (spec §"Secret formats").

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A credential secret. `Debug` never shows it; the only way to read it is [`Secret::expose`].
///
/// ```
/// use credential_issuer_spec::Secret;
/// let secret = Secret::new("cik_supersecret".to_owned());
/// assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
/// assert_eq!(secret.expose(), "cik_supersecret");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself. Call it only where the secret must leave the process.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The fingerprint by which exposure reports may name a secret without sending it:
    /// `sha256:` and the lowercase hex SHA-256 of the secret's UTF-8 bytes.
    ///
    /// ```
    /// use credential_issuer_spec::Secret;
    /// let f = Secret::new("abc".into()).fingerprint();
    /// assert_eq!(f, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /// ```
    pub fn fingerprint(&self) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(self.0.as_bytes())))
    }

    /// A hint that lets a person recognise the secret without revealing it: the prefix up to
    /// and including the last `_` (if any, within the first 16 characters), an ellipsis, and the
    /// last four characters.
    ///
    /// ```
    /// use credential_issuer_spec::Secret;
    /// assert_eq!(Secret::new("cik_0123456789abcdefWXYZ".into()).hint(), "cik_…WXYZ");
    /// ```
    pub fn hint(&self) -> String {
        let head_end = self
            .0
            .char_indices()
            .take(16)
            .filter(|(_, c)| *c == '_')
            .last();
        let head = head_end.map_or("", |(i, _)| &self.0[..=i]);
        let tail_start = self.0.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
        let tail = if self.0.chars().count() >= 12 {
            &self.0[tail_start..]
        } else {
            ""
        };
        format!("{head}…{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        if value.is_empty() || value.len() > 4096 {
            return Err(serde::de::Error::custom(
                "a secret has 1 to 4096 characters",
            ));
        }
        Ok(Self(value))
    }
}

impl JsonSchema for Secret {
    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": 4096,
            "description": "A credential secret. Shown once; never in lists, audit events or errors."
        })
    }
}

/// How the checksum at the end of a secret is computed (`secret_formats[].checksum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChecksumScheme {
    /// `crc32-base62`: the last six characters are the CRC-32 (IEEE) of everything before them,
    /// in base62 (`0-9A-Za-z`), most significant digit first, padded with `0`.
    Crc32Base62,
    /// `none`: the secret carries no checksum.
    None,
}

/// The base62 alphabet used by the native format.
pub const BASE62_ALPHABET: &[u8; 62] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters of random body in a native secret: 43 base62 characters carry 256.03 bits.
pub const NATIVE_BODY_LEN: usize = 43;

/// Characters of checksum at the end of a native secret.
pub const CHECKSUM_LEN: usize = 6;

/// The native secret format of an issuer: its prefix, then a base62 body, then the checksum.
///
/// ```
/// use credential_issuer_spec::NativeSecretFormat;
/// let format = NativeSecretFormat::new("cik_").unwrap();
/// let secret = format.assemble(&"a".repeat(43)).unwrap();
/// assert!(format.verify(secret.expose()).is_ok());
/// let mut typo = secret.expose().to_owned();
/// typo.replace_range(4..5, "b");
/// assert!(format.verify(&typo).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeSecretFormat {
    prefix: String,
}

/// Why a string is not a well-formed secret of a format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFormatError {
    /// The prefix is not 1 to 16 characters of `[a-z0-9]` ending in `_`.
    #[error("a secret prefix is 2 to 16 characters of [a-z0-9] ending in _")]
    InvalidPrefix,
    /// The string does not start with the prefix.
    #[error("the secret does not start with the issuer's prefix")]
    WrongPrefix,
    /// The string has the wrong length or characters outside base62.
    #[error("the secret has the wrong length or characters outside base62")]
    Malformed,
    /// The checksum does not match: most likely a typo or truncation.
    #[error("the secret's checksum does not match (a typo or a truncated copy?)")]
    ChecksumMismatch,
}

impl NativeSecretFormat {
    /// A format with `prefix`, which must be 2 to 16 characters of `[a-z0-9]` ending in `_`.
    pub fn new(prefix: &str) -> Result<Self, SecretFormatError> {
        let (stem, last) = prefix.split_at(prefix.len().saturating_sub(1));
        let valid = (2..=16).contains(&prefix.len())
            && last == "_"
            && stem
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if valid {
            Ok(Self {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(SecretFormatError::InvalidPrefix)
        }
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The total length of a secret in this format.
    pub fn len(&self) -> usize {
        self.prefix.len() + NATIVE_BODY_LEN + CHECKSUM_LEN
    }

    /// Always false: a format's secrets are never empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The regular expression scanners use for this format (published in the manifest).
    pub fn regex(&self) -> String {
        format!(
            "{}[0-9A-Za-z]{{{}}}",
            self.prefix,
            NATIVE_BODY_LEN + CHECKSUM_LEN
        )
    }

    /// Builds a secret from a random base62 body of [`NATIVE_BODY_LEN`] characters.
    pub fn assemble(&self, body: &str) -> Result<Secret, SecretFormatError> {
        if body.len() != NATIVE_BODY_LEN || !body.bytes().all(|b| BASE62_ALPHABET.contains(&b)) {
            return Err(SecretFormatError::Malformed);
        }
        let mut secret = format!("{}{}", self.prefix, body);
        secret.push_str(&crc32_base62(secret.as_bytes()));
        Ok(Secret::new(secret))
    }

    /// Checks prefix, length, alphabet and checksum.
    pub fn verify(&self, candidate: &str) -> Result<(), SecretFormatError> {
        let rest = candidate
            .strip_prefix(&self.prefix)
            .ok_or(SecretFormatError::WrongPrefix)?;
        if rest.len() != NATIVE_BODY_LEN + CHECKSUM_LEN
            || !rest.bytes().all(|b| BASE62_ALPHABET.contains(&b))
        {
            return Err(SecretFormatError::Malformed);
        }
        let (signed, checksum) = candidate.split_at(candidate.len() - CHECKSUM_LEN);
        if crc32_base62(signed.as_bytes()) == checksum {
            Ok(())
        } else {
            Err(SecretFormatError::ChecksumMismatch)
        }
    }
}

/// CRC-32 (IEEE) of `data` as six base62 digits, most significant first, zero-padded.
pub fn crc32_base62(data: &[u8]) -> String {
    let mut value = crc32fast::hash(data);
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62_ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_stable() {
        // CRC-32 of "123456789" is 0xCBF43926 = 3421780262 = base62 "3jZRME".
        assert_eq!(crc32_base62(b"123456789"), "3jZRME");
    }

    #[test]
    fn prefix_rules() {
        assert!(NativeSecretFormat::new("cik_").is_ok());
        assert!(NativeSecretFormat::new("CIK_").is_err());
        assert!(NativeSecretFormat::new("cik").is_err());
        assert!(NativeSecretFormat::new("_").is_err());
    }

    #[test]
    fn hint_reveals_only_checksum_characters() {
        let format = NativeSecretFormat::new("cik_").unwrap();
        let secret = format.assemble(&"Z".repeat(NATIVE_BODY_LEN)).unwrap();
        let hint = secret.hint();
        let checksum = &secret.expose()[secret.expose().len() - 4..];
        assert_eq!(hint, format!("cik_…{checksum}"));
    }

    #[test]
    fn short_secrets_hint_nothing_of_their_body() {
        assert_eq!(Secret::new("short".into()).hint(), "…");
    }
}
