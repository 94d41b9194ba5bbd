//! Appending to an audit log on PostgreSQL: the append locks the head of the issuer's log
//! (`audit_heads`) until its transaction ends, so that appends from any replica form one line.

use credential_issuer_spec::{AuditEvent, GENESIS_HASH, Timestamp};
use sqlx::postgres::PgConnection;

use super::PostgresDialect;
use crate::model::AuditEntry;
use crate::store::StoreError;
use crate::store::sql::{Dialect, Head, Statement, link, sequence, to_json};

pub(super) async fn append(
    conn: &mut PgConnection,
    issuer: &str,
    entry: AuditEntry,
) -> Result<AuditEvent, StoreError> {
    // Take (creating it if need be) and lock the head of the issuer's log: whoever appends
    // next waits until this transaction ends, then links to what it wrote.
    let statement = Statement::new(
        "INSERT INTO audit_heads (issuer, seq, hash) VALUES ($1, 0, $2)
         ON CONFLICT (issuer) DO UPDATE SET issuer = excluded.issuer
         RETURNING seq, hash, time",
    )
    .bind(issuer)
    .bind(GENESIS_HASH);
    let (seq, hash, time): (i64, String, i64) = PostgresDialect::fetch_optional(conn, statement)
        .await?
        .ok_or_else(|| StoreError::Corrupt("audit head".into()))?;
    let head = Head {
        seq: sequence(seq)?,
        hash,
        time: Timestamp::from_unix_millis(time),
    };
    let event = link(entry, head)?;
    let statement = Statement::new(
        "WITH moved AS (UPDATE audit_heads SET seq = $2, hash = $4, time = $6 WHERE issuer = $1)
         INSERT INTO audit_events (issuer, seq, event, hash, credential_id)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(issuer)
    .bind(seq + 1)
    .bind(to_json(&event)?)
    .bind(&event.hash)
    .bind(event.credential_id.as_ref().map(|id| id.as_str()))
    .bind(event.time.unix_millis());
    PostgresDialect::execute(conn, statement).await?;
    Ok(event)
}
