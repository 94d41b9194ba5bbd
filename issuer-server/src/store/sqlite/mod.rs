//! The SQLite store: the embedded default. One file in the data directory, WAL journal,
//! `synchronous = FULL` so that an acknowledged write survives a crash, and one writer at a
//! time (SQLite allows no more), serialised in-process so writers queue instead of failing.
//!
//! Everything but opening the file, the writer's turn and the audit append is the shared
//! [`SqlStore`].

mod audit;
mod dialect;
mod open;

use std::sync::Arc;

use tokio::sync::Mutex;

use super::sql::SqlStore;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "issuer.db";

/// The SQLite store.
pub type SqliteStore = SqlStore<SqliteDialect>;

/// SQLite, with the lock its one writer at a time takes.
#[derive(Debug, Clone, Default)]
pub struct SqliteDialect {
    writer: Arc<Mutex<()>>,
}
