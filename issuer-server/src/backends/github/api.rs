//! GitHub's wire types, as the official description (`@octokit/openapi`) has them.

use credential_issuer_spec::{Secret, Timestamp};
use serde::Deserialize;

/// `installation-token` (only the fields used).
#[derive(Deserialize)]
pub(super) struct InstallationToken {
    pub(super) token: Secret,
    pub(super) expires_at: Timestamp,
}
