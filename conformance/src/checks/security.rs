//! Security: authentication, secrets shown once and never again, scope escalation refused.

use credential_issuer_spec::operations::{audit, create, get, introspect, list, revoke, rotate};
use credential_issuer_spec::{Operation, ProblemType, Secret};
use serde_json::{Value, json};

use super::expect::problem;
use super::lifecycle;
use super::sample::{grant, test_permission, test_type};
use crate::Group;
use crate::check::{Check, Meta};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

const G: Group = Group::Security;

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[
    AUTH,
    LEAKS,
    UNKNOWN_PERMISSION,
    WIDENING,
    GUESSES,
    SCOPES,
    AUTHORITY,
    ROTATE_AUTHORITY,
    KEYS_PER_CALLER,
];

/// The second caller, or a skip saying how to give one.
fn restricted(ctx: &Context) -> Result<crate::context::Restricted, Verdict> {
    ctx.config.restricted.clone().ok_or_else(|| {
        Verdict::skip("needs a second caller: --restricted-token and --restricted-authority")
    })
}

/// A grant of the permission schema that is not within `authority`.
fn outside(ctx: &Context, authority: &[credential_issuer_spec::Grant]) -> Result<Value, Verdict> {
    let (_, index) = test_permission(ctx)?;
    let schema = ctx
        .permissions
        .clone()
        .ok_or_else(|| Verdict::skip("no permission schema"))?;
    schema
        .permissions
        .iter()
        .map(|p| credential_issuer_spec::Grant::everywhere(p.id.clone()))
        .find(|g| !index.scope_within(std::slice::from_ref(g), authority))
        .map(|g| json!([g]))
        .ok_or_else(|| Verdict::skip("every permission is within the restricted authority"))
}

const AUTH: Check = Check::new(
    Meta {
        id: "SEC-01",
        group: G,
        requirements: &["REQ-AUTH-1", "REQ-AUTH-3"],
        title: "operations need a bearer token: 401 with WWW-Authenticate, also for a token in the query",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(auth(ctx)),
);

async fn auth(ctx: &mut Context) -> CheckResult {
    let endpoint = ctx.endpoint().unwrap_or_default();
    let none = ctx
        .probe
        .send(Request::get(format!("{endpoint}{}", list::ENDPOINT.path)))
        .await;
    problem(&none, 401, ProblemType::Unauthorized)?;
    ensure(
        none.header("www-authenticate")
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("bearer")),
        || "a 401 lacks WWW-Authenticate: Bearer".to_owned(),
    )?;
    let bogus = ctx
        .probe
        .send(
            Request::get(format!("{endpoint}{}", list::ENDPOINT.path))
                .bearer("cit_not_a_valid_token"),
        )
        .await;
    problem(&bogus, 401, ProblemType::Unauthorized)?;
    ensure(
        bogus
            .header("www-authenticate")
            .is_some_and(|v| v.contains("invalid_token")),
        || "a 401 for a presented token lacks error=\"invalid_token\"".to_owned(),
    )?;
    let token = ctx.config.token.clone().unwrap_or_default();
    let in_query = ctx
        .probe
        .send(Request::get(format!(
            "{endpoint}{}?access_token={token}",
            list::ENDPOINT.path
        )))
        .await;
    ensure(in_query.status == 401 || in_query.status == 400, || {
        format!(
            "a token in the query was accepted (HTTP {})",
            in_query.status
        )
    })
}

const LEAKS: Check = Check::new(
    Meta {
        id: "SEC-02",
        group: G,
        requirements: &[
            "REQ-SEC-11",
            "REQ-SEC-17",
            "REQ-ERR-16",
            "REQ-AUD-4",
            "REQ-STATE-1",
            "REQ-STATE-14",
        ],
        title: "secrets issued in this run appear in no list, get, audit event or error",
        mutating: true,
        needs: &[Operation::Create, Operation::List],
    },
    |ctx| Box::pin(leaks(ctx)),
);

async fn leaks(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    // Offer the secret where an issuer might echo it.
    let echo = ctx
        .call(Request::post_json(
            rotate::ENDPOINT.path_for(&id),
            &json!({ "mode": secret }),
        ))
        .await;
    ctx.refusals.push(("credential.rotate".into(), id.clone()));
    let bad_type = ctx
        .call(Request::post_json(
            create::ENDPOINT.path,
            &json!({ "type": secret, "name": "x", "scope": grant(&permission) }),
        ))
        .await;
    let mut bodies = vec![("an error", echo.body), ("an error", bad_type.body)];
    bodies.push((
        "the list",
        ctx.call(Request::get(format!("{}?limit=200", list::ENDPOINT.path)))
            .await
            .body,
    ));
    bodies.push((
        "get",
        ctx.call(Request::get(get::ENDPOINT.path_for(&id)))
            .await
            .body,
    ));
    if ctx.claims(&Operation::Audit) {
        bodies.push((
            "the audit log",
            ctx.call(Request::get(format!(
                "{}?credential_id={id}&limit=200",
                audit::LIST.path
            )))
            .await
            .body,
        ));
    }
    let secrets = ctx.secrets.clone();
    for (place, body) in bodies {
        ensure(!body.contains("\"secret_attributes\""), || {
            format!("secret_attributes appears in {place}")
        })?;
        for known in &secrets {
            ensure(!body.contains(known.as_str()), || {
                format!("a secret issued in this run appears in {place}")
            })?;
            let fingerprint = Secret::new(known.clone()).fingerprint();
            ensure(!body.contains(&fingerprint), || {
                format!("a secret's fingerprint appears in {place}")
            })?;
        }
    }
    Ok(())
}

const UNKNOWN_PERMISSION: Check = Check::new(
    Meta {
        id: "SEC-03",
        group: G,
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
        ctx.refusals
            .push(("credential.create".into(), String::new()));
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

const WIDENING: Check = Check::new(
    Meta {
        id: "SEC-04",
        group: G,
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
    ctx.refusals.push(("credential.rotate".into(), id.clone()));
    problem(&response, 400, ProblemType::InvalidScope)?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    let answer = lifecycle::introspect(ctx, &secret).await?;
    ensure(answer["scope"] == issued["scope"], || {
        "a refused widening changed the scope".to_owned()
    })
}

const GUESSES: Check = Check::new(
    Meta {
        id: "SEC-05",
        group: G,
        requirements: &["REQ-INT-2", "REQ-INT-3", "REQ-SEC-7"],
        title: "unknown and malformed secrets introspect as exactly {\"active\": false}",
        mutating: false,
        needs: &[Operation::Introspect],
    },
    |ctx| Box::pin(guesses(ctx)),
);

async fn guesses(ctx: &mut Context) -> CheckResult {
    let mut guesses = vec!["not-a-secret".to_owned()];
    if let Some(format) = ctx.manifest.as_ref().and_then(|m| m.secret_formats.first()) {
        guesses.push(format!("{}{}", format.prefix, "A".repeat(49)));
    }
    for guess in guesses {
        let response = ctx
            .call(Request::post_json(
                introspect::ENDPOINT.path,
                &json!({ "secret": guess }),
            ))
            .await;
        ensure(response.status == 200, || {
            format!("introspecting a guess answered HTTP {}", response.status)
        })?;
        ensure(response.json() == Some(json!({ "active": false })), || {
            format!(
                "a guess introspects as {}, not exactly {{\"active\": false}}",
                response.body
            )
        })?;
    }
    Ok(())
}

const SCOPES: Check = Check::new(
    Meta {
        id: "SEC-06",
        group: G,
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

const AUTHORITY: Check = Check::new(
    Meta {
        id: "SEC-07",
        group: G,
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

const ROTATE_AUTHORITY: Check = Check::new(
    Meta {
        id: "SEC-08",
        group: G,
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
    ctx.refusals.push(("credential.rotate".into(), id.clone()));
    problem(&refused, 403, ProblemType::Forbidden)?;
    let fetched = ctx.call(Request::get(get::ENDPOINT.path_for(&id))).await;
    ensure(
        fetched.json().is_some_and(|c| c["current_version"] == 1),
        || "a forbidden rotation changed the credential".to_owned(),
    )
}

const KEYS_PER_CALLER: Check = Check::new(
    Meta {
        id: "SEC-09",
        group: G,
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
