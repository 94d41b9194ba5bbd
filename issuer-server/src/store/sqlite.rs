//! The SQLite store: the embedded default. One file in the data directory, WAL journal,
//! `synchronous = FULL` so that an acknowledged write survives a crash, and one writer at a
//! time (SQLite allows no more), serialised in-process so writers queue instead of failing.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use credential_issuer_spec::{
    ApiScope, AuditEvent, Credential, CredentialId, CredentialName, CredentialStatus,
    CredentialType, Grant, Metadata, Timestamp, Version, VersionStatus,
};
use serde::de::DeserializeOwned;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::{
    AccessRequestRecord, AuditEntry, AuditQuery, CredentialFilter, CredentialRecord,
    ExposureRecord, IdempotencyKey, Store, StoreError, StoredOutcome, StoredResponse, Transaction,
    VersionRecord,
};
use crate::backends::VendorKey;
use crate::tokens::TokenRecord;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "issuer.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// sqlx cannot lock an SQLite database while it migrates it, so stores opened at once in this
/// process take turns (found by the store contract's concurrent-open case).
static MIGRATING: Mutex<()> = Mutex::const_new(());

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: Arc<Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies the embedded migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(backend)?;
        {
            let _turn = MIGRATING.lock().await;
            MIGRATOR.run(&pool).await.map_err(backend)?;
        }
        Ok(Self {
            pool,
            writer: Arc::new(Mutex::new(())),
        })
    }
}

fn backend(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(error))
}

fn query_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => backend(error),
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn wire_enum<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| corrupt(what))
}

fn millis(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::unix_millis)
}

fn instant(value: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_millis(value).ok_or_else(|| corrupt("timestamp"))
}

fn optional_instant(value: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    value.map(instant).transpose()
}

fn get<'r, T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>>(
    row: &'r SqliteRow,
    column: &str,
) -> Result<T, StoreError> {
    row.try_get(column).map_err(backend)
}

fn credential_from_rows(
    row: &SqliteRow,
    version_rows: &[SqliteRow],
) -> Result<CredentialRecord, StoreError> {
    let mut versions = Vec::with_capacity(version_rows.len());
    let mut records = Vec::with_capacity(version_rows.len());
    for v in version_rows {
        let number: i64 = get(v, "version")?;
        let number = u32::try_from(number).map_err(|_| corrupt("version"))?;
        let vendor_key = get::<Option<String>>(v, "vendor_key")?
            .map(|text| from_json::<VendorKey>(&text, "vendor key"))
            .transpose()?;
        versions.push(Version {
            version: number,
            status: wire_enum::<VersionStatus>(&get::<String>(v, "status")?, "version status")?,
            secret_hint: get(v, "secret_hint")?,
            key_id: vendor_key.as_ref().map(|key| key.id.clone()),
            created_at: instant(get(v, "created_at")?)?,
            expires_at: optional_instant(get(v, "expires_at")?)?,
            revoked_at: optional_instant(get(v, "revoked_at")?)?,
        });
        let mac: Vec<u8> = get(v, "secret_mac")?;
        records.push(VersionRecord {
            version: number,
            scope: from_json(&get::<String>(v, "scope")?, "version scope")?,
            secret_mac: <[u8; 32]>::try_from(mac).map_err(|_| corrupt("secret mac"))?,
            fingerprint: get(v, "fingerprint")?,
            vendor_key,
            vendor_retired_at: optional_instant(get(v, "vendor_retired_at")?)?,
        });
    }
    let current: i64 = get(row, "current_version")?;
    let credential = Credential {
        id: CredentialId::from_str(&get::<String>(row, "id")?).map_err(|_| corrupt("id"))?,
        credential_type: CredentialType::from(get::<String>(row, "type")?.as_str()),
        name: CredentialName::from_str(&get::<String>(row, "name")?)
            .map_err(|_| corrupt("name"))?,
        status: wire_enum::<CredentialStatus>(&get::<String>(row, "status")?, "status")?,
        scope: from_json::<Vec<Grant>>(&get::<String>(row, "scope")?, "scope")?,
        metadata: from_json::<Metadata>(&get::<String>(row, "metadata")?, "metadata")?,
        created_at: instant(get(row, "created_at")?)?,
        expires_at: optional_instant(get(row, "expires_at")?)?,
        revoked_at: optional_instant(get(row, "revoked_at")?)?,
        current_version: u32::try_from(current).map_err(|_| corrupt("current_version"))?,
        versions,
    };
    Ok(CredentialRecord {
        issuer: get(row, "issuer")?,
        credential,
        versions: records,
    })
}

async fn load_credential(
    conn: &mut sqlx::SqliteConnection,
    issuer: &str,
    id: &str,
) -> Result<Option<CredentialRecord>, StoreError> {
    let Some(row) = sqlx::query("SELECT * FROM credentials WHERE issuer = ? AND id = ?")
        .bind(issuer)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?
    else {
        return Ok(None);
    };
    let versions = sqlx::query(
        "SELECT * FROM versions WHERE issuer = ? AND credential_id = ? ORDER BY version",
    )
    .bind(issuer)
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    credential_from_rows(&row, &versions).map(Some)
}

fn access_request_from_row(row: &SqliteRow) -> Result<AccessRequestRecord, StoreError> {
    Ok(AccessRequestRecord {
        issuer: get(row, "issuer")?,
        request: from_json(&get::<String>(row, "request")?, "access request")?,
        requester_token: get(row, "requester_token")?,
        sealed_secret: get(row, "sealed_secret")?,
    })
}

fn token_from_row(row: &SqliteRow) -> Result<TokenRecord, StoreError> {
    let mac: Vec<u8> = get(row, "token_mac")?;
    let scopes: Vec<String> = from_json(&get::<String>(row, "scopes")?, "token scopes")?;
    let authority: Option<String> = get(row, "authority")?;
    Ok(TokenRecord {
        id: get(row, "id")?,
        mac: <[u8; 32]>::try_from(mac).map_err(|_| corrupt("token mac"))?,
        label: get(row, "label")?,
        scopes: scopes
            .iter()
            .map(|s| ApiScope::from_str(s).map_err(|_| corrupt("token scope")))
            .collect::<Result<_, _>>()?,
        authority: authority
            .map(|a| from_json(&a, "token authority"))
            .transpose()?,
        created_at: instant(get(row, "created_at")?)?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        let guard = self.writer.clone().lock_owned().await;
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        Ok(Box::new(SqliteTransaction { tx, _writer: guard }))
    }

    async fn credential(
        &self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(backend)?;
        let record = load_credential(&mut tx, issuer, id.as_str()).await;
        tx.rollback().await.map_err(backend)?;
        record
    }

    async fn credentials(
        &self,
        issuer: &str,
        filter: &CredentialFilter,
    ) -> Result<Vec<CredentialRecord>, StoreError> {
        let now = filter.now.unwrap_or_else(Timestamp::now).unix_millis();
        let mut query = QueryBuilder::<Sqlite>::new("SELECT id FROM credentials WHERE issuer = ");
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
            query.push(" AND json_extract(metadata, ");
            query.push_bind(format!("$.\"{key}\""));
            query.push(") = ").push_bind(value.clone());
        }
        if let Some(after) = &filter.after {
            query
                .push(" AND id > ")
                .push_bind(after.as_str().to_owned());
        }
        query
            .push(" ORDER BY id LIMIT ")
            .push_bind(i64::from(filter.limit));
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(backend)?;
        let ids: Vec<String> = query
            .build_query_scalar()
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = load_credential(&mut tx, issuer, &id).await? {
                records.push(record);
            }
        }
        tx.rollback().await.map_err(backend)?;
        Ok(records)
    }

    async fn credential_by_secret_mac(
        &self,
        mac: &[u8],
    ) -> Result<Option<(CredentialRecord, u32)>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(backend)?;
        let Some(row) =
            sqlx::query("SELECT issuer, credential_id, version FROM versions WHERE secret_mac = ?")
                .bind(mac)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
        else {
            return Ok(None);
        };
        let issuer: String = get(&row, "issuer")?;
        let id: String = get(&row, "credential_id")?;
        let version: i64 = get(&row, "version")?;
        let record = load_credential(&mut tx, &issuer, &id).await?;
        tx.rollback().await.map_err(backend)?;
        let version = u32::try_from(version).map_err(|_| corrupt("version"))?;
        Ok(record.map(|r| (r, version)))
    }

    async fn audit_events(
        &self,
        issuer: &str,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let after = i64::try_from(query.after_seq).unwrap_or(i64::MAX);
        let rows: Vec<String> = match &query.credential_id {
            Some(id) => sqlx::query_scalar(
                "SELECT event FROM audit_events WHERE issuer = ? AND credential_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            )
            .bind(issuer)
            .bind(id.as_str())
            .bind(after)
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await,
            None => sqlx::query_scalar(
                "SELECT event FROM audit_events WHERE issuer = ? AND seq > ? ORDER BY seq LIMIT ?",
            )
            .bind(issuer)
            .bind(after)
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await,
        }
        .map_err(backend)?;
        rows.iter()
            .map(|text| from_json(text, "audit event"))
            .collect()
    }

    async fn audit_head(&self, issuer: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT seq, hash FROM audit_events WHERE issuer = ? ORDER BY seq DESC LIMIT 1",
        )
        .bind(issuer)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| {
            let seq: i64 = get(&row, "seq")?;
            Ok((
                u64::try_from(seq).map_err(|_| corrupt("seq"))?,
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
        let row = sqlx::query("SELECT * FROM access_requests WHERE issuer = ? AND id = ?")
            .bind(issuer)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(access_request_from_row).transpose()
    }

    async fn access_requests(
        &self,
        issuer: &str,
        status: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AccessRequestRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM access_requests WHERE issuer = ?1 AND (?2 IS NULL OR status = ?2)
               AND (?3 IS NULL OR id > ?3) ORDER BY id LIMIT ?4",
        )
        .bind(issuer)
        .bind(status)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(access_request_from_row).collect()
    }

    async fn due_request_expiries(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT issuer, id FROM access_requests WHERE status = 'pending' AND expires_at <= ? LIMIT ?",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| Ok((get(row, "issuer")?, get(row, "id")?)))
            .collect()
    }

    async fn due_for_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError> {
        let rows = sqlx::query(
            "SELECT issuer, credential_id AS id FROM versions
               WHERE status = 'previous' AND expires_at IS NOT NULL AND expires_at <= ?1
             UNION
             SELECT issuer, id FROM credentials
               WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= ?1
             LIMIT ?2",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        issuers_and_ids(&rows)
    }

    async fn due_vendor_retirements(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT issuer, credential_id AS id FROM versions
               WHERE vendor_key IS NOT NULL AND vendor_retired_at IS NULL
                 AND status IN ('revoked', 'expired')
                 AND (vendor_retry_at IS NULL OR vendor_retry_at <= ?)
             LIMIT ?",
        )
        .bind(now.unix_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        issuers_and_ids(&rows)
    }

    async fn defer_vendor_retirement(
        &self,
        issuer: &str,
        id: &CredentialId,
        version: u32,
        until: Timestamp,
    ) -> Result<(), StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query(
            "UPDATE versions SET vendor_retry_at = ?
              WHERE issuer = ? AND credential_id = ? AND version = ?",
        )
        .bind(until.unix_millis())
        .bind(issuer)
        .bind(id.as_str())
        .bind(i64::from(version))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn purge_stored_responses(&self, before: Timestamp) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().await;
        let done = sqlx::query("DELETE FROM idempotency WHERE created_at < ?")
            .bind(before.unix_millis())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn token_by_mac(&self, mac: &[u8]) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM tokens WHERE token_mac = ?")
            .bind(mac)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError> {
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let authority = token.authority.as_ref().map(to_json).transpose()?;
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO tokens (id, token_mac, label, scopes, authority, created_at) VALUES (?, ?, ?, ?, ?, ?)",
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
        let _writer = self.writer.lock().await;
        sqlx::query(
            "INSERT INTO vendor_credentials (issuer, name, jwe, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (issuer, name) DO UPDATE SET jwe = excluded.jwe, updated_at = excluded.updated_at",
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
        sqlx::query_scalar("SELECT jwe FROM vendor_credentials WHERE issuer = ? AND name = ?")
            .bind(issuer)
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    async fn vendor_credential_names(&self, issuer: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM vendor_credentials WHERE issuer = ? ORDER BY name")
            .bind(issuer)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
    }

    async fn agree_key_check(&self, check: &str) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().await;
        sqlx::query("INSERT INTO server_meta (name, value) VALUES ('key_check', ?) ON CONFLICT (name) DO NOTHING")
            .bind(check)
            .execute(&self.pool)
            .await
            .map_err(query_error)?;
        let recorded: String =
            sqlx::query_scalar("SELECT value FROM server_meta WHERE name = 'key_check'")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        Ok(recorded == check)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// A write transaction holding the store's writer lock.
struct SqliteTransaction {
    tx: sqlx::Transaction<'static, Sqlite>,
    _writer: OwnedMutexGuard<()>,
}

impl SqliteTransaction {
    async fn upsert_versions(&mut self, record: &CredentialRecord) -> Result<(), StoreError> {
        for (wire, server) in record.credential.versions.iter().zip(&record.versions) {
            if wire.version != server.version {
                return Err(corrupt("versions out of order"));
            }
            sqlx::query(
                "INSERT INTO versions (issuer, credential_id, version, status, secret_hint, scope,
                                       created_at, expires_at, revoked_at, secret_mac, fingerprint,
                                       vendor_key, vendor_retired_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (issuer, credential_id, version) DO UPDATE SET
                   status = excluded.status, scope = excluded.scope, expires_at = excluded.expires_at,
                   revoked_at = excluded.revoked_at, vendor_retired_at = excluded.vendor_retired_at",
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
impl Transaction for SqliteTransaction {
    async fn credential(
        &mut self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError> {
        load_credential(&mut self.tx, issuer, id.as_str()).await
    }

    async fn version_by_fingerprint(
        &mut self,
        issuer: &str,
        fingerprint: &str,
    ) -> Result<Option<(CredentialId, u32)>, StoreError> {
        let row = sqlx::query(
            "SELECT credential_id, version FROM versions WHERE issuer = ? AND fingerprint = ?",
        )
        .bind(issuer)
        .bind(fingerprint)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(backend)?;
        row.map(|row| {
            let id: String = get(&row, "credential_id")?;
            let version: i64 = get(&row, "version")?;
            Ok((
                CredentialId::from_str(&id).map_err(|_| corrupt("id"))?,
                u32::try_from(version).map_err(|_| corrupt("version"))?,
            ))
        })
        .transpose()
    }

    async fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), StoreError> {
        let c = &record.credential;
        sqlx::query(
            "INSERT INTO credentials (issuer, id, type, name, status, scope, metadata, created_at,
                                      expires_at, revoked_at, current_version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            "UPDATE credentials SET status = ?, scope = ?, expires_at = ?, revoked_at = ?,
                                    current_version = ?
             WHERE issuer = ? AND id = ? AND current_version = ?",
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
        .map_err(backend)?;
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
        let last = sqlx::query(
            "SELECT seq, hash, json_extract(event, '$.time') AS time FROM audit_events
              WHERE issuer = ? ORDER BY seq DESC LIMIT 1",
        )
        .bind(issuer)
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(backend)?;
        let (seq, prev_hash, previous_time) = match last {
            Some(row) => {
                let seq: i64 = get(&row, "seq")?;
                let time: String = get(&row, "time")?;
                (
                    u64::try_from(seq).map_err(|_| corrupt("seq"))? + 1,
                    get::<String>(&row, "hash")?,
                    Some(wire_enum::<Timestamp>(&time, "event time")?),
                )
            }
            None => (1, credential_issuer_spec::GENESIS_HASH.to_owned(), None),
        };
        // REQ-AUD-8: never earlier than the event before.
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
            prev_hash,
            hash: String::new(),
        };
        event.hash = event
            .compute_hash()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO audit_events (issuer, seq, event, hash, credential_id) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(issuer)
        .bind(i64::try_from(seq).map_err(|_| corrupt("seq"))?)
        .bind(to_json(&event)?)
        .bind(&event.hash)
        .bind(event.credential_id.as_ref().map(|id| id.as_str().to_owned()))
        .execute(&mut *self.tx)
        .await
        .map_err(query_error)?;
        Ok(event)
    }

    async fn stored_response(
        &mut self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let row =
            sqlx::query("SELECT * FROM idempotency WHERE issuer = ? AND principal = ? AND key = ?")
                .bind(&key.issuer)
                .bind(&key.principal)
                .bind(&key.key)
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(backend)?;
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
            "DELETE FROM idempotency WHERE issuer = ? AND principal = ? AND key = ? AND status = 0",
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
            "INSERT OR REPLACE INTO idempotency (issuer, principal, key, operation, request_hash, status, sealed_body, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
        let row = sqlx::query("SELECT * FROM access_requests WHERE issuer = ? AND id = ?")
            .bind(issuer)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(backend)?;
        row.as_ref().map(access_request_from_row).transpose()
    }

    async fn insert_access_request(
        &mut self,
        record: &AccessRequestRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_requests (issuer, id, status, request, requester_token, expires_at, sealed_secret)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
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
            "UPDATE access_requests SET status = ?, request = ?, sealed_secret = ?
             WHERE issuer = ? AND id = ? AND status = ?",
        )
        .bind(record.request.status.as_str())
        .bind(to_json(&record.request)?)
        .bind(&record.sealed_secret)
        .bind(&record.issuer)
        .bind(record.request.id.as_str())
        .bind(expected_status)
        .execute(&mut *self.tx)
        .await
        .map_err(backend)?;
        if updated.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    async fn insert_exposure(&mut self, exposure: &ExposureRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO exposures (issuer, id, reported_at, actor, source, action, results)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        self.tx.commit().await.map_err(backend)
    }
}

/// `(issuer, id)` pairs from rows with those two columns (the due-work queries).
fn issuers_and_ids(rows: &[SqliteRow]) -> Result<Vec<(String, CredentialId)>, StoreError> {
    rows.iter()
        .map(|row| {
            Ok((
                get(row, "issuer")?,
                CredentialId::from_str(&get::<String>(row, "id")?).map_err(|_| corrupt("id"))?,
            ))
        })
        .collect()
}
