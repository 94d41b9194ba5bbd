//! The `[issuers.settings]` of the AWS backends, and the admin credential of
//! `[issuers.credentials]` (`access_key_id`, `secret_access_key`, optional `session_token`).

use serde::Deserialize;

use super::sigv4::AdminKey;
use crate::backends::{AdminCredentials, SetupError};

/// The IAM endpoint (global; signed for `us-east-1`).
pub const IAM_ENDPOINT: &str = "https://iam.amazonaws.com/";
/// The global STS endpoint.
pub const STS_ENDPOINT: &str = "https://sts.amazonaws.com/";

/// Settings of `aws-iam` and `aws-bedrock`: the IAM user whose keys the issuer manages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamSettings {
    /// The IAM user the keys belong to (it must exist). `aws-iam` takes either this or
    /// `group_name`.
    #[serde(default)]
    pub user_name: Option<String>,
    /// `aws-iam` only: make each credential its own IAM user (under the path
    /// `/credential-issuer/`), put in this group (it must exist), whose policies are what the
    /// credential may do; the user is deleted with its last key.
    #[serde(default)]
    pub group_name: Option<String>,
    /// The IAM endpoint; default `https://iam.amazonaws.com/` (a `moto_server` in tests).
    /// `base_url` is accepted for it too.
    #[serde(default = "iam_endpoint", alias = "base_url")]
    pub endpoint_url: url::Url,
    /// The region requests are signed for; default `us-east-1` (IAM is global).
    #[serde(default = "default_region")]
    pub region: String,
}

/// Settings of `aws-sts`: the role each credential is a session of.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StsSettings {
    /// The role assumed (`arn:aws:iam::123456789012:role/deployer`).
    pub role_arn: String,
    /// The STS endpoint; default `https://sts.amazonaws.com/`. `base_url` is accepted too.
    #[serde(default = "sts_endpoint", alias = "base_url")]
    pub endpoint_url: url::Url,
    /// The region requests are signed for; default `us-east-1`.
    #[serde(default = "default_region")]
    pub region: String,
    /// The session lifetime when a create or rotation asks for none; default 3600 (AWS's own
    /// default), between 900 and 43200.
    #[serde(default = "default_duration")]
    pub default_duration_seconds: u64,
    /// Set when the role's trust policy requires an external id.
    #[serde(default)]
    pub external_id: Option<String>,
}

fn iam_endpoint() -> url::Url {
    // A constant that parses; a test below checks it.
    url::Url::parse(IAM_ENDPOINT).unwrap_or_else(|_| unreachable!("a valid constant URL"))
}

fn sts_endpoint() -> url::Url {
    url::Url::parse(STS_ENDPOINT).unwrap_or_else(|_| unreachable!("a valid constant URL"))
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

fn default_duration() -> u64 {
    3600
}

/// Settings that cannot work together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// `aws-iam` needs exactly one owner of its keys.
    #[error("give exactly one of user_name and group_name")]
    Owner,
    /// `aws-bedrock` keys belong to one user.
    #[error("user_name is required")]
    UserName,
}

/// The admin credential from the issuer's credentials table (or the vault).
pub fn admin_key(admin: &AdminCredentials) -> Result<AdminKey, SetupError> {
    Ok(AdminKey {
        access_key_id: admin.require("access_key_id")?.expose().to_owned(),
        secret_access_key: admin.require("secret_access_key")?.clone(),
        session_token: admin.get("session_token").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_aws_itself() {
        let iam: IamSettings = toml::from_str("user_name = \"ci\"").unwrap();
        assert_eq!(iam.user_name.as_deref(), Some("ci"));
        assert_eq!(iam.endpoint_url.as_str(), IAM_ENDPOINT);
        assert_eq!(iam.region, "us-east-1");
        let sts: StsSettings = toml::from_str("role_arn = \"arn:aws:iam::1:role/r\"").unwrap();
        assert_eq!(sts.endpoint_url.as_str(), STS_ENDPOINT);
        assert_eq!(sts.default_duration_seconds, 3600);
        assert!(toml::from_str::<IamSettings>("user_name = \"ci\"\nbase = 1").is_err());
        let moto: IamSettings =
            toml::from_str("user_name = \"ci\"\nbase_url = \"http://127.0.0.1:5000\"").unwrap();
        assert_eq!(moto.endpoint_url.as_str(), "http://127.0.0.1:5000/");
    }
}
