//! Invalid input to an operation: exposure reports, creates and rotations that break the
//! spec's rules are refused with invalid-request and act on nothing.

use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::{create, exposure, get, rotate};
use credential_issuer_spec::{Operation, ProblemType};
use serde_json::json;

use super::{GROUP, NEEDS_CREATE};
use crate::check::{Check, Meta};
use crate::checks::expect::{json_body, problem};
use crate::checks::lifecycle::{self, introspect};
use crate::checks::sample::{grant, test_permission, test_type};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

pub(super) const EXPOSURES: Check = Check::new(
    Meta {
        id: "ERR-09",
        group: GROUP,
        requirements: &["REQ-EXP-1", "REQ-EXP-2"],
        title: "malformed exposure reports get invalid-request and nothing is acted on",
        mutating: true,
        needs: &[
            Operation::Create,
            Operation::ReportExposure,
            Operation::Introspect,
        ],
    },
    |ctx| Box::pin(exposures(ctx)),
);

async fn exposures(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    let fingerprint = credential_issuer_spec::Secret::new(secret.clone()).fingerprint();
    let too_many: Vec<_> = (0..101)
        .map(|_| json!({ "fingerprint": fingerprint }))
        .collect();
    for report in [
        json!({ "action": "revoke", "exposures": [{ "secret": secret, "fingerprint": fingerprint }] }),
        json!({ "action": "revoke", "exposures": [{ "secret": secret }, { "location": "nowhere" }] }),
        json!({ "action": "revoke", "exposures": [{ "fingerprint": "md5:0" }] }),
        json!({ "action": "revoke", "exposures": [] }),
        json!({ "action": "revoke", "exposures": too_many }),
    ] {
        let response = ctx
            .call(Request::post_json(exposure::ENDPOINT.path, &report))
            .await;
        problem(&response, 400, ProblemType::InvalidRequest)?;
    }
    ensure(introspect(ctx, &secret).await?["active"] == true, || {
        "a refused exposure report revoked the secret".to_owned()
    })
}

pub(super) const BAD_CREATE: Check = Check::new(
    Meta {
        id: "ERR-10",
        group: GROUP,
        requirements: &["REQ-CRE-1", "REQ-STATE-5"],
        title: "creates with an unsupported type, lifetime or metadata get invalid-request",
        mutating: true,
        needs: NEEDS_CREATE,
    },
    |ctx| Box::pin(bad_create(ctx)),
);

async fn bad_create(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let kind = test_type(ctx);
    let mut bodies = vec![
        json!({ "type": "conformance_unknown_type", "name": "x", "scope": grant(&permission) }),
        json!({ "type": kind, "name": "x", "scope": grant(&permission), "metadata": { "Not A Key": "x" } }),
        json!({ "type": kind, "name": "", "scope": grant(&permission) }),
    ];
    if let Some(expiry) = ctx.manifest.as_ref().and_then(|m| m.expiry.clone()) {
        bodies.push(json!({ "type": kind, "name": "x", "scope": grant(&permission), "expires_in": expiry.max_ttl_seconds + 1 }));
    }
    for body in bodies {
        let response = ctx
            .call(Request::post_json(create::ENDPOINT.path, &body))
            .await;
        ctx.refused(AuditAction::CredentialCreate, None);
        problem(&response, 400, ProblemType::InvalidRequest)
            .map_err(|v| Verdict::fail(format!("{body}: {}", v.message)))?;
    }
    Ok(())
}

pub(super) const BAD_ROTATION: Check = Check::new(
    Meta {
        id: "ERR-08",
        group: GROUP,
        requirements: &["REQ-ROT-3"],
        title: "a rotation with an invalid mode or grace period gets invalid-request",
        mutating: true,
        needs: &[Operation::Create, Operation::Rotate],
    },
    |ctx| Box::pin(bad_rotation(ctx)),
);

async fn bad_rotation(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    let max = ctx
        .manifest
        .as_ref()
        .and_then(|m| m.rotation.as_ref())
        .map_or(u64::MAX, |r| r.max_grace_period_seconds);
    for body in [
        json!({ "mode": "sideways" }),
        json!({ "grace_period_seconds": 0 }),
        json!({ "grace_period_seconds": max.saturating_add(1) }),
        json!({ "mode": "immediate", "grace_period_seconds": 60 }),
    ] {
        let response = ctx
            .call(Request::post_json(rotate::ENDPOINT.path_for(&id), &body))
            .await;
        ctx.refused(AuditAction::CredentialRotate, Some(&id));
        problem(&response, 400, ProblemType::InvalidRequest)
            .map_err(|v| Verdict::fail(format!("{body}: {}", v.message)))?;
    }
    let fetched = json_body(
        &ctx.call(Request::get(get::ENDPOINT.path_for(&id))).await,
        "credential",
    )?;
    ensure(fetched["current_version"] == 1, || {
        "a refused rotation changed the credential".to_owned()
    })
}
