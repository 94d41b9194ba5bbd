//! Signature Version 4 for the Query API requests, with the maintained `aws-sigv4` crate: the
//! admin credential (access key id, secret access key, optional session token) signs each
//! request's method, URL, headers and body for one region and service.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use credential_issuer_spec::Secret;

use super::error::AwsError;

/// The admin credential the shim signs with. `Debug` shows the access key id only.
#[derive(Clone)]
pub struct AdminKey {
    /// The access key id (`AKIA...` or `ASIA...`); not a secret.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token, for temporary admin credentials.
    pub session_token: Option<Secret>,
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminKey")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Signs requests for one service in one region.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    key: AdminKey,
    region: String,
    service: &'static str,
}

impl Signer {
    /// A signer for `service` (`iam`, `sts`) in `region`.
    pub(crate) fn new(key: AdminKey, region: String, service: &'static str) -> Self {
        Self {
            key,
            region,
            service,
        }
    }

    /// The headers to add to a `POST` of `body` to `url` that already carries `headers`.
    pub(crate) fn sign(
        &self,
        action: &'static str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>, AwsError> {
        let fail = |message: String| AwsError::Signing { action, message };
        let identity: Identity = Credentials::new(
            self.key.access_key_id.clone(),
            self.key.secret_access_key.expose().to_owned(),
            self.key
                .session_token
                .as_ref()
                .map(|token| token.expose().to_owned()),
            None,
            "credential-issuer",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| fail(e.to_string()))?
            .into();
        let request = SignableRequest::new(
            "POST",
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| fail(e.to_string()))?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(|e| fail(e.to_string()))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }
}
