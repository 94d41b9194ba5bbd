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
//! Everything else is the shared [`SqlStore`].
//!
//! [`Transaction::save_credential`]: super::Transaction::save_credential

mod audit;
mod dialect;
mod lease;

use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};

use self::lease::Lease;
use super::StoreError;
use super::sql::{SqlStore, query_error};

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
pub type PostgresStore = SqlStore<PostgresDialect>;

/// PostgreSQL, with this replica's lease on the time-driven sweeps.
#[derive(Debug, Clone)]
pub struct PostgresDialect {
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
        Ok(SqlStore {
            pool,
            dialect: PostgresDialect {
                sweep: Lease::new("sweep"),
            },
        })
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
