//! Exposure reports: secrets are identified by value or fingerprint, recorded, and revoked
//! on request.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::AuditAction;
use credential_issuer_spec::operations::exposure;
use credential_issuer_spec::{Operation, Secret};
use serde_json::json;

use super::GROUP;
use crate::check::{Check, Meta};
use crate::checks::expect::{json_body, schema};
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission};
use crate::context::Context;
use crate::outcome::{CheckResult, ensure};
use crate::probe::Request;

pub(super) const EXPOSURE: Check = Check::new(
    Meta {
        id: "OPS-14",
        group: GROUP,
        requirements: &[
            "REQ-EXP-3",
            "REQ-EXP-4",
            "REQ-EXP-5",
            "REQ-EXP-6",
            "REQ-EXP-7",
            "REQ-SEC-14",
        ],
        title: "exposure reports identify secrets, record them and revoke on request",
        mutating: true,
        needs: &[
            Operation::Create,
            Operation::ReportExposure,
            Operation::Introspect,
        ],
    },
    |ctx| Box::pin(exposure_reports(ctx)),
);

async fn exposure_reports(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default().to_owned();
    let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
    let fingerprint = Secret::new(secret.clone()).fingerprint();
    let unknown = Secret::new(format!("unknown-{}", uuid::Uuid::new_v4())).fingerprint();
    let report = json!({ "action": "report", "source": "conformance", "exposures": [{ "fingerprint": fingerprint }, { "fingerprint": unknown }] });
    let response = ctx
        .call(Request::post_json(exposure::ENDPOINT.path, &report))
        .await;
    ensure(response.status == 200, || {
        format!("the exposure report answered HTTP {}", response.status)
    })?;
    let answer = json_body(&response, "exposure report response")?;
    schema(Document::ExposureReportResponse, &answer)?;
    ensure(
        answer["results"][0]["matched"] == true
            && answer["results"][0]["action_taken"] == "recorded",
        || {
            format!(
                "the exposed secret was not matched and recorded: {}",
                answer["results"][0]
            )
        },
    )?;
    ensure(
        answer["results"][1]["matched"] == false
            && answer["results"][1]["action_taken"] == "none"
            && answer["results"][1].get("credential_id").is_none(),
        || "an unknown fingerprint matched something".to_owned(),
    )?;
    ensure(
        lifecycle::introspect(ctx, &secret).await?["active"] == true,
        || "a report (not revoke) changed the credential".to_owned(),
    )?;
    let revoke = json!({ "action": "revoke", "exposures": [{ "secret": secret }] });
    let answer = json_body(
        &ctx.call(Request::post_json(exposure::ENDPOINT.path, &revoke))
            .await,
        "exposure report response",
    )?;
    ensure(
        answer["results"][0]["action_taken"] == "credential_revoked",
        || {
            format!(
                "revoking an exposed current version answered {}",
                answer["results"][0]["action_taken"]
            )
        },
    )?;
    ctx.mutated(AuditAction::CredentialRevoke, &id, None);
    ensure(
        lifecycle::introspect(ctx, &secret).await?["active"] == false,
        || "the exposed secret still works after a revoke report".to_owned(),
    )?;
    let again = json_body(
        &ctx.call(Request::post_json(exposure::ENDPOINT.path, &revoke))
            .await,
        "exposure report response",
    )?;
    ensure(
        again["results"][0]["action_taken"] == "already_inactive",
        || "reporting a revoked secret again is not already_inactive".to_owned(),
    )
}
