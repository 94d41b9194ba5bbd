//! How the shared SQL runs on SQLite.

use async_trait::async_trait;
use credential_issuer_spec::{AuditEvent, Timestamp};
use sqlx::sqlite::SqliteConnection;
use sqlx::{Pool, Sqlite};
use tokio::sync::OwnedMutexGuard;

use super::SqliteDialect;
use crate::model::{AuditEntry, IdempotencyKey};
use crate::store::StoreError;
use crate::store::sql::{Dialect, Record, SqlTransaction, Statement, query_error};

#[async_trait]
impl Dialect for SqliteDialect {
    type Database = Sqlite;

    /// None needed: a transaction holds the only writer's turn from its start.
    const FOR_UPDATE: &'static str = "";

    fn push_json_field_equals(statement: &mut Statement, column: &str, key: &str, value: &str) {
        statement.push(&format!("json_extract({column}, "));
        statement.push_bind(format!("$.\"{key}\""));
        statement.push(") = ").push_bind(value);
    }

    async fn execute(conn: &mut SqliteConnection, statement: Statement) -> Result<u64, StoreError> {
        let done = statement
            .query::<Sqlite>()
            .execute(conn)
            .await
            .map_err(query_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch_all<R: Record>(
        conn: &mut SqliteConnection,
        statement: Statement,
    ) -> Result<Vec<R>, StoreError> {
        statement
            .query_as()
            .fetch_all(conn)
            .await
            .map_err(query_error)
    }

    async fn fetch_optional<R: Record>(
        conn: &mut SqliteConnection,
        statement: Statement,
    ) -> Result<Option<R>, StoreError> {
        statement
            .query_as()
            .fetch_optional(conn)
            .await
            .map_err(query_error)
    }

    async fn begin(&self, pool: &Pool<Sqlite>) -> Result<SqlTransaction<Self>, StoreError> {
        let turn = self.writer.clone().lock_owned().await;
        let tx = pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_error)?;
        Ok(SqlTransaction::new(tx, Some(turn)))
    }

    async fn write_turn(&self) -> Option<OwnedMutexGuard<()>> {
        Some(self.writer.clone().lock_owned().await)
    }

    /// Always: an SQLite file has one server.
    async fn takes_due_work(&self, _: &Pool<Sqlite>, _: Timestamp) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// Nothing to do: a transaction holds the only writer's turn from its start.
    async fn lock_idempotency_key(
        _: &mut SqliteConnection,
        _: &IdempotencyKey,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn append_audit(
        conn: &mut SqliteConnection,
        issuer: &str,
        entry: AuditEntry,
    ) -> Result<AuditEvent, StoreError> {
        super::audit::append(conn, issuer, entry).await
    }

    async fn ping(&self, pool: &Pool<Sqlite>) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map_err(query_error)?;
        Ok(())
    }
}
