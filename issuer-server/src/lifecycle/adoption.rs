//! Adoption (REQ-LIST-7): a shim whose vendor lists keys records the working keys it does not
//! know (made in the vendor's console, or before the shim) as credentials of its own, so that a
//! list answers "which keys exist" and a console-made key can be revoked or rotated through the
//! protocol. An adopted key's secret was never seen, so it cannot be introspected.

use std::collections::{BTreeMap, BTreeSet};

use credential_issuer_spec::{
    AuditAction, Credential, CredentialName, CredentialStatus, Grant, Metadata, Outcome, Version,
    VersionStatus,
};

use super::minted::new_credential_id;
use super::{Call, Context, LifecycleError};
use crate::backends::{BackendError, ListedKey};
use crate::model::{CredentialRecord, VersionRecord};
use crate::store::CredentialFilter;

/// Records every working key the vendor lists that the store does not know; returns how many.
///
/// Adoption waits for the operations of this server that are minting (see
/// [`Context::minting`]). Across replicas sharing a store, a list on one replica while another
/// is between its vendor call and its commit can still adopt that key.
pub(super) async fn adopt_listed(context: &Context, call: &Call) -> Result<usize, LifecycleError> {
    let _no_minting = context.minting.write().await;
    let listed = match context.issuer.backend.list(context.clock.now()).await {
        Ok(listed) => listed,
        Err(BackendError::Unsupported(_)) => return Ok(0),
        Err(error) => return Err(error.into()),
    };
    let known = known_key_ids(context).await?;
    let new: Vec<&ListedKey> = listed
        .iter()
        .filter(|listed| listed.active && !known.contains(&listed.key.id))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let issuer = context.issuer.id.as_str();
    let mut tx = context.store.begin().await?;
    for listed in &new {
        let record = adopted(context, listed);
        tx.insert_credential(&record).await?;
        let details = BTreeMap::from([
            ("adopted".to_owned(), serde_json::json!(true)),
            ("key_id".to_owned(), serde_json::json!(listed.key.id)),
        ]);
        let entry = call.audit(
            context.clock.now(),
            AuditAction::CredentialCreate,
            Some(record.credential.id.clone()),
            Some(1),
            Outcome::Success,
            details,
        );
        tx.append_audit(issuer, entry).await?;
    }
    tx.commit().await?;
    Ok(new.len())
}

/// The vendor key ids of every version the store holds for this issuer.
async fn known_key_ids(context: &Context) -> Result<BTreeSet<String>, LifecycleError> {
    let mut known = BTreeSet::new();
    let mut filter = CredentialFilter {
        limit: 500,
        ..CredentialFilter::default()
    };
    loop {
        let page = context
            .store
            .credentials(context.issuer.id.as_str(), &filter)
            .await?;
        let Some(last) = page.last() else {
            return Ok(known);
        };
        filter.after = Some(last.credential.id.clone());
        for record in &page {
            known.extend(
                record
                    .versions
                    .iter()
                    .filter_map(|v| v.vendor_key.as_ref().map(|k| k.id.clone())),
            );
        }
    }
}

/// The record of an adopted key: one current version whose secret is unknown (its keyed hash
/// is random, so no secret ever matches it), with every permission of the issuer, since the
/// shim cannot tell what the vendor lets the key do beyond that.
fn adopted(context: &Context, listed: &ListedKey) -> CredentialRecord {
    let now = context.clock.now();
    let created_at = listed.created_at.unwrap_or(now);
    let scope: Vec<Grant> = context
        .issuer
        .permissions
        .permissions
        .iter()
        .map(|permission| Grant::everywhere(permission.id.clone()))
        .collect();
    let name = listed
        .name
        .as_deref()
        .and_then(|name| name.parse::<CredentialName>().ok())
        .or_else(|| format!("vendor key {}", listed.key.id).parse().ok())
        .unwrap_or_else(|| match "adopted vendor key".parse() {
            Ok(name) => name,
            Err(_) => unreachable!("a short plain name is valid"),
        });
    let metadata = Metadata::new(BTreeMap::from([("source".to_owned(), "vendor".to_owned())]))
        .unwrap_or_default();
    let credential_type = context
        .issuer
        .credential_types()
        .first()
        .cloned()
        .unwrap_or(credential_issuer_spec::CredentialType::ApiKey);
    let credential = Credential {
        id: new_credential_id(),
        credential_type,
        name,
        status: CredentialStatus::Active,
        scope: scope.clone(),
        metadata,
        created_at,
        expires_at: None,
        revoked_at: None,
        current_version: 1,
        versions: vec![Version {
            version: 1,
            status: VersionStatus::Current,
            secret_hint: listed.hint.clone().unwrap_or_else(|| "…".to_owned()),
            key_id: Some(listed.key.id.clone()),
            created_at,
            expires_at: None,
            revoked_at: None,
        }],
    };
    CredentialRecord {
        issuer: context.issuer.id.as_str().to_owned(),
        credential,
        versions: vec![VersionRecord {
            version: 1,
            scope,
            secret_mac: rand::random(),
            fingerprint: hex::encode(rand::random::<[u8; 32]>()),
            vendor_key: Some(listed.key.clone()),
            vendor_retired_at: None,
        }],
    }
}
