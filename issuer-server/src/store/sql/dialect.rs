//! What differs between the SQL databases the store runs on: how statements are run and bound,
//! how records read to be changed are locked, how writers and replicas take turns, and how an
//! audit event is linked to the one before it.

use async_trait::async_trait;
use credential_issuer_spec::{AuditEvent, Timestamp};
use sqlx::Pool;
use tokio::sync::OwnedMutexGuard;

use super::rows::Record;
use super::statement::Statement;
use super::transaction::SqlTransaction;
use crate::model::{AuditEntry, IdempotencyKey};
use crate::store::StoreError;

/// A connection of dialect `D`.
pub(crate) type Connection<D> = <<D as Dialect>::Database as sqlx::Database>::Connection;

/// One SQL database the store runs on, with the state its differences need (SQLite's writer
/// lock, PostgreSQL's sweep lease).
#[async_trait]
pub trait Dialect: std::fmt::Debug + Send + Sync + Sized + 'static {
    /// The sqlx driver.
    type Database: sqlx::Database;

    /// Appended to a `SELECT` of a record a transaction reads to change it: locks the record
    /// until the transaction ends where other writers could change it meanwhile.
    const FOR_UPDATE: &'static str;

    /// Appends a condition to `statement`: the text field `key` of the JSON object in `column`
    /// is `value`.
    fn push_json_field_equals(statement: &mut Statement, column: &str, key: &str, value: &str);

    /// Runs a statement; how many rows it changed.
    async fn execute(conn: &mut Connection<Self>, statement: Statement) -> Result<u64, StoreError>;

    /// Runs a query; its rows.
    async fn fetch_all<R: Record>(
        conn: &mut Connection<Self>,
        statement: Statement,
    ) -> Result<Vec<R>, StoreError>;

    /// Runs a query; its first row, if any.
    async fn fetch_optional<R: Record>(
        conn: &mut Connection<Self>,
        statement: Statement,
    ) -> Result<Option<R>, StoreError>;

    /// Starts a write transaction.
    async fn begin(&self, pool: &Pool<Self::Database>) -> Result<SqlTransaction<Self>, StoreError>;

    /// Held while a write runs outside a transaction, where the database allows one writer at
    /// a time (`None` where it serialises writers itself).
    async fn write_turn(&self) -> Option<OwnedMutexGuard<()>>;

    /// Whether this server is to do the time-driven work due at `now` (on a database shared by
    /// replicas, only one of them at a time is).
    async fn takes_due_work(
        &self,
        pool: &Pool<Self::Database>,
        now: Timestamp,
    ) -> Result<bool, StoreError>;

    /// Makes another transaction that looks up `key` wait until this one ends.
    async fn lock_idempotency_key(
        conn: &mut Connection<Self>,
        key: &IdempotencyKey,
    ) -> Result<(), StoreError>;

    /// Numbers `entry` after the newest event of `issuer`'s log, links it to that event (by
    /// hash, never earlier in time) and appends it.
    async fn append_audit(
        conn: &mut Connection<Self>,
        issuer: &str,
        entry: AuditEntry,
    ) -> Result<AuditEvent, StoreError>;

    /// Whether the database answers.
    async fn ping(&self, pool: &Pool<Self::Database>) -> Result<(), StoreError>;
}
