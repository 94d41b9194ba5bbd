//! The operations as domain code: no HTTP types here. Each function takes the issuer's
//! [`Context`], the [`Call`] (who asks, under which request id) and a spec request, and returns
//! a spec response or a [`LifecycleError`]; the HTTP layer renders those as problem+json.

mod adoption;
mod audit_log;
mod callers;
mod checkpoint;
mod create;
mod credential_locks;
mod error;
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
mod sweep;
mod tokens;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use credential_issuer_spec::{
    ApiScope, AuditAction, CredentialId, Grant, Operation, Outcome, Timestamp,
};

pub use audit_log::list_audit;
pub use callers::{AuthError, authenticate};
pub use checkpoint::checkpoint;
pub use create::create;
pub use credential_locks::CredentialLocks;
pub use error::{LifecycleError, Narrowing, NotAllowed, RequestError, ScopeRefusal};
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
pub use sweep::{SweepReport, sweep_once};
pub use tokens::{MintedToken, mint_token, mint_token_at};

use crate::clock::Clock;
use crate::crypto::keys::ServerKeys;
use crate::issuer::IssuerProfile;
use crate::model::AuditEntry;
use crate::store::{Store, StoreError};

/// A part of a request (its body, a header) as the HTTP layer decoded it into a spec type. A
/// decoding error is the operation's to report, in the order REQ-AUTH-7 gives: after the
/// operation is found offered and the caller's scope sufficient, and audited as a refusal.
pub type Decoded<T> = Result<T, RequestError>;

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
    pub signing: Arc<crate::crypto::signing::SigningKeys>,
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

/// Saves a changed credential (compare-and-set on `expected`, so that a concurrent change makes
/// this one a conflict) and audits the time-driven transitions `settle` applied on the way.
pub(crate) async fn save_settled(
    tx: &mut dyn crate::store::Transaction,
    call: &Call,
    issuer: &str,
    record: &crate::model::CredentialRecord,
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
            serde_json::Value::String(error.problem_type().uri().into_owned()),
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
