//! Opening (creating if need be) an SQLite database file.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::Mutex;

use super::{SqliteDialect, SqliteStore};
use crate::store::StoreError;
use crate::store::sql::{SqlStore, query_error};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// sqlx cannot lock an SQLite database while it migrates it, so stores opened at once in this
/// process take turns (found by the store contract's concurrent-open case).
static MIGRATING: Mutex<()> = Mutex::const_new(());

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
            .map_err(query_error)?;
        {
            let _turn = MIGRATING.lock().await;
            MIGRATOR
                .run(&pool)
                .await
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
        }
        Ok(SqlStore {
            pool,
            dialect: SqliteDialect::default(),
        })
    }
}
