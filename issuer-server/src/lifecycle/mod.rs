//! The operations as domain code: no HTTP types here. Each function takes the issuer's
//! [`Context`], the [`Call`] (who asks, under which request id) and a spec request, and returns
//! a spec response or a [`LifecycleError`]. `crate::error` maps those to problem+json.

mod adoption;
mod audit_log;
mod body;
mod checkpoint;
mod create;
mod credential_locks;
pub mod expiry;
mod exposure;
mod idempotency;
mod introspect;
mod minted;
mod read;
mod requests;
mod retirement;
mod revoke;
mod rotate;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use credential_issuer_spec::{
    ApiScope, AuditAction, CredentialId, Grant, Operation, Outcome, Timestamp,
};

pub use audit_log::list_audit;
pub use checkpoint::checkpoint;
pub use create::create;
pub use credential_locks::CredentialLocks;
pub use exposure::report_exposure;
pub use idempotency::purge_expired_responses;
pub use introspect::introspect;
pub use read::{get, list};
pub use requests::{
    approve, collect, create_request, deny, expire_requests, get_request, list_requests,
};
pub use retirement::retire_due;
pub use revoke::revoke;
pub use rotate::rotate;

use crate::clock::Clock;
use crate::issuer::IssuerProfile;
use crate::keys::ServerKeys;
use crate::store::{AuditEntry, Store, StoreError};

/// What every operation works with.
#[derive(Debug, Clone)]
pub struct Context {
    /// Where everything is kept.
    pub store: Arc<dyn Store>,
    /// The server's keys.
    pub keys: ServerKeys,
    /// The issuer served.
    pub issuer: Arc<IssuerProfile>,
    /// The keys that sign the manifest and audit checkpoints.
    pub signing: Arc<crate::signing::SigningKeys>,
    /// Turns of rotations per credential.
    pub rotations: Arc<CredentialLocks>,
    /// Held shared by every operation that mints a vendor key, from before the vendor call
    /// until the key is recorded, and exclusively by adoption (REQ-LIST-7): a key the vendor
    /// already lists but the operation has not recorded yet is never adopted as made elsewhere.
    pub minting: Arc<tokio::sync::RwLock<()>>,
    /// Where every operation reads the time.
    pub clock: Arc<dyn Clock>,
}

impl Context {
    /// Refuses an operation the issuer's manifest does not list (REQ-ERR-20).
    pub fn offer(&self, operation: Operation) -> Result<(), LifecycleError> {
        if self.issuer.offers(&operation) {
            Ok(())
        } else {
            Err(LifecycleError::OperationNotOffered(operation))
        }
    }
}

/// An authenticated caller: an issuer-API token and what it may do.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The token's id.
    pub token_id: String,
    /// Its issuer-API scopes.
    pub scopes: BTreeSet<ApiScope>,
    /// The most a credential it mints may do; `None` for no ceiling.
    pub authority: Option<Vec<Grant>>,
}

impl Caller {
    /// The actor recorded in audit events.
    pub fn actor(&self) -> String {
        format!("token:{}", self.token_id)
    }
}

/// One call: who, and the request id that ties logs, audit events and errors together.
#[derive(Debug, Clone)]
pub struct Call {
    /// Who calls.
    pub caller: Caller,
    /// The request id.
    pub request_id: String,
}

impl Call {
    /// Refuses the call unless the caller's token holds `scope` (REQ-AUTH: 403 when too little).
    pub fn require(&self, scope: ApiScope) -> Result<(), LifecycleError> {
        if self.caller.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(LifecycleError::MissingApiScope(scope))
        }
    }

    /// Refuses a scope that goes beyond the caller's own authority.
    pub fn check_authority(
        &self,
        context: &Context,
        scope: &[Grant],
    ) -> Result<(), LifecycleError> {
        match &self.caller.authority {
            Some(authority) if !context.issuer.index.scope_within(scope, authority) => {
                Err(LifecycleError::BeyondAuthority)
            }
            _ => Ok(()),
        }
    }

    /// An audit entry for this call, recorded at `time`.
    fn audit(
        &self,
        time: Timestamp,
        action: AuditAction,
        credential_id: Option<CredentialId>,
        version: Option<u32>,
        outcome: Outcome,
        details: BTreeMap<String, serde_json::Value>,
    ) -> AuditEntry {
        AuditEntry {
            time,
            actor: self.caller.actor(),
            action,
            credential_id,
            version,
            outcome,
            request_id: self.request_id.clone(),
            details,
        }
    }
}

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The request is malformed or asks for something invalid.
    #[error("{0}")]
    InvalidRequest(String),
    /// The scope names unknown permissions or resources, or is wider than allowed.
    #[error("{0}")]
    InvalidScope(String),
    /// The caller's token lacks an issuer-API scope.
    #[error("this operation needs the {0} scope")]
    MissingApiScope(ApiScope),
    /// The requested scope is beyond what the caller itself may grant.
    #[error("the requested scope goes beyond the caller's authority")]
    BeyondAuthority,
    /// The path names nothing (a malformed id).
    #[error("nothing here")]
    NoSuchPath,
    /// No such credential.
    #[error("no credential {0}")]
    CredentialNotFound(CredentialId),
    /// No such access request (or not one this caller may see).
    #[error("no access request {0}")]
    AccessRequestNotFound(String),
    /// The access request was already decided, has expired, or is not yet approved.
    #[error("the access request is {0}")]
    RequestNotPending(&'static str),
    /// The approved credential was already collected.
    #[error("the credential of this access request was already collected")]
    AlreadyCollected,
    /// Only the requester may collect; nobody may approve their own request.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// The policy never allows this permission to be requested.
    #[error("{0} can never be requested")]
    NeverRequestable(String),
    /// The issuer does not offer access requests.
    #[error("this issuer does not offer access requests")]
    RequestsNotOffered,
    /// The credential is revoked.
    #[error("credential {0} is revoked")]
    CredentialRevoked(CredentialId),
    /// The credential has expired.
    #[error("credential {0} has expired")]
    CredentialExpired(CredentialId),
    /// `If-Match` names a version that is not current, or a concurrent rotation won.
    #[error("version {current_version} is current")]
    RotationConflict {
        /// The version that is current now.
        current_version: u32,
    },
    /// An overlap rotation would leave more valid versions than allowed.
    #[error(
        "an overlap rotation would exceed {max} valid versions; revoke the previous version or rotate immediately"
    )]
    ActiveVersionLimit {
        /// The limit.
        max: u32,
    },
    /// The idempotency key was used with a different request.
    #[error("the Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// A request with the same idempotency key is still being processed (REQ-IDEM-6).
    #[error("a request with this Idempotency-Key is still being processed; retry later")]
    RequestInProgress,
    /// The issuer does not offer this operation (a shim whose vendor cannot do it).
    #[error("this issuer does not offer the {0:?} operation")]
    OperationNotOffered(Operation),
    /// The backend (a vendor's API behind a shim) refused or failed.
    #[error("{0}")]
    Backend(#[from] crate::backends::BackendError),
    /// The store failed.
    #[error("storage failure")]
    Store(#[from] StoreError),
    /// A signature could not be made.
    #[error("signing failed")]
    Signing(#[from] crate::signing::SigningError),
    /// A stored response could not be opened.
    #[error("a stored response could not be opened")]
    Seal(#[from] crate::sealing::SealError),
}

impl LifecycleError {
    /// Whether the caller is at fault (a refusal), as opposed to the issuer (a failure).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::Store(_)
                | Self::Seal(_)
                | Self::Signing(_)
                | Self::Backend(crate::backends::BackendError::Unavailable(_))
        )
    }
}

/// Saves a changed credential (compare-and-set on `expected`, so that a concurrent change makes
/// this one a conflict) and audits the time-driven transitions `settle` applied on the way.
pub(crate) async fn save_settled(
    tx: &mut dyn crate::store::Transaction,
    call: &Call,
    issuer: &str,
    record: &crate::store::CredentialRecord,
    expected: u32,
    expirations: expiry::Settled,
    now: Timestamp,
) -> Result<(), LifecycleError> {
    tx.save_credential(record, expected)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => LifecycleError::RotationConflict {
                current_version: expected + 1,
            },
            other => other.into(),
        })?;
    for (action, version) in expirations {
        let id = Some(record.credential.id.clone());
        let entry = call.audit(now, action, id, version, Outcome::Success, BTreeMap::new());
        tx.append_audit(issuer, entry).await?;
    }
    Ok(())
}

/// Runs `operation`; when it is refused or fails, appends an audit event saying so (REQ-AUD:
/// refused attempts are recorded too). Successful operations write their own event in the same
/// transaction as their change.
pub(crate) async fn audited<T>(
    context: &Context,
    call: &Call,
    action: AuditAction,
    credential_id: Option<&CredentialId>,
    operation: impl Future<Output = Result<T, LifecycleError>>,
) -> Result<T, LifecycleError> {
    let result = operation.await;
    if let Err(error) = &result {
        let outcome = if error.is_refusal() {
            Outcome::Refused
        } else {
            Outcome::Error
        };
        let details = BTreeMap::from([(
            "problem".to_owned(),
            serde_json::Value::String(crate::error::problem_type(error).uri().into_owned()),
        )]);
        let entry = call.audit(
            context.clock.now(),
            action,
            credential_id.cloned(),
            None,
            outcome,
            details,
        );
        let recorded = async {
            let mut tx = context.store.begin().await?;
            tx.append_audit(context.issuer.id.as_str(), entry).await?;
            tx.commit().await
        };
        if let Err(audit_error) = recorded.await {
            tracing::error!(error = %audit_error, "could not record a refused operation in the audit log");
        }
    }
    result
}
