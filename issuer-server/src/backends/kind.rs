//! The backends this crate ships, by kind: what a gateway configuration names in `backend = "..."`.

use std::fmt;
use std::str::FromStr;

/// A backend this crate ships. Adding a shim is one module, one variant here and one arm in
/// [`build`](super::build).
///
/// ```
/// use credential_issuer_server::backends::BackendKind;
/// let kind: BackendKind = "aws-iam".parse().unwrap();
/// assert_eq!(kind, BackendKind::AwsIam);
/// assert_eq!(kind.to_string(), "aws-iam");
/// assert!("aws-s3".parse::<BackendKind>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// Secrets minted by this server.
    Native,
    /// AWS IAM access keys.
    AwsIam,
    /// Amazon Bedrock API keys (IAM service-specific credentials).
    AwsBedrock,
    /// AWS STS sessions of a role.
    AwsSts,
    /// OpenAI project keys or admin keys.
    OpenAi,
    /// GitHub App installation tokens.
    GitHub,
    /// Anthropic API keys (listed, disabled, archived; made by a person).
    Anthropic,
}

impl BackendKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [Self; 7] = [
        Self::Native,
        Self::AwsIam,
        Self::AwsBedrock,
        Self::AwsSts,
        Self::OpenAi,
        Self::GitHub,
        Self::Anthropic,
    ];

    /// The name a configuration uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::AwsIam => "aws-iam",
            Self::AwsBedrock => "aws-bedrock",
            Self::AwsSts => "aws-sts",
            Self::OpenAi => "openai",
            Self::GitHub => "github",
            Self::Anthropic => "anthropic",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend name no kind has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {name:?} (known: {known})", known = known())]
pub struct UnknownBackend {
    /// The name given.
    pub name: String,
}

fn known() -> String {
    BackendKind::ALL.map(BackendKind::name).join(", ")
}

impl FromStr for BackendKind {
    type Err = UnknownBackend;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| UnknownBackend {
                name: name.to_owned(),
            })
    }
}
