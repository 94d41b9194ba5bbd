//! What a run did that the issuer's audit log must show: its mutations and introspections, and
//! the operations it saw refused after authentication.

use credential_issuer_spec::AuditAction;

/// A mutation (or introspection) this run made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mutation {
    /// What the event must record.
    pub(crate) action: AuditAction,
    /// The credential.
    pub(crate) credential: String,
    /// The version the event must name; `None` when any (or none) will do.
    pub(crate) version: Option<u64>,
}

/// An operation this run saw refused after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// What the event must record.
    pub(crate) action: AuditAction,
    /// The credential it named; `None` when the request named none (a refused create).
    pub(crate) credential: Option<String>,
}

/// The action's wire name, e.g. `credential.create`.
pub(crate) fn action_name(action: AuditAction) -> String {
    serde_json::to_value(action)
        .ok()
        .and_then(|name| name.as_str().map(str::to_owned))
        .unwrap_or_default()
}
