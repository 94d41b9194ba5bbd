//! The access request policy of an issuer (spec §12.7): how long credentials asked for may live,
//! how long a request may wait, what may never be asked for, and what a given requester gets
//! without a person deciding.

use credential_issuer_spec::{Grant, PermissionId};
use serde::Deserialize;

/// The policy, from the `[access_requests]` table of the configuration file (or the defaults
/// with `--access-requests`).
///
/// ```toml
/// [access_requests]
/// max_ttl_seconds = 3600
/// pending_ttl_seconds = 900
/// never_requestable = ["admin"]
///
/// [[access_requests.auto_approve]]
/// token = "tok_0193..."                  # the requester's issuer-API token id
/// scope = ["events:read@project:web"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicy {
    /// The longest `ttl_seconds` a request may ask for.
    #[serde(default = "default_max_ttl")]
    pub max_ttl_seconds: u64,
    /// How long a request may wait for a decision before it expires.
    #[serde(default = "default_pending_ttl")]
    pub pending_ttl_seconds: u64,
    /// Permissions no request may ask for (or ask for anything that implies).
    #[serde(default)]
    pub never_requestable: Vec<PermissionId>,
    /// Requests approved without a person, per requester token.
    #[serde(default)]
    pub auto_approve: Vec<AutoApproval>,
}

/// Requests from `token` whose scope is within `scope` are approved at once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoApproval {
    /// The requester's token id (`tok_...`).
    pub token: String,
    /// The most such requests may get.
    pub scope: Vec<Grant>,
}

fn default_max_ttl() -> u64 {
    3600
}

fn default_pending_ttl() -> u64 {
    900
}

impl Default for AccessPolicy {
    fn default() -> Self {
        Self {
            max_ttl_seconds: default_max_ttl(),
            pending_ttl_seconds: default_pending_ttl(),
            never_requestable: Vec::new(),
            auto_approve: Vec::new(),
        }
    }
}
