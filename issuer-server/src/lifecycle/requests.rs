//! Agent access requests (spec §12): an agent asks for a scope for a while with a reason; a
//! person (or the policy) approves, possibly narrower or shorter, or denies; the requester
//! collects the short-lived credential once.

use std::collections::BTreeMap;
use std::str::FromStr;

use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::operations::requests::{
    ApproveRequest, CreateAccessRequest, DenyRequest,
};
use credential_issuer_spec::operations::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page};
use credential_issuer_spec::{
    AccessRequest, AccessRequestId, AccessRequestStatus, ApiScope, AuditAction, CredentialId,
    Grant, IssuedCredential, Metadata, Outcome, Secret, Timestamp,
};

use super::create::build;
use super::minted::{Mint, mint as mint_secret, new_credential_id, settle_minted};
use super::{
    Call, Context, Decoded, LifecycleError, Narrowing, NotAllowed, RequestError, ScopeRefusal,
    audited,
};
use crate::backends::Issued;
use crate::crypto::sealing;
use crate::issuer::policy::AccessPolicy;
use crate::model::AccessRequestRecord;
use crate::store::{StoreError, Transaction};

fn policy(context: &Context) -> Result<&AccessPolicy, LifecycleError> {
    context
        .issuer
        .access
        .as_ref()
        .ok_or(LifecycleError::RequestsNotOffered)
}

fn details(pairs: &[(&str, serde_json::Value)]) -> BTreeMap<String, serde_json::Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// `POST /requests`: records a pending request, or approves it at once when the policy says so.
pub async fn create_request(
    context: &Context,
    call: &Call,
    asked: Decoded<CreateAccessRequest>,
) -> Result<AccessRequest, LifecycleError> {
    audited(context, call, AuditAction::RequestCreate, None, async {
        let policy = policy(context)?;
        call.require(ApiScope::RequestsCreate)?;
        let asked = asked?;
        if !context
            .issuer
            .credential_types()
            .contains(&asked.credential_type)
        {
            return Err(RequestError::CredentialType(asked.credential_type.clone()).into());
        }
        context
            .issuer
            .index
            .check(&asked.scope)
            .map_err(ScopeRefusal::from)?;
        for grant in &asked.scope {
            if let Some(forbidden) = policy
                .never_requestable
                .iter()
                .find(|p| context.issuer.index.implies(&grant.permission, p))
            {
                return Err(LifecycleError::NeverRequestable(forbidden.clone()));
            }
        }
        if asked.ttl_seconds > policy.max_ttl_seconds {
            return Err(RequestError::RequestTtl(policy.max_ttl_seconds).into());
        }
        let now = context.clock.now();
        let id: AccessRequestId = match format!("req_{}", uuid::Uuid::now_v7().simple()).parse() {
            Ok(id) => id,
            Err(_) => unreachable!("req_ and 32 hex digits is a valid id"),
        };
        let mut record = AccessRequestRecord {
            issuer: context.issuer.id.as_str().to_owned(),
            request: AccessRequest {
                id: id.clone(),
                status: AccessRequestStatus::Pending,
                requester: asked.requester.clone(),
                credential_type: asked.credential_type.clone(),
                scope: asked.scope.clone(),
                ttl_seconds: asked.ttl_seconds,
                reason: asked.reason.clone(),
                created_at: now,
                expires_at: now.plus_seconds(policy.pending_ttl_seconds),
                decided_at: None,
                decided_by: None,
                decision_reason: None,
                auto_approved: false,
                credential_id: None,
            },
            requester_token: call.caller.token_id.clone(),
            sealed_secret: None,
        };
        let automatic = policy.auto_approve.iter().any(|rule| {
            rule.token == call.caller.token_id
                && context.issuer.index.scope_within(&asked.scope, &rule.scope)
        });
        // The vendor is called before any transaction: a slow vendor holds no lock.
        let approval = if automatic {
            let scope = asked.scope.clone();
            Some(mint_approved(context, &record, scope, asked.ttl_seconds, None, true).await?)
        } else {
            None
        };
        let key = approval.as_ref().and_then(|a| a.minted.key.clone());
        let saved = save_request(context, call, &asked, &mut record, approval).await;
        settle_minted(context, key.as_ref(), saved.map(|()| (false, ()))).await?;
        Ok(record.request)
    })
    .await
}

/// Records a new request, approved at once with `approval` when the policy said so.
async fn save_request(
    context: &Context,
    call: &Call,
    asked: &CreateAccessRequest,
    record: &mut AccessRequestRecord,
    approval: Option<Approval>,
) -> Result<(), LifecycleError> {
    let id = record.request.id.clone();
    let mut tx = context.store.begin().await?;
    tx.insert_access_request(record).await?;
    let entry = call.audit(
        context.clock.now(),
        AuditAction::RequestCreate,
        None,
        None,
        Outcome::Success,
        details(&[
            ("request_id", serde_json::json!(id)),
            ("requester", serde_json::json!(asked.requester)),
            ("scope", serde_json::json!(asked.scope)),
            ("ttl_seconds", serde_json::json!(asked.ttl_seconds)),
        ]),
    );
    tx.append_audit(context.issuer.id.as_str(), entry).await?;
    if let Some(approval) = approval {
        record_approval(context, &mut *tx, call, record, approval).await?;
        tx.save_access_request(record, AccessRequestStatus::Pending)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A credential minted for an approval, not yet recorded.
struct Approval {
    create: CreateRequest,
    id: CredentialId,
    minted: Issued,
    scope: Vec<Grant>,
    ttl_seconds: u64,
    note: Option<String>,
    automatic: bool,
}

/// Mints the credential an approval of `record` gives (outside any transaction: the backend may
/// be a vendor's API).
async fn mint_approved(
    context: &Context,
    record: &AccessRequestRecord,
    scope: Vec<Grant>,
    ttl_seconds: u64,
    note: Option<String>,
    automatic: bool,
) -> Result<Approval, LifecycleError> {
    let request = &record.request;
    let metadata = Metadata::new(BTreeMap::from([
        ("purpose".to_owned(), "access request".to_owned()),
        ("access_request".to_owned(), request.id.to_string()),
        (
            "requester".to_owned(),
            request.requester.chars().take(256).collect(),
        ),
    ]))
    .map_err(RequestError::from)?;
    let name = format!("access request {}", request.id)
        .parse()
        .map_err(RequestError::from)?;
    let mut create = CreateRequest::new(request.credential_type.clone(), name, scope.clone());
    create.expires_in = Some(ttl_seconds);
    create.metadata = metadata;
    let id = new_credential_id();
    let minted = mint_secret(
        context,
        Mint {
            credential_id: &id,
            credential_type: &create.credential_type,
            name: create.name.as_str(),
            scope: &create.scope,
            expires_in: Some(ttl_seconds),
            replacing: None,
        },
    )
    .await?;
    Ok(Approval {
        create,
        id,
        minted,
        scope,
        ttl_seconds,
        note,
        automatic,
    })
}

/// Records the minted credential in `tx`, seals its secret for collection, and records the
/// approval (by `call`, or by the policy when automatic).
async fn record_approval(
    context: &Context,
    tx: &mut dyn Transaction,
    call: &Call,
    record: &mut AccessRequestRecord,
    approval: Approval,
) -> Result<(), LifecycleError> {
    let Approval {
        create,
        id,
        minted,
        scope,
        ttl_seconds,
        note,
        automatic,
    } = approval;
    let now = context.clock.now();
    let request = &record.request;
    let (credential, issued) = build(context, &create, id, minted, Some(ttl_seconds), now);
    tx.insert_credential(&credential).await?;
    let actor = if automatic {
        "system".to_owned()
    } else {
        call.caller.actor()
    };
    let issuer = context.issuer.id.as_str();
    let mut approval = call.audit(
        context.clock.now(),
        AuditAction::RequestApprove,
        Some(issued.credential.id.clone()),
        Some(1),
        Outcome::Success,
        details(&[
            ("request_id", serde_json::json!(request.id)),
            ("scope", serde_json::json!(scope)),
            ("ttl_seconds", serde_json::json!(ttl_seconds)),
            (
                "narrowed",
                serde_json::json!(scope != request.scope || ttl_seconds != request.ttl_seconds),
            ),
            ("auto_approved", serde_json::json!(automatic)),
        ]),
    );
    approval.actor = actor.clone();
    tx.append_audit(issuer, approval).await?;
    let mut created = call.audit(
        context.clock.now(),
        AuditAction::CredentialCreate,
        Some(issued.credential.id.clone()),
        Some(1),
        Outcome::Success,
        details(&[
            ("access_request", serde_json::json!(request.id)),
            ("scope", serde_json::json!(scope)),
        ]),
    );
    created.actor = actor.clone();
    tx.append_audit(issuer, created).await?;
    record.sealed_secret = Some(sealing::seal(
        &context.keys.response_seal,
        issued.secret.expose().as_bytes(),
    )?);
    let request = &mut record.request;
    request.status = AccessRequestStatus::Approved;
    request.scope = scope;
    request.ttl_seconds = ttl_seconds;
    request.decided_at = Some(now);
    request.decided_by = Some(actor);
    request.decision_reason = note;
    request.auto_approved = automatic;
    request.credential_id = Some(issued.credential.id);
    Ok(())
}

/// Loads a request inside `tx`, applying its expiry.
async fn load(
    context: &Context,
    tx: &mut dyn Transaction,
    raw_id: &str,
) -> Result<AccessRequestRecord, LifecycleError> {
    let not_found = || LifecycleError::AccessRequestNotFound(raw_id.to_owned());
    // An id that does not parse names no request, as one that is not stored.
    let id = AccessRequestId::from_str(raw_id).map_err(|_| not_found())?;
    let mut record = tx
        .access_request(context.issuer.id.as_str(), &id)
        .await?
        .ok_or_else(not_found)?;
    settle(&mut record.request, context.clock.now());
    Ok(record)
}

/// Starts a decision: the request, loaded in a new transaction, which must still be pending.
async fn pending(
    context: &Context,
    raw_id: &str,
) -> Result<(Box<dyn Transaction>, AccessRequestRecord), LifecycleError> {
    let mut tx = context.store.begin().await?;
    let record = load(context, &mut *tx, raw_id).await?;
    if record.request.status != AccessRequestStatus::Pending {
        return Err(not_pending(record.request.status));
    }
    Ok((tx, record))
}

/// Saves a decided request, only if it was still pending (another decision may have won).
async fn save_decision(
    tx: &mut dyn Transaction,
    record: &AccessRequestRecord,
) -> Result<(), LifecycleError> {
    tx.save_access_request(record, AccessRequestStatus::Pending)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => LifecycleError::RequestNotPending("decided concurrently"),
            other => other.into(),
        })
}

/// A pending request whose time to be decided is over reads as expired, before the sweep
/// records it (REQ-STATE-4 applied to requests).
fn settle(request: &mut AccessRequest, now: Timestamp) {
    if request.status == AccessRequestStatus::Pending && request.expires_at <= now {
        request.status = AccessRequestStatus::Expired;
    }
}

fn not_pending(status: AccessRequestStatus) -> LifecycleError {
    LifecycleError::RequestNotPending(status.as_str())
}

/// `POST /requests/{id}/approve`: only narrower or shorter, never by the requester itself.
pub async fn approve(
    context: &Context,
    call: &Call,
    raw_id: &str,
    decision: Decoded<ApproveRequest>,
) -> Result<AccessRequest, LifecycleError> {
    audited(context, call, AuditAction::RequestApprove, None, async {
        policy(context)?;
        call.require(ApiScope::RequestsApprove)?;
        let decision = decision?;
        let (tx, record) = pending(context, raw_id).await?;
        if record.requester_token == call.caller.token_id {
            return Err(LifecycleError::NotAllowed(NotAllowed::ApproveOwn));
        }
        let scope = match decision.scope {
            Some(narrower) => {
                context
                    .issuer
                    .index
                    .check(&narrower)
                    .map_err(ScopeRefusal::from)?;
                if !context
                    .issuer
                    .index
                    .scope_within(&narrower, &record.request.scope)
                {
                    return Err(ScopeRefusal::Widened(Narrowing::Approval).into());
                }
                narrower
            }
            None => record.request.scope.clone(),
        };
        let ttl = decision.ttl_seconds.unwrap_or(record.request.ttl_seconds);
        if ttl > record.request.ttl_seconds {
            return Err(RequestError::ApprovalLengthens.into());
        }
        call.check_authority(context, &scope)?;
        // The vendor is called between two transactions (a slow vendor holds no lock); the
        // second records the approval only if the request is still pending.
        drop(tx);
        let approval = mint_approved(context, &record, scope, ttl, decision.reason, false).await?;
        let key = approval.minted.key.clone();
        let saved = async {
            let (mut tx, mut record) = pending(context, raw_id).await?;
            record_approval(context, &mut *tx, call, &mut record, approval).await?;
            save_decision(&mut *tx, &record).await?;
            tx.commit().await?;
            Ok((false, record.request))
        }
        .await;
        settle_minted(context, key.as_ref(), saved).await
    })
    .await
}

/// `POST /requests/{id}/deny`
pub async fn deny(
    context: &Context,
    call: &Call,
    raw_id: &str,
    decision: Decoded<DenyRequest>,
) -> Result<AccessRequest, LifecycleError> {
    audited(context, call, AuditAction::RequestDeny, None, async {
        policy(context)?;
        call.require(ApiScope::RequestsApprove)?;
        let decision = decision?;
        let (mut tx, mut record) = pending(context, raw_id).await?;
        let request = &mut record.request;
        request.status = AccessRequestStatus::Denied;
        request.decided_at = Some(context.clock.now());
        request.decided_by = Some(call.caller.actor());
        request.decision_reason = decision.reason.clone();
        save_decision(&mut *tx, &record).await?;
        let entry = call.audit(
            context.clock.now(),
            AuditAction::RequestDeny,
            None,
            None,
            Outcome::Success,
            details(&[
                ("request_id", serde_json::json!(record.request.id)),
                ("reason", serde_json::json!(decision.reason)),
            ]),
        );
        tx.append_audit(context.issuer.id.as_str(), entry).await?;
        tx.commit().await?;
        Ok(record.request)
    })
    .await
}

/// `POST /requests/{id}/collect`: the requester's token only, once.
pub async fn collect(
    context: &Context,
    call: &Call,
    raw_id: &str,
) -> Result<IssuedCredential, LifecycleError> {
    audited(context, call, AuditAction::RequestCollect, None, async {
        policy(context)?;
        call.require(ApiScope::RequestsCreate)?;
        let mut tx = context.store.begin().await?;
        let mut record = load(context, &mut *tx, raw_id).await?;
        if record.requester_token != call.caller.token_id {
            return Err(LifecycleError::NotAllowed(NotAllowed::CollectOthers));
        }
        match record.request.status {
            AccessRequestStatus::Approved => {}
            AccessRequestStatus::Collected => return Err(LifecycleError::AlreadyCollected),
            other => return Err(not_pending(other)),
        }
        let credential_id =
            record
                .request
                .credential_id
                .clone()
                .ok_or(LifecycleError::RequestNotPending(
                    "approved without a credential",
                ))?;
        let sealed = record
            .sealed_secret
            .take()
            .ok_or(LifecycleError::AlreadyCollected)?;
        let secret = String::from_utf8(sealing::open(&context.keys.response_seal, &sealed)?)
            .map_err(|_| StoreError::Corrupt("sealed secret".into()))?;
        let credential = tx
            .credential(context.issuer.id.as_str(), &credential_id)
            .await?
            .ok_or_else(|| LifecycleError::CredentialNotFound(credential_id.clone()))?;
        record.request.status = AccessRequestStatus::Collected;
        tx.save_access_request(&record, AccessRequestStatus::Approved)
            .await
            .map_err(|e| match e {
                StoreError::Conflict => LifecycleError::AlreadyCollected,
                other => other.into(),
            })?;
        let entry = call.audit(
            context.clock.now(),
            AuditAction::RequestCollect,
            Some(credential_id),
            Some(1),
            Outcome::Success,
            details(&[("request_id", serde_json::json!(record.request.id))]),
        );
        tx.append_audit(context.issuer.id.as_str(), entry).await?;
        tx.commit().await?;
        Ok(IssuedCredential {
            credential: credential.credential,
            secret: Secret::new(secret),
            secret_attributes: Default::default(),
        })
    })
    .await
}

/// `GET /requests/{id}`: for `requests:read`, or the requester's own token.
pub async fn get_request(
    context: &Context,
    call: &Call,
    raw_id: &str,
) -> Result<AccessRequest, LifecycleError> {
    policy(context)?;
    let not_found = || LifecycleError::AccessRequestNotFound(raw_id.to_owned());
    let id = AccessRequestId::from_str(raw_id).map_err(|_| not_found())?;
    let record = context
        .store
        .access_request(context.issuer.id.as_str(), &id)
        .await?
        .ok_or_else(not_found)?;
    let own = record.requester_token == call.caller.token_id;
    if !own && call.require(ApiScope::RequestsRead).is_err() {
        return Err(if call.caller.scopes.contains(&ApiScope::RequestsCreate) {
            LifecycleError::AccessRequestNotFound(raw_id.to_owned())
        } else {
            LifecycleError::MissingApiScope(ApiScope::RequestsRead)
        });
    }
    let mut request = record.request;
    settle(&mut request, context.clock.now());
    Ok(request)
}

/// `GET /requests?status=&limit=&cursor=`
pub async fn list_requests(
    context: &Context,
    call: &Call,
    pairs: &[(String, String)],
) -> Result<Page<AccessRequest>, LifecycleError> {
    policy(context)?;
    call.require(ApiScope::RequestsRead)?;
    let invalid = |name: &str| LifecycleError::from(RequestError::QueryValue(name.to_owned()));
    let (mut status, mut cursor, mut limit) = (None, None, DEFAULT_PAGE_SIZE);
    for (name, value) in pairs {
        match name.as_str() {
            "status" => {
                let parsed: AccessRequestStatus =
                    serde_json::from_value(serde_json::Value::String(value.clone()))
                        .map_err(|_| invalid(name))?;
                status = Some(parsed);
            }
            "cursor" => {
                cursor = Some(
                    value
                        .parse::<AccessRequestId>()
                        .map_err(|_| invalid(name))?,
                )
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
                    .ok_or_else(|| invalid(name))?
            }
            other => {
                return Err(RequestError::UnknownQueryParameter(other.to_owned()).into());
            }
        }
    }
    let mut records = context
        .store
        .access_requests(
            context.issuer.id.as_str(),
            status,
            cursor.as_ref(),
            limit + 1,
        )
        .await?;
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let next_cursor = if more {
        records.last().map(|r| r.request.id.to_string())
    } else {
        None
    };
    Ok(Page {
        items: records.into_iter().map(|r| r.request).collect(),
        next_cursor,
    })
}

/// Expires pending requests whose time to be decided is over, auditing each (`request.expire`).
pub async fn expire_requests(context: &Context) -> Result<usize, LifecycleError> {
    if context.issuer.access.is_none() {
        return Ok(0);
    }
    let issuer = context.issuer.id.as_str();
    let now = context.clock.now();
    let mut expired = 0;
    for (due_issuer, id) in context.store.due_request_expiries(now, 100).await? {
        if due_issuer != issuer {
            continue;
        }
        let mut tx = context.store.begin().await?;
        let Some(mut record) = tx.access_request(issuer, &id).await? else {
            continue;
        };
        if record.request.status != AccessRequestStatus::Pending {
            continue;
        }
        record.request.status = AccessRequestStatus::Expired;
        tx.save_access_request(&record, AccessRequestStatus::Pending)
            .await?;
        let entry = crate::model::AuditEntry {
            time: now,
            actor: "system".to_owned(),
            action: AuditAction::RequestExpire,
            credential_id: None,
            version: None,
            outcome: Outcome::Success,
            request_id: format!("sweep-{}", uuid::Uuid::now_v7().simple()),
            details: details(&[("request_id", serde_json::json!(id))]),
        };
        tx.append_audit(issuer, entry).await?;
        tx.commit().await?;
        expired += 1;
    }
    Ok(expired)
}
