//! Create: the issued credential is exactly what was asked, with its secret shown once;
//! lifetimes; idempotent retries.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::{create, get};
use credential_issuer_spec::{ChecksumScheme, NativeSecretFormat, ProblemType, Secret};
use serde_json::{Value, json};

use super::{GROUP, NEEDS_CREATE};
use crate::check::{Check, Meta};
use crate::checks::expect::{json_body, problem, schema};
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission, test_type};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

pub(super) const ISSUED: Check = Check::new(
    Meta {
        id: "OPS-01",
        group: GROUP,
        requirements: &[
            "REQ-CRE-3",
            "REQ-CRE-4",
            "REQ-MAN-15",
            "REQ-SEC-1",
            "REQ-SEC-3",
            "REQ-SEC-8",
            "REQ-SEC-10",
            "REQ-STATE-1",
            "REQ-STATE-5",
            "REQ-ERR-9",
        ],
        title: "create answers 201 with Location, ETag and the secret, exactly as asked",
        mutating: true,
        needs: NEEDS_CREATE,
    },
    |ctx| Box::pin(issued_as_asked(ctx)),
);

async fn issued_as_asked(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let body = json!({ "type": test_type(ctx), "name": "conformance create", "scope": grant(&permission),
        "metadata": { "owner": "conformance", "environment": "test" } });
    let response = ctx
        .call(Request::post_json(create::ENDPOINT.path, &body))
        .await;
    ensure(response.status == 201, || {
        format!("create answered HTTP {}, not 201", response.status)
    })?;
    let issued = json_body(&response, "create response")?;
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    ctx.remember_secret(&secret);
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    ctx.created.push(id.clone());
    ctx.mutated(AuditAction::CredentialCreate, &id, Some(1));
    schema(Document::IssuedCredential, &issued)?;
    ensure(response.header("etag") == Some("\"1\""), || {
        format!("ETag is {:?}, not \"1\"", response.header("etag"))
    })?;
    let location = format!(
        "{}{}",
        ctx.endpoint().unwrap_or_default(),
        get::ENDPOINT.path_for(&id)
    );
    ensure(
        response.header("location") == Some(location.as_str()),
        || {
            format!(
                "Location is {:?}, not {location}",
                response.header("location")
            )
        },
    )?;
    ensure(
        response
            .header("cache-control")
            .is_some_and(|v| v.contains("no-store")),
        || "a response with a secret lacks Cache-Control: no-store".to_owned(),
    )?;
    ensure(
        issued["scope"] == body["scope"]
            && issued["name"] == body["name"]
            && issued["metadata"] == body["metadata"],
        || {
            "the credential does not carry exactly the requested scope, name and metadata"
                .to_owned()
        },
    )?;
    ensure(
        issued["status"] == "active" && issued["current_version"] == 1,
        || "a new credential must be active at version 1".to_owned(),
    )?;
    ensure(
        issued["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        || "times must be written in UTC with Z".to_owned(),
    )?;
    let manifest = ctx
        .manifest
        .clone()
        .unwrap_or_else(|| unreachable!("checked by the recorder"));
    if let Some(format) = manifest
        .secret_formats
        .iter()
        .find(|f| f.credential_type.as_str() == issued["type"].as_str().unwrap_or_default())
    {
        let regex = regex::Regex::new(&format!("^(?:{})$", format.regex))
            .map_err(|_| Verdict::fail("the secret format regex does not compile"))?;
        ensure(regex.is_match(&secret), || {
            "the secret does not match the published secret format".to_owned()
        })?;
        if format.checksum == ChecksumScheme::Crc32Base62 {
            let native = NativeSecretFormat::new(&format.prefix)
                .map_err(|_| Verdict::fail("the prefix is not a native prefix"))?;
            native
                .verify(&secret)
                .map_err(|e| Verdict::fail(format!("the secret's checksum: {e}")))?;
            let hint = issued["versions"][0]["secret_hint"]
                .as_str()
                .unwrap_or_default();
            ensure(hint == Secret::new(secret.clone()).hint(), || {
                format!("secret_hint {hint:?} is not prefix…last four")
            })?;
        }
    }
    Ok(())
}

pub(super) const EXPIRES_IN: Check = Check::new(
    Meta {
        id: "OPS-02",
        group: GROUP,
        requirements: &["REQ-CRE-5"],
        title: "expires_in sets expires_at",
        mutating: true,
        needs: NEEDS_CREATE,
    },
    |ctx| Box::pin(expires_in_sets_expires_at(ctx)),
);

async fn expires_in_sets_expires_at(ctx: &mut Context) -> CheckResult {
    let Some(expiry) = ctx.manifest.as_ref().and_then(|m| m.expiry.clone()) else {
        return Err(Verdict::skip(
            "the issuer does not offer expiring credentials",
        ));
    };
    let (permission, _) = test_permission(ctx)?;
    let ttl = expiry
        .max_ttl_seconds
        .min(86_400)
        .max(expiry.min_ttl_seconds);
    let issued = lifecycle::create(ctx, grant(&permission), json!({ "expires_in": ttl })).await?;
    let created: credential_issuer_spec::Timestamp =
        serde_json::from_value(issued["created_at"].clone())
            .map_err(|_| Verdict::fail("created_at is not a timestamp"))?;
    let expires: credential_issuer_spec::Timestamp =
        serde_json::from_value(issued["expires_at"].clone())
            .map_err(|_| Verdict::fail("expires_at is not a timestamp"))?;
    let delta = expires.unix_seconds() - created.unix_seconds();
    ensure((delta - ttl as i64).abs() <= 1, || {
        format!("expires_at is {delta} s after created_at, not {ttl}")
    })
}

pub(super) const IDEMPOTENCY: Check = Check::new(
    Meta {
        id: "OPS-15",
        group: GROUP,
        requirements: &["REQ-IDEM-1", "REQ-IDEM-4", "REQ-IDEM-5", "REQ-IDEM-7"],
        title: "an Idempotency-Key replays the first create; reusing it for another body is refused",
        mutating: true,
        needs: NEEDS_CREATE,
    },
    |ctx| Box::pin(idempotency_key_replays(ctx)),
);

async fn idempotency_key_replays(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({ "type": test_type(ctx), "name": "conformance idempotency", "scope": grant(&permission) });
    let first = ctx
        .call(Request::post_json(create::ENDPOINT.path, &body).header("idempotency-key", &key))
        .await;
    ensure(first.status == 201, || {
        format!("create answered HTTP {}", first.status)
    })?;
    let first_body = json_body(&first, "create response")?;
    ctx.remember_secret(first_body["secret"].as_str().unwrap_or_default());
    let id = first_body["id"].as_str().unwrap_or_default().to_owned();
    ctx.created.push(id.clone());
    ctx.idempotent.push(id.clone());
    ctx.mutated(AuditAction::CredentialCreate, &id, Some(1));
    let retry = ctx
        .call(Request::post_json(create::ENDPOINT.path, &body).header("idempotency-key", &key))
        .await;
    ensure(
        retry.status == 201 && retry.json() == Some(first_body.clone()),
        || "a retry with the same key did not return the first credential".to_owned(),
    )?;
    let mut other = body.clone();
    other["name"] = Value::String("conformance idempotency (other)".into());
    let reused = ctx
        .call(Request::post_json(create::ENDPOINT.path, &other).header("idempotency-key", &key))
        .await;
    problem(&reused, 422, ProblemType::IdempotencyKeyReused)?;
    let retry_key = uuid::Uuid::new_v4().to_string();
    let mut refused = body.clone();
    refused["scope"] = json!([{ "permission": "conformance:no-such-permission" }]);
    let failed = ctx
        .call(
            Request::post_json(create::ENDPOINT.path, &refused)
                .header("idempotency-key", &retry_key),
        )
        .await;
    ctx.refused(AuditAction::CredentialCreate, None);
    ensure(failed.status == 400, || {
        format!("an unknown permission answered HTTP {}", failed.status)
    })?;
    let after_error = ctx
        .call(
            Request::post_json(create::ENDPOINT.path, &body).header("idempotency-key", &retry_key),
        )
        .await;
    ensure(after_error.status == 201, || {
        format!(
            "a key whose first use failed was not usable again (HTTP {})",
            after_error.status
        )
    })?;
    if let Some(issued) = after_error.json() {
        ctx.remember_secret(issued["secret"].as_str().unwrap_or_default());
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        ctx.created.push(id.clone());
        ctx.mutated(AuditAction::CredentialCreate, &id, Some(1));
    }
    let bad = ctx
        .call(Request::post_json(create::ENDPOINT.path, &body).header("idempotency-key", ""))
        .await;
    if bad.status == 201 {
        if let Some(id) = bad.json().and_then(|b| b["id"].as_str().map(str::to_owned)) {
            ctx.created.push(id);
        }
        return Err(Verdict::fail("an empty Idempotency-Key was accepted"));
    }
    Ok(())
}
