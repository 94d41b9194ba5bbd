//! Scopes: unknown permissions and resource types are refused; a rotation never widens.

use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::{create, rotate};
use credential_issuer_spec::{Operation, ProblemType};
use serde_json::json;

use super::GROUP;
use crate::check::{Check, Meta};
use crate::checks::expect::problem;
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission, test_type};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

pub(super) const UNKNOWN_PERMISSION: Check = Check::new(
    Meta {
        id: "SEC-03",
        group: GROUP,
        requirements: &["REQ-SCOPE-5", "REQ-SCOPE-6", "REQ-CRE-2", "REQ-SCOPE-1"],
        title: "unknown permissions, unknown resource types and empty scopes are refused with invalid-scope",
        mutating: true,
        needs: &[Operation::Create],
    },
    |ctx| Box::pin(unknown_permission(ctx)),
);

async fn unknown_permission(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let kind = test_type(ctx);
    for scope in [
        json!([{ "permission": "conformance:no-such-permission" }]),
        json!([{ "permission": permission.as_str(), "resource": "no-such-type:x" }]),
        json!([]),
        json!([{ "permission": permission.as_str(), "resource": "no colon" }]),
    ] {
        let body = json!({ "type": kind, "name": "x", "scope": scope });
        let response = ctx
            .call(Request::post_json(create::ENDPOINT.path, &body))
            .await;
        ctx.refused(AuditAction::CredentialCreate, None);
        if response.status == 400
            && response
                .json()
                .is_some_and(|b| b["type"] == "urn:credential-issuer:problem:invalid-request")
            && (scope == json!([]) || scope[0]["resource"] == "no colon")
        {
            continue; // a scope the request schema forbids may also be refused as invalid-request
        }
        problem(&response, 400, ProblemType::InvalidScope)
            .map_err(|v| Verdict::fail(format!("scope {scope}: {}", v.message)))?;
    }
    Ok(())
}

pub(super) const WIDENING: Check = Check::new(
    Meta {
        id: "SEC-04",
        group: GROUP,
        requirements: &["REQ-ROT-8", "REQ-SCOPE-3"],
        title: "a rotation may narrow the scope but never widen it",
        mutating: true,
        needs: &[Operation::Create, Operation::Rotate],
    },
    |ctx| Box::pin(widening(ctx)),
);

async fn widening(ctx: &mut Context) -> CheckResult {
    let (permission, index) = test_permission(ctx)?;
    let schema = ctx
        .permissions
        .clone()
        .unwrap_or_else(|| unreachable!("test_permission checked it"));
    let Some(wider) = schema
        .permissions
        .iter()
        .find(|p| !index.implies(&permission, &p.id))
    else {
        return Err(Verdict::skip(
            "every permission is implied by the test permission",
        ));
    };
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    let body = json!({ "scope": [{ "permission": permission.as_str() }, { "permission": wider.id.as_str() }] });
    let response = ctx
        .call(Request::post_json(rotate::ENDPOINT.path_for(&id), &body))
        .await;
    ctx.refused(AuditAction::CredentialRotate, Some(&id));
    problem(&response, 400, ProblemType::InvalidScope)?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    let answer = lifecycle::introspect(ctx, &secret).await?;
    ensure(answer["scope"] == issued["scope"], || {
        "a refused widening changed the scope".to_owned()
    })
}
