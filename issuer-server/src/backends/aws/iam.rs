//! `aws-iam`: the access keys of one IAM user, by the IAM Query API.
//!
//! - create: `CreateAccessKey` for the configured `user_name`; the secret is the secret access
//!   key, and `secret_attributes.access_key_id` (and the version's `key_id`) is its access key
//!   id;
//! - rotate, overlap: `CreateAccessKey`; the old key keeps working until the grace period ends,
//!   when the server's durable retirement queue marks it `Inactive` (`UpdateAccessKey`) and
//!   deletes it (`DeleteAccessKey`), also after a restart;
//! - rotate, immediate: when the user already holds two keys (IAM's limit), the replaced keys
//!   are deleted first, then the new one is created; otherwise the new key is created first and
//!   the old ones deleted before the answer;
//! - revoke: `UpdateAccessKey` to `Inactive`, then `DeleteAccessKey`;
//! - list: `ListAccessKeys`, so keys made in the console are adopted.
//!
//! Access keys never expire by themselves, so `expires_in` is refused.

use async_trait::async_trait;
use credential_issuer_spec::{CredentialType, Operation, RotationMode, Secret, Timestamp};
use serde::Deserialize;

use super::error::AwsError;
use super::query::{Members, QueryClient, SecretText};
use super::settings::IamSettings;
use super::sigv4::{AdminKey, Signer};
use crate::backends::{
    Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued, ListedKey, VendorKey,
};

/// The IAM API version.
pub(crate) const IAM_VERSION: &str = "2010-05-08";

/// The most access keys IAM lets one user hold.
pub const KEYS_PER_USER: u32 = 2;

/// The access keys of one IAM user.
#[derive(Debug)]
pub struct IamBackend {
    client: QueryClient,
    user_name: String,
    capabilities: Capabilities,
}

impl IamBackend {
    /// A backend managing the access keys of `settings.user_name`, signing with `admin`.
    pub fn new(settings: IamSettings, admin: AdminKey) -> Self {
        let signer = Signer::new(admin, settings.region, "iam");
        Self {
            client: QueryClient::new(settings.endpoint_url, IAM_VERSION, signer),
            user_name: settings.user_name,
            capabilities: capabilities(),
        }
    }

    async fn create_key(&self) -> Result<AccessKey, AwsError> {
        let answer: CreateAccessKeyResponse = self
            .client
            .call("CreateAccessKey", &[("UserName", &self.user_name)])
            .await?;
        Ok(answer.result.access_key)
    }

    /// Every key of the user, following `Marker` through the pages.
    async fn list_keys(&self) -> Result<Vec<AccessKeyMetadata>, AwsError> {
        let mut keys = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![("UserName", self.user_name.as_str())];
            if let Some(marker) = &marker {
                params.push(("Marker", marker.as_str()));
            }
            let answer: ListAccessKeysResponse =
                self.client.call("ListAccessKeys", &params).await?;
            keys.extend(answer.result.access_key_metadata.member);
            match answer.result.marker {
                Some(next) if answer.result.is_truncated => marker = Some(next),
                _ => return Ok(keys),
            }
        }
    }

    fn user_of<'a>(&'a self, key: &'a VendorKey) -> &'a str {
        key.attribute("user_name").unwrap_or(&self.user_name)
    }
}

/// What `aws-iam` can do.
fn capabilities() -> Capabilities {
    Capabilities {
        credential_types: vec![CredentialType::AccessKey],
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
        expiry: ExpirySupport::Never,
        // The secret access key has no fixed prefix (REQ-SEC-1 asks for formats with one);
        // the `AKIA` access key id is not the secret but `secret_attributes.access_key_id`.
        secret_formats: Vec::new(),
        manual_steps: Vec::new(),
        limitations: Vec::new(),
        documentation_url: url::Url::parse(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        )
        .ok(),
    }
}

#[async_trait]
impl Backend for IamBackend {
    fn kind(&self) -> &'static str {
        "aws-iam"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn issue(&self, request: IssueRequest<'_>) -> Result<Issued, BackendError> {
        let mut retired_replaced = false;
        if let Some(replacing) = &request.replacing
            && replacing.mode == RotationMode::Immediate
        {
            // At IAM's two-key limit there is no room for the new key: the old ones go first.
            let held = self.list_keys().await?.len();
            if held >= KEYS_PER_USER as usize {
                for key in &replacing.valid {
                    self.retire(key).await?;
                }
                retired_replaced = true;
            }
        }
        let created = self.create_key().await?;
        let key =
            VendorKey::new(created.access_key_id.clone()).with("user_name", created.user_name);
        Ok(Issued {
            secret_attributes: [(
                "access_key_id".to_owned(),
                Secret::new(created.access_key_id),
            )]
            .into(),
            key: Some(key),
            retired_replaced,
            ..Issued::secret(created.secret_access_key.0)
        })
    }

    async fn retire(&self, key: &VendorKey) -> Result<(), BackendError> {
        let user = self.user_of(key);
        let params = [
            ("UserName", user),
            ("AccessKeyId", key.id.as_str()),
            ("Status", "Inactive"),
        ];
        match self
            .client
            .call::<serde::de::IgnoredAny>("UpdateAccessKey", &params)
            .await
        {
            Ok(_) => {}
            Err(error) if error.is_no_such_entity() => return Ok(()),
            Err(error) => return Err(error.into()),
        }
        let params = [("UserName", user), ("AccessKeyId", key.id.as_str())];
        match self
            .client
            .call::<serde::de::IgnoredAny>("DeleteAccessKey", &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_no_such_entity() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn list(&self) -> Result<Vec<ListedKey>, BackendError> {
        Ok(self
            .list_keys()
            .await?
            .into_iter()
            .map(|key| ListedKey {
                active: key.status == "Active",
                name: None,
                created_at: key.create_date.parse::<Timestamp>().ok(),
                hint: Some(key.access_key_id.clone()),
                key: VendorKey::new(key.access_key_id).with("user_name", key.user_name),
            })
            .collect())
    }
}

/// `CreateAccessKeyResponse` (botocore `iam/2010-05-08`, result wrapper
/// `CreateAccessKeyResult`).
#[derive(Debug, Deserialize)]
struct CreateAccessKeyResponse {
    #[serde(rename = "CreateAccessKeyResult")]
    result: CreateAccessKeyResult,
}

#[derive(Debug, Deserialize)]
struct CreateAccessKeyResult {
    #[serde(rename = "AccessKey")]
    access_key: AccessKey,
}

/// The `AccessKey` shape: the only place AWS ever shows the secret access key.
#[derive(Debug, Deserialize)]
struct AccessKey {
    #[serde(rename = "UserName")]
    user_name: String,
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: SecretText,
}

#[derive(Debug, Deserialize)]
struct ListAccessKeysResponse {
    #[serde(rename = "ListAccessKeysResult")]
    result: ListAccessKeysResult,
}

#[derive(Debug, Deserialize)]
struct ListAccessKeysResult {
    #[serde(rename = "AccessKeyMetadata", default)]
    access_key_metadata: Members<AccessKeyMetadata>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "Marker")]
    marker: Option<String>,
}

/// The `AccessKeyMetadata` shape.
#[derive(Debug, Deserialize)]
struct AccessKeyMetadata {
    #[serde(rename = "UserName")]
    user_name: String,
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "CreateDate", default)]
    create_date: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_answers_parse_and_the_secret_stays_out_of_debug() {
        let created = r#"<CreateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <CreateAccessKeyResult><AccessKey><UserName>Bob</UserName>
    <AccessKeyId>AKIAIOSFODNN7EXAMPLE</AccessKeyId><Status>Active</Status>
    <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
    <CreateDate>2015-03-09T18:39:23.411Z</CreateDate></AccessKey></CreateAccessKeyResult>
  <ResponseMetadata><RequestId>7a62c49f</RequestId></ResponseMetadata>
</CreateAccessKeyResponse>"#;
        let answer: CreateAccessKeyResponse = quick_xml::de::from_str(created).unwrap();
        let key = answer.result.access_key;
        assert_eq!(key.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(
            key.secret_access_key.0.expose(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        );
        assert!(!format!("{key:?}").contains("wJalr"));

        let listed = r#"<ListAccessKeysResponse><ListAccessKeysResult><UserName>Bob</UserName>
  <AccessKeyMetadata><member><UserName>Bob</UserName><AccessKeyId>AKIA1</AccessKeyId>
  <Status>Active</Status><CreateDate>2015-03-09T18:39:23Z</CreateDate></member>
  <member><UserName>Bob</UserName><AccessKeyId>AKIA2</AccessKeyId><Status>Inactive</Status>
  <CreateDate>2015-03-09T18:39:23Z</CreateDate></member></AccessKeyMetadata>
  <IsTruncated>false</IsTruncated></ListAccessKeysResult></ListAccessKeysResponse>"#;
        let answer: ListAccessKeysResponse = quick_xml::de::from_str(listed).unwrap();
        let keys = answer.result.access_key_metadata.member;
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].status, "Inactive");
        let empty = "<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata/><IsTruncated>false</IsTruncated></ListAccessKeysResult></ListAccessKeysResponse>";
        let answer: ListAccessKeysResponse = quick_xml::de::from_str(empty).unwrap();
        assert!(answer.result.access_key_metadata.member.is_empty());
    }
}
