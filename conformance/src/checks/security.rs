//! Security: authentication, secrets shown once and never again, scope escalation refused.

use credential_issuer_spec::{Operation, ProblemType, Secret};
use serde_json::json;

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
}
