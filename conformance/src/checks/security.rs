//! Security: authentication, secrets shown once and never again, scope escalation refused.

use credential_issuer_spec::{Operation, ProblemType, Secret};
use serde_json::{Value, json};

use super::{grant, introspect, problem, test_permission};
use crate::Group;
use crate::context::Context;
use crate::outcome::{Verdict, ensure};
use crate::probe::Request;
use crate::recorder::{Meta, Recorder};

const G: Group = Group::Security;

const AUTH: Meta = Meta {
    id: "SEC-01",
    group: G,
    requirements: &["REQ-AUTH-1", "REQ-AUTH-3"],
    title: "operations need a bearer token: 401 with WWW-Authenticate, also for a token in the query",
    mutating: false,
    needs: &[Operation::List],
};
const LEAKS: Meta = Meta {
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
};
const UNKNOWN_PERMISSION: Meta = Meta {
    id: "SEC-03",
    group: G,
    requirements: &["REQ-SCOPE-5", "REQ-SCOPE-6", "REQ-CRE-2", "REQ-SCOPE-1"],
    title: "unknown permissions, unknown resource types and empty scopes are refused with invalid-scope",
    mutating: true,
    needs: &[Operation::Create],
};
const WIDENING: Meta = Meta {
    id: "SEC-04",
    group: G,
    requirements: &["REQ-ROT-8", "REQ-SCOPE-3"],
    title: "a rotation may narrow the scope but never widen it",
    mutating: true,
    needs: &[Operation::Create, Operation::Rotate],
};
const GUESSES: Meta = Meta {
    id: "SEC-05",
    group: G,
    requirements: &["REQ-INT-2", "REQ-INT-3", "REQ-SEC-7"],
    title: "unknown and malformed secrets introspect as exactly {\"active\": false}",
    mutating: false,
    needs: &[Operation::Introspect],
};

const SCOPES: Meta = Meta {
    id: "SEC-06",
    group: G,
    requirements: &["REQ-AUTH-4"],
    title: "a caller whose token lacks the operation's scope gets forbidden",
    mutating: true,
    needs: &[Operation::Create, Operation::Revoke],
};
const AUTHORITY: Meta = Meta {
    id: "SEC-07",
    group: G,
    requirements: &["REQ-AUTH-5", "REQ-SCOPE-7"],
    title: "a caller cannot create a credential beyond its own authority",
    mutating: true,
    needs: &[Operation::Create, Operation::List],
};
const ROTATE_AUTHORITY: Meta = Meta {
    id: "SEC-08",
    group: G,
    requirements: &["REQ-ROT-9"],
    title: "a caller cannot rotate a credential whose scope is beyond its authority",
    mutating: true,
    needs: &[Operation::Create, Operation::Rotate],
};
const KEYS_PER_CALLER: Meta = Meta {
    id: "SEC-09",
    group: G,
    requirements: &["REQ-IDEM-3", "REQ-SEC-16"],
    title: "idempotency keys belong to their caller: another caller's same key is another request",
    mutating: true,
    needs: &[Operation::Create],
};

/// The second caller, or a skip saying how to give one.
fn restricted(ctx: &Context) -> Result<crate::context::Restricted, Verdict> {
    ctx.config.restricted.clone().ok_or_else(|| {
        Verdict::skip("needs a second caller: --restricted-token and --restricted-authority")
    })
}

/// Sends `request` (a path below the endpoint) as the second caller.
async fn as_restricted(
    ctx: &mut Context,
    token: &str,
    mut request: Request,
) -> crate::probe::Response {
    request.url = format!("{}{}", ctx.endpoint().unwrap_or_default(), request.url);
    ctx.probe.send(request.bearer(token)).await
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

pub(crate) async fn run(ctx: &mut Context, rec: &mut Recorder) {
    rec.check(ctx, &AUTH, async |ctx: &mut Context| {
        let endpoint = ctx.endpoint().unwrap_or_default();
        let none = ctx
            .probe
            .send(Request::get(format!("{endpoint}/credentials")))
            .await;
        problem(&none, 401, ProblemType::Unauthorized)?;
        ensure(
            none.header("www-authenticate")
                .is_some_and(|v| v.to_ascii_lowercase().starts_with("bearer")),
            || "a 401 lacks WWW-Authenticate: Bearer".to_owned(),
        )?;
        let bogus = ctx
            .probe
            .send(Request::get(format!("{endpoint}/credentials")).bearer("cit_not_a_valid_token"))
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
                "{endpoint}/credentials?access_token={token}"
            )))
            .await;
        ensure(in_query.status == 401 || in_query.status == 400, || {
            format!(
                "a token in the query was accepted (HTTP {})",
                in_query.status
            )
        })
    })
    .await;

    rec.check(ctx, &LEAKS, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = super::create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        // Offer the secret where an issuer might echo it.
        let echo = ctx
            .call(Request::post_json(
                format!("/credentials/{id}/rotate"),
                &json!({ "mode": secret }),
            ))
            .await;
        ctx.refusals.push(("credential.rotate".into(), id.clone()));
        let bad_type = ctx
            .call(Request::post_json(
                "/credentials",
                &json!({ "type": secret, "name": "x", "scope": grant(&permission) }),
            ))
            .await;
        let mut bodies = vec![("an error", echo.body), ("an error", bad_type.body)];
        bodies.push((
            "the list",
            ctx.call(Request::get("/credentials?limit=200")).await.body,
        ));
        bodies.push((
            "get",
            ctx.call(Request::get(format!("/credentials/{id}")))
                .await
                .body,
        ));
        if ctx.claims(&Operation::Audit) {
            bodies.push((
                "the audit log",
                ctx.call(Request::get(format!("/audit?credential_id={id}&limit=200")))
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
    })
    .await;

    rec.check(ctx, &UNKNOWN_PERMISSION, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let kind = super::test_type(ctx);
        for scope in [
            json!([{ "permission": "conformance:no-such-permission" }]),
            json!([{ "permission": permission.as_str(), "resource": "no-such-type:x" }]),
            json!([]),
            json!([{ "permission": permission.as_str(), "resource": "no colon" }]),
        ] {
            let body = json!({ "type": kind, "name": "x", "scope": scope });
            let response = ctx.call(Request::post_json("/credentials", &body)).await;
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
    })
    .await;

    rec.check(ctx, &WIDENING, async |ctx: &mut Context| {
        let (permission, index) = test_permission(ctx)?;
        let schema = ctx.permissions.clone().unwrap_or_else(|| unreachable!("test_permission checked it"));
        let Some(wider) = schema.permissions.iter().find(|p| !index.implies(&permission, &p.id)) else {
            return Err(Verdict::skip("every permission is implied by the test permission"));
        };
        let issued = super::create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        let body = json!({ "scope": [{ "permission": permission.as_str() }, { "permission": wider.id.as_str() }] });
        let response = ctx.call(Request::post_json(format!("/credentials/{id}/rotate"), &body)).await;
        ctx.refusals.push(("credential.rotate".into(), id.clone()));
        problem(&response, 400, ProblemType::InvalidScope)?;
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        let answer = introspect(ctx, &secret).await?;
        ensure(answer["scope"] == issued["scope"], || "a refused widening changed the scope".to_owned())
    })
    .await;

    rec.check(ctx, &GUESSES, async |ctx: &mut Context| {
        let mut guesses = vec!["not-a-secret".to_owned()];
        if let Some(format) = ctx.manifest.as_ref().and_then(|m| m.secret_formats.first()) {
            guesses.push(format!("{}{}", format.prefix, "A".repeat(49)));
        }
        for guess in guesses {
            let response = ctx
                .call(Request::post_json(
                    "/credentials/introspect",
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
    })
    .await;

    rec.check(ctx, &SCOPES, async |ctx: &mut Context| {
        let second = restricted(ctx)?;
        let (permission, _) = test_permission(ctx)?;
        let id = super::create(ctx, grant(&permission), json!({})).await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let revoke = as_restricted(
            ctx,
            &second.token,
            Request::post_json(format!("/credentials/{id}/revoke"), &json!({})),
        )
        .await;
        problem(&revoke, 403, ProblemType::Forbidden)?;
        if ctx.claims(&Operation::Audit) {
            let audit = as_restricted(ctx, &second.token, Request::get("/audit")).await;
            problem(&audit, 403, ProblemType::Forbidden)?;
        }
        let fetched = ctx.call(Request::get(format!("/credentials/{id}"))).await;
        ensure(
            fetched.json().is_some_and(|c| c["status"] == "active"),
            || "a forbidden revoke changed the credential".to_owned(),
        )
    })
    .await;

    rec.check(ctx, &AUTHORITY, async |ctx: &mut Context| {
        let second = restricted(ctx)?;
        let wider = outside(ctx, &second.authority)?;
        let kind = super::test_type(ctx);
        let before = ctx.call(Request::get("/credentials?limit=200")).await.json();
        let refused = as_restricted(ctx, &second.token, Request::post_json("/credentials", &json!({ "type": kind, "name": "beyond authority", "scope": wider }))).await;
        problem(&refused, 403, ProblemType::Forbidden)?;
        let after = ctx.call(Request::get("/credentials?limit=200")).await.json();
        ensure(before == after, || "a create beyond the caller's authority changed the list".to_owned())?;
        let within = json!({ "type": kind, "name": "within authority", "scope": serde_json::to_value(&second.authority).unwrap_or_default() });
        let allowed = as_restricted(ctx, &second.token, Request::post_json("/credentials", &within)).await;
        ensure(allowed.status == 201, || format!("a create within the caller's authority answered HTTP {}", allowed.status))?;
        if let Some(issued) = allowed.json() {
            ctx.remember_secret(issued["secret"].as_str().unwrap_or_default());
            ctx.created.push(issued["id"].as_str().unwrap_or_default().to_owned());
        }
        Ok(())
    })
    .await;

    rec.check(ctx, &ROTATE_AUTHORITY, async |ctx: &mut Context| {
        let second = restricted(ctx)?;
        let wider = outside(ctx, &second.authority)?;
        let id = super::create(ctx, wider, json!({})).await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let refused = as_restricted(
            ctx,
            &second.token,
            Request::post_json(format!("/credentials/{id}/rotate"), &json!({})),
        )
        .await;
        ctx.refusals.push(("credential.rotate".into(), id.clone()));
        problem(&refused, 403, ProblemType::Forbidden)?;
        let fetched = ctx.call(Request::get(format!("/credentials/{id}"))).await;
        ensure(
            fetched.json().is_some_and(|c| c["current_version"] == 1),
            || "a forbidden rotation changed the credential".to_owned(),
        )
    })
    .await;

    rec.check(ctx, &KEYS_PER_CALLER, async |ctx: &mut Context| {
        let second = restricted(ctx)?;
        let key = uuid::Uuid::new_v4().to_string();
        let kind = super::test_type(ctx);
        let body = json!({ "type": kind, "name": "per-caller key", "scope": serde_json::to_value(&second.authority).unwrap_or_default() });
        let mine = ctx.call(Request::post_json("/credentials", &body).header("idempotency-key", &key)).await;
        ensure(mine.status == 201, || format!("create answered HTTP {}", mine.status))?;
        let theirs = as_restricted(ctx, &second.token, Request::post_json("/credentials", &body).header("idempotency-key", &key)).await;
        ensure(theirs.status == 201, || format!("the second caller's create with the same key answered HTTP {}", theirs.status))?;
        let (mine, theirs) = (mine.json().unwrap_or_default(), theirs.json().unwrap_or_default());
        for issued in [&mine, &theirs] {
            ctx.remember_secret(issued["secret"].as_str().unwrap_or_default());
            ctx.created.push(issued["id"].as_str().unwrap_or_default().to_owned());
        }
        ensure(mine["id"] != theirs["id"], || "another caller's request with the same key replayed the first caller's credential".to_owned())
    })
    .await;
}
