//! Opening (creating if need be) an SQLite database file.
//!
//! Switching a file into WAL mode takes an exclusive lock that SQLite cannot wait for with its
//! busy handler: a connection that sets `journal_mode = WAL` while another connection reads the
//! same fresh file fails at once with "database is locked". So the switch is made once, on one
//! connection, before any other connection of this process opens the file: the first
//! connection switches the journal and applies the migrations while no other store of this
//! process is opening, and only then is the pool opened, on a file already in WAL mode (which
//! is permanent), without switching it again.

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::Mutex;

use super::{SqliteDialect, SqliteStore};
use crate::store::StoreError;
use crate::store::sql::{SqlStore, query_error};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Stores of this process prepare their files one at a time: sqlx cannot lock an SQLite
/// database while it migrates it, and SQLite cannot wait for the switch to WAL.
static PREPARING: Mutex<()> = Mutex::const_new(());

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies the embedded migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        {
            let _turn = PREPARING.lock().await;
            // That one connection, as a pool of one (the migrator's future is `Send` on a pool).
            let first = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone().journal_mode(SqliteJournalMode::Wal))
                .await
                .map_err(query_error)?;
            MIGRATOR
                .run(&first)
                .await
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
            first.close().await;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(query_error)?;
        Ok(SqlStore {
            pool,
            dialect: SqliteDialect::default(),
        })
    }
}
