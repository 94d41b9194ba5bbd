//! Database errors in the store's terms.

use crate::store::StoreError;

/// What went wrong in the database, in the store's terms. A unique key that exists, a deadlock
/// victim and a serialisation failure (PostgreSQL's `40001` and `40P01`) are all concurrency
/// conflicts: the caller may retry. A stored value that does not decode is corrupt.
pub(crate) fn query_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db)
            if db.is_unique_violation()
                || matches!(db.code().as_deref(), Some("40001" | "40P01")) =>
        {
            StoreError::Conflict
        }
        sqlx::Error::ColumnDecode { index, .. } => StoreError::Corrupt(index.clone()),
        _ => StoreError::Backend(Box::new(error)),
    }
}
