//! The PostgreSQL store: for an issuer that outgrows one machine. Any number of stateless
//! server replicas share one database and nothing else (DESIGN.md section 8).
//!
//! How replicas stay correct together:
//! - the embedded migrations run at start under sqlx's advisory lock, so replicas starting at
//!   once apply them once;
//! - a transaction reads a credential or access request `FOR UPDATE`, so concurrent changes of
//!   one record serialise: the later one sees the earlier one's result (a rotation with a stale
//!   `If-Match` is then a conflict), and [`Transaction::save_credential`] is still a
//!   compare-and-set on the version as a backstop;
//! - an audit append locks the issuer's row in `audit_heads` until its transaction ends, so the
//!   chain stays one line whichever replica writes; `(issuer, seq)` is unique as a backstop;
//! - a transaction that looks up an idempotency key first takes a transaction-scoped advisory
//!   lock on it, so a retry that lands on another replica waits for the first attempt and then
//!   replays its response;
//! - the time-driven sweeps are leased (see [`lease`]): one replica at a time is handed due work.
//!
//! [`Transaction::save_credential`]: super::Transaction::save_credential

mod lease;
mod rows;
mod transaction;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use credential_issuer_spec::{AuditEvent, CredentialId, Timestamp};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, QueryBuilder};

use self::lease::Lease;
use self::rows::{
    ACCESS_REQUEST_COLUMNS, CREDENTIAL_COLUMNS, VERSION_COLUMNS, access_request_from_row,
    credential_id, credentials_from_joined, from_json, get, query_error, to_json, token_from_row,
};
use self::transaction::PostgresTransaction;
use super::{
    AccessRequestRecord, AuditQuery, CredentialFilter, CredentialRecord, Store, StoreError,
    Transaction,
};
use crate::tokens::TokenRecord;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long `ping` waits for an answer before the store counts as unreachable.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Connection pool and session settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections this replica opens.
    pub max_connections: u32,
    /// How long a request waits for a free connection (or a new one) before it fails.
    pub acquire_timeout: Duration,
    /// The longest a statement may run, lock waits included (`statement_timeout`).
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    sweep: Lease,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://...`) and applies the embedded
    /// migrations (under an advisory lock, so that replicas starting together do not race).
    pub async fn open(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        let millis = settings.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)
            .map_err(|_| StoreError::Corrupt("the database URL is not a PostgreSQL URL".into()))?
            .application_name("credential-issuer")
            .options([
                ("statement_timeout", millis.as_str()),
                // A transaction left open by a stalled replica must not hold the audit head.
                ("idle_in_transaction_session_timeout", millis.as_str()),
            ]);
        // One connection first, so that a server that cannot connect says why (the pool would
        // only say that it timed out).
        let first = PgConnection::connect_with(&options)
            .await
            .map_err(query_error)?;
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(query_error)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        Ok(Self {
            sweep: Lease::new("sweep"),
            pool,
        })
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        let tx = self.pool.begin().await.map_err(query_error)?;
        Ok(Box::new(PostgresTransaction::new(tx)))
    }

    async fn credential(
        &self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        // One statement: the credential and its versions from one snapshot.
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS}, {VERSION_COLUMNS} FROM credentials c
               JOIN versions v ON v.issuer = c.issuer AND v.credential_id = c.id
              WHERE c.issuer = $1 AND c.id = $2 ORDER BY v.version"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(issuer)
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(query_error)?;
        Ok(credentials_from_joined(&rows)?.pop())
    }

    async fn credentials(
        &self,
        issuer: &str,
        filter: &CredentialFilter,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let now = filter.now.unwrap_or_else(Timestamp::now).unix_millis();
        let mut query = QueryBuilder::<Postgres>::new(format!(
            "SELECT {CREDENTIAL_COLUMNS}, {VERSION_COLUMNS} FROM credentials c
               JOIN versions v ON v.issuer = c.issuer AND v.credential_id = c.id
              WHERE c.issuer = "
        ));
        query.push_bind(issuer);
        query.push(" AND c.id IN (SELECT id FROM credentials WHERE issuer = ");
        query.push_bind(issuer);
        if let Some(status) = filter.status {
            query.push(
                " AND (CASE WHEN status = 'active' AND expires_at IS NOT NULL AND expires_at <= ",
            );
            query.push_bind(now);
            query.push(" THEN 'expired' ELSE status END) = ");
            query.push_bind(status.as_str());
        }
        if let Some(credential_type) = &filter.credential_type {
            query
                .push(" AND type = ")
                .push_bind(credential_type.to_string());
        }
        for (key, value) in &filter.metadata {
            query.push(" AND metadata ->> ");
            query.push_bind(key.clone());
            query.push(" = ").push_bind(value.clone());
        }
        if let Some(after) = &filter.after {
            query
                .push(" AND id > ")
                .push_bind(after.as_str().to_owned());
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(filter.limit));
        query.push(") ORDER BY c.id, v.version");
        let rows = query
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(query_error)?;
        credentials_from_joined(&rows)
    }

    async fn credential_by_secret_mac(
        &self,
        mac: &[u8],
    ) -> Result<Option<(CredentialRecord, u32)>, StoreError> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS}, {VERSION_COLUMNS}, m.version AS matched
               FROM versions m
               JOIN credentials c ON c.issuer = m.issuer AND c.id = m.credential_id
               JOIN versions v ON v.issuer = c.issuer AND v.credential_id = c.id
              WHERE m.secret_mac = $1 ORDER BY v.version"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(mac)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let matched = rows::number(get(first, "matched")?, "version")?;
        Ok(credentials_from_joined(&rows)?
            .pop()
            .map(|record| (record, matched)))
    }

    async fn audit_events(
        &self,
        issuer: &str,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let after = i64::try_from(query.after_seq).unwrap_or(i64::MAX);
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT event FROM audit_events
              WHERE issuer = $1 AND ($2::text IS NULL OR credential_id = $2) AND seq > $3
              ORDER BY seq LIMIT $4",
        )
        .bind(issuer)
        .bind(
            query
                .credential_id
                .as_ref()
                .map(|id| id.as_str().to_owned()),
        )
        .bind(after)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error)?;
        rows.iter()
            .map(|text| from_json(text, "audit event"))
            .collect()
    }

    async fn audit_head(&self, issuer: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT seq, hash FROM audit_events WHERE issuer = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(issuer)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error)?;
        row.map(|row| {
            let seq: i64 = get(&row, "seq")?;
            Ok((
                u64::try_from(seq).map_err(|_| rows::corrupt("seq"))?,
                get(&row, "hash")?,
            ))
        })
        .transpose()
    }

    async fn access_request(
        &self,
        issuer: &str,
        id: &str,
    ) -> Result<Option<AccessRequestRecord>, StoreError> {
        let sql = format!(
            "SELECT {ACCESS_REQUEST_COLUMNS} FROM access_requests WHERE issuer = $1 AND id = $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(issuer)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error)?;
        row.as_ref().map(access_request_from_row).transpose()
    }

    async fn access_requests(
        &self,
        issuer: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AccessRequestRecord>, StoreError> {
        let sql = format!(
            "SELECT {ACCESS_REQUEST_COLUMNS} FROM access_requests
              WHERE issuer = $1 AND ($2::text IS NULL OR status = $2)
                AND ($3::text IS NULL OR id > $3) ORDER BY id LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(issuer)
            .bind(status)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(query_error)?;
        rows.iter().map(access_request_from_row).collect()
    }

    async fn due_request_expiries(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        if !self.sweep.hold(&self.pool).await? {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT issuer, id FROM access_requests
              WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error)?;
        rows.iter()
            .map(|row| Ok((get(row, "issuer")?, get(row, "id")?)))
            .collect()
    }

    async fn due_for_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError> {
        if !self.sweep.hold(&self.pool).await? {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT issuer, credential_id AS id FROM versions
               WHERE status = 'previous' AND expires_at IS NOT NULL AND expires_at <= $1
             UNION
             SELECT issuer, id FROM credentials
               WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= $1
             LIMIT $2",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error)?;
        issuers_and_ids(&rows)
    }

    async fn due_vendor_retirements(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError> {
        // Work for the replica that holds the sweep lease; a retirement is idempotent at the
        // vendor and recorded with a compare-and-set, so a lapsed holder does no harm.
        if !self.sweep.hold(&self.pool).await? {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT DISTINCT issuer, credential_id AS id FROM versions
               WHERE vendor_key IS NOT NULL AND vendor_retired_at IS NULL
                 AND status IN ('revoked', 'expired')
                 AND (vendor_retry_at IS NULL OR vendor_retry_at <= $1)
             LIMIT $2",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error)?;
        issuers_and_ids(&rows)
    }

    async fn defer_vendor_retirement(
        &self,
        issuer: &str,
        id: &CredentialId,
        version: u32,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE versions SET vendor_retry_at = $1
              WHERE issuer = $2 AND credential_id = $3 AND version = $4",
        )
        .bind(until.unix_millis())
        .bind(issuer)
        .bind(id.as_str())
        .bind(i64::from(version))
        .execute(&self.pool)
        .await
        .map_err(query_error)?;
        Ok(())
    }

    async fn purge_stored_responses(&self, before: Timestamp) -> Result<u64, StoreError> {
        // Idempotent: replicas purging at once delete each row once between them.
        let done = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
            .bind(before.unix_millis())
            .execute(&self.pool)
            .await
            .map_err(query_error)?;
        Ok(done.rows_affected())
    }

    async fn token_by_mac(&self, mac: &[u8]) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, token_mac, label, scopes::text AS scopes, authority::text AS authority,
                    created_at
               FROM tokens WHERE token_mac = $1",
        )
        .bind(mac)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let authority = token.authority.as_ref().map(to_json).transpose()?;
        sqlx::query(
            "INSERT INTO tokens (id, token_mac, label, scopes, authority, created_at)
             VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)",
        )
        .bind(&token.id)
        .bind(&token.mac[..])
        .bind(&token.label)
        .bind(to_json(&scopes)?)
        .bind(authority)
        .bind(token.created_at.unix_millis())
        .execute(&self.pool)
        .await
        .map_err(query_error)?;
        Ok(())
    }

    async fn put_vendor_credential(
        &self,
        issuer: &str,
        name: &str,
        jwe: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO vendor_credentials (issuer, name, jwe, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (issuer, name) DO UPDATE
               SET jwe = excluded.jwe, updated_at = excluded.updated_at",
        )
        .bind(issuer)
        .bind(name)
        .bind(jwe)
        .bind(Timestamp::now().unix_millis())
        .execute(&self.pool)
        .await
        .map_err(query_error)?;
        Ok(())
    }

    async fn vendor_credential(
        &self,
        issuer: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT jwe FROM vendor_credentials WHERE issuer = $1 AND name = $2")
            .bind(issuer)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error)
    }

    async fn vendor_credential_names(&self, issuer: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM vendor_credentials WHERE issuer = $1 ORDER BY name")
            .bind(issuer)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error)
    }

    async fn agree_key_check(&self, check: &str) -> Result<bool, StoreError> {
        // Replicas starting at once on an empty database: the first insert wins, the others
        // compare against it.
        sqlx::query(
            "INSERT INTO server_meta (name, value) VALUES ('key_check', $1)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(check)
        .execute(&self.pool)
        .await
        .map_err(query_error)?;
        let recorded: String =
            sqlx::query_scalar("SELECT value FROM server_meta WHERE name = 'key_check'")
                .fetch_one(&self.pool)
                .await
                .map_err(query_error)?;
        Ok(recorded == check)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let answer =
            tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(&self.pool));
        match answer.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(query_error(error)),
            Err(elapsed) => Err(StoreError::Backend(Box::new(elapsed))),
        }
    }
}

/// `(issuer, id)` pairs from rows with those two columns (the due-work queries).
fn issuers_and_ids(
    rows: &[sqlx::postgres::PgRow],
) -> Result<Vec<(String, CredentialId)>, StoreError> {
    rows.iter()
        .map(|row| {
            Ok((
                get(row, "issuer")?,
                credential_id(&get::<String>(row, "id")?)?,
            ))
        })
        .collect()
}
