//! Builds the backend of a [`BackendKind`] from its settings table and admin credentials.

use std::sync::Arc;

use credential_issuer_spec::NativeSecretFormat;
use serde::Deserialize;

use super::native::NativeBackend;
use super::{AdminCredentials, Backend, BackendKind};
use super::{anthropic, aws, github, openai};

/// Why a backend cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The settings table does not fit the backend, or its values cannot work together.
    #[error("settings: {0}")]
    Settings(String),
    /// An admin credential the backend needs is not given.
    #[error("admin credential {0}: not configured")]
    MissingCredential(String),
}

/// Builds the backend of kind `kind` from its settings table and admin credentials.
///
/// ```
/// use credential_issuer_server::backends::{AdminCredentials, BackendKind, build};
/// let settings: toml::Table = toml::from_str("secret_prefix = \"tst_\"").unwrap();
/// let backend = build(BackendKind::Native, settings, &AdminCredentials::default()).unwrap();
/// assert_eq!(backend.kind(), "native");
/// ```
pub fn build(
    kind: BackendKind,
    settings: toml::Table,
    admin: &AdminCredentials,
) -> Result<Arc<dyn Backend>, SetupError> {
    Ok(match kind {
        BackendKind::Native => {
            let settings: NativeSettings = parse(settings)?;
            let format = NativeSecretFormat::new(&settings.secret_prefix)
                .map_err(|e| SetupError::Settings(format!("secret_prefix: {e}")))?;
            Arc::new(NativeBackend::new(
                format,
                settings.min_ttl_seconds,
                settings.max_ttl_seconds,
            ))
        }
        BackendKind::AwsIam => Arc::new(
            aws::IamBackend::new(parse(settings)?, aws::settings::admin_key(admin)?)
                .map_err(invalid)?,
        ),
        BackendKind::AwsBedrock => Arc::new(
            aws::BedrockBackend::new(parse(settings)?, aws::settings::admin_key(admin)?)
                .map_err(invalid)?,
        ),
        BackendKind::AwsSts => Arc::new(aws::StsBackend::new(
            parse(settings)?,
            aws::settings::admin_key(admin)?,
        )),
        BackendKind::OpenAi => Arc::new(
            openai::OpenAiBackend::new(parse(settings)?, admin.require("admin_key")?.clone())
                .map_err(invalid)?,
        ),
        BackendKind::GitHub => Arc::new(
            github::GitHubBackend::new(parse(settings)?, admin.require("private_key")?)
                .map_err(invalid)?,
        ),
        BackendKind::Anthropic => Arc::new(anthropic::AnthropicBackend::new(
            parse(settings)?,
            admin.require("admin_key")?.clone(),
        )),
    })
}

/// Settings that parse but cannot work together.
fn invalid(error: impl std::fmt::Display) -> SetupError {
    SetupError::Settings(error.to_string())
}

/// Reads a backend's settings table into its typed settings.
fn parse<T: for<'de> Deserialize<'de>>(settings: toml::Table) -> Result<T, SetupError> {
    settings
        .try_into()
        .map_err(|e: toml::de::Error| SetupError::Settings(e.message().to_owned()))
}

/// The settings of a second native issuer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeSettings {
    /// The prefix of its secrets (distinct from the first issuer's, so scanners tell them apart).
    secret_prefix: String,
    /// The shortest lifetime accepted.
    #[serde(default = "default_min_ttl")]
    min_ttl_seconds: u64,
    /// The longest lifetime accepted.
    #[serde(default = "default_max_ttl")]
    max_ttl_seconds: u64,
}

fn default_min_ttl() -> u64 {
    60
}

fn default_max_ttl() -> u64 {
    366 * 86_400
}
