//! Audit: every mutation of this run in the log, the hash chain, signed checkpoints.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::audit::{CHECKPOINT_TYPE, verify_chain};
use credential_issuer_spec::operations;
use credential_issuer_spec::{AuditEvent, GENESIS_HASH, Operation, ProblemType};
use serde_json::Value;

use super::expect::{json_body, problem, schema};
use super::signature;
use crate::Group;
use crate::check::{Check, Meta};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;
use crate::trail::{Mutation, Refusal, action_name};

const G: Group = Group::Audit;
const AUDIT: &[Operation] = &[Operation::Audit];

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[CHAIN, MUTATIONS, REFUSALS, CHECKPOINT, QUERY, REQUEST_ID];

/// The whole audit log, page by page (its requests are not kept as evidence).
async fn all_events(ctx: &mut Context) -> Result<Vec<Value>, Verdict> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let path = match &cursor {
            Some(c) => format!("{}?limit=200&cursor={c}", operations::audit::LIST.path),
            None => format!("{}?limit=200", operations::audit::LIST.path),
        };
        let response = ctx.call(Request::get(path)).await;
        ensure(response.status == 200, || {
            format!("GET /audit answered HTTP {}", response.status)
        })?;
        let page = json_body(&response, "audit page")?;
        schema(Document::AuditPage, &page)?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let empty = items.is_empty();
        events.extend(items);
        match page["next_cursor"].as_str() {
            Some(next) if !empty => cursor = Some(next.to_owned()),
            _ => break,
        }
    }
    // Keep the evidence small: the log itself is not evidence of one check.
    ctx.probe.take_evidence();
    Ok(events)
}

const CHAIN: Check = Check::new(
    Meta {
        id: "AUD-01",
        group: G,
        requirements: &[
            "REQ-AUD-8",
            "REQ-AUD-10",
            "REQ-AUD-11",
            "REQ-AUD-12",
            "REQ-AUD-13",
            "REQ-AUD-14",
        ],
        title: "the log is served in order, every event validates, and the hash chain links",
        mutating: false,
        needs: AUDIT,
    },
    |ctx| Box::pin(chain(ctx)),
);

async fn chain(ctx: &mut Context) -> CheckResult {
    ctx.audit_log = all_events(ctx).await?;
    let mut typed = Vec::with_capacity(ctx.audit_log.len());
    for event in &ctx.audit_log {
        schema(Document::AuditEvent, event)?;
        typed.push(
            serde_json::from_value::<AuditEvent>(event.clone())
                .map_err(|e| Verdict::fail(e.to_string()))?,
        );
    }
    let Some(first) = typed.first() else {
        return Ok(());
    };
    // The log may start after a retention cut; it must link from there.
    let (after_seq, after_hash) = if first.seq == 1 {
        (0, GENESIS_HASH.to_owned())
    } else {
        (first.seq - 1, first.prev_hash.clone())
    };
    verify_chain(&typed, after_seq, &after_hash)
        .map_err(|e| Verdict::fail(format!("the hash chain breaks: {e}")))?;
    ensure(typed.windows(2).all(|w| w[0].time <= w[1].time), || {
        "event times decrease".to_owned()
    })
}

const MUTATIONS: Check = Check::new(
    Meta {
        id: "AUD-02",
        group: G,
        requirements: &[
            "REQ-AUD-1",
            "REQ-AUD-2",
            "REQ-INT-4",
            "REQ-EXP-9",
            "REQ-AUD-5",
            "REQ-AUD-6",
            "REQ-IDEM-9",
        ],
        title: "every mutation and introspection of this run appears with its action and version",
        mutating: true,
        needs: AUDIT,
    },
    |ctx| Box::pin(mutations(ctx)),
);

async fn mutations(ctx: &mut Context) -> CheckResult {
    if ctx.audit_log.is_empty() {
        ctx.audit_log = all_events(ctx).await?;
    }
    let events = &ctx.audit_log;
    for Mutation {
        action,
        credential: id,
        version,
    } in &ctx.mutations
    {
        let action = action_name(*action);
        let found = events.iter().any(|e| {
            e["action"] == action.as_str()
                && e["credential_id"] == id.as_str()
                && e["outcome"] == "success"
                && (version.is_none() || e["version"] == version.map_or(Value::Null, Value::from))
        });
        ensure(found, || {
            format!("no successful {action} event for {id} (version {version:?})")
        })?;
    }
    for id in &ctx.idempotent {
        let creates = events
            .iter()
            .filter(|e| e["action"] == "credential.create" && e["credential_id"] == id.as_str())
            .count();
        ensure(creates == 1, || {
            format!("{creates} create events for {id}, created once and replayed")
        })?;
    }
    for id in &ctx.expired {
        let expiries = events
            .iter()
            .filter(|e| e["action"] == "credential.expire" && e["credential_id"] == id.as_str())
            .count();
        ensure(expiries == 1, || {
            format!("{expiries} credential.expire events for {id}, which expired once")
        })?;
        let versions = events
            .iter()
            .filter(|e| e["action"] == "version.expire" && e["credential_id"] == id.as_str())
            .count();
        ensure(versions == 0, || {
            format!("version.expire events for {id}, whose versions expired with the credential")
        })?;
    }
    Ok(())
}

const REFUSALS: Check = Check::new(
    Meta {
        id: "AUD-03",
        group: G,
        requirements: &["REQ-AUD-1"],
        title: "refused operations appear with outcome refused",
        mutating: true,
        needs: AUDIT,
    },
    |ctx| Box::pin(refusals(ctx)),
);

async fn refusals(ctx: &mut Context) -> CheckResult {
    if ctx.refusals.is_empty() {
        return Err(Verdict::skip("this run saw no refused operation"));
    }
    for Refusal { action, credential } in &ctx.refusals {
        let action = action_name(*action);
        let found = ctx.audit_log.iter().any(|e| {
            e["action"] == action.as_str()
                && e["outcome"] == "refused"
                && credential
                    .as_ref()
                    .is_none_or(|id| e["credential_id"] == id.as_str())
        });
        let id = credential.as_deref().unwrap_or_default();
        ensure(found, || {
            format!("a refused {action} {id} is not in the log")
        })?;
    }
    Ok(())
}

const CHECKPOINT: Check = Check::new(
    Meta {
        id: "AUD-04",
        group: G,
        requirements: &["REQ-AUD-15", "REQ-AUD-16"],
        title: "the checkpoint is a JWS from a published key naming an event of the log",
        mutating: false,
        needs: AUDIT,
    },
    |ctx| Box::pin(checkpoint(ctx)),
);

async fn checkpoint(ctx: &mut Context) -> CheckResult {
    let Some(jwks_uri) = ctx.manifest.as_ref().and_then(|m| m.jwks_uri.clone()) else {
        return Err(Verdict::fail(
            "an issuer that claims audit must publish jwks_uri for checkpoints",
        ));
    };
    let response = ctx
        .call(Request::get(operations::audit::CHECKPOINT.path))
        .await;
    ensure(response.status == 200, || {
        format!("GET /audit/checkpoint answered HTTP {}", response.status)
    })?;
    let jwks = json_body(
        &ctx.probe.send(Request::get(jwks_uri.as_str())).await,
        "JWK Set",
    )?;
    let payload = signature::verify(response.body.trim(), &jwks, CHECKPOINT_TYPE)?;
    schema(Document::AuditCheckpoint, &payload)?;
    ensure(payload["issuer"] == ctx.config.issuer, || {
        "the checkpoint names another issuer".to_owned()
    })?;
    let seq = payload["seq"].as_u64().unwrap_or_default();
    if seq == 0 {
        return ensure(payload["hash"] == GENESIS_HASH, || {
            "an empty log's checkpoint must carry the genesis hash".to_owned()
        });
    }
    let page = json_body(
        &ctx.call(Request::get(format!(
            "{}?after_seq={}&limit=1",
            operations::audit::LIST.path,
            seq - 1
        )))
        .await,
        "audit page",
    )?;
    ensure(
        page["items"][0]["seq"] == seq && page["items"][0]["hash"] == payload["hash"],
        || format!("the checkpoint names seq {seq} with a hash the log does not have"),
    )
}

const QUERY: Check = Check::new(
    Meta {
        id: "AUD-05",
        group: G,
        requirements: &["REQ-AUD-13"],
        title: "cursor and after_seq together are refused",
        mutating: false,
        needs: AUDIT,
    },
    |ctx| Box::pin(query(ctx)),
);

async fn query(ctx: &mut Context) -> CheckResult {
    let response = ctx
        .call(Request::get(format!(
            "{}?cursor=1&after_seq=1",
            operations::audit::LIST.path
        )))
        .await;
    problem(&response, 400, ProblemType::InvalidRequest)
}

const REQUEST_ID: Check = Check::new(
    Meta {
        id: "AUD-06",
        group: G,
        requirements: &["REQ-AUD-9"],
        title: "responses carry X-Request-Id",
        mutating: false,
        needs: AUDIT,
    },
    |ctx| Box::pin(request_id(ctx)),
);

async fn request_id(ctx: &mut Context) -> CheckResult {
    let response = ctx
        .call(Request::get(format!(
            "{}?limit=1",
            operations::audit::LIST.path
        )))
        .await;
    if response.header("x-request-id").is_none() {
        return Err(Verdict::warn("responses carry no X-Request-Id"));
    }
    Ok(())
}
