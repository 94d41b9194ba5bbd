//! Introspect (REQ-INT-*): which credential and version a secret is. Unknown, malformed,
//! revoked and expired secrets all give exactly `{"active": false}`.

use std::collections::BTreeMap;

use credential_issuer_spec::operations::introspect::{IntrospectRequest, IntrospectResponse};
use credential_issuer_spec::{ApiScope, AuditAction, CredentialStatus, Outcome};

use super::expiry::settle;
use super::{Call, Context, Decoded, LifecycleError, audited};
use crate::crypto::minting::{macs_equal, secret_mac};

/// Introspects the secret in the JSON body.
pub async fn introspect(
    context: &Context,
    call: &Call,
    request: Decoded<IntrospectRequest>,
) -> Result<IntrospectResponse, LifecycleError> {
    audited(
        context,
        call,
        AuditAction::CredentialIntrospect,
        None,
        async {
            call.require(ApiScope::CredentialsIntrospect)?;
            context.offer(credential_issuer_spec::Operation::Introspect)?;
            let request = request?;
            let issuer = context.issuer.id.as_str();
            let mac = secret_mac(&context.keys.secret_mac, request.secret.expose());
            let found = context.store.credential_by_secret_mac(&mac).await?;
            let now = context.clock.now();
            let answer = found
                .filter(|(record, _)| record.issuer == issuer)
                .and_then(|(mut record, number)| {
                    settle(&mut record, now);
                    let (wire, server) = record.version(number)?;
                    let genuine = macs_equal(&server.secret_mac, &mac);
                    let valid = genuine
                        && wire.status.is_valid()
                        && record.credential.status == CredentialStatus::Active;
                    valid.then(|| IntrospectResponse {
                        active: true,
                        credential_id: Some(record.credential.id.clone()),
                        version: Some(number),
                        credential_type: Some(record.credential.credential_type.clone()),
                        status: Some(record.credential.status),
                        scope: Some(server.scope.clone()),
                        expires_at: wire.expires_at,
                    })
                })
                .unwrap_or_else(IntrospectResponse::inactive);
            let details =
                BTreeMap::from([("active".to_owned(), serde_json::Value::Bool(answer.active))]);
            let entry = call.audit(
                context.clock.now(),
                AuditAction::CredentialIntrospect,
                answer.credential_id.clone(),
                answer.version,
                Outcome::Success,
                details,
            );
            let mut tx = context.store.begin().await?;
            tx.append_audit(issuer, entry).await?;
            tx.commit().await?;
            Ok(answer)
        },
    )
    .await
}
