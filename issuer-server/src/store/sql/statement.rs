//! A statement of the shared SQL: its text, with `$n` placeholders (which both dialects read),
//! and its parameters, bound by whichever dialect runs it.

use serde::Serialize;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Database, Encode, FromRow, Type};

use super::rows::to_json_value;
use crate::store::StoreError;

/// One parameter, in the few SQL types the store uses. Values are owned, so that a statement
/// can be built, moved to its dialect and run without borrowing the record it came from.
pub(crate) enum Param {
    /// `TEXT`.
    Text(Option<String>),
    /// `INTEGER` / `BIGINT`.
    Integer(Option<i64>),
    /// `BLOB` / `BYTEA`.
    Bytes(Option<Vec<u8>>),
    /// A JSON document (`TEXT` in SQLite, `JSONB` in PostgreSQL).
    Json(Option<serde_json::Value>),
}

impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<&String> for Param {
    fn from(value: &String) -> Self {
        Self::Text(Some(value.clone()))
    }
}

impl From<String> for Param {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Self {
        Self::Text(value.map(str::to_owned))
    }
}

impl From<Option<String>> for Param {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl From<&Option<String>> for Param {
    fn from(value: &Option<String>) -> Self {
        Self::Text(value.clone())
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Self::Integer(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Self {
        Self::Integer(value)
    }
}

impl From<&[u8]> for Param {
    fn from(value: &[u8]) -> Self {
        Self::Bytes(Some(value.to_vec()))
    }
}

impl From<&Option<Vec<u8>>> for Param {
    fn from(value: &Option<Vec<u8>>) -> Self {
        Self::Bytes(value.clone())
    }
}

/// SQL text and its parameters.
pub struct Statement {
    sql: String,
    params: Vec<Param>,
}

impl std::fmt::Debug for Statement {
    /// The SQL text only: parameters may be sealed secrets or keyed hashes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("sql", &self.sql)
            .field("params", &self.params.len())
            .finish()
    }
}

/// Binds every parameter to `query` (an sqlx `Query` or `QueryAs`, which share no trait).
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param {
                Param::Text(value) => query.bind(value),
                Param::Integer(value) => query.bind(value),
                Param::Bytes(value) => query.bind(value),
                Param::Json(value) => query.bind(value.map(Json)),
            };
        }
        query
    }};
}

impl Statement {
    /// A statement of `sql`, which refers to its parameters as `$1`, `$2`, ...
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// Binds the next parameter.
    pub(crate) fn bind(mut self, value: impl Into<Param>) -> Self {
        self.params.push(value.into());
        self
    }

    /// Binds the next parameter, a JSON document.
    pub(crate) fn bind_json<T: Serialize>(self, value: &T) -> Result<Self, StoreError> {
        Ok(self.bind(Param::Json(Some(to_json_value(value)?))))
    }

    /// Binds the next parameter, a JSON document or `NULL`.
    pub(crate) fn bind_optional_json<T: Serialize>(
        self,
        value: Option<&T>,
    ) -> Result<Self, StoreError> {
        let value = value.map(to_json_value).transpose()?;
        Ok(self.bind(Param::Json(value)))
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for a new parameter, and binds it.
    pub(crate) fn push_bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        self.sql.push_str(&format!("${}", self.params.len()));
        self
    }

    /// The statement as an sqlx query of `DB`, its parameters bound.
    pub(crate) fn query<DB>(self) -> sqlx::query::Query<'static, DB, DB::Arguments>
    where
        DB: Database,
        Option<String>: for<'t> Encode<'t, DB> + Type<DB>,
        Option<i64>: for<'t> Encode<'t, DB> + Type<DB>,
        Option<Vec<u8>>: for<'t> Encode<'t, DB> + Type<DB>,
        Option<Json<serde_json::Value>>: for<'t> Encode<'t, DB> + Type<DB>,
    {
        bind_all!(sqlx::query(AssertSqlSafe(self.sql)), self.params)
    }

    /// The statement as an sqlx query of `DB` whose rows are read as `R`.
    pub(crate) fn query_as<DB, R>(self) -> sqlx::query::QueryAs<'static, DB, R, DB::Arguments>
    where
        DB: Database,
        R: for<'r> FromRow<'r, DB::Row>,
        Option<String>: for<'t> Encode<'t, DB> + Type<DB>,
        Option<i64>: for<'t> Encode<'t, DB> + Type<DB>,
        Option<Vec<u8>>: for<'t> Encode<'t, DB> + Type<DB>,
        Option<Json<serde_json::Value>>: for<'t> Encode<'t, DB> + Type<DB>,
    {
        bind_all!(sqlx::query_as(AssertSqlSafe(self.sql)), self.params)
    }
}
