//! The backends a gateway can host, by name: one match arm per backend, so that adding a shim
//! is one module and one line here.

use std::sync::Arc;

use credential_issuer_spec::NativeSecretFormat;
use serde::Deserialize;

use super::Backend;
use super::native::NativeBackend;
use super::{anthropic, aws, github, openai};
use crate::gateway::{AdminCredentials, GatewayError, HostedIssuer};

/// The names of the backends [`build`] knows.
pub const KNOWN: &[&str] = &[
    "native",
    "aws-iam",
    "aws-bedrock",
    "aws-sts",
    "openai",
    "github",
    "anthropic",
];

/// Builds the backend `hosted` names, from its settings and admin credentials.
pub fn build(
    hosted: &HostedIssuer,
    admin: &AdminCredentials,
) -> Result<Arc<dyn Backend>, GatewayError> {
    match hosted.backend.as_str() {
        "native" => {
            let settings: NativeSettings = settings(hosted)?;
            let format = NativeSecretFormat::new(&settings.secret_prefix).map_err(|e| {
                GatewayError::Settings {
                    path: hosted.path.clone(),
                    message: format!("secret_prefix: {e}"),
                }
            })?;
            Ok(Arc::new(NativeBackend::new(
                format,
                settings.min_ttl_seconds,
                settings.max_ttl_seconds,
            )))
        }
        "aws-iam" => Ok(Arc::new(
            aws::IamBackend::new(settings(hosted)?, aws::settings::admin_key(admin)?)
                .map_err(|e| invalid(hosted, &e))?,
        )),
        "aws-bedrock" => Ok(Arc::new(
            aws::BedrockBackend::new(settings(hosted)?, aws::settings::admin_key(admin)?)
                .map_err(|e| invalid(hosted, &e))?,
        )),
        "aws-sts" => Ok(Arc::new(aws::StsBackend::new(
            settings(hosted)?,
            aws::settings::admin_key(admin)?,
        ))),
        "openai" => Ok(Arc::new(
            openai::OpenAiBackend::new(settings(hosted)?, admin.require("admin_key")?.clone())
                .map_err(|e| invalid(hosted, &e))?,
        )),
        "github" => Ok(Arc::new(
            github::GitHubBackend::new(settings(hosted)?, admin.require("private_key")?)
                .map_err(|e| invalid(hosted, &e))?,
        )),
        "anthropic" => Ok(Arc::new(anthropic::AnthropicBackend::new(
            settings(hosted)?,
            admin.require("admin_key")?.clone(),
        ))),
        other => Err(GatewayError::UnknownBackend(other.to_owned())),
    }
}

/// Settings that parse but cannot work together.
fn invalid(hosted: &HostedIssuer, error: &dyn std::fmt::Display) -> GatewayError {
    GatewayError::Settings {
        path: hosted.path.clone(),
        message: error.to_string(),
    }
}

/// Reads a backend's settings table into its typed settings.
pub fn settings<T: for<'de> Deserialize<'de>>(hosted: &HostedIssuer) -> Result<T, GatewayError> {
    hosted
        .settings
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| GatewayError::Settings {
            path: hosted.path.clone(),
            message: e.message().to_owned(),
        })
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
