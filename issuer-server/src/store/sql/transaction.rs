//! A write transaction of the SQL store.

use async_trait::async_trait;
use credential_issuer_spec::{AccessRequestId, AccessRequestStatus, AuditEvent, CredentialId};
use tokio::sync::OwnedMutexGuard;

use super::credentials;
use super::dialect::Dialect;
use super::error::query_error;
use super::rows::{AccessRequestRow, IdempotencyRow, credential_id, number};
use super::statement::Statement;
use crate::model::{
    AccessRequestRecord, AuditEntry, CredentialRecord, ExposureRecord, IdempotencyKey,
    StoredResponse,
};
use crate::store::{StoreError, Transaction};

/// A transaction of dialect `D`, with whatever turn the dialect makes writers take held until
/// it ends.
pub struct SqlTransaction<D: Dialect> {
    tx: sqlx::Transaction<'static, D::Database>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl<D: Dialect> SqlTransaction<D> {
    /// A transaction on `tx`, holding `turn` until it ends.
    pub(crate) fn new(
        tx: sqlx::Transaction<'static, D::Database>,
        turn: Option<OwnedMutexGuard<()>>,
    ) -> Self {
        Self { tx, _turn: turn }
    }
}

impl<D: Dialect> std::fmt::Debug for SqlTransaction<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlTransaction").finish_non_exhaustive()
    }
}

#[async_trait]
impl<D: Dialect> Transaction for SqlTransaction<D> {
    async fn credential(
        &mut self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        credentials::read_for_update::<D>(&mut self.tx, issuer, id).await
    }

    async fn version_by_fingerprint(
        &mut self,
        issuer: &str,
        fingerprint: &str,
    ) -> Result<Option<(CredentialId, u32)>, StoreError> {
        let statement = Statement::new(
            "SELECT credential_id, version FROM versions WHERE issuer = $1 AND fingerprint = $2",
        )
        .bind(issuer)
        .bind(fingerprint);
        let row: Option<(String, i64)> = D::fetch_optional(&mut self.tx, statement).await?;
        row.map(|(id, version)| Ok((credential_id(&id)?, number(version, "version")?)))
            .transpose()
    }

    async fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), StoreError> {
        credentials::insert::<D>(&mut self.tx, record).await
    }

    async fn save_credential(
        &mut self,
        record: &CredentialRecord,
        expected_version: u32,
    ) -> Result<(), StoreError> {
        credentials::save::<D>(&mut self.tx, record, expected_version).await
    }

    async fn append_audit(
        &mut self,
        issuer: &str,
        entry: AuditEntry,
    ) -> Result<AuditEvent, StoreError> {
        D::append_audit(&mut self.tx, issuer, entry).await
    }

    async fn stored_response(
        &mut self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, StoreError> {
        D::lock_idempotency_key(&mut self.tx, key).await?;
        let statement = Statement::new(
            "SELECT operation, request_hash, status, sealed_body, created_at FROM idempotency
              WHERE issuer = $1 AND principal = $2 AND key = $3",
        )
        .bind(&key.issuer)
        .bind(&key.principal)
        .bind(&key.key);
        let row: Option<IdempotencyRow> = D::fetch_optional(&mut self.tx, statement).await?;
        row.map(StoredResponse::try_from).transpose()
    }

    async fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        let (status, sealed_body) = response.outcome.columns();
        let statement = Statement::new(
            "INSERT INTO idempotency (issuer, principal, key, operation, request_hash, status,
                                      sealed_body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (issuer, principal, key) DO UPDATE SET
               operation = excluded.operation, request_hash = excluded.request_hash,
               status = excluded.status, sealed_body = excluded.sealed_body,
               created_at = excluded.created_at",
        )
        .bind(&key.issuer)
        .bind(&key.principal)
        .bind(&key.key)
        .bind(&response.operation)
        .bind(&response.request_hash[..])
        .bind(i64::from(status))
        .bind(sealed_body)
        .bind(response.created_at.unix_millis());
        D::execute(&mut self.tx, statement).await?;
        Ok(())
    }

    async fn release_claim(&mut self, key: &IdempotencyKey) -> Result<(), StoreError> {
        let statement = Statement::new(
            "DELETE FROM idempotency
              WHERE issuer = $1 AND principal = $2 AND key = $3 AND status = 0",
        )
        .bind(&key.issuer)
        .bind(&key.principal)
        .bind(&key.key);
        D::execute(&mut self.tx, statement).await?;
        Ok(())
    }

    async fn access_request(
        &mut self,
        issuer: &str,
        id: &AccessRequestId,
    ) -> Result<Option<AccessRequestRecord>, StoreError> {
        let statement = Statement::new(format!(
            "SELECT issuer, request, requester_token, sealed_secret FROM access_requests
              WHERE issuer = $1 AND id = $2{}",
            D::FOR_UPDATE
        ))
        .bind(issuer)
        .bind(id.as_str());
        let row: Option<AccessRequestRow> = D::fetch_optional(&mut self.tx, statement).await?;
        row.map(AccessRequestRecord::try_from).transpose()
    }

    async fn insert_access_request(
        &mut self,
        record: &AccessRequestRecord,
    ) -> Result<(), StoreError> {
        let statement = Statement::new(
            "INSERT INTO access_requests (issuer, id, status, request, requester_token,
                                          expires_at, sealed_secret)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&record.issuer)
        .bind(record.request.id.as_str())
        .bind(record.request.status.as_str())
        .bind_json(&record.request)?
        .bind(&record.requester_token)
        .bind(record.request.expires_at.unix_millis())
        .bind(&record.sealed_secret);
        D::execute(&mut self.tx, statement).await?;
        Ok(())
    }

    async fn save_access_request(
        &mut self,
        record: &AccessRequestRecord,
        expected_status: AccessRequestStatus,
    ) -> Result<(), StoreError> {
        let statement = Statement::new(
            "UPDATE access_requests SET status = $1, request = $2, sealed_secret = $3
             WHERE issuer = $4 AND id = $5 AND status = $6",
        )
        .bind(record.request.status.as_str())
        .bind_json(&record.request)?
        .bind(&record.sealed_secret)
        .bind(&record.issuer)
        .bind(record.request.id.as_str())
        .bind(expected_status.as_str());
        match D::execute(&mut self.tx, statement).await? {
            1 => Ok(()),
            _ => Err(StoreError::Conflict),
        }
    }

    async fn insert_exposure(&mut self, exposure: &ExposureRecord) -> Result<(), StoreError> {
        let statement = Statement::new(
            "INSERT INTO exposures (issuer, id, reported_at, actor, source, action, results)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&exposure.issuer)
        .bind(&exposure.id)
        .bind(exposure.reported_at.unix_millis())
        .bind(&exposure.actor)
        .bind(&exposure.source)
        .bind(&exposure.action)
        .bind_json(&exposure.results)?;
        D::execute(&mut self.tx, statement).await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(query_error)
    }
}
