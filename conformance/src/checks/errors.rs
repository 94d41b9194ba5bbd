//! Errors: each error path answers problem+json with a spec type, and bad input changes nothing.

use credential_issuer_spec::operations::{create, exposure, get, list, requests, rotate};
use credential_issuer_spec::{Operation, ProblemType};
use serde_json::json;

use super::expect::{json_body, problem};
use super::lifecycle::{self, introspect};
use super::sample::{grant, test_permission, test_type};
use crate::Group;
use crate::check::{Check, Meta};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

const G: Group = Group::Errors;
const CREATE: &[Operation] = &[Operation::Create, Operation::List];

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[
    MALFORMED,
    MEDIA,
    TOO_LARGE,
    ROUTES,
    UNKNOWN_ID,
    QUERY,
    UNCLAIMED,
    EXPOSURES,
    BAD_CREATE,
    BAD_ROTATION,
];

const MALFORMED: Check = Check::new(
    Meta {
        id: "ERR-01",
        group: G,
        requirements: &[
            "REQ-ERR-5",
            "REQ-ERR-11",
            "REQ-ERR-12",
            "REQ-ERR-17",
            "REQ-ERR-8",
            "REQ-SCOPE-2",
        ],
        title: "malformed, duplicate-member and unknown-member bodies get invalid-request and change nothing",
        mutating: true,
        needs: CREATE,
    },
    |ctx| Box::pin(malformed(ctx)),
);

async fn malformed(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let before = ctx
        .call(Request::get(format!("{}?limit=200", list::ENDPOINT.path)))
        .await
        .json();
    let kind = test_type(ctx);
    let cases = [
        "{\"type\": \"api_key\",".to_owned(),
        "[]".to_owned(),
        json!({ "type": kind, "name": "x", "scope": grant(&permission), "admin": true }).to_string(),
        format!(r#"{{"type": "{kind}", "name": "x", "name": "y", "scope": {}}}"#, grant(&permission)),
        json!({ "type": kind, "name": "x", "scope": [{ "permission": permission.as_str(), "actions": ["*"] }] }).to_string(),
    ];
    for body in cases {
        let response = ctx
            .call(Request::post_raw(
                create::ENDPOINT.path,
                body,
                "application/json",
            ))
            .await;
        problem(&response, 400, ProblemType::InvalidRequest)?;
        ctx.refusals
            .push(("credential.create".into(), String::new()));
    }
    let after = ctx
        .call(Request::get(format!("{}?limit=200", list::ENDPOINT.path)))
        .await
        .json();
    ensure(before == after, || {
        "a refused create changed the list of credentials".to_owned()
    })
}

const MEDIA: Check = Check::new(
    Meta {
        id: "ERR-02",
        group: G,
        requirements: &["REQ-ERR-3"],
        title: "a body that is not application/json gets unsupported-media-type",
        mutating: true,
        needs: CREATE,
    },
    |ctx| Box::pin(media(ctx)),
);

async fn media(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let body =
        json!({ "type": test_type(ctx), "name": "x", "scope": grant(&permission) }).to_string();
    let response = ctx
        .call(Request::post_raw(create::ENDPOINT.path, body, "text/plain"))
        .await;
    problem(&response, 415, ProblemType::UnsupportedMediaType)
}

const TOO_LARGE: Check = Check::new(
    Meta {
        id: "ERR-03",
        group: G,
        requirements: &["REQ-ERR-7"],
        title: "a body over 64 KiB gets payload-too-large",
        mutating: true,
        needs: CREATE,
    },
    |ctx| Box::pin(too_large(ctx)),
);

async fn too_large(ctx: &mut Context) -> CheckResult {
    let body = json!({ "type": "api_key", "name": "x".repeat(70 * 1024), "scope": [] }).to_string();
    let response = ctx
        .call(Request::post_raw(
            create::ENDPOINT.path,
            body,
            "application/json",
        ))
        .await;
    problem(&response, 413, ProblemType::PayloadTooLarge)
}

const ROUTES: Check = Check::new(
    Meta {
        id: "ERR-04",
        group: G,
        requirements: &["REQ-ERR-19"],
        title: "unknown paths get not-found, wrong methods method-not-allowed with Allow",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(routes(ctx)),
);

async fn routes(ctx: &mut Context) -> CheckResult {
    let missing = ctx.call(Request::get("/no-such-operation")).await;
    problem(&missing, 404, ProblemType::NotFound)?;
    let mut delete = Request::get(list::ENDPOINT.path);
    delete.method = reqwest::Method::DELETE;
    let wrong = ctx.call(delete).await;
    problem(&wrong, 405, ProblemType::MethodNotAllowed)?;
    ensure(wrong.header("allow").is_some(), || {
        "a 405 answer has no Allow header".to_owned()
    })
}

const UNKNOWN_ID: Check = Check::new(
    Meta {
        id: "ERR-05",
        group: G,
        requirements: &["REQ-LIST-4"],
        title: "unknown and malformed credential ids get not-found",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(unknown_id(ctx)),
);

async fn unknown_id(ctx: &mut Context) -> CheckResult {
    let unknown = ctx
        .call(Request::get(get::ENDPOINT.path_for(&format!(
            "cred-conformance-{}",
            uuid::Uuid::new_v4().simple()
        ))))
        .await;
    problem(&unknown, 404, ProblemType::NotFound)?;
    let malformed = ctx
        .call(Request::get(get::ENDPOINT.path_for("%2E%2E%2Fetc")))
        .await;
    problem(&malformed, 404, ProblemType::NotFound)
}

const QUERY: Check = Check::new(
    Meta {
        id: "ERR-06",
        group: G,
        requirements: &["REQ-ERR-6", "REQ-PAGE-2", "REQ-PAGE-5", "REQ-LIST-1"],
        title: "invalid query parameters, limits and cursors get invalid-request",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(query(ctx)),
);

async fn query(ctx: &mut Context) -> CheckResult {
    for query in [
        "limit=0",
        "limit=201",
        "status=sleeping",
        "no_such_parameter=1",
        "cursor=not-a-cursor-from-this-issuer",
    ] {
        let path = format!("{}?{query}", list::ENDPOINT.path);
        let response = ctx.call(Request::get(&path)).await;
        problem(&response, 400, ProblemType::InvalidRequest)
            .map_err(|v| Verdict::fail(format!("{path}: {}", v.message)))?;
    }
    Ok(())
}

const UNCLAIMED: Check = Check::new(
    Meta {
        id: "ERR-07",
        group: G,
        requirements: &["REQ-ERR-20"],
        title: "an operation the manifest does not claim gets operation-not-supported",
        mutating: false,
        needs: &[],
    },
    |ctx| Box::pin(unclaimed(ctx)),
);

async fn unclaimed(ctx: &mut Context) -> CheckResult {
    let paths = [
        (Operation::Request, requests::CREATE.path),
        (Operation::ReportExposure, exposure::ENDPOINT.path),
        (Operation::Create, create::ENDPOINT.path),
    ];
    let Some((_, path)) = paths.iter().find(|(op, _)| !ctx.claims(op)) else {
        return Err(Verdict::skip(
            "the manifest claims every operation this check can probe",
        ));
    };
    let response = ctx.call(Request::post_json(*path, &json!({}))).await;
    problem(&response, 501, ProblemType::OperationNotSupported)
}

const EXPOSURES: Check = Check::new(
    Meta {
        id: "ERR-09",
        group: G,
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

const BAD_CREATE: Check = Check::new(
    Meta {
        id: "ERR-10",
        group: G,
        requirements: &["REQ-CRE-1", "REQ-STATE-5"],
        title: "creates with an unsupported type, lifetime or metadata get invalid-request",
        mutating: true,
        needs: CREATE,
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
        ctx.refusals
            .push(("credential.create".into(), String::new()));
        problem(&response, 400, ProblemType::InvalidRequest)
            .map_err(|v| Verdict::fail(format!("{body}: {}", v.message)))?;
    }
    Ok(())
}

const BAD_ROTATION: Check = Check::new(
    Meta {
        id: "ERR-08",
        group: G,
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
        ctx.refusals.push(("credential.rotate".into(), id.clone()));
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
