//! The native backend: the server mints secrets itself, in its own format (prefix, 256 random
//! bits, CRC-32), and a secret stops working the moment the store says so, so there is nothing
//! to retire anywhere else.

use async_trait::async_trait;
use credential_issuer_spec::{
    ChecksumScheme, CredentialType, NativeSecretFormat, Operation, RotationMode,
    SecretFormatDescriptor, Timestamp,
};

use super::{Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued, VendorKey};
use crate::crypto::minting::mint;

/// The reference issuer's own backend.
#[derive(Debug, Clone)]
pub struct NativeBackend {
    format: NativeSecretFormat,
    capabilities: Capabilities,
}

impl NativeBackend {
    /// A backend minting secrets in `format`, with lifetimes between the bounds given.
    ///
    /// ```
    /// use credential_issuer_server::backends::{Backend, native::NativeBackend};
    /// use credential_issuer_spec::NativeSecretFormat;
    /// let backend = NativeBackend::new(NativeSecretFormat::new("cik_").unwrap(), 60, 86_400);
    /// assert_eq!(backend.kind(), "native");
    /// ```
    pub fn new(format: NativeSecretFormat, min_ttl_seconds: u64, max_ttl_seconds: u64) -> Self {
        let capabilities = Capabilities {
            credential_types: vec![CredentialType::ApiKey],
            operations: vec![
                Operation::Create,
                Operation::List,
                Operation::Rotate,
                Operation::Revoke,
                Operation::Introspect,
                Operation::ReportExposure,
            ],
            rotation_modes: vec![RotationMode::Overlap, RotationMode::Immediate],
            max_active_versions: None,
            expiry: ExpirySupport::Bounded {
                min_ttl_seconds,
                max_ttl_seconds,
            },
            secret_formats: vec![SecretFormatDescriptor {
                credential_type: CredentialType::ApiKey,
                prefix: format.prefix().to_owned(),
                regex: format.regex(),
                checksum: ChecksumScheme::Crc32Base62,
                length: u32::try_from(format.len()).ok(),
            }],
            manual_steps: Vec::new(),
            limitations: Vec::new(),
            documentation_url: None,
        };
        Self {
            format,
            capabilities,
        }
    }

    /// The format of the secrets it mints.
    pub fn format(&self) -> &NativeSecretFormat {
        &self.format
    }
}

#[async_trait]
impl Backend for NativeBackend {
    fn kind(&self) -> &'static str {
        "native"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn issue(&self, _request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        Ok(Issued::secret(mint(&self.format)))
    }

    async fn retire(&self, _key: &VendorKey, _now: Timestamp) -> Result<(), BackendError> {
        Ok(())
    }
}
