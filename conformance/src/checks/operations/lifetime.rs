//! Time in the state machine: a previous version ends with its grace period, a credential
//! with its lifetime.

use std::time::Duration;

use credential_issuer_spec::AuditAction;
use credential_issuer_spec::Operation;
use credential_issuer_spec::operations::{get, revoke};
use serde_json::json;

use super::{GROUP, NEEDS_CREATE_INTROSPECT, NEEDS_ROTATE};
use crate::check::{Check, Meta};
use crate::checks::expect::json_body;
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

pub(super) const GRACE_PERIOD: Check = Check::new(
    Meta {
        id: "OPS-12",
        group: GROUP,
        requirements: &["REQ-STATE-4", "REQ-STATE-6", "REQ-STATE-10"],
        title: "a previous version stops working when its grace period ends",
        mutating: true,
        needs: NEEDS_ROTATE,
    },
    |ctx| Box::pin(grace_period_ends(ctx)),
);

async fn grace_period_ends(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    lifecycle::rotate(
        ctx,
        &id,
        json!({ "mode": "overlap", "grace_period_seconds": 1 }),
        None,
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let old = issued["secret"].as_str().unwrap_or_default().to_owned();
    ensure(
        lifecycle::introspect(ctx, &old).await?["active"] == false,
        || "the previous version still works after its grace period".to_owned(),
    )?;
    let fetched = json_body(
        &ctx.call(Request::get(get::ENDPOINT.path_for(&id))).await,
        "credential",
    )?;
    ensure(fetched["versions"][0]["status"] == "expired", || {
        format!(
            "version 1 is {} after its grace period, not expired",
            fetched["versions"][0]["status"]
        )
    })
}

pub(super) const LIFETIME: Check = Check::new(
    Meta {
        id: "OPS-13",
        group: GROUP,
        requirements: &["REQ-STATE-4", "REQ-STATE-6", "REQ-REV-5"],
        title: "a credential stops working when its lifetime ends",
        mutating: true,
        needs: NEEDS_CREATE_INTROSPECT,
    },
    |ctx| Box::pin(lifetime_ends(ctx)),
);

async fn lifetime_ends(ctx: &mut Context) -> CheckResult {
    let Some(expiry) = ctx.manifest.as_ref().and_then(|m| m.expiry.clone()) else {
        return Err(Verdict::skip(
            "the issuer does not offer expiring credentials",
        ));
    };
    if expiry.min_ttl_seconds > 2 {
        return Err(Verdict::skip(format!(
            "the shortest lifetime is {} s; too long for this run",
            expiry.min_ttl_seconds
        )));
    }
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(
        ctx,
        grant(&permission),
        json!({ "expires_in": expiry.min_ttl_seconds }),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(expiry.min_ttl_seconds * 1000 + 300)).await;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    ensure(
        lifecycle::introspect(ctx, &secret).await?["active"] == false,
        || "an expired credential still works".to_owned(),
    )?;
    let id = issued["id"].as_str().unwrap_or_default();
    let fetched = json_body(
        &ctx.call(Request::get(get::ENDPOINT.path_for(id))).await,
        "credential",
    )?;
    ensure(fetched["status"] == "expired", || {
        format!(
            "the credential is {} after its lifetime, not expired",
            fetched["status"]
        )
    })?;
    ctx.expired.push(id.to_owned());
    if !ctx.claims(&Operation::Revoke) {
        return Ok(());
    }
    // Revoking an expired credential revokes it and leaves its versions expired.
    let revoked = json_body(
        &ctx.call(Request::post_json(
            revoke::ENDPOINT.path_for(id),
            &json!({}),
        ))
        .await,
        "credential",
    )?;
    ctx.mutated(AuditAction::CredentialRevoke, id, None);
    ensure(
        revoked["status"] == "revoked"
            && revoked["revoked_at"].is_string()
            && revoked["versions"][0]["status"] == "expired",
        || {
            format!(
                "revoking an expired credential gave status {} with version 1 {}",
                revoked["status"], revoked["versions"][0]["status"]
            )
        },
    )
}
