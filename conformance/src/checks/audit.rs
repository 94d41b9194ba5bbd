//! Audit: every mutation of this run in the log, the hash chain, signed checkpoints.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credential_issuer_client::schemas::Document;
use credential_issuer_spec::audit::{CHECKPOINT_TYPE, verify_chain};
use credential_issuer_spec::{AuditEvent, GENESIS_HASH, Operation, ProblemType};
use serde_json::Value;

use super::{json_body, problem, schema};
use crate::Group;
use crate::context::Context;
use crate::outcome::{Verdict, ensure};
use crate::probe::Request;
use crate::recorder::{Meta, Recorder};

const G: Group = Group::Audit;
const AUDIT: &[Operation] = &[Operation::Audit];

const CHAIN: Meta = Meta {
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
};
const MUTATIONS: Meta = Meta {
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
};
const REFUSALS: Meta = Meta {
    id: "AUD-03",
    group: G,
    requirements: &["REQ-AUD-1"],
    title: "refused operations appear with outcome refused",
    mutating: true,
    needs: AUDIT,
};
const CHECKPOINT: Meta = Meta {
    id: "AUD-04",
    group: G,
    requirements: &["REQ-AUD-15", "REQ-AUD-16"],
    title: "the checkpoint is a JWS from a published key naming an event of the log",
    mutating: false,
    needs: AUDIT,
};
const QUERY: Meta = Meta {
    id: "AUD-05",
    group: G,
    requirements: &["REQ-AUD-13"],
    title: "cursor and after_seq together are refused",
    mutating: false,
    needs: AUDIT,
};
const REQUEST_ID: Meta = Meta {
    id: "AUD-06",
    group: G,
    requirements: &["REQ-AUD-9"],
    title: "responses carry X-Request-Id",
    mutating: false,
    needs: AUDIT,
};

/// Verifies a compact JWS against a JWK Set: `alg` EdDSA or ES256, `kid` in the set, `typ`.
pub(crate) fn verify_jws(jws: &str, jwks: &Value, typ: &str) -> Result<(Value, Value), Verdict> {
    let protected = jws.split('.').next().unwrap_or_default();
    let header: Value = URL_SAFE_NO_PAD
        .decode(protected)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Verdict::fail("the JWS protected header is not base64url JSON"))?;
    let kid = header["kid"]
        .as_str()
        .ok_or_else(|| Verdict::fail("the JWS has no kid"))?;
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .ok_or_else(|| Verdict::fail(format!("kid {kid} is not in the JWK Set")))?;
    let jwk = josekit::jwk::Jwk::from_map(key.as_object().cloned().unwrap_or_default())
        .map_err(|e| Verdict::fail(format!("the JWK {kid} is unusable: {e}")))?;
    let payload = match header["alg"].as_str() {
        Some("EdDSA") => {
            let verifier = josekit::jws::EdDSA
                .verifier_from_jwk(&jwk)
                .map_err(|e| Verdict::fail(e.to_string()))?;
            josekit::jws::deserialize_compact(jws, &verifier)
        }
        Some("ES256") => {
            let verifier = josekit::jws::ES256
                .verifier_from_jwk(&jwk)
                .map_err(|e| Verdict::fail(e.to_string()))?;
            josekit::jws::deserialize_compact(jws, &verifier)
        }
        other => {
            return Err(Verdict::fail(format!(
                "alg {other:?} is neither EdDSA nor ES256"
            )));
        }
    }
    .map_err(|_| Verdict::fail("the JWS signature does not verify"))?
    .0;
    if header["typ"] != typ {
        return Err(Verdict::warn(format!(
            "the JWS typ is {}, not {typ}",
            header["typ"]
        )));
    }
    let payload = serde_json::from_slice(&payload)
        .map_err(|_| Verdict::fail("the JWS payload is not JSON"))?;
    Ok((payload, header))
}

async fn all_events(ctx: &mut Context) -> Result<Vec<Value>, Verdict> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10_000 {
        let path = match &cursor {
            Some(c) => format!("/audit?limit=200&cursor={c}"),
            None => "/audit?limit=200".to_owned(),
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

pub(crate) async fn run(ctx: &mut Context, rec: &mut Recorder) {
    let mut events = Vec::new();
    rec.check(ctx, &CHAIN, async |ctx: &mut Context| {
        events = all_events(ctx).await?;
        let mut typed = Vec::with_capacity(events.len());
        for event in &events {
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
    })
    .await;

    rec.check(ctx, &MUTATIONS, async |ctx: &mut Context| {
        if events.is_empty() {
            events = all_events(ctx).await?;
        }
        for (action, id, version) in ctx.mutations.clone() {
            let found = events.iter().any(|e| {
                e["action"] == action.as_str()
                    && e["credential_id"] == id.as_str()
                    && e["outcome"] == "success"
                    && (version.is_none()
                        || e["version"] == version.map_or(Value::Null, Value::from))
            });
            ensure(found, || {
                format!("no successful {action} event for {id} (version {version:?})")
            })?;
        }
        for id in ctx.idempotent.clone() {
            let creates = events
                .iter()
                .filter(|e| e["action"] == "credential.create" && e["credential_id"] == id.as_str())
                .count();
            ensure(creates == 1, || {
                format!("{creates} create events for {id}, created once and replayed")
            })?;
        }
        for id in ctx.expired.clone() {
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
                format!(
                    "version.expire events for {id}, whose versions expired with the credential"
                )
            })?;
        }
        Ok(())
    })
    .await;

    rec.check(ctx, &REFUSALS, async |ctx: &mut Context| {
        let refusals = ctx.refusals.clone();
        if refusals.is_empty() {
            return Err(Verdict::skip("this run saw no refused operation"));
        }
        for (action, id) in refusals {
            let found = events.iter().any(|e| {
                e["action"] == action.as_str()
                    && e["outcome"] == "refused"
                    && (id.is_empty() || e["credential_id"] == id.as_str())
            });
            ensure(found, || {
                format!("a refused {action} {id} is not in the log")
            })?;
        }
        Ok(())
    })
    .await;

    rec.check(ctx, &CHECKPOINT, async |ctx: &mut Context| {
        let Some(jwks_uri) = ctx.manifest.as_ref().and_then(|m| m.jwks_uri.clone()) else {
            return Err(Verdict::fail(
                "an issuer that claims audit must publish jwks_uri for checkpoints",
            ));
        };
        let response = ctx.call(Request::get("/audit/checkpoint")).await;
        ensure(response.status == 200, || {
            format!("GET /audit/checkpoint answered HTTP {}", response.status)
        })?;
        let jwks = json_body(
            &ctx.probe.send(Request::get(jwks_uri.as_str())).await,
            "JWK Set",
        )?;
        let (payload, _) = verify_jws(response.body.trim(), &jwks, CHECKPOINT_TYPE)?;
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
                "/audit?after_seq={}&limit=1",
                seq - 1
            )))
            .await,
            "audit page",
        )?;
        ensure(
            page["items"][0]["seq"] == seq && page["items"][0]["hash"] == payload["hash"],
            || format!("the checkpoint names seq {seq} with a hash the log does not have"),
        )
    })
    .await;

    rec.check(ctx, &QUERY, async |ctx: &mut Context| {
        let response = ctx.call(Request::get("/audit?cursor=1&after_seq=1")).await;
        problem(&response, 400, ProblemType::InvalidRequest)
    })
    .await;

    rec.check(ctx, &REQUEST_ID, async |ctx: &mut Context| {
        let response = ctx.call(Request::get("/audit?limit=1")).await;
        if response.header("x-request-id").is_none() {
            return Err(Verdict::warn("responses carry no X-Request-Id"));
        }
        Ok(())
    })
    .await;
}
