//! Authorization, with a second caller of less authority (`--restricted-token`): its token's
//! scopes, its authority over what it may mint or rotate, its own idempotency keys.

use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::{audit, create, get, list, revoke, rotate};
use credential_issuer_spec::{Grant, Operation, ProblemType};
use serde_json::{Value, json};

use super::GROUP;
use crate::check::{Check, Meta};
use crate::checks::expect::problem;
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission, test_type};
use crate::context::{Context, Restricted};
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

/// The second caller, or a skip saying how to give one.
fn restricted(ctx: &Context) -> Result<Restricted, Verdict> {
    ctx.config.restricted.clone().ok_or_else(|| {
        Verdict::skip("needs a second caller: --restricted-token and --restricted-authority")
    })
}

/// A grant of the permission schema that is not within `authority`.
fn outside(ctx: &Context, authority: &[Grant]) -> Result<Value, Verdict> {
    let (_, index) = test_permission(ctx)?;
    let schema = ctx
        .permissions
        .clone()
        .ok_or_else(|| Verdict::skip("no permission schema"))?;
    schema
        .permissions
        .iter()
        .map(|p| Grant::everywhere(p.id.clone()))
        .find(|g| !index.scope_within(std::slice::from_ref(g), authority))
        .map(|g| json!([g]))
        .ok_or_else(|| Verdict::skip("every permission is within the restricted authority"))
}

pub(super) const SCOPES: Check = Check::new(
    Meta {
        id: "SEC-06",
        group: GROUP,
        requirements: &["REQ-AUTH-4"],
        title: "a caller whose token lacks the operation's scope gets forbidden",
        mutating: true,
        needs: &[Operation::Create, Operation::Revoke],
    },
    |ctx| Box::pin(scopes(ctx)),
);

async fn scopes(ctx: &mut Context) -> CheckResult {
    let second = restricted(ctx)?;
    let (permission, _) = test_permission(ctx)?;
    let id = lifecycle::create(ctx, grant(&permission), json!({})).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let revoke = ctx
        .call_as(
            &second.token,
            Request::post_json(revoke::ENDPOINT.path_for(&id), &json!({})),
        )
        .await;
    problem(&revoke, 403, ProblemType::Forbidden)?;
    if ctx.claims(&Operation::Audit) {
        let audit = ctx
            .call_as(&second.token, Request::get(audit::LIST.path))
            .await;
        problem(&audit, 403, ProblemType::Forbidden)?;
    }
    let fetched = ctx.call(Request::get(get::ENDPOINT.path_for(&id))).await;
    ensure(
        fetched.json().is_some_and(|c| c["status"] == "active"),
        || "a forbidden revoke changed the credential".to_owned(),
    )
}

pub(super) const AUTHORITY: Check = Check::new(
    Meta {
        id: "SEC-07",
        group: GROUP,
        requirements: &["REQ-AUTH-5", "REQ-SCOPE-7"],
        title: "a caller cannot create a credential beyond its own authority",
        mutating: true,
        needs: &[Operation::Create, Operation::List],
    },
    |ctx| Box::pin(authority(ctx)),
);

async fn authority(ctx: &mut Context) -> CheckResult {
    let second = restricted(ctx)?;
    let wider = outside(ctx, &second.authority)?;
    let kind = test_type(ctx);
    let before = ctx
        .call(Request::get(format!("{}?limit=200", list::ENDPOINT.path)))
        .await
        .json();
    let refused = ctx
        .call_as(
            &second.token,
            Request::post_json(
                create::ENDPOINT.path,
                &json!({ "type": kind, "name": "beyond authority", "scope": wider }),
            ),
        )
        .await;
    problem(&refused, 403, ProblemType::Forbidden)?;
    let after = ctx
        .call(Request::get(format!("{}?limit=200", list::ENDPOINT.path)))
        .await
        .json();
    ensure(before == after, || {
        "a create beyond the caller's authority changed the list".to_owned()
    })?;
    let within = json!({ "type": kind, "name": "within authority", "scope": serde_json::to_value(&second.authority).unwrap_or_default() });
    let allowed = ctx
        .call_as(
            &second.token,
            Request::post_json(create::ENDPOINT.path, &within),
        )
        .await;
    ensure(allowed.status == 201, || {
        format!(
            "a create within the caller's authority answered HTTP {}",
            allowed.status
        )
    })?;
    if let Some(issued) = allowed.json() {
        ctx.remember_secret(issued["secret"].as_str().unwrap_or_default());
        ctx.created
            .push(issued["id"].as_str().unwrap_or_default().to_owned());
    }
    Ok(())
}

pub(super) const ROTATE_AUTHORITY: Check = Check::new(
    Meta {
        id: "SEC-08",
        group: GROUP,
        requirements: &["REQ-ROT-9"],
        title: "a caller cannot rotate a credential whose scope is beyond its authority",
        mutating: true,
        needs: &[Operation::Create, Operation::Rotate],
    },
    |ctx| Box::pin(rotate_authority(ctx)),
);

async fn rotate_authority(ctx: &mut Context) -> CheckResult {
    let second = restricted(ctx)?;
    let wider = outside(ctx, &second.authority)?;
    let id = lifecycle::create(ctx, wider, json!({})).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refused = ctx
        .call_as(
            &second.token,
            Request::post_json(rotate::ENDPOINT.path_for(&id), &json!({})),
        )
        .await;
    ctx.refused(AuditAction::CredentialRotate, Some(&id));
    problem(&refused, 403, ProblemType::Forbidden)?;
    let fetched = ctx.call(Request::get(get::ENDPOINT.path_for(&id))).await;
    ensure(
        fetched.json().is_some_and(|c| c["current_version"] == 1),
        || "a forbidden rotation changed the credential".to_owned(),
    )
}

pub(super) const KEYS_PER_CALLER: Check = Check::new(
    Meta {
        id: "SEC-09",
        group: GROUP,
        requirements: &["REQ-IDEM-3", "REQ-SEC-16"],
        title: "idempotency keys belong to their caller: another caller's same key is another request",
        mutating: true,
        needs: &[Operation::Create],
    },
    |ctx| Box::pin(keys_per_caller(ctx)),
);

async fn keys_per_caller(ctx: &mut Context) -> CheckResult {
    let second = restricted(ctx)?;
    let key = uuid::Uuid::new_v4().to_string();
    let kind = test_type(ctx);
    let body = json!({ "type": kind, "name": "per-caller key", "scope": serde_json::to_value(&second.authority).unwrap_or_default() });
    let mine = ctx
        .call(Request::post_json(create::ENDPOINT.path, &body).header("idempotency-key", &key))
        .await;
    ensure(mine.status == 201, || {
        format!("create answered HTTP {}", mine.status)
    })?;
    let theirs = ctx
        .call_as(
            &second.token,
            Request::post_json(create::ENDPOINT.path, &body).header("idempotency-key", &key),
        )
        .await;
    ensure(theirs.status == 201, || {
        format!(
            "the second caller's create with the same key answered HTTP {}",
            theirs.status
        )
    })?;
    let (mine, theirs) = (
        mine.json().unwrap_or_default(),
        theirs.json().unwrap_or_default(),
    );
    for issued in [&mine, &theirs] {
        ctx.remember_secret(issued["secret"].as_str().unwrap_or_default());
        ctx.created
            .push(issued["id"].as_str().unwrap_or_default().to_owned());
    }
    ensure(mine["id"] != theirs["id"], || {
        "another caller's request with the same key replayed the first caller's credential"
            .to_owned()
    })
}
