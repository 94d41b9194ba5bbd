//! Revoke: one version or the whole credential; revocation sticks and the record stays.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::AuditAction;
use credential_issuer_spec::ProblemType;
use credential_issuer_spec::operations::{get, revoke, rotate};
use serde_json::json;

use super::{GROUP, NEEDS_REVOKE};
use crate::check::{Check, Meta};
use crate::checks::expect::{json_body, problem, schema};
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

pub(super) const REVOKE_VERSION: Check = Check::new(
    Meta {
        id: "OPS-08",
        group: GROUP,
        requirements: &["REQ-REV-2", "REQ-INT-2", "REQ-STATE-6"],
        title: "revoking the previous version ends it and only it",
        mutating: true,
        needs: NEEDS_REVOKE,
    },
    |ctx| Box::pin(revoke_previous_version(ctx)),
);

async fn revoke_previous_version(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let (id, old) = (
        issued["id"].as_str().unwrap_or_default().to_owned(),
        issued["secret"].as_str().unwrap_or_default().to_owned(),
    );
    let rotated = lifecycle::rotate(ctx, &id, json!({ "mode": "overlap" }), None).await?;
    let response = ctx
        .call(Request::post_json(
            revoke::ENDPOINT.path_for(&id),
            &json!({ "version": 1 }),
        ))
        .await;
    ensure(response.status == 200, || {
        format!("revoking version 1 answered HTTP {}", response.status)
    })?;
    ctx.mutated(AuditAction::CredentialRevoke, &id, Some(1));
    let credential = json_body(&response, "credential")?;
    schema(Document::Credential, &credential)?;
    ensure(
        credential["versions"][0]["status"] == "revoked"
            && credential["versions"][1]["status"] == "current",
        || "only version 1 should be revoked".to_owned(),
    )?;
    let answer = lifecycle::introspect(ctx, &old).await?;
    ensure(answer == json!({ "active": false }), || {
        format!("a revoked version introspects as {answer}, not exactly {{\"active\": false}}")
    })?;
    let new = rotated["secret"].as_str().unwrap_or_default().to_owned();
    ensure(
        lifecycle::introspect(ctx, &new).await?["active"] == true,
        || "revoking version 1 ended version 2".to_owned(),
    )
}

pub(super) const REVOKE_CURRENT: Check = Check::new(
    Meta {
        id: "OPS-09",
        group: GROUP,
        requirements: &["REQ-REV-3"],
        title: "the current version cannot be revoked alone",
        mutating: true,
        needs: NEEDS_REVOKE,
    },
    |ctx| Box::pin(current_version_not_alone(ctx)),
);

async fn current_version_not_alone(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    let response = ctx
        .call(Request::post_json(
            revoke::ENDPOINT.path_for(&id),
            &json!({ "version": 1 }),
        ))
        .await;
    ctx.refused(AuditAction::CredentialRevoke, Some(&id));
    problem(&response, 400, ProblemType::InvalidRequest)?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    ensure(
        lifecycle::introspect(ctx, &secret).await?["active"] == true,
        || "a refused revoke ended the current version".to_owned(),
    )
}

pub(super) const REVOKE: Check = Check::new(
    Meta {
        id: "OPS-11",
        group: GROUP,
        requirements: &[
            "REQ-REV-1",
            "REQ-REV-4",
            "REQ-STATE-8",
            "REQ-STATE-9",
            "REQ-ROT-4",
            "REQ-LIST-2",
            "REQ-LIST-6",
            "REQ-LIST-5",
            "REQ-STATE-7",
            "REQ-STATE-13",
        ],
        title: "revocation sticks, is idempotent, and the record stays",
        mutating: true,
        needs: NEEDS_REVOKE,
    },
    |ctx| Box::pin(revocation_sticks(ctx)),
);

async fn revocation_sticks(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    let first = ctx
        .call(Request::post_json(
            revoke::ENDPOINT.path_for(&id),
            &json!({ "reason": "conformance" }),
        ))
        .await;
    ensure(first.status == 200, || {
        format!("revoke answered HTTP {}", first.status)
    })?;
    ctx.mutated(AuditAction::CredentialRevoke, &id, None);
    let revoked = json_body(&first, "credential")?;
    ensure(
        revoked["status"] == "revoked" && revoked["revoked_at"].is_string(),
        || "the credential is not revoked".to_owned(),
    )?;
    ensure(
        revoked["versions"][0]["status"] == "revoked"
            && revoked["versions"][0]["revoked_at"] == revoked["revoked_at"],
        || "version 1 is not revoked with the credential's revoked_at".to_owned(),
    )?;
    let again = ctx
        .call(Request::post_json(
            revoke::ENDPOINT.path_for(&id),
            &json!({}),
        ))
        .await;
    ensure(again.status == 200, || {
        format!("a second revoke answered HTTP {}", again.status)
    })?;
    ctx.mutated(AuditAction::CredentialRevoke, &id, None);
    ensure(
        json_body(&again, "credential")?["revoked_at"] == revoked["revoked_at"],
        || "a second revoke changed revoked_at".to_owned(),
    )?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    ensure(
        lifecycle::introspect(ctx, &secret).await?["active"] == false,
        || "a revoked secret still works".to_owned(),
    )?;
    let rotate_revoked = ctx
        .call(Request::post_json(
            rotate::ENDPOINT.path_for(&id),
            &json!({}),
        ))
        .await;
    ctx.refused(AuditAction::CredentialRotate, Some(&id));
    problem(&rotate_revoked, 409, ProblemType::CredentialRevoked)?;
    let fetched = ctx.call(Request::get(get::ENDPOINT.path_for(&id))).await;
    ensure(
        fetched.status == 200 && fetched.json().is_some_and(|c| c["status"] == "revoked"),
        || "the revoked credential's record is gone or not revoked".to_owned(),
    )?;
    if first.header("etag").is_none() {
        return Err(Verdict::warn("the revoke response carries no ETag"));
    }
    Ok(())
}

pub(super) const EMPTY_BODY: Check = Check::new(
    Meta {
        id: "OPS-17",
        group: GROUP,
        requirements: &["REQ-ERR-4"],
        title: "rotate and revoke accept an empty body as {}",
        mutating: true,
        needs: NEEDS_REVOKE,
    },
    |ctx| Box::pin(empty_bodies_accepted(ctx)),
);

async fn empty_bodies_accepted(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let id = lifecycle::create(ctx, grant(&permission), json!({})).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut empty = Request::post_raw(
        rotate::ENDPOINT.path_for(&id),
        String::new(),
        "application/json",
    );
    empty.headers.clear();
    let rotated = ctx.call(empty).await;
    ensure(rotated.status == 200, || {
        format!("rotate with an empty body answered HTTP {}", rotated.status)
    })?;
    if let Some(secret) = rotated
        .json()
        .and_then(|b| b["secret"].as_str().map(str::to_owned))
    {
        ctx.remember_secret(&secret);
    }
    ctx.mutated(AuditAction::CredentialRotate, &id, Some(2));
    let mut empty = Request::post_raw(
        revoke::ENDPOINT.path_for(&id),
        String::new(),
        "application/json",
    );
    empty.headers.clear();
    let revoked = ctx.call(empty).await;
    ensure(revoked.status == 200, || {
        format!("revoke with an empty body answered HTTP {}", revoked.status)
    })?;
    ctx.mutated(AuditAction::CredentialRevoke, &id, None);
    Ok(())
}
