//! Introspection: a secret maps to its credential, version and scope.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::introspect;
use serde_json::json;

use super::{GROUP, NEEDS_CREATE_INTROSPECT};
use crate::check::{Check, Meta};
use crate::checks::expect::{json_body, schema};
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission};
use crate::context::Context;
use crate::outcome::{CheckResult, ensure};
use crate::probe::Request;

pub(super) const INTROSPECTION: Check = Check::new(
    Meta {
        id: "OPS-05",
        group: GROUP,
        requirements: &["REQ-INT-1", "REQ-INT-5"],
        title: "introspection maps a secret to its credential, version and scope",
        mutating: true,
        needs: NEEDS_CREATE_INTROSPECT,
    },
    |ctx| Box::pin(introspection_describes(ctx)),
);

async fn introspection_describes(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    let response = ctx
        .call(Request::post_json(
            introspect::ENDPOINT.path,
            &json!({ "secret": secret }),
        ))
        .await;
    ensure(response.status == 200, || {
        format!("introspect answered HTTP {}", response.status)
    })?;
    let answer = json_body(&response, "introspection")?;
    ctx.mutated(
        AuditAction::CredentialIntrospect,
        issued["id"].as_str().unwrap_or_default(),
        Some(1),
    );
    schema(Document::IntrospectResponse, &answer)?;
    ensure(
        answer["active"] == true
            && answer["credential_id"] == issued["id"]
            && answer["version"] == 1
            && answer["scope"] == issued["scope"],
        || format!("the introspection does not describe the credential: {answer}"),
    )?;
    ensure(
        response
            .header("cache-control")
            .is_some_and(|v| v.contains("no-store")),
        || "an introspection lacks Cache-Control: no-store".to_owned(),
    )
}
