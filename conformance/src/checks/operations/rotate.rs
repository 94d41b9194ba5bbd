//! Rotate: overlap and immediate modes, If-Match, the active-version limit, concurrent
//! rotations.

use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::rotate;
use credential_issuer_spec::{ProblemType, RotationMode};
use serde_json::{Value, json};

use super::{GROUP, NEEDS_ROTATE};
use crate::check::{Check, Meta};
use crate::checks::expect::{json_body, problem};
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

pub(super) const OVERLAP: Check = Check::new(
    Meta {
        id: "OPS-06",
        group: GROUP,
        requirements: &["REQ-ROT-5", "REQ-ROT-10", "REQ-STATE-11", "REQ-STATE-12"],
        title: "an overlap rotation keeps the previous version working",
        mutating: true,
        needs: NEEDS_ROTATE,
    },
    |ctx| Box::pin(overlap_keeps_previous(ctx)),
);

async fn overlap_keeps_previous(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let (id, old) = (
        issued["id"].as_str().unwrap_or_default().to_owned(),
        issued["secret"].as_str().unwrap_or_default().to_owned(),
    );
    let rotated = lifecycle::rotate(ctx, &id, json!({ "mode": "overlap" }), None).await?;
    ensure(
        rotated["current_version"] == 2
            && rotated["versions"][0]["status"] == "previous"
            && rotated["versions"][1]["status"] == "current",
        || {
            format!(
                "after an overlap rotation, expected version 1 previous and 2 current: {}",
                rotated["versions"]
            )
        },
    )?;
    ensure(rotated["expires_at"] == issued["expires_at"], || {
        "the rotation changed the credential's expires_at".to_owned()
    })?;
    ensure(rotated["versions"][0]["expires_at"].is_string(), || {
        "the previous version has no expires_at (end of its grace period)".to_owned()
    })?;
    let new = rotated["secret"].as_str().unwrap_or_default().to_owned();
    ensure(new != old, || {
        "the rotation returned the old secret".to_owned()
    })?;
    ensure(
        lifecycle::introspect(ctx, &old).await?["active"] == true,
        || "the previous version stopped working during its grace period".to_owned(),
    )?;
    ensure(
        lifecycle::introspect(ctx, &new).await?["version"] == 2,
        || "the new secret does not introspect as version 2".to_owned(),
    )
}

pub(super) const STALE_IF_MATCH: Check = Check::new(
    Meta {
        id: "OPS-07",
        group: GROUP,
        requirements: &["REQ-ROT-1", "REQ-ERR-22"],
        title: "a rotation with a stale If-Match is a conflict naming the current version",
        mutating: true,
        needs: NEEDS_ROTATE,
    },
    |ctx| Box::pin(stale_if_match_conflicts(ctx)),
);

async fn stale_if_match_conflicts(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let id = lifecycle::create(ctx, grant(&permission), json!({})).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    lifecycle::rotate(ctx, &id, json!({ "mode": "overlap" }), Some(1)).await?;
    let stale = ctx
        .call(
            Request::post_json(rotate::ENDPOINT.path_for(&id), &json!({}))
                .header("if-match", "\"1\""),
        )
        .await;
    ctx.refused(AuditAction::CredentialRotate, Some(&id));
    problem(&stale, 409, ProblemType::RotationConflict)?;
    let body = json_body(&stale, "problem")?;
    ensure(body["current_version"] == 2, || {
        format!("current_version is {}, not 2", body["current_version"])
    })
}

pub(super) const IMMEDIATE: Check = Check::new(
    Meta {
        id: "OPS-10",
        group: GROUP,
        requirements: &["REQ-ROT-7"],
        title: "an immediate rotation revokes the old version at once",
        mutating: true,
        needs: NEEDS_ROTATE,
    },
    |ctx| Box::pin(immediate_revokes_old(ctx)),
);

async fn immediate_revokes_old(ctx: &mut Context) -> CheckResult {
    let modes = ctx
        .manifest
        .as_ref()
        .and_then(|m| m.rotation.clone())
        .map(|r| r.modes)
        .unwrap_or_default();
    if !modes.contains(&RotationMode::Immediate) {
        return Err(Verdict::skip(
            "the issuer does not offer immediate rotation",
        ));
    }
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    let rotated = lifecycle::rotate(ctx, &id, json!({ "mode": "immediate" }), None).await?;
    ensure(rotated["versions"][0]["status"] == "revoked", || {
        "after an immediate rotation version 1 is not revoked".to_owned()
    })?;
    let old = issued["secret"].as_str().unwrap_or_default().to_owned();
    ensure(
        lifecycle::introspect(ctx, &old).await?["active"] == false,
        || "the old secret still works after an immediate rotation".to_owned(),
    )
}

pub(super) const VERSION_LIMIT: Check = Check::new(
    Meta {
        id: "OPS-16",
        group: GROUP,
        requirements: &["REQ-ROT-6"],
        title: "an overlap rotation beyond max_active_versions is refused",
        mutating: true,
        needs: NEEDS_ROTATE,
    },
    |ctx| Box::pin(version_limit_refused(ctx)),
);

async fn version_limit_refused(ctx: &mut Context) -> CheckResult {
    let max = ctx
        .manifest
        .as_ref()
        .and_then(|m| m.rotation.as_ref())
        .map_or(0, |r| r.max_active_versions);
    if !(1..=4).contains(&max) {
        return Err(Verdict::skip(format!(
            "max_active_versions is {max}; too many rotations for this run"
        )));
    }
    let (permission, _) = test_permission(ctx)?;
    let id = lifecycle::create(ctx, grant(&permission), json!({})).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for _ in 1..max {
        lifecycle::rotate(ctx, &id, json!({ "mode": "overlap" }), None).await?;
    }
    let beyond = ctx
        .call(Request::post_json(
            rotate::ENDPOINT.path_for(&id),
            &json!({ "mode": "overlap" }),
        ))
        .await;
    ctx.refused(AuditAction::CredentialRotate, Some(&id));
    problem(&beyond, 409, ProblemType::ActiveVersionLimit)
}

pub(super) const RACE: Check = Check::new(
    Meta {
        id: "OPS-18",
        group: GROUP,
        requirements: &["REQ-ROT-2"],
        title: "of concurrent rotations with the same If-Match, exactly one wins",
        mutating: true,
        needs: NEEDS_ROTATE,
    },
    |ctx| Box::pin(one_concurrent_rotation_wins(ctx)),
);

async fn one_concurrent_rotation_wins(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let id = lifecycle::create(ctx, grant(&permission), json!({})).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let url = format!(
        "{}{}",
        ctx.endpoint().unwrap_or_default(),
        rotate::ENDPOINT.path_for(&id)
    );
    let token = ctx.config.token.clone().unwrap_or_default();
    let http = reqwest::Client::new();
    // Immediate where offered (so the racers do not meet the active-version limit), else
    // the mode the issuer has.
    let immediate = ctx
        .manifest
        .as_ref()
        .and_then(|m| m.rotation.as_ref())
        .is_some_and(|r| r.modes.contains(&RotationMode::Immediate));
    let body = if immediate {
        "{\"mode\":\"immediate\"}"
    } else {
        "{\"mode\":\"overlap\"}"
    };
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            tokio::spawn(async move {
                let reply = http
                    .post(url)
                    .bearer_auth(token)
                    .header("if-match", "\"1\"")
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match reply {
                    Ok(reply) => (
                        reply.status().as_u16(),
                        reply.json::<Value>().await.unwrap_or_default(),
                    ),
                    Err(_) => (0, Value::Null),
                }
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for racer in racers {
        let (status, body) = racer.await.unwrap_or((0, Value::Null));
        if let Some(secret) = body["secret"].as_str() {
            ctx.remember_secret(secret);
        }
        statuses.push(status);
    }
    let won = statuses.iter().filter(|s| **s == 200).count();
    let lost = statuses.iter().filter(|s| **s == 409).count();
    ensure(won == 1 && lost == statuses.len() - 1, || {
        format!(
            "concurrent rotations with If-Match \"1\" answered {statuses:?}: expected one 200 and 409 for the rest"
        )
    })?;
    ctx.mutated(AuditAction::CredentialRotate, &id, Some(2));
    ctx.refused(AuditAction::CredentialRotate, Some(&id));
    Ok(())
}
