//! Report exposure (REQ-EXP-*): resolve leaked secrets (or their fingerprints) to versions,
//! record the report, and revoke when asked: a previous version alone, or the whole credential
//! when the exposed version is the current one.

use std::collections::BTreeMap;

use credential_issuer_spec::operations::exposure::{
    ActionTaken, ExposureAction, ExposureReport, ExposureReportResponse, ExposureResult,
};
use credential_issuer_spec::{
    ApiScope, AuditAction, CredentialId, ExposureId, Outcome, VersionStatus,
};

use super::expiry::settle;
use super::revoke::{revoke_credential, revoke_version};
use super::{Call, Context, Decoded, LifecycleError, RequestError, audited};
use crate::crypto::minting::fingerprint_index;
use crate::model::{CredentialRecord, ExposureRecord};

/// Handles the exposure report in the JSON body.
pub async fn report_exposure(
    context: &Context,
    call: &Call,
    report: Decoded<ExposureReport>,
) -> Result<ExposureReportResponse, LifecycleError> {
    audited(context, call, AuditAction::ExposureReport, None, async {
        call.require(ApiScope::ExposuresReport)?;
        context.offer(credential_issuer_spec::Operation::ReportExposure)?;
        let report = report?;
        report.check().map_err(RequestError::from)?;
        let issuer = context.issuer.id.as_str();
        let now = context.clock.now();
        let mut tx = context.store.begin().await?;
        // Secrets are matched first; then each credential is loaded (and, on PostgreSQL, locked)
        // once, in id order, so that two reports naming the same credentials cannot deadlock.
        let mut matched = Vec::with_capacity(report.exposures.len());
        for exposure in &report.exposures {
            let found = match exposure.fingerprint() {
                Some(fingerprint) => {
                    let key = fingerprint_index(&context.keys.fingerprint_mac, &fingerprint);
                    tx.version_by_fingerprint(issuer, &key).await?
                }
                None => None,
            };
            matched.push((exposure.fingerprint().is_some(), found));
        }
        let ids: std::collections::BTreeSet<CredentialId> = matched
            .iter()
            .filter_map(|(_, found)| found.as_ref().map(|(id, _)| id.clone()))
            .collect();
        // Each credential changed in memory, and saved once at the end.
        let mut touched: BTreeMap<CredentialId, (CredentialRecord, u32, bool)> = BTreeMap::new();
        for id in ids {
            if let Some(mut record) = tx.credential(issuer, &id).await? {
                let expected = record.credential.current_version;
                settle(&mut record, now);
                touched.insert(id, (record, expected, false));
            }
        }
        let mut revocations = Vec::new();
        let mut results = Vec::with_capacity(report.exposures.len());
        for (index, (identifiable, found)) in matched.into_iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            if !identifiable {
                continue;
            }
            let Some((id, number)) = found else {
                results.push(unmatched(index));
                continue;
            };
            let Some((record, _, changed)) = touched.get_mut(&id) else {
                results.push(unmatched(index));
                continue;
            };
            let status = record.version(number).map(|(wire, _)| wire.status);
            let action_taken = match (status, report.action) {
                (Some(s), _) if !s.is_valid() => ActionTaken::AlreadyInactive,
                (_, ExposureAction::Report) => ActionTaken::Recorded,
                (Some(VersionStatus::Previous), ExposureAction::Revoke) => {
                    revoke_version(record, number, now)?;
                    *changed = true;
                    revocations.push((id.clone(), Some(number)));
                    ActionTaken::VersionRevoked
                }
                (_, ExposureAction::Revoke) => {
                    revoke_credential(record, now);
                    *changed = true;
                    revocations.push((id.clone(), None));
                    ActionTaken::CredentialRevoked
                }
            };
            results.push(ExposureResult {
                index,
                matched: true,
                credential_id: Some(id),
                version: Some(number),
                action_taken,
            });
        }
        for (record, expected, changed) in touched.values() {
            if *changed {
                tx.save_credential(record, *expected).await?;
            }
        }
        let exposure_id: ExposureId = match format!("exp_{}", uuid::Uuid::now_v7().simple()).parse()
        {
            Ok(id) => id,
            Err(_) => unreachable!("exp_ and 32 hex digits is a valid id"),
        };
        let results_json = serde_json::to_value(&results)
            .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
        tx.insert_exposure(&ExposureRecord {
            issuer: issuer.to_owned(),
            id: exposure_id.to_string(),
            reported_at: now,
            actor: call.caller.actor(),
            source: report.source.clone(),
            action: serde_json::json!(report.action)
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            results: results_json.clone(),
        })
        .await?;
        let details = BTreeMap::from([
            ("exposure_id".to_owned(), serde_json::json!(exposure_id)),
            ("action".to_owned(), serde_json::json!(report.action)),
            ("source".to_owned(), serde_json::json!(report.source)),
            ("results".to_owned(), results_json),
        ]);
        let entry = call.audit(
            context.clock.now(),
            AuditAction::ExposureReport,
            None,
            None,
            Outcome::Success,
            details,
        );
        tx.append_audit(issuer, entry).await?;
        for (id, version) in revocations {
            let details = BTreeMap::from([
                ("reason".to_owned(), serde_json::json!("exposure reported")),
                ("exposure_id".to_owned(), serde_json::json!(exposure_id)),
            ]);
            let entry = call.audit(
                context.clock.now(),
                AuditAction::CredentialRevoke,
                Some(id),
                version,
                Outcome::Success,
                details,
            );
            tx.append_audit(issuer, entry).await?;
        }
        tx.commit().await?;
        Ok(ExposureReportResponse {
            exposure_id,
            results,
        })
    })
    .await
}

fn unmatched(index: u32) -> ExposureResult {
    ExposureResult {
        index,
        matched: false,
        credential_id: None,
        version: None,
        action_taken: ActionTaken::None,
    }
}
