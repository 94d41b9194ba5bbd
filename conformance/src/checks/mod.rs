//! The checks, one module per group, and the helpers they share.

pub(crate) mod audit;
pub(crate) mod discovery;
pub(crate) mod documents;
pub(crate) mod errors;
pub(crate) mod operations;
pub(crate) mod requests;
pub(crate) mod security;

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::problem::PROBLEM_TYPE_PREFIX;
use credential_issuer_spec::{Access, PermissionId, PermissionIndex, ProblemType};
use serde_json::{Value, json};

use crate::Group;
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::{Request, Response};
use crate::recorder::Recorder;

/// Runs the checks of `group`.
pub(crate) async fn run_group(group: Group, ctx: &mut Context, recorder: &mut Recorder) {
    match group {
        Group::Discovery => discovery::run(ctx, recorder).await,
        Group::Documents => documents::run(ctx, recorder).await,
        Group::Operations => operations::run(ctx, recorder).await,
        Group::Errors => errors::run(ctx, recorder).await,
        Group::Security => security::run(ctx, recorder).await,
        Group::Requests => requests::run(ctx, recorder).await,
        Group::Audit => audit::run(ctx, recorder).await,
    }
}

/// Revokes every credential the run created; what this sends is not evidence of any check.
pub(crate) async fn cleanup(ctx: &mut Context) {
    for id in std::mem::take(&mut ctx.created) {
        ctx.call(Request::post_json(
            format!("/credentials/{id}/revoke"),
            &json!({ "reason": "conformance run cleanup" }),
        ))
        .await;
    }
    ctx.probe.take_evidence();
}

/// The body as JSON, or a failure saying what came instead.
pub(crate) fn json_body(response: &Response, what: &str) -> Result<Value, Verdict> {
    response
        .json()
        .ok_or_else(|| Verdict::fail(format!("the {what} (HTTP {}) is not JSON", response.status)))
}

/// `document` validates against its schema.
pub(crate) fn schema(document: Document, value: &Value) -> CheckResult {
    match document.first_violation(value) {
        Some(rule) => Err(Verdict::fail(format!(
            "the {} breaks its schema {rule}",
            document.name()
        ))),
        None => Ok(()),
    }
}

/// The response is a problem document with `status` and the spec type `expected`.
pub(crate) fn problem(response: &Response, status: u16, expected: ProblemType) -> CheckResult {
    ensure(response.status == status, || {
        format!(
            "expected HTTP {status} ({}), got {}",
            expected.name(),
            response.status
        )
    })?;
    ensure(response.media_type() == "application/problem+json", || {
        format!(
            "an error must be application/problem+json, got {:?}",
            response.media_type()
        )
    })?;
    let body = json_body(response, "problem document")?;
    schema(Document::Problem, &body)?;
    let uri = format!("{PROBLEM_TYPE_PREFIX}{}", expected.name());
    ensure(body["type"] == uri, || {
        format!("expected problem type {uri}, got {}", body["type"])
    })?;
    ensure(body["status"] == status, || {
        "the problem's status differs from the HTTP status".to_owned()
    })
}

/// A permission to put in test credentials (the first read-only one), and the index.
pub(crate) fn test_permission(ctx: &Context) -> Result<(PermissionId, PermissionIndex), Verdict> {
    let schema = ctx
        .permissions
        .as_ref()
        .ok_or_else(|| Verdict::skip("no usable permission schema"))?;
    let index = schema
        .index()
        .map_err(|e| Verdict::fail(format!("the permission schema is inconsistent: {e}")))?;
    let permission = schema
        .permissions
        .iter()
        .find(|p| p.access == Access::Read)
        .or_else(|| schema.permissions.first())
        .map(|p| p.id.clone())
        .ok_or_else(|| Verdict::skip("the permission schema has no permissions"))?;
    Ok((permission, index))
}

/// The first credential type the issuer claims.
pub(crate) fn test_type(ctx: &Context) -> String {
    ctx.manifest
        .as_ref()
        .and_then(|m| m.supported_credential_types.first())
        .map_or_else(|| "api_key".to_owned(), ToString::to_string)
}

/// Creates a credential with `scope`; returns the issued credential and remembers it.
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
    let response = ctx.call(Request::post_json("/credentials", &body)).await;
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
    ctx.mutations
        .push(("credential.create".into(), id, Some(1)));
    Ok(issued)
}

/// Introspects `secret`.
pub(crate) async fn introspect(ctx: &mut Context, secret: &str) -> Result<Value, Verdict> {
    let response = ctx
        .call(Request::post_json(
            "/credentials/introspect",
            &json!({ "secret": secret }),
        ))
        .await;
    ensure(response.status == 200, || {
        format!("introspect answered HTTP {}", response.status)
    })?;
    let answer = json_body(&response, "introspection")?;
    if let Some(id) = answer["credential_id"].as_str() {
        ctx.mutations.push((
            "credential.introspect".into(),
            id.to_owned(),
            answer["version"].as_u64(),
        ));
    }
    Ok(answer)
}

/// A grant without a resource, as JSON.
pub(crate) fn grant(permission: &PermissionId) -> Value {
    json!([{ "permission": permission.as_str() }])
}
