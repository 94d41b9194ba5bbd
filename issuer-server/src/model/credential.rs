//! A credential as the server keeps it: the wire document plus, per version, what only the
//! server may see.

use credential_issuer_spec::{Credential, Grant, Timestamp, Version, VersionStatus};

use super::VendorKey;

/// A credential with what only the server may see: per version, its scope and the keyed hash
/// and fingerprint of its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialRecord {
    /// The issuer the credential belongs to.
    pub issuer: String,
    /// The credential as served (the secret-free wire document).
    pub credential: Credential,
    /// Per version, in the order of `credential.versions`.
    pub versions: Vec<VersionRecord>,
}

/// The server-side part of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    /// The version number.
    pub version: u32,
    /// What this version's secret may do.
    pub scope: Vec<Grant>,
    /// HMAC-SHA-256 of the secret.
    pub secret_mac: [u8; 32],
    /// The keyed hash of the secret's fingerprint (see `minting::fingerprint_index`).
    pub fingerprint: String,
    /// The vendor's handle on this version's key; `None` for native secrets.
    pub vendor_key: Option<VendorKey>,
    /// When the vendor confirmed the key retired; `None` while it may still work there (or for
    /// native secrets, which stop working when the store says so).
    pub vendor_retired_at: Option<Timestamp>,
}

impl VersionRecord {
    /// Whether this version's key must still be retired at the vendor, given its status.
    pub fn awaits_vendor_retirement(&self, status: VersionStatus) -> bool {
        self.vendor_key.is_some() && self.vendor_retired_at.is_none() && !status.is_valid()
    }
}

impl CredentialRecord {
    /// The wire version and server part of `version`.
    pub fn version(&self, version: u32) -> Option<(&Version, &VersionRecord)> {
        let wire = self
            .credential
            .versions
            .iter()
            .find(|v| v.version == version)?;
        let server = self.versions.iter().find(|v| v.version == version)?;
        Some((wire, server))
    }
}
