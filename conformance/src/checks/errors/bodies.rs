//! Request bodies: malformed JSON, duplicate and unknown members, the wrong media type and
//! oversized bodies are refused, and change nothing.

use credential_issuer_spec::AuditAction;
use credential_issuer_spec::ProblemType;
use credential_issuer_spec::operations::{create, list};
use serde_json::json;

use super::{GROUP, NEEDS_CREATE};
use crate::check::{Check, Meta};
use crate::checks::expect::problem;
use crate::checks::sample::{grant, test_permission, test_type};
use crate::context::Context;
use crate::outcome::{CheckResult, ensure};
use crate::probe::Request;

pub(super) const MALFORMED: Check = Check::new(
    Meta {
        id: "ERR-01",
        group: GROUP,
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
        needs: NEEDS_CREATE,
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
        ctx.refused(AuditAction::CredentialCreate, None);
    }
    let after = ctx
        .call(Request::get(format!("{}?limit=200", list::ENDPOINT.path)))
        .await
        .json();
    ensure(before == after, || {
        "a refused create changed the list of credentials".to_owned()
    })
}

pub(super) const MEDIA: Check = Check::new(
    Meta {
        id: "ERR-02",
        group: GROUP,
        requirements: &["REQ-ERR-3"],
        title: "a body that is not application/json gets unsupported-media-type",
        mutating: true,
        needs: NEEDS_CREATE,
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

pub(super) const TOO_LARGE: Check = Check::new(
    Meta {
        id: "ERR-03",
        group: GROUP,
        requirements: &["REQ-ERR-7"],
        title: "a body over 64 KiB gets payload-too-large",
        mutating: true,
        needs: NEEDS_CREATE,
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
