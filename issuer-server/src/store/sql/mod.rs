//! One store on SQL, two dialects: the statements, rows and transactions that SQLite and
//! PostgreSQL share, written once over a [`Dialect`], which says only what differs between
//! them. The schemas themselves stay per dialect (`migrations/sqlite`, `migrations/postgres`):
//! they agree on every column's kind, and differ in JSON columns (`TEXT` and `JSONB`), which
//! [`sqlx::types::Json`] reads and writes for either.

mod audit;
mod credentials;
mod dialect;
mod error;
mod rows;
mod statement;
mod store;
mod transaction;

pub(crate) use audit::{Head, link};
pub use dialect::Dialect;
pub(crate) use error::query_error;
pub use rows::Record;
pub(crate) use rows::{sequence, to_json};
pub use statement::Statement;
pub use store::SqlStore;
pub use transaction::SqlTransaction;
