//! A write transaction on PostgreSQL (`READ COMMITTED`, with row locks where records are read
//! to be changed).

use async_trait::async_trait;
use credential_issuer_spec::{AuditEvent, CredentialId, GENESIS_HASH, Timestamp};
use sqlx::Postgres;

use super::rows::{
    ACCESS_REQUEST_COLUMNS, CREDENTIAL_COLUMNS, VERSION_COLUMNS, access_request_from_row, corrupt,
    credential_head, credential_id, get, instant, millis, number, push_version, query_error,
    to_json,
};
use crate::store::{
    AccessRequestRecord, AuditEntry, CredentialRecord, ExposureRecord, IdempotencyKey, StoreError,
    StoredOutcome, StoredResponse, Transaction,
};

/// A transaction of the PostgreSQL store.
pub(super) struct PostgresTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
}

impl PostgresTransaction {
    pub(super) fn new(tx: sqlx::Transaction<'static, Postgres>) -> Self {
        Self { tx }
    }

    async fn upsert_versions(&mut self, record: &CredentialRecord) -> Result<(), StoreError> {
        for (wire, server) in record.credential.versions.iter().zip(&record.versions) {
            if wire.version != server.version {
                return Err(corrupt("versions out of order"));
            }
            sqlx::query(
                "INSERT INTO versions (issuer, credential_id, version, status, secret_hint, scope,
                                       created_at, expires_at, revoked_at, secret_mac, fingerprint,
                                       vendor_key, vendor_retired_at)
                 VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12::jsonb, $13)
                 ON CONFLICT (issuer, credential_id, version) DO UPDATE SET
                   status = excluded.status, scope = excluded.scope,
                   expires_at = excluded.expires_at, revoked_at = excluded.revoked_at,
                   vendor_retired_at = excluded.vendor_retired_at",
            )
            .bind(&record.issuer)
            .bind(record.credential.id.as_str())
            .bind(i64::from(wire.version))
            .bind(wire.status.as_str())
            .bind(&wire.secret_hint)
            .bind(to_json(&server.scope)?)
            .bind(wire.created_at.unix_millis())
            .bind(millis(wire.expires_at))
            .bind(millis(wire.revoked_at))
            .bind(&server.secret_mac[..])
            .bind(&server.fingerprint)
            .bind(server.vendor_key.as_ref().map(to_json).transpose()?)
            .bind(millis(server.vendor_retired_at))
            .execute(&mut *self.tx)
            .await
            .map_err(query_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Transaction for PostgresTransaction {
    async fn credential(
        &mut self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        // Lock the credential first, then read its versions in a later statement: under READ
        // COMMITTED that statement sees whatever the transaction we waited for committed.
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials c
              WHERE c.issuer = $1 AND c.id = $2 FOR UPDATE"
        );
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(issuer)
            .bind(id.as_str())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(query_error)?
        else {
            return Ok(None);
        };
        let mut record = credential_head(&row)?;
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM versions v
              WHERE v.issuer = $1 AND v.credential_id = $2 ORDER BY v.version"
        );
        let versions = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(issuer)
            .bind(id.as_str())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(query_error)?;
        for version in &versions {
            push_version(&mut record, version)?;
        }
        Ok(Some(record))
    }

    async fn version_by_fingerprint(
        &mut self,
        issuer: &str,
        fingerprint: &str,
    ) -> Result<Option<(CredentialId, u32)>, StoreError> {
        let row = sqlx::query(
            "SELECT credential_id, version FROM versions WHERE issuer = $1 AND fingerprint = $2",
        )
        .bind(issuer)
        .bind(fingerprint)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(query_error)?;
        row.map(|row| {
            Ok((
                credential_id(&get::<String>(&row, "credential_id")?)?,
                number(get(&row, "version")?, "version")?,
            ))
        })
        .transpose()
    }

    async fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), StoreError> {
        let c = &record.credential;
        sqlx::query(
            "INSERT INTO credentials (issuer, id, type, name, status, scope, metadata, created_at,
                                      expires_at, revoked_at, current_version)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11)",
        )
        .bind(&record.issuer)
        .bind(c.id.as_str())
        .bind(c.credential_type.to_string())
        .bind(c.name.as_str())
        .bind(c.status.as_str())
        .bind(to_json(&c.scope)?)
        .bind(to_json(&c.metadata)?)
        .bind(c.created_at.unix_millis())
        .bind(millis(c.expires_at))
        .bind(millis(c.revoked_at))
        .bind(i64::from(c.current_version))
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        self.upsert_versions(record).await
    }

    async fn save_credential(
        &mut self,
        record: &CredentialRecord,
        expected_version: u32,
    ) -> Result<(), StoreError> {
        let c = &record.credential;
        let updated = sqlx::query(
            "UPDATE credentials SET status = $1, scope = $2::jsonb, expires_at = $3,
                                    revoked_at = $4, current_version = $5
             WHERE issuer = $6 AND id = $7 AND current_version = $8",
        )
        .bind(c.status.as_str())
        .bind(to_json(&c.scope)?)
        .bind(millis(c.expires_at))
        .bind(millis(c.revoked_at))
        .bind(i64::from(c.current_version))
        .bind(&record.issuer)
        .bind(c.id.as_str())
        .bind(i64::from(expected_version))
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        self.upsert_versions(record).await
    }

    async fn append_audit(
        &mut self,
        issuer: &str,
        entry: AuditEntry,
    ) -> Result<AuditEvent, StoreError> {
        // Take (creating it if need be) and lock the head of the issuer's log: whoever appends
        // next waits until this transaction ends, then links to what it wrote.
        let head = sqlx::query(
            "INSERT INTO audit_heads (issuer, seq, hash) VALUES ($1, 0, $2)
             ON CONFLICT (issuer) DO UPDATE SET issuer = excluded.issuer
             RETURNING seq, hash, time",
        )
        .bind(issuer)
        .bind(GENESIS_HASH)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(query_error)?;
        let last: i64 = get(&head, "seq")?;
        let seq = u64::try_from(last).map_err(|_| corrupt("seq"))? + 1;
        // REQ-AUD-8: never earlier than the event before, whatever this replica's clock says.
        let previous_time = Timestamp::from_unix_millis(get(&head, "time")?);
        let time = match previous_time {
            Some(previous) if previous > entry.time => previous,
            _ => entry.time,
        };
        let mut event = AuditEvent {
            seq,
            time,
            actor: entry.actor,
            action: entry.action,
            credential_id: entry.credential_id,
            version: entry.version,
            outcome: entry.outcome,
            request_id: entry.request_id,
            details: entry.details,
            prev_hash: get(&head, "hash")?,
            hash: String::new(),
        };
        event.hash = event
            .compute_hash()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "WITH moved AS (UPDATE audit_heads SET seq = $2, hash = $4, time = $6 WHERE issuer = $1)
             INSERT INTO audit_events (issuer, seq, event, hash, credential_id)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(issuer)
        .bind(last + 1)
        .bind(to_json(&event)?)
        .bind(&event.hash)
        .bind(
            event
                .credential_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
        )
        .bind(event.time.unix_millis())
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        Ok(event)
    }

    async fn stored_response(
        &mut self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, StoreError> {
        // Requests with one key serialise, on whichever replica they land: the later one waits
        // here until the first commits (then finds its response) or rolls back.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtextextended(to_json(ARRAY[$1, $2, $3])::text, 0))",
        )
        .bind(&key.issuer)
        .bind(&key.principal)
        .bind(&key.key)
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        let row = sqlx::query(
            "SELECT operation, request_hash, status, sealed_body, created_at FROM idempotency
              WHERE issuer = $1 AND principal = $2 AND key = $3",
        )
        .bind(&key.issuer)
        .bind(&key.principal)
        .bind(&key.key)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(query_error)?;
        row.map(|row| {
            let hash: Vec<u8> = get(&row, "request_hash")?;
            let status: i64 = get(&row, "status")?;
            Ok(StoredResponse {
                operation: get(&row, "operation")?,
                request_hash: <[u8; 32]>::try_from(hash).map_err(|_| corrupt("request hash"))?,
                outcome: StoredOutcome::from_columns(
                    u16::try_from(status).map_err(|_| corrupt("status"))?,
                    get(&row, "sealed_body")?,
                ),
                created_at: instant(get(&row, "created_at")?)?,
            })
        })
        .transpose()
    }

    async fn release_claim(&mut self, key: &IdempotencyKey) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency
              WHERE issuer = $1 AND principal = $2 AND key = $3 AND status = 0",
        )
        .bind(&key.issuer)
        .bind(&key.principal)
        .bind(&key.key)
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        Ok(())
    }

    async fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        sqlx::query(
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
        .bind(i64::from(response.outcome.columns().0))
        .bind(response.outcome.columns().1)
        .bind(response.created_at.unix_millis())
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        Ok(())
    }

    async fn access_request(
        &mut self,
        issuer: &str,
        id: &str,
    ) -> Result<Option<AccessRequestRecord>, StoreError> {
        let sql = format!(
            "SELECT {ACCESS_REQUEST_COLUMNS} FROM access_requests
              WHERE issuer = $1 AND id = $2 FOR UPDATE"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(issuer)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(query_error)?;
        row.as_ref().map(access_request_from_row).transpose()
    }

    async fn insert_access_request(
        &mut self,
        record: &AccessRequestRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_requests (issuer, id, status, request, requester_token,
                                          expires_at, sealed_secret)
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)",
        )
        .bind(&record.issuer)
        .bind(record.request.id.as_str())
        .bind(record.request.status.as_str())
        .bind(to_json(&record.request)?)
        .bind(&record.requester_token)
        .bind(record.request.expires_at.unix_millis())
        .bind(&record.sealed_secret)
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        Ok(())
    }

    async fn save_access_request(
        &mut self,
        record: &AccessRequestRecord,
        expected_status: &str,
    ) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE access_requests SET status = $1, request = $2::jsonb, sealed_secret = $3
             WHERE issuer = $4 AND id = $5 AND status = $6",
        )
        .bind(record.request.status.as_str())
        .bind(to_json(&record.request)?)
        .bind(&record.sealed_secret)
        .bind(&record.issuer)
        .bind(record.request.id.as_str())
        .bind(expected_status)
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        if updated.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn insert_exposure(&mut self, exposure: &ExposureRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO exposures (issuer, id, reported_at, actor, source, action, results)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
        )
        .bind(&exposure.issuer)
        .bind(&exposure.id)
        .bind(exposure.reported_at.unix_millis())
        .bind(&exposure.actor)
        .bind(&exposure.source)
        .bind(&exposure.action)
        .bind(to_json(&exposure.results)?)
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(query_error)
    }
}
