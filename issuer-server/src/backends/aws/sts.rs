//! `aws-sts`: short-lived sessions of one IAM role, by STS `AssumeRole` (Query API
//! `2011-06-15`).
//!
//! - create: `AssumeRole(RoleArn, RoleSessionName, DurationSeconds)` with `DurationSeconds` the
//!   `expires_in` asked for (900 to 43200; the `default_duration_seconds` setting when none is
//!   asked); the secret is `SecretAccessKey`, `secret_attributes.session_token` is the
//!   `SessionToken`, the version's `key_id` is the `AccessKeyId` (`ASIA...`), and `expires_at`
//!   is AWS's `Expiration`;
//! - rotate: a new `AssumeRole`, overlap only: the old session cannot be ended, so it works until
//!   its own `Expiration` whatever the grace period (immediate rotation is not offered). When
//!   the grace period ends first, the retirement queue is told so ([`BackendError::Unsupported`])
//!   and retries each sweep, logging, until the session has expired by itself;
//! - revoke and list are not offered: STS has no API to end one session or to list sessions
//!   (the manifest's `limitations` say so). Ending every session of a role at once takes an
//!   IAM policy that denies tokens issued before a time (`aws:TokenIssueTime`), a console step
//!   that affects all of the role's sessions.

use async_trait::async_trait;
use credential_issuer_spec::{CredentialType, Limitation, Operation, RotationMode, Timestamp};
use serde::Deserialize;

use super::query::{QueryClient, SecretText};
use super::settings::StsSettings;
use super::sigv4::{AdminKey, Signer};
use crate::backends::{Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued};
use crate::model::VendorKey;

/// The STS API version.
const STS_VERSION: &str = "2011-06-15";

/// The shortest session AWS grants.
pub const MIN_DURATION_SECONDS: u64 = 900;
/// The longest session AWS grants (the role's `MaxSessionDuration` may be lower).
pub const MAX_DURATION_SECONDS: u64 = 43_200;

/// Sessions of one IAM role.
#[derive(Debug)]
pub struct StsBackend {
    client: QueryClient,
    role_arn: String,
    external_id: Option<String>,
    default_duration_seconds: u64,
    capabilities: Capabilities,
}

impl StsBackend {
    /// A backend assuming `settings.role_arn`, signing with `admin`.
    pub fn new(settings: StsSettings, admin: AdminKey) -> Self {
        let signer = Signer::new(admin, settings.region, "sts");
        Self {
            client: QueryClient::new(settings.endpoint_url, STS_VERSION, signer),
            role_arn: settings.role_arn,
            external_id: settings.external_id,
            default_duration_seconds: settings
                .default_duration_seconds
                .clamp(MIN_DURATION_SECONDS, MAX_DURATION_SECONDS),
            capabilities: capabilities(),
        }
    }
}

/// What `aws-sts` can do.
fn capabilities() -> Capabilities {
    Capabilities {
        credential_types: vec![CredentialType::AccessKey],
        // `list` is the issuer's own record of the sessions it made (STS lists none, so none
        // is adopted), and covers reading one back.
        operations: vec![
            Operation::Create,
            Operation::List,
            Operation::Rotate,
            Operation::Introspect,
            Operation::ReportExposure,
        ],
        rotation_modes: vec![RotationMode::Overlap],
        max_active_versions: None,
        expiry: ExpirySupport::Bounded {
            min_ttl_seconds: MIN_DURATION_SECONDS,
            max_ttl_seconds: MAX_DURATION_SECONDS,
        },
        secret_formats: Vec::new(),
        manual_steps: Vec::new(),
        limitations: vec![Limitation {
            operation: Operation::Revoke,
            reason: "AWS STS has no API to end one session: temporary credentials work \
                         until their expiration (at most 12 hours); only an IAM policy denying \
                         tokens issued before a time (aws:TokenIssueTime) stops them, for every \
                         session of the role at once"
                .to_owned(),
        }],
        documentation_url: url::Url::parse(
            "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html",
        )
        .ok(),
    }
}

/// A `RoleSessionName` for the credential: `[\w+=,.@-]`, 2 to 64 characters.
fn session_name(credential_id: &str) -> String {
    let name: String = format!("credential-issuer-{credential_id}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    name
}

#[async_trait]
impl Backend for StsBackend {
    fn kind(&self) -> &'static str {
        "aws-sts"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn issue(&self, request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        let duration = request
            .expires_in
            .unwrap_or(self.default_duration_seconds)
            .to_string();
        let session = session_name(request.credential_id.as_str());
        let mut params = vec![
            ("RoleArn", self.role_arn.as_str()),
            ("RoleSessionName", session.as_str()),
            ("DurationSeconds", duration.as_str()),
        ];
        if let Some(external_id) = &self.external_id {
            params.push(("ExternalId", external_id.as_str()));
        }
        let answer: AssumeRoleResponse = self.client.call("AssumeRole", &params).await?;
        let credentials = answer.result.credentials;
        let expires_at = credentials.expiration.parse::<Timestamp>().ok();
        let mut key =
            VendorKey::new(credentials.access_key_id.clone()).with("role_arn", &*self.role_arn);
        if let Some(expires_at) = expires_at {
            key = key.with("expiration", expires_at.to_string());
        }
        Ok(Issued {
            // The access key id is the version's `key_id` (public); the session token is the
            // secret's other part (REQ-STATE-14).
            secret_attributes: [("session_token".to_owned(), credentials.session_token.0)].into(),
            key: Some(key),
            expires_at,
            ..Issued::secret(credentials.secret_access_key.0)
        })
    }

    /// A session ends only by itself: retired once its expiration has passed, refused before.
    async fn retire(&self, key: &VendorKey, now: Timestamp) -> Result<(), BackendError> {
        let expiration = key
            .attribute("expiration")
            .and_then(|t| t.parse::<Timestamp>().ok());
        match expiration {
            Some(at) if at <= now => Ok(()),
            Some(until) => Err(BackendError::NotYet {
                until,
                reason: "AWS STS cannot end a session before it expires".to_owned(),
            }),
            None => Err(BackendError::Unsupported(
                "AWS STS cannot end a session".to_owned(),
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
struct AssumeRoleResponse {
    #[serde(rename = "AssumeRoleResult")]
    result: AssumeRoleResult,
}

#[derive(Debug, Deserialize)]
struct AssumeRoleResult {
    #[serde(rename = "Credentials")]
    credentials: Credentials,
}

/// The `Credentials` shape.
#[derive(Debug, Deserialize)]
struct Credentials {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: SecretText,
    #[serde(rename = "SessionToken")]
    session_token: SecretText,
    #[serde(rename = "Expiration")]
    expiration: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_fit_the_pattern_and_the_answer_parses() {
        let name = session_name("cred_01/xyz");
        assert_eq!(name, "credential-issuer-cred_01-xyz");
        assert!(session_name(&"a".repeat(100)).len() == 64);
        let answer = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult><Credentials><SessionToken>FwoGZXIvYXdzEXAMPLE</SessionToken>
  <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
  <Expiration>2019-11-09T13:34:41Z</Expiration><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
  </Credentials><AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn>
  <AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe</RequestId></ResponseMetadata></AssumeRoleResponse>"#;
        let parsed: AssumeRoleResponse = quick_xml::de::from_str(answer).unwrap();
        assert_eq!(
            parsed.result.credentials.access_key_id,
            "ASIAIOSFODNN7EXAMPLE"
        );
        assert!(!format!("{parsed:?}").contains("FwoGZX"));
    }
}
