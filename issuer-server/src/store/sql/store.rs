//! The store on an SQL database: every operation of [`Store`], in SQL both dialects read.

use async_trait::async_trait;
use credential_issuer_spec::{
    AccessRequestId, AccessRequestStatus, AuditEvent, CredentialId, Timestamp,
};
use sqlx::Pool;
use sqlx::pool::PoolConnection;

use super::credentials;
use super::dialect::Dialect;
use super::error::query_error;
use super::rows::{AccessRequestRow, DueRow, TokenRow, from_json, sequence};
use super::statement::Statement;
use crate::model::TokenRecord;
use crate::model::{AccessRequestRecord, CredentialRecord};
use crate::store::{AuditQuery, CredentialFilter, Store, StoreError, Transaction};

/// The store on a database of dialect `D`.
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pub(crate) pool: Pool<D::Database>,
    pub(crate) dialect: D,
}

impl<D: Dialect> Clone for SqlStore<D>
where
    D: Clone,
{
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            dialect: self.dialect.clone(),
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    async fn connection(&self) -> Result<PoolConnection<D::Database>, StoreError> {
        self.pool.acquire().await.map_err(query_error)
    }

    /// Rows of due work, if this server is to do it now.
    async fn due(&self, now: Timestamp, statement: Statement) -> Result<Vec<DueRow>, StoreError> {
        if !self.dialect.takes_due_work(&self.pool, now).await? {
            return Ok(Vec::new());
        }
        D::fetch_all(&mut *self.connection().await?, statement).await
    }

    /// Runs a write outside a transaction, in the writers' turn.
    async fn write(&self, statement: Statement) -> Result<u64, StoreError> {
        let _turn = self.dialect.write_turn().await;
        D::execute(&mut *self.connection().await?, statement).await
    }
}

#[async_trait]
impl<D: Dialect> Store for SqlStore<D> {
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        Ok(Box::new(self.dialect.begin(&self.pool).await?))
    }

    async fn credential(
        &self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        credentials::read::<D>(&mut *self.connection().await?, issuer, id).await
    }

    async fn credentials(
        &self,
        issuer: &str,
        filter: &CredentialFilter,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        credentials::list::<D>(&mut *self.connection().await?, issuer, filter).await
    }

    async fn credential_by_secret_mac(
        &self,
        mac: &[u8],
    ) -> Result<Option<(CredentialRecord, u32)>, StoreError> {
        credentials::by_secret_mac::<D>(&mut *self.connection().await?, mac).await
    }

    async fn audit_events(
        &self,
        issuer: &str,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let statement = Statement::new(
            "SELECT event FROM audit_events
              WHERE issuer = $1 AND (CAST($2 AS TEXT) IS NULL OR credential_id = $2) AND seq > $3
              ORDER BY seq LIMIT $4",
        )
        .bind(issuer)
        .bind(query.credential_id.as_ref().map(CredentialId::as_str))
        .bind(i64::try_from(query.after_seq).unwrap_or(i64::MAX))
        .bind(i64::from(query.limit));
        let rows: Vec<(String,)> = D::fetch_all(&mut *self.connection().await?, statement).await?;
        rows.iter()
            .map(|(text,)| from_json(text, "audit event"))
            .collect()
    }

    async fn audit_head(&self, issuer: &str) -> Result<Option<(u64, String)>, StoreError> {
        let statement = Statement::new(
            "SELECT seq, hash FROM audit_events WHERE issuer = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(issuer);
        let row: Option<(i64, String)> =
            D::fetch_optional(&mut *self.connection().await?, statement).await?;
        row.map(|(seq, hash)| Ok((sequence(seq)?, hash)))
            .transpose()
    }

    async fn access_request(
        &self,
        issuer: &str,
        id: &AccessRequestId,
    ) -> Result<Option<AccessRequestRecord>, StoreError> {
        let statement = Statement::new(
            "SELECT issuer, request, requester_token, sealed_secret FROM access_requests
              WHERE issuer = $1 AND id = $2",
        )
        .bind(issuer)
        .bind(id.as_str());
        let row: Option<AccessRequestRow> =
            D::fetch_optional(&mut *self.connection().await?, statement).await?;
        row.map(AccessRequestRecord::try_from).transpose()
    }

    async fn access_requests(
        &self,
        issuer: &str,
        status: Option<AccessRequestStatus>,
        after: Option<&AccessRequestId>,
        limit: u32,
    ) -> Result<Vec<AccessRequestRecord>, StoreError> {
        let statement = Statement::new(
            "SELECT issuer, request, requester_token, sealed_secret FROM access_requests
              WHERE issuer = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2)
                AND (CAST($3 AS TEXT) IS NULL OR id > $3) ORDER BY id LIMIT $4",
        )
        .bind(issuer)
        .bind(status.map(AccessRequestStatus::as_str))
        .bind(after.map(AccessRequestId::as_str))
        .bind(i64::from(limit));
        let rows: Vec<AccessRequestRow> =
            D::fetch_all(&mut *self.connection().await?, statement).await?;
        rows.into_iter()
            .map(AccessRequestRecord::try_from)
            .collect()
    }

    async fn due_request_expiries(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, AccessRequestId)>, StoreError> {
        let statement = Statement::new(
            "SELECT issuer, id FROM access_requests
              WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit));
        let rows = self.due(now, statement).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn due_for_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError> {
        let statement = Statement::new(
            "SELECT issuer, credential_id AS id FROM versions
               WHERE status = 'previous' AND expires_at IS NOT NULL AND expires_at <= $1
             UNION
             SELECT issuer, id FROM credentials
               WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= $1
             LIMIT $2",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit));
        let rows = self.due(now, statement).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn due_vendor_retirements(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError> {
        // A retirement is idempotent at the vendor and recorded with a compare-and-set, so a
        // server whose turn at due work lapsed meanwhile does no harm.
        let statement = Statement::new(
            "SELECT DISTINCT issuer, credential_id AS id FROM versions
               WHERE vendor_key IS NOT NULL AND vendor_retired_at IS NULL
                 AND status IN ('revoked', 'expired')
                 AND (vendor_retry_at IS NULL OR vendor_retry_at <= $1)
             LIMIT $2",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit));
        let rows = self.due(now, statement).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn defer_vendor_retirement(
        &self,
        issuer: &str,
        id: &CredentialId,
        version: u32,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        let statement = Statement::new(
            "UPDATE versions SET vendor_retry_at = $1
              WHERE issuer = $2 AND credential_id = $3 AND version = $4",
        )
        .bind(until.unix_millis())
        .bind(issuer)
        .bind(id.as_str())
        .bind(i64::from(version));
        self.write(statement).await?;
        Ok(())
    }

    async fn purge_stored_responses(&self, before: Timestamp) -> Result<u64, StoreError> {
        // Idempotent: servers purging at once delete each row once between them.
        let statement = Statement::new("DELETE FROM idempotency WHERE created_at < $1")
            .bind(before.unix_millis());
        self.write(statement).await
    }

    async fn token_by_mac(&self, mac: &[u8]) -> Result<Option<TokenRecord>, StoreError> {
        let statement = Statement::new(
            "SELECT id, token_mac, label, scopes, authority, created_at
               FROM tokens WHERE token_mac = $1",
        )
        .bind(mac);
        let row: Option<TokenRow> =
            D::fetch_optional(&mut *self.connection().await?, statement).await?;
        row.map(TokenRecord::try_from).transpose()
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let statement = Statement::new(
            "INSERT INTO tokens (id, token_mac, label, scopes, authority, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.id)
        .bind(&token.mac[..])
        .bind(&token.label)
        .bind_json(&scopes)?
        .bind_optional_json(token.authority.as_ref())?
        .bind(token.created_at.unix_millis());
        self.write(statement).await?;
        Ok(())
    }

    async fn put_vendor_credential(
        &self,
        issuer: &str,
        name: &str,
        jwe: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let statement = Statement::new(
            "INSERT INTO vendor_credentials (issuer, name, jwe, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (issuer, name) DO UPDATE
               SET jwe = excluded.jwe, updated_at = excluded.updated_at",
        )
        .bind(issuer)
        .bind(name)
        .bind(jwe)
        .bind(now.unix_millis());
        self.write(statement).await?;
        Ok(())
    }

    async fn vendor_credential(
        &self,
        issuer: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        let statement =
            Statement::new("SELECT jwe FROM vendor_credentials WHERE issuer = $1 AND name = $2")
                .bind(issuer)
                .bind(name);
        let row: Option<(String,)> =
            D::fetch_optional(&mut *self.connection().await?, statement).await?;
        Ok(row.map(|(jwe,)| jwe))
    }

    async fn vendor_credential_names(&self, issuer: &str) -> Result<Vec<String>, StoreError> {
        let statement =
            Statement::new("SELECT name FROM vendor_credentials WHERE issuer = $1 ORDER BY name")
                .bind(issuer);
        let rows: Vec<(String,)> = D::fetch_all(&mut *self.connection().await?, statement).await?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    async fn agree_key_check(&self, check: &str) -> Result<bool, StoreError> {
        // Servers starting at once on an empty database: the first insert wins, the others
        // compare against it.
        let statement = Statement::new(
            "INSERT INTO server_meta (name, value) VALUES ('key_check', $1)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(check);
        self.write(statement).await?;
        let statement = Statement::new("SELECT value FROM server_meta WHERE name = 'key_check'");
        let recorded: Option<(String,)> =
            D::fetch_optional(&mut *self.connection().await?, statement).await?;
        Ok(recorded.is_some_and(|(value,)| value == check))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.dialect.ping(&self.pool).await
    }
}
