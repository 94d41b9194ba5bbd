//! Appending to an audit log on SQLite: the transaction holds the only writer's turn, so the
//! newest event read is still the newest when the next one is inserted.

use credential_issuer_spec::{AuditEvent, GENESIS_HASH, Timestamp};
use sqlx::sqlite::SqliteConnection;

use super::SqliteDialect;
use crate::model::AuditEntry;
use crate::store::StoreError;
use crate::store::sql::{Dialect, Head, Statement, link, sequence, to_json};

pub(super) async fn append(
    conn: &mut SqliteConnection,
    issuer: &str,
    entry: AuditEntry,
) -> Result<AuditEvent, StoreError> {
    let statement = Statement::new(
        "SELECT seq, hash, json_extract(event, '$.time') AS time FROM audit_events
          WHERE issuer = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(issuer);
    let last: Option<(i64, String, String)> =
        SqliteDialect::fetch_optional(conn, statement).await?;
    let head = match last {
        Some((seq, hash, time)) => Head {
            seq: sequence(seq)?,
            hash,
            time: Some(
                serde_json::from_value::<Timestamp>(serde_json::Value::String(time))
                    .map_err(|_| StoreError::Corrupt("event time".into()))?,
            ),
        },
        None => Head {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            time: None,
        },
    };
    let event = link(entry, head)?;
    let statement = Statement::new(
        "INSERT INTO audit_events (issuer, seq, event, hash, credential_id)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(issuer)
    .bind(i64::try_from(event.seq).map_err(|_| StoreError::Corrupt("seq".into()))?)
    .bind(to_json(&event)?)
    .bind(&event.hash)
    .bind(event.credential_id.as_ref().map(|id| id.as_str()));
    SqliteDialect::execute(conn, statement).await?;
    Ok(event)
}
