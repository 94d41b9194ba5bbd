//! The lifecycle calls many checks make, expecting success: each remembers what it did (secrets
//! for redaction and leak checks, created credentials for cleanup, mutations for the audit
//! checks).

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::{create, introspect, revoke, rotate};
use serde_json::{Value, json};

use super::expect::{json_body, schema};
use super::sample::test_type;
use crate::context::Context;
use crate::outcome::{Verdict, ensure};
use crate::probe::Request;

/// Creates a credential with `scope` (and the members of `extra`); returns the issued
/// credential and remembers it.
pub(crate) async fn create(
    ctx: &mut Context,
    scope: Value,
    extra: Value,
) -> Result<Value, Verdict> {
    let mut body = json!({
        "type": test_type(ctx),
        "name": format!("conformance {}", uuid::Uuid::new_v4().simple()),
        "scope": scope,
        "metadata": { "purpose": "conformance" }
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = ctx
        .call(Request::post_json(create::ENDPOINT.path, &body))
        .await;
    ensure(response.status == 201, || {
        format!(
            "create answered HTTP {}, not 201: {}",
            response.status, response.body
        )
    })?;
    let issued = json_body(&response, "create response")?;
    if let Some(secret) = issued["secret"].as_str() {
        ctx.remember_secret(secret);
    }
    if let Some(parts) = issued["secret_attributes"].as_object() {
        for part in parts.values().filter_map(|v| v.as_str()) {
            ctx.remember_secret(part);
        }
    }
    let id = issued["id"]
        .as_str()
        .ok_or_else(|| Verdict::fail("the issued credential has no id"))?
        .to_owned();
    ctx.created.push(id.clone());
    ctx.mutated(AuditAction::CredentialCreate, &id, Some(1));
    Ok(issued)
}

/// Introspects `secret`.
pub(crate) async fn introspect(ctx: &mut Context, secret: &str) -> Result<Value, Verdict> {
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
    if let Some(id) = answer["credential_id"].as_str() {
        ctx.mutated(
            AuditAction::CredentialIntrospect,
            id,
            answer["version"].as_u64(),
        );
    }
    Ok(answer)
}

/// Rotates `id` with `body`, optionally with `If-Match`, expecting success.
pub(crate) async fn rotate(
    ctx: &mut Context,
    id: &str,
    body: Value,
    if_match: Option<u32>,
) -> Result<Value, Verdict> {
    let mut request = Request::post_json(rotate::ENDPOINT.path_for(id), &body);
    if let Some(version) = if_match {
        request = request.header("if-match", &format!("\"{version}\""));
    }
    let response = ctx.call(request).await;
    ensure(response.status == 200, || {
        format!(
            "rotate answered HTTP {}, not 200: {}",
            response.status, response.body
        )
    })?;
    let rotated = json_body(&response, "rotate response")?;
    schema(Document::IssuedCredential, &rotated)?;
    if let Some(secret) = rotated["secret"].as_str() {
        ctx.remember_secret(secret);
    }
    ctx.mutated(
        AuditAction::CredentialRotate,
        id,
        rotated["current_version"].as_u64(),
    );
    ensure(
        response.header("etag") == Some(&format!("\"{}\"", rotated["current_version"])),
        || "the rotate response's ETag is not the new version".to_owned(),
    )?;
    Ok(rotated)
}

/// Revokes every credential the run created; what this sends is not evidence of any check.
pub(crate) async fn cleanup(ctx: &mut Context) {
    for id in std::mem::take(&mut ctx.created) {
        ctx.call(Request::post_json(
            revoke::ENDPOINT.path_for(&id),
            &json!({ "reason": "conformance run cleanup" }),
        ))
        .await;
    }
    ctx.probe.take_evidence();
}
