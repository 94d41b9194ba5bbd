//! Reading and writing credentials with their versions.

use credential_issuer_spec::CredentialId;

use super::dialect::{Connection, Dialect};
use super::rows::{
    CREDENTIAL_COLUMNS, CredentialRow, JoinedRow, MatchedRow, VERSION_COLUMNS, corrupt,
    credentials_from_joined, millis, number,
};
use super::statement::Statement;
use crate::model::CredentialRecord;
use crate::store::{CredentialFilter, StoreError};

/// The credential joined with its versions, in one statement (so from one snapshot).
const JOINED: &str =
    "FROM credentials c JOIN versions v ON v.issuer = c.issuer AND v.credential_id = c.id";

/// One credential with its versions, read in one statement.
pub(crate) async fn read<D: Dialect>(
    conn: &mut Connection<D>,
    issuer: &str,
    id: &CredentialId,
) -> Result<Option<CredentialRecord>, StoreError> {
    let statement = Statement::new(format!(
        "SELECT {CREDENTIAL_COLUMNS}, {VERSION_COLUMNS} {JOINED}
          WHERE c.issuer = $1 AND c.id = $2 ORDER BY v.version"
    ))
    .bind(issuer)
    .bind(id.as_str());
    let rows: Vec<JoinedRow> = D::fetch_all(conn, statement).await?;
    Ok(credentials_from_joined(rows)?.pop())
}

/// One credential, locked until the transaction ends (see [`Dialect::FOR_UPDATE`]).
pub(crate) async fn read_for_update<D: Dialect>(
    conn: &mut Connection<D>,
    issuer: &str,
    id: &CredentialId,
) -> Result<Option<CredentialRecord>, StoreError> {
    // Lock the credential first, then read its versions in a later statement: under READ
    // COMMITTED that statement sees whatever the transaction we waited for committed.
    let statement = Statement::new(format!(
        "SELECT {CREDENTIAL_COLUMNS} FROM credentials c WHERE c.issuer = $1 AND c.id = $2{}",
        D::FOR_UPDATE
    ))
    .bind(issuer)
    .bind(id.as_str());
    let Some(row) = D::fetch_optional::<CredentialRow>(conn, statement).await? else {
        return Ok(None);
    };
    let mut record = row.into_record()?;
    let statement = Statement::new(format!(
        "SELECT {VERSION_COLUMNS} FROM versions v
          WHERE v.issuer = $1 AND v.credential_id = $2 ORDER BY v.version"
    ))
    .bind(issuer)
    .bind(id.as_str());
    for version in D::fetch_all::<super::rows::VersionRow>(conn, statement).await? {
        version.push_onto(&mut record)?;
    }
    Ok(Some(record))
}

/// Credentials matching `filter`, with their versions, in one statement.
pub(crate) async fn list<D: Dialect>(
    conn: &mut Connection<D>,
    issuer: &str,
    filter: &CredentialFilter,
) -> Result<Vec<CredentialRecord>, StoreError> {
    let mut statement = Statement::new(format!(
        "SELECT {CREDENTIAL_COLUMNS}, {VERSION_COLUMNS} {JOINED} WHERE c.issuer = "
    ));
    statement.push_bind(issuer);
    statement.push(" AND c.id IN (SELECT id FROM credentials WHERE issuer = ");
    statement.push_bind(issuer);
    if let Some(status) = &filter.status {
        statement.push(
            " AND (CASE WHEN status = 'active' AND expires_at IS NOT NULL AND expires_at <= ",
        );
        statement.push_bind(status.at.unix_millis());
        statement.push(" THEN 'expired' ELSE status END) = ");
        statement.push_bind(status.status.as_str());
    }
    if let Some(credential_type) = &filter.credential_type {
        statement
            .push(" AND type = ")
            .push_bind(credential_type.to_string());
    }
    for (key, value) in &filter.metadata {
        statement.push(" AND ");
        D::push_json_field_equals(&mut statement, "metadata", key, value);
    }
    if let Some(after) = &filter.after {
        statement.push(" AND id > ").push_bind(after.as_str());
    }
    statement
        .push(" ORDER BY id LIMIT ")
        .push_bind(i64::from(filter.limit));
    statement.push(") ORDER BY c.id, v.version");
    credentials_from_joined(D::fetch_all(conn, statement).await?)
}

/// The credential and version whose secret has this keyed hash, in one statement.
pub(crate) async fn by_secret_mac<D: Dialect>(
    conn: &mut Connection<D>,
    mac: &[u8],
) -> Result<Option<(CredentialRecord, u32)>, StoreError> {
    let statement = Statement::new(format!(
        "SELECT {CREDENTIAL_COLUMNS}, {VERSION_COLUMNS}, m.version AS matched
           FROM versions m
           JOIN credentials c ON c.issuer = m.issuer AND c.id = m.credential_id
           JOIN versions v ON v.issuer = c.issuer AND v.credential_id = c.id
          WHERE m.secret_mac = $1 ORDER BY v.version"
    ))
    .bind(mac);
    let rows: Vec<MatchedRow> = D::fetch_all(conn, statement).await?;
    let Some(matched) = rows.first().map(|row| row.matched) else {
        return Ok(None);
    };
    let matched = number(matched, "version")?;
    let joined = rows.into_iter().map(|row| row.joined).collect();
    Ok(credentials_from_joined(joined)?
        .pop()
        .map(|record| (record, matched)))
}

/// Stores a new credential with its versions.
pub(crate) async fn insert<D: Dialect>(
    conn: &mut Connection<D>,
    record: &CredentialRecord,
) -> Result<(), StoreError> {
    let c = &record.credential;
    let statement = Statement::new(
        "INSERT INTO credentials (issuer, id, type, name, status, scope, metadata, created_at,
                                  expires_at, revoked_at, current_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&record.issuer)
    .bind(c.id.as_str())
    .bind(c.credential_type.to_string())
    .bind(c.name.as_str())
    .bind(c.status.as_str())
    .bind_json(&c.scope)?
    .bind_json(&c.metadata)?
    .bind(c.created_at.unix_millis())
    .bind(millis(c.expires_at))
    .bind(millis(c.revoked_at))
    .bind(i64::from(c.current_version));
    D::execute(conn, statement).await?;
    upsert_versions::<D>(conn, record).await
}

/// Stores a changed credential if its current version is still `expected_version`.
pub(crate) async fn save<D: Dialect>(
    conn: &mut Connection<D>,
    record: &CredentialRecord,
    expected_version: u32,
) -> Result<(), StoreError> {
    let c = &record.credential;
    let statement = Statement::new(
        "UPDATE credentials SET status = $1, scope = $2, expires_at = $3, revoked_at = $4,
                                current_version = $5
         WHERE issuer = $6 AND id = $7 AND current_version = $8",
    )
    .bind(c.status.as_str())
    .bind_json(&c.scope)?
    .bind(millis(c.expires_at))
    .bind(millis(c.revoked_at))
    .bind(i64::from(c.current_version))
    .bind(&record.issuer)
    .bind(c.id.as_str())
    .bind(i64::from(expected_version));
    if D::execute(conn, statement).await? != 1 {
        return Err(StoreError::Conflict);
    }
    upsert_versions::<D>(conn, record).await
}

async fn upsert_versions<D: Dialect>(
    conn: &mut Connection<D>,
    record: &CredentialRecord,
) -> Result<(), StoreError> {
    for (wire, server) in record.credential.versions.iter().zip(&record.versions) {
        if wire.version != server.version {
            return Err(corrupt("versions out of order"));
        }
        let statement = Statement::new(
            "INSERT INTO versions (issuer, credential_id, version, status, secret_hint, scope,
                                   created_at, expires_at, revoked_at, secret_mac, fingerprint,
                                   vendor_key, vendor_retired_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (issuer, credential_id, version) DO UPDATE SET
               status = excluded.status, scope = excluded.scope,
               expires_at = excluded.expires_at, revoked_at = excluded.revoked_at,
               vendor_retired_at = excluded.vendor_retired_at",
        )
        .bind(&record.issuer)
        .bind(record.credential.id.as_str())
        .bind(i64::from(wire.version))
        .bind(wire.status.as_str())
        .bind(&wire.secret_hint)
        .bind_json(&server.scope)?
        .bind(wire.created_at.unix_millis())
        .bind(millis(wire.expires_at))
        .bind(millis(wire.revoked_at))
        .bind(&server.secret_mac[..])
        .bind(&server.fingerprint)
        .bind_optional_json(server.vendor_key.as_ref())?
        .bind(millis(server.vendor_retired_at));
        D::execute(conn, statement).await?;
    }
    Ok(())
}
