//! Access requests: an agent asks, a person decides, the agent collects once (spec §12). Runs
//! when the manifest claims `request` and `approve` and a requester token is given.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::operations::requests;
use credential_issuer_spec::{Operation, ProblemType};
use serde_json::{Value, json};

use super::expect::{json_body, problem, schema};
use super::lifecycle::introspect;
use super::sample::{grant, test_permission, test_type};
use crate::Group;
use crate::check::{Check, Meta};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

const G: Group = Group::Requests;
const NEEDS: &[Operation] = &[
    Operation::Request,
    Operation::Approve,
    Operation::Introspect,
];

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[ASK, EARLY, FLOW, OTHERS, DENY, REFUSED];

/// The requester's token, or a skip saying how to give one.
fn requester(ctx: &Context) -> Result<String, Verdict> {
    ctx.config
        .requester
        .clone()
        .ok_or_else(|| Verdict::skip("needs a requester token (--requester-token)"))
}

/// Asks for `scope` as the requester; returns the request document.
async fn ask(ctx: &mut Context, token: &str, scope: Value, ttl: u64) -> Result<Value, Verdict> {
    let body = json!({ "requester": "conformance", "type": test_type(ctx), "scope": scope,
        "ttl_seconds": ttl, "reason": "conformance run" });
    let response = ctx
        .call_as(token, Request::post_json(requests::CREATE.path, &body))
        .await;
    ensure(response.status == 202, || {
        format!("POST /requests answered HTTP {}, not 202", response.status)
    })?;
    let request = json_body(&response, "access request")?;
    ensure(request["status"] == "pending", || {
        format!(
            "a new request is {}, not pending (auto-approval?)",
            request["status"]
        )
    })?;
    Ok(request)
}

const ASK: Check = Check::new(
    Meta {
        id: "REQS-01",
        group: G,
        requirements: &["REQ-AR-3", "REQ-AR-4", "REQ-AR-5"],
        title: "a requester asks: 202, a pending request it can read back",
        mutating: true,
        needs: NEEDS,
    },
    |ctx| Box::pin(asking_is_accepted(ctx)),
);

async fn asking_is_accepted(ctx: &mut Context) -> CheckResult {
    let token = requester(ctx)?;
    let (permission, _) = test_permission(ctx)?;
    let body = json!({ "requester": "conformance", "type": test_type(ctx), "scope": grant(&permission), "ttl_seconds": 60, "reason": "conformance run" });
    let response = ctx
        .call_as(&token, Request::post_json(requests::CREATE.path, &body))
        .await;
    ensure(response.status == 202, || {
        format!("POST /requests answered HTTP {}, not 202", response.status)
    })?;
    let request = json_body(&response, "access request")?;
    schema(Document::AccessRequest, &request)?;
    let id = request["id"].as_str().unwrap_or_default().to_owned();
    ensure(
        response
            .header("location")
            .is_some_and(|l| l.ends_with(&requests::GET.path_for(&id))),
        || "no Location for the new request".to_owned(),
    )?;
    let own = ctx
        .call_as(&token, Request::get(requests::GET.path_for(&id)))
        .await;
    ensure(
        own.status == 200 && own.json().is_some_and(|r| r["id"] == id.as_str()),
        || {
            format!(
                "the requester cannot read its own request (HTTP {})",
                own.status
            )
        },
    )
}

const EARLY: Check = Check::new(
    Meta {
        id: "REQS-02",
        group: G,
        requirements: &["REQ-AR-17"],
        title: "nothing can be collected before approval",
        mutating: true,
        needs: NEEDS,
    },
    |ctx| Box::pin(nothing_before_approval(ctx)),
);

async fn nothing_before_approval(ctx: &mut Context) -> CheckResult {
    let token = requester(ctx)?;
    let (permission, _) = test_permission(ctx)?;
    let request = ask(ctx, &token, grant(&permission), 60).await?;
    let id = request["id"].as_str().unwrap_or_default();
    let early = ctx
        .call_as(
            &token,
            Request::post_json(requests::COLLECT.path_for(id), &json!({})),
        )
        .await;
    problem(&early, 409, ProblemType::RequestNotPending)
}

const FLOW: Check = Check::new(
    Meta {
        id: "REQS-03",
        group: G,
        requirements: &[
            "REQ-AR-8",
            "REQ-AR-11",
            "REQ-AR-15",
            "REQ-AR-16",
            "REQ-AR-22",
        ],
        title: "an approval may narrow; the requester collects the narrowed credential exactly once",
        mutating: true,
        needs: NEEDS,
    },
    |ctx| Box::pin(approval_narrows_and_collects_once(ctx)),
);

async fn approval_narrows_and_collects_once(ctx: &mut Context) -> CheckResult {
    let token = requester(ctx)?;
    let (permission, _) = test_permission(ctx)?;
    let schema_doc = ctx
        .permissions
        .clone()
        .ok_or_else(|| Verdict::skip("no permission schema"))?;
    let resource = schema_doc
        .resource_types
        .first()
        .map(|t| format!("{}:conformance", t.id));
    let (asked, narrowed) = match resource {
        Some(resource) => (
            grant(&permission),
            json!([{ "permission": permission.as_str(), "resource": resource }]),
        ),
        None => (grant(&permission), grant(&permission)),
    };
    let request = ask(ctx, &token, asked, 120).await?;
    let id = request["id"].as_str().unwrap_or_default().to_owned();
    let approved = ctx
        .call(Request::post_json(
            requests::APPROVE.path_for(&id),
            &json!({ "scope": narrowed, "ttl_seconds": 60 }),
        ))
        .await;
    ensure(approved.status == 200, || {
        format!(
            "approve answered HTTP {}: {}",
            approved.status, approved.body
        )
    })?;
    let approved = json_body(&approved, "access request")?;
    ensure(
        approved["status"] == "approved"
            && approved["scope"] == narrowed
            && approved["ttl_seconds"] == 60
            && approved["auto_approved"] == false,
        || format!("the approval does not carry the narrowed scope and TTL: {approved}"),
    )?;
    let collected = ctx
        .call_as(
            &token,
            Request::post_json(requests::COLLECT.path_for(&id), &json!({})),
        )
        .await;
    ensure(collected.status == 200, || {
        format!("collect answered HTTP {}", collected.status)
    })?;
    let issued = json_body(&collected, "issued credential")?;
    schema(Document::IssuedCredential, &issued)?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    ctx.remember_secret(&secret);
    ctx.created
        .push(issued["id"].as_str().unwrap_or_default().to_owned());
    ensure(issued["scope"] == narrowed, || {
        "the collected credential does not have the approved scope".to_owned()
    })?;
    let again = ctx
        .call_as(
            &token,
            Request::post_json(requests::COLLECT.path_for(&id), &json!({})),
        )
        .await;
    problem(&again, 410, ProblemType::AlreadyCollected)?;
    ensure(!again.body.contains(&secret), || {
        "a second collect showed the secret".to_owned()
    })?;
    let answer = introspect(ctx, &secret).await?;
    ensure(
        answer["active"] == true && answer["scope"] == narrowed,
        || format!("the collected secret introspects as {answer}"),
    )?;
    let created: credential_issuer_spec::Timestamp =
        serde_json::from_value(issued["created_at"].clone())
            .map_err(|_| Verdict::fail("created_at"))?;
    let expires: credential_issuer_spec::Timestamp =
        serde_json::from_value(answer["expires_at"].clone())
            .map_err(|_| Verdict::fail("the credential has no expiry"))?;
    ensure(
        expires.unix_seconds() - created.unix_seconds() <= 61,
        || "the credential lives longer than the approved TTL".to_owned(),
    )
}

const OTHERS: Check = Check::new(
    Meta {
        id: "REQS-04",
        group: G,
        requirements: &["REQ-AR-14", "REQ-AR-10"],
        title: "only the requester collects, and nobody approves their own request",
        mutating: true,
        needs: NEEDS,
    },
    |ctx| Box::pin(only_the_requester_collects(ctx)),
);

async fn only_the_requester_collects(ctx: &mut Context) -> CheckResult {
    let token = requester(ctx)?;
    let (permission, _) = test_permission(ctx)?;
    let request = ask(ctx, &token, grant(&permission), 60).await?;
    let id = request["id"].as_str().unwrap_or_default().to_owned();
    let approved = ctx
        .call(Request::post_json(
            requests::APPROVE.path_for(&id),
            &json!({}),
        ))
        .await;
    ensure(approved.status == 200, || {
        format!("approve answered HTTP {}", approved.status)
    })?;
    let stolen = ctx
        .call(Request::post_json(
            requests::COLLECT.path_for(&id),
            &json!({}),
        ))
        .await;
    problem(&stolen, 403, ProblemType::Forbidden)?;
    let collected = ctx
        .call_as(
            &token,
            Request::post_json(requests::COLLECT.path_for(&id), &json!({})),
        )
        .await;
    if let Some(issued) = collected.json() {
        ctx.remember_secret(issued["secret"].as_str().unwrap_or_default());
        ctx.created
            .push(issued["id"].as_str().unwrap_or_default().to_owned());
    }
    ensure(collected.status == 200, || {
        "after a refused collect by another caller, the requester could not collect".to_owned()
    })?;
    // The suite's own token asks and tries to approve its own request.
    let body = json!({ "requester": "conformance", "type": test_type(ctx), "scope": grant(&permission), "ttl_seconds": 60, "reason": "self-approval" });
    let own = json_body(
        &ctx.call(Request::post_json(requests::CREATE.path, &body))
            .await,
        "access request",
    )?;
    let own_id = own["id"].as_str().unwrap_or_default();
    let self_approval = ctx
        .call(Request::post_json(
            requests::APPROVE.path_for(own_id),
            &json!({}),
        ))
        .await;
    problem(&self_approval, 403, ProblemType::Forbidden)
}

const DENY: Check = Check::new(
    Meta {
        id: "REQS-05",
        group: G,
        requirements: &["REQ-AR-7", "REQ-AR-13"],
        title: "a denied request can be neither approved nor collected",
        mutating: true,
        needs: NEEDS,
    },
    |ctx| Box::pin(denied_stays_denied(ctx)),
);

async fn denied_stays_denied(ctx: &mut Context) -> CheckResult {
    let token = requester(ctx)?;
    let (permission, _) = test_permission(ctx)?;
    let request = ask(ctx, &token, grant(&permission), 60).await?;
    let id = request["id"].as_str().unwrap_or_default().to_owned();
    let denied = ctx
        .call(Request::post_json(
            requests::DENY.path_for(&id),
            &json!({ "reason": "conformance" }),
        ))
        .await;
    ensure(
        denied.status == 200
            && denied
                .json()
                .is_some_and(|r| r["status"] == "denied" && r["decided_at"].is_string()),
        || format!("deny answered HTTP {}: {}", denied.status, denied.body),
    )?;
    let approve = ctx
        .call(Request::post_json(
            requests::APPROVE.path_for(&id),
            &json!({}),
        ))
        .await;
    problem(&approve, 409, ProblemType::RequestNotPending)?;
    let collect = ctx
        .call_as(
            &token,
            Request::post_json(requests::COLLECT.path_for(&id), &json!({})),
        )
        .await;
    problem(&collect, 409, ProblemType::RequestNotPending)
}

const REFUSED: Check = Check::new(
    Meta {
        id: "REQS-06",
        group: G,
        requirements: &["REQ-AR-1", "REQ-AR-8"],
        title: "requests for an unknown type, and widening approvals, are refused",
        mutating: true,
        needs: NEEDS,
    },
    |ctx| Box::pin(unknown_types_and_widening_refused(ctx)),
);

async fn unknown_types_and_widening_refused(ctx: &mut Context) -> CheckResult {
    let token = requester(ctx)?;
    let (permission, index) = test_permission(ctx)?;
    let body = json!({ "requester": "conformance", "type": "conformance_unknown_type", "scope": grant(&permission), "ttl_seconds": 60, "reason": "r" });
    let unknown = ctx
        .call_as(&token, Request::post_json(requests::CREATE.path, &body))
        .await;
    problem(&unknown, 400, ProblemType::InvalidRequest)?;
    let schema_doc = ctx
        .permissions
        .clone()
        .ok_or_else(|| Verdict::skip("no permission schema"))?;
    let Some(wider) = schema_doc
        .permissions
        .iter()
        .find(|p| !index.implies(&permission, &p.id))
    else {
        return Err(Verdict::skip(
            "every permission is implied by the test permission",
        ));
    };
    let request = ask(ctx, &token, grant(&permission), 60).await?;
    let id = request["id"].as_str().unwrap_or_default();
    let widened = ctx
        .call(Request::post_json(
            requests::APPROVE.path_for(id),
            &json!({ "scope": [{ "permission": wider.id.as_str() }] }),
        ))
        .await;
    problem(&widened, 400, ProblemType::InvalidScope)
}
