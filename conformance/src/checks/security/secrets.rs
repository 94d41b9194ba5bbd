//! Secrets: shown once and never again; guesses introspect as inactive and say nothing.

use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::{audit, create, get, introspect, list, rotate};
use credential_issuer_spec::{Operation, Secret};
use serde_json::json;

use super::GROUP;
use crate::check::{Check, Meta};
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission};
use crate::context::Context;
use crate::outcome::{CheckResult, ensure};
use crate::probe::Request;

pub(super) const LEAKS: Check = Check::new(
    Meta {
        id: "SEC-02",
        group: GROUP,
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
    ctx.refused(AuditAction::CredentialRotate, Some(&id));
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

pub(super) const GUESSES: Check = Check::new(
    Meta {
        id: "SEC-05",
        group: GROUP,
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
