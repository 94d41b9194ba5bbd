//! How the shared SQL runs on PostgreSQL, where several replicas may write at once.

use async_trait::async_trait;
use credential_issuer_spec::{AuditEvent, Timestamp};
use sqlx::postgres::PgConnection;
use sqlx::{Pool, Postgres};
use tokio::sync::OwnedMutexGuard;

use super::{PING_TIMEOUT, PostgresDialect};
use crate::model::{AuditEntry, IdempotencyKey};
use crate::store::StoreError;
use crate::store::sql::{Dialect, Record, SqlTransaction, Statement, query_error};

#[async_trait]
impl Dialect for PostgresDialect {
    type Database = Postgres;

    const FOR_UPDATE: &'static str = " FOR UPDATE";

    fn push_json_field_equals(statement: &mut Statement, column: &str, key: &str, value: &str) {
        statement.push(&format!("{column} ->> "));
        statement.push_bind(key);
        statement.push(" = ").push_bind(value);
    }

    async fn execute(conn: &mut PgConnection, statement: Statement) -> Result<u64, StoreError> {
        let done = statement
            .query::<Postgres>()
            .execute(conn)
            .await
            .map_err(query_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch_all<R: Record>(
        conn: &mut PgConnection,
        statement: Statement,
    ) -> Result<Vec<R>, StoreError> {
        statement
            .query_as()
            .fetch_all(conn)
            .await
            .map_err(query_error)
    }

    async fn fetch_optional<R: Record>(
        conn: &mut PgConnection,
        statement: Statement,
    ) -> Result<Option<R>, StoreError> {
        statement
            .query_as()
            .fetch_optional(conn)
            .await
            .map_err(query_error)
    }

    /// `READ COMMITTED`, with row locks where records are read to be changed.
    async fn begin(&self, pool: &Pool<Postgres>) -> Result<SqlTransaction<Self>, StoreError> {
        let tx = pool.begin().await.map_err(query_error)?;
        Ok(SqlTransaction::new(tx, None))
    }

    /// None: PostgreSQL serialises writers itself.
    async fn write_turn(&self) -> Option<OwnedMutexGuard<()>> {
        None
    }

    /// Whether this replica holds the sweep lease (taking or renewing it).
    async fn takes_due_work(
        &self,
        pool: &Pool<Postgres>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.sweep.hold(pool, now).await
    }

    /// Requests with one key serialise, on whichever replica they land: the later one waits
    /// here until the first commits (then finds its response) or rolls back.
    async fn lock_idempotency_key(
        conn: &mut PgConnection,
        key: &IdempotencyKey,
    ) -> Result<(), StoreError> {
        let statement = Statement::new(
            "SELECT pg_advisory_xact_lock(hashtextextended(to_json(ARRAY[$1, $2, $3])::text, 0))",
        )
        .bind(&key.issuer)
        .bind(&key.principal)
        .bind(&key.key);
        Self::execute(conn, statement).await?;
        Ok(())
    }

    async fn append_audit(
        conn: &mut PgConnection,
        issuer: &str,
        entry: AuditEntry,
    ) -> Result<AuditEvent, StoreError> {
        super::audit::append(conn, issuer, entry).await
    }

    async fn ping(&self, pool: &Pool<Postgres>) -> Result<(), StoreError> {
        let answer = tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(pool));
        match answer.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(query_error(error)),
            Err(elapsed) => Err(StoreError::Backend(Box::new(elapsed))),
        }
    }
}
