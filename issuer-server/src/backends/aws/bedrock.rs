//! `aws-bedrock`: Amazon Bedrock long-term API keys, which IAM models as service-specific
//! credentials of one IAM user for the service `bedrock.amazonaws.com`.
//!
//! The operations and shapes follow botocore's model of IAM (`botocore/data/iam/2010-05-08/
//! service-2.json`): `CreateServiceSpecificCredential(UserName, ServiceName,
//! CredentialAgeDays?)` returns `ServiceSpecificCredential` whose `ServiceCredentialSecret` is
//! the API key (shown only then); `DeleteServiceSpecificCredential(UserName?,
//! ServiceSpecificCredentialId)`; `ListServiceSpecificCredentials(UserName?, ServiceName?,
//! Marker?)`.
//!
//! - create: the secret is `ServiceCredentialSecret`; `expires_in` becomes `CredentialAgeDays`
//!   (whole days, rounded up, 1 to 36600) and the credential's `expires_at` is AWS's
//!   `ExpirationDate`;
//! - rotate: a new credential is created and the old one deleted (IAM allows two per service
//!   and user, so an immediate rotation at that limit deletes the old one first). IAM's
//!   `ResetServiceSpecificCredential` is not used: it keeps the credential id, so the old and
//!   new versions could not be told apart at the vendor;
//! - revoke: `DeleteServiceSpecificCredential`;
//! - list: `ListServiceSpecificCredentials` for the service, so keys made in the console are
//!   adopted.

use async_trait::async_trait;
use credential_issuer_spec::{CredentialType, Operation, RotationMode, Timestamp};
use serde::Deserialize;

use super::error::AwsError;
use super::iam::{IAM_VERSION, KEYS_PER_USER};
use super::query::{Members, QueryClient, SecretText};
use super::settings::{IamSettings, SettingsError};
use super::sigv4::{AdminKey, Signer};
use crate::backends::{
    Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued, ListedKey,
};
use crate::model::VendorKey;

/// The service name of Bedrock API keys.
pub const SERVICE_NAME: &str = "bedrock.amazonaws.com";

/// The longest `CredentialAgeDays` IAM accepts.
const MAX_AGE_DAYS: u64 = 36_600;

const DAY: u64 = 86_400;

/// The Bedrock API keys of one IAM user.
#[derive(Debug)]
pub struct BedrockBackend {
    client: QueryClient,
    user_name: String,
    capabilities: Capabilities,
}

impl BedrockBackend {
    /// A backend managing the Bedrock API keys of `settings.user_name`, signing with `admin`.
    pub fn new(settings: IamSettings, admin: AdminKey) -> Result<Self, SettingsError> {
        let (Some(user_name), None) = (settings.user_name, settings.group_name) else {
            return Err(SettingsError::UserName);
        };
        let signer = Signer::new(admin, settings.region, "iam");
        Ok(Self {
            client: QueryClient::new(settings.endpoint_url, IAM_VERSION, signer),
            user_name,
            capabilities: capabilities(),
        })
    }

    async fn list_credentials(&self) -> Result<Vec<CredentialMetadata>, AwsError> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![
                ("UserName", self.user_name.as_str()),
                ("ServiceName", SERVICE_NAME),
            ];
            if let Some(marker) = &marker {
                params.push(("Marker", marker.as_str()));
            }
            let answer: ListResponse = self
                .client
                .call("ListServiceSpecificCredentials", &params)
                .await?;
            all.extend(answer.result.credentials.member);
            match answer.result.marker {
                Some(next) if answer.result.is_truncated => marker = Some(next),
                _ => return Ok(all),
            }
        }
    }
}

/// What `aws-bedrock` can do.
fn capabilities() -> Capabilities {
    Capabilities {
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
        max_active_versions: Some(KEYS_PER_USER),
        expiry: ExpirySupport::Bounded {
            min_ttl_seconds: DAY,
            max_ttl_seconds: MAX_AGE_DAYS * DAY,
        },
        secret_formats: Vec::new(),
        manual_steps: Vec::new(),
        limitations: Vec::new(),
        documentation_url: url::Url::parse(
            "https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html",
        )
        .ok(),
    }
}

/// `CredentialAgeDays` for a lifetime of `seconds`: whole days, rounded up, within IAM's bounds.
fn age_days(seconds: u64) -> u64 {
    seconds.div_ceil(DAY).clamp(1, MAX_AGE_DAYS)
}

impl BedrockBackend {
    /// Deletes `key` (a key already gone is success).
    async fn delete(&self, key: &VendorKey) -> Result<(), BackendError> {
        let user = key.attribute("user_name").unwrap_or(&self.user_name);
        let params = [
            ("UserName", user),
            ("ServiceSpecificCredentialId", key.id.as_str()),
        ];
        match self
            .client
            .call::<serde::de::IgnoredAny>("DeleteServiceSpecificCredential", &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_no_such_entity() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

#[async_trait]
impl Backend for BedrockBackend {
    fn kind(&self) -> &'static str {
        "aws-bedrock"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn issue(&self, request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        let mut retired_replaced = false;
        if let Some(replacing) = &request.replacing
            && replacing.mode == RotationMode::Immediate
        {
            let held = self.list_credentials().await?.len();
            if held >= KEYS_PER_USER as usize {
                for key in &replacing.valid {
                    self.delete(key).await?;
                }
                retired_replaced = true;
            }
        }
        let days = request.expires_in.map(|s| age_days(s).to_string());
        let mut params = vec![
            ("UserName", self.user_name.as_str()),
            ("ServiceName", SERVICE_NAME),
        ];
        if let Some(days) = &days {
            params.push(("CredentialAgeDays", days.as_str()));
        }
        let answer: CreateResponse = self
            .client
            .call("CreateServiceSpecificCredential", &params)
            .await?;
        let created = answer.result.credential;
        let Some(secret) = created.service_credential_secret else {
            return Err(AwsError::Malformed {
                action: "CreateServiceSpecificCredential",
                message: "no ServiceCredentialSecret in the answer".to_owned(),
            }
            .into());
        };
        Ok(Issued {
            key: Some(
                VendorKey::new(created.service_specific_credential_id)
                    .with("user_name", created.user_name),
            ),
            expires_at: created
                .expiration_date
                .and_then(|date| date.parse::<Timestamp>().ok()),
            retired_replaced,
            ..Issued::secret(secret.0)
        })
    }

    async fn retire(&self, key: &VendorKey, _now: Timestamp) -> Result<(), BackendError> {
        self.delete(key).await
    }

    async fn list(&self, _now: Timestamp) -> Result<Vec<ListedKey>, BackendError> {
        Ok(self
            .list_credentials()
            .await?
            .into_iter()
            .map(|c| ListedKey {
                active: c.status == "Active",
                name: c.service_credential_alias.clone(),
                created_at: c.create_date.parse::<Timestamp>().ok(),
                hint: c.service_credential_alias,
                key: VendorKey::new(c.service_specific_credential_id)
                    .with("user_name", c.user_name),
            })
            .collect())
    }
}

#[derive(Debug, Deserialize)]
struct CreateResponse {
    #[serde(rename = "CreateServiceSpecificCredentialResult")]
    result: CreateResult,
}

#[derive(Debug, Deserialize)]
struct CreateResult {
    #[serde(rename = "ServiceSpecificCredential")]
    credential: Credential,
}

/// The `ServiceSpecificCredential` shape (the members this backend reads).
#[derive(Debug, Deserialize)]
struct Credential {
    #[serde(rename = "ExpirationDate")]
    expiration_date: Option<String>,
    #[serde(rename = "ServiceCredentialSecret")]
    service_credential_secret: Option<SecretText>,
    #[serde(rename = "ServiceSpecificCredentialId")]
    service_specific_credential_id: String,
    #[serde(rename = "UserName")]
    user_name: String,
}

#[derive(Debug, Deserialize)]
struct ListResponse {
    #[serde(rename = "ListServiceSpecificCredentialsResult")]
    result: ListResult,
}

#[derive(Debug, Deserialize)]
struct ListResult {
    #[serde(rename = "ServiceSpecificCredentials", default)]
    credentials: Members<CredentialMetadata>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "Marker")]
    marker: Option<String>,
}

/// The `ServiceSpecificCredentialMetadata` shape.
#[derive(Debug, Deserialize)]
struct CredentialMetadata {
    #[serde(rename = "UserName")]
    user_name: String,
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "ServiceCredentialAlias")]
    service_credential_alias: Option<String>,
    #[serde(rename = "CreateDate", default)]
    create_date: String,
    #[serde(rename = "ServiceSpecificCredentialId")]
    service_specific_credential_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_become_whole_days_within_iams_bounds() {
        assert_eq!(age_days(1), 1);
        assert_eq!(age_days(DAY), 1);
        assert_eq!(age_days(DAY + 1), 2);
        assert_eq!(age_days(u64::MAX), MAX_AGE_DAYS);
    }
}
