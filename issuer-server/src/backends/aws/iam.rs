//! `aws-iam`: the access keys of one IAM user, by the IAM Query API.
//!
//! - create: `CreateAccessKey` for the configured `user_name`; the secret is the secret access
//!   key, and the version's `key_id` is its access key id (public, so not in
//!   `secret_attributes`, whose values are secrets: REQ-STATE-14);
//! - rotate, overlap: `CreateAccessKey`; the old key keeps working until the grace period ends,
//!   when the server's durable retirement queue marks it `Inactive` (`UpdateAccessKey`) and
//!   deletes it (`DeleteAccessKey`), also after a restart;
//! - rotate, immediate: when the user already holds two keys (IAM's limit), the replaced keys
//!   are deleted first, then the new one is created; otherwise the new key is created first and
//!   the old ones deleted before the answer;
//! - revoke: `UpdateAccessKey` to `Inactive`, then `DeleteAccessKey`;
//! - list: `ListAccessKeys`, so keys made in the console are adopted.
//!
//! With the `group_name` setting instead of `user_name`, each credential is its own IAM user
//! (`CreateUser` under the path `/credential-issuer/`, named after the credential id, then
//! `AddUserToGroup`), so the two-key limit is per credential and what a credential may do is
//! the group's policies; the user is removed from the group and deleted with its last key.
//! The protocol scope is not mapped onto IAM policies: every credential of one issuer gets
//! the group's permissions.
//!
//! Access keys never expire by themselves, so `expires_in` is refused.
//!
//! Known edge: an immediate rotation at the two-key limit deletes the old keys before AWS is
//! asked for the new one (there is no other order IAM allows); if that `CreateAccessKey` then
//! fails, the answer is 502 and the credential's versions are unchanged in the store, but
//! their keys are already gone at AWS. A rotation below the limit, and every overlap
//! rotation, changes nothing on failure.

use async_trait::async_trait;
use credential_issuer_spec::{CredentialType, Operation, RotationMode, Timestamp};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::error::AwsError;
use super::query::{Members, QueryClient, SecretText};
use super::settings::{IamSettings, SettingsError};
use super::sigv4::{AdminKey, Signer};
use crate::backends::{
    Backend, BackendError, Capabilities, ExpirySupport, IssueRequest, Issued, ListedKey,
};
use crate::model::VendorKey;

/// The IAM API version.
pub(crate) const IAM_VERSION: &str = "2010-05-08";

/// The most access keys IAM lets one user hold.
pub const KEYS_PER_USER: u32 = 2;

/// The IAM path of the users made for credentials (`group_name` mode).
const USER_PATH: &str = "/credential-issuer/";

/// The `VendorKey` attribute marking a user this backend made, deleted with its last key.
const OWNED_USER: &str = "owned_user";

/// Whose keys the backend manages.
#[derive(Debug, Clone)]
enum Owner {
    /// One existing IAM user holds every credential's keys (two at most, all told).
    User(String),
    /// Each credential is its own IAM user, made in this group.
    Group(String),
}

/// The access keys of one IAM user, or of one IAM user per credential.
#[derive(Debug)]
pub struct IamBackend {
    client: QueryClient,
    owner: Owner,
    capabilities: Capabilities,
}

impl IamBackend {
    /// A backend managing the access keys of `settings.user_name` (or of a user per
    /// credential in `settings.group_name`), signing with `admin`.
    pub fn new(settings: IamSettings, admin: AdminKey) -> Result<Self, SettingsError> {
        let owner = match (settings.user_name, settings.group_name) {
            (Some(user), None) => Owner::User(user),
            (None, Some(group)) => Owner::Group(group),
            _ => return Err(SettingsError::Owner),
        };
        let signer = Signer::new(admin, settings.region, "iam");
        Ok(Self {
            client: QueryClient::new(settings.endpoint_url, IAM_VERSION, signer),
            owner,
            capabilities: capabilities(),
        })
    }

    async fn create_key(&self, user: &str) -> Result<AccessKey, AwsError> {
        let answer: CreateAccessKeyResponse = self
            .client
            .call("CreateAccessKey", &[("UserName", user)])
            .await?;
        Ok(answer.result.access_key)
    }

    /// Every key of `user`, following `Marker` through the pages.
    async fn list_keys(&self, user: &str) -> Result<Vec<AccessKeyMetadata>, AwsError> {
        let mut keys = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![("UserName", user)];
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

    /// The users of `group`, following `Marker` through the pages, each with whether this
    /// backend made it (its path is [`USER_PATH`]); a user a person put in the group is never
    /// deleted by it.
    async fn group_users(&self, group: &str) -> Result<Vec<(bool, String)>, AwsError> {
        let mut users = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![("GroupName", group)];
            if let Some(marker) = &marker {
                params.push(("Marker", marker.as_str()));
            }
            let answer: GetGroupResponse = self.client.call("GetGroup", &params).await?;
            users.extend(
                answer
                    .result
                    .users
                    .member
                    .into_iter()
                    .map(|u| (u.path.as_deref() == Some(USER_PATH), u.user_name)),
            );
            match answer.result.marker {
                Some(next) if answer.result.is_truncated => marker = Some(next),
                _ => return Ok(users),
            }
        }
    }

    /// Makes the IAM user of a new credential in `group`.
    async fn create_user(&self, user: &str, group: &str) -> Result<(), AwsError> {
        let created = self
            .client
            .call::<IgnoredAny>("CreateUser", &[("UserName", user), ("Path", USER_PATH)])
            .await;
        match created {
            Ok(_) => {}
            // Left by an earlier attempt whose key could not be made.
            Err(error) if error.code() == Some("EntityAlreadyExists") => {}
            Err(error) => return Err(error),
        }
        self.client
            .call::<IgnoredAny>(
                "AddUserToGroup",
                &[("GroupName", group), ("UserName", user)],
            )
            .await
            .map(drop)
    }

    /// Deletes a user this backend made, once it holds no key.
    async fn delete_user_if_keyless(&self, user: &str) -> Result<(), AwsError> {
        if !self.list_keys(user).await?.is_empty() {
            return Ok(());
        }
        if let Owner::Group(group) = &self.owner {
            let params = [("GroupName", group.as_str()), ("UserName", user)];
            gone_is_fine(
                self.client
                    .call::<IgnoredAny>("RemoveUserFromGroup", &params)
                    .await,
            )?;
        }
        match self
            .client
            .call::<IgnoredAny>("DeleteUser", &[("UserName", user)])
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if error.is_no_such_entity() => Ok(()),
            // Someone gave the user more (a policy, a login): its key is gone, the user stays.
            Err(error) if error.code() == Some("DeleteConflict") => {
                tracing::warn!(%error, user, "kept an IAM user made for a credential");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// The user whose key a new version gets.
    fn user_for(&self, request: &IssueRequest<'_>) -> String {
        let current = request
            .replacing
            .as_ref()
            .and_then(|r| r.current)
            .and_then(|key| key.attribute("user_name"));
        match (&self.owner, current) {
            (_, Some(user)) => user.to_owned(),
            (Owner::User(user), None) => user.clone(),
            (Owner::Group(_), None) => credential_user(request.credential_id.as_str()),
        }
    }

    fn user_of<'a>(&'a self, key: &'a VendorKey) -> Option<&'a str> {
        match (&self.owner, key.attribute("user_name")) {
            (_, Some(user)) => Some(user),
            (Owner::User(user), None) => Some(user),
            (Owner::Group(_), None) => None,
        }
    }
}

/// The IAM user name of a credential's own user: `[\w+=,.@-]`, at most 64 characters.
fn credential_user(credential_id: &str) -> String {
    credential_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect()
}

/// A call whose entity is already gone counts as done.
fn gone_is_fine<T>(result: Result<T, AwsError>) -> Result<(), AwsError> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.is_no_such_entity() => Ok(()),
        Err(error) => Err(error),
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
        // the `AKIA` access key id is not the secret but the version's `key_id`.
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
        let user = self.user_for(&request);
        let mut retired_replaced = false;
        let mut owned = false;
        match &request.replacing {
            Some(replacing) if replacing.mode == RotationMode::Immediate => {
                // At IAM's two-key limit there is no room for the new key: the old ones go
                // first (never the user itself, which the new key needs).
                let held = self.list_keys(&user).await?.len();
                if held >= KEYS_PER_USER as usize {
                    for key in &replacing.valid {
                        self.delete_key(key).await?;
                    }
                    retired_replaced = true;
                }
                owned = replacing
                    .current
                    .is_some_and(|k| k.attribute(OWNED_USER).is_some());
            }
            Some(replacing) => {
                owned = replacing
                    .current
                    .is_some_and(|k| k.attribute(OWNED_USER).is_some());
            }
            None => {
                if let Owner::Group(group) = &self.owner {
                    self.create_user(&user, group).await?;
                    owned = true;
                }
            }
        }
        let created = match self.create_key(&user).await {
            Ok(created) => created,
            Err(error) => {
                if owned && request.replacing.is_none() {
                    // Best effort: the user made for this failed create goes again.
                    let _ = self.delete_user_if_keyless(&user).await;
                }
                return Err(error.into());
            }
        };
        let mut key =
            VendorKey::new(created.access_key_id.clone()).with("user_name", created.user_name);
        if owned {
            key = key.with(OWNED_USER, "true");
        }
        // The access key id is the version's `key_id`, public (Section 9: "never secret"), so
        // it is not a `secret_attributes` member, whose values are secrets (REQ-STATE-14).
        Ok(Issued {
            key: Some(key),
            retired_replaced,
            ..Issued::secret(created.secret_access_key.0)
        })
    }

    async fn retire(&self, key: &VendorKey, _now: Timestamp) -> Result<(), BackendError> {
        self.delete_key(key).await?;
        if key.attribute(OWNED_USER).is_some()
            && let Some(user) = self.user_of(key)
        {
            self.delete_user_if_keyless(user).await?;
        }
        Ok(())
    }

    async fn list(&self, _now: Timestamp) -> Result<Vec<ListedKey>, BackendError> {
        let users = match &self.owner {
            Owner::User(user) => vec![(false, user.clone())],
            Owner::Group(group) => self.group_users(group).await?,
        };
        let mut listed = Vec::new();
        for (owned, user) in users {
            let keys = match self.list_keys(&user).await {
                Ok(keys) => keys,
                // The group's member was deleted between GetGroup and ListAccessKeys (its last key
                // retired by a sweep, here or on another replica): it holds no keys.
                Err(error)
                    if matches!(self.owner, Owner::Group(_)) && error.is_no_such_entity() =>
                {
                    Vec::new()
                }
                Err(error) => return Err(error.into()),
            };
            for key in keys {
                let mut vendor_key =
                    VendorKey::new(key.access_key_id.clone()).with("user_name", key.user_name);
                if owned {
                    vendor_key = vendor_key.with(OWNED_USER, "true");
                }
                listed.push(ListedKey {
                    active: key.status == "Active",
                    name: None,
                    created_at: key.create_date.parse::<Timestamp>().ok(),
                    hint: Some(key.access_key_id),
                    key: vendor_key,
                });
            }
        }
        Ok(listed)
    }
}

impl IamBackend {
    /// Marks the key `Inactive` (`UpdateAccessKey`), then deletes it (`DeleteAccessKey`); a
    /// key already gone is done.
    async fn delete_key(&self, key: &VendorKey) -> Result<(), AwsError> {
        let Some(user) = self.user_of(key) else {
            return Err(AwsError::Malformed {
                action: "DeleteAccessKey",
                message: "the key's user is not known".to_owned(),
            });
        };
        let params = [
            ("UserName", user),
            ("AccessKeyId", key.id.as_str()),
            ("Status", "Inactive"),
        ];
        match self
            .client
            .call::<IgnoredAny>("UpdateAccessKey", &params)
            .await
        {
            Ok(_) => {}
            Err(error) if error.is_no_such_entity() => return Ok(()),
            Err(error) => return Err(error),
        }
        let params = [("UserName", user), ("AccessKeyId", key.id.as_str())];
        gone_is_fine(
            self.client
                .call::<IgnoredAny>("DeleteAccessKey", &params)
                .await,
        )
    }
}

#[derive(Debug, Deserialize)]
struct GetGroupResponse {
    #[serde(rename = "GetGroupResult")]
    result: GetGroupResult,
}

#[derive(Debug, Deserialize)]
struct GetGroupResult {
    #[serde(rename = "Users", default)]
    users: Members<GroupUser>,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "Marker")]
    marker: Option<String>,
}

/// The `User` shape (the members this backend reads).
#[derive(Debug, Deserialize)]
struct GroupUser {
    #[serde(rename = "Path")]
    path: Option<String>,
    #[serde(rename = "UserName")]
    user_name: String,
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
