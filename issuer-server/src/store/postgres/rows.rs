//! Reading rows back into records, and the conversions every query shares.

use std::str::FromStr;

use credential_issuer_spec::{
    ApiScope, Credential, CredentialId, CredentialName, CredentialStatus, CredentialType, Grant,
    Metadata, Timestamp, Version, VersionStatus,
};
use serde::de::DeserializeOwned;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row};

use crate::backends::VendorKey;
use crate::store::{AccessRequestRecord, CredentialRecord, StoreError, VersionRecord};
use crate::tokens::TokenRecord;

/// The credential columns, then the version columns (prefixed `v_`), of a credential joined
/// with its versions. JSON columns are read back as text.
pub(super) const CREDENTIAL_COLUMNS: &str = "c.issuer, c.id, c.type, c.name, c.status, \
     c.scope::text AS scope, c.metadata::text AS metadata, c.created_at, c.expires_at, \
     c.revoked_at, c.current_version";

/// The version columns, each prefixed `v_`, of the versions aliased `v`.
pub(super) const VERSION_COLUMNS: &str = "v.version AS v_version, v.status AS v_status, \
     v.secret_hint AS v_secret_hint, v.scope::text AS v_scope, v.created_at AS v_created_at, \
     v.expires_at AS v_expires_at, v.revoked_at AS v_revoked_at, v.secret_mac AS v_secret_mac, \
     v.fingerprint AS v_fingerprint, v.vendor_key::text AS v_vendor_key, \
     v.vendor_retired_at AS v_vendor_retired_at";

/// What went wrong in the database, in the store's terms. A unique key that exists, a deadlock
/// victim and a serialisation failure are all concurrency conflicts: the caller may retry.
pub(super) fn query_error(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        let concurrent =
            db.is_unique_violation() || matches!(db.code().as_deref(), Some("40001" | "40P01"));
        if concurrent {
            return StoreError::Conflict;
        }
    }
    StoreError::Backend(Box::new(error))
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(super) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn wire_enum<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| corrupt(what))
}

pub(super) fn millis(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::unix_millis)
}

pub(super) fn instant(value: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_millis(value).ok_or_else(|| corrupt("timestamp"))
}

fn optional_instant(value: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    value.map(instant).transpose()
}

pub(super) fn number(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(what))
}

pub(super) fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    column: &str,
) -> Result<T, StoreError> {
    row.try_get(column).map_err(query_error)
}

pub(super) fn credential_id(text: &str) -> Result<CredentialId, StoreError> {
    CredentialId::from_str(text).map_err(|_| corrupt("id"))
}

/// The credential of a row with [`CREDENTIAL_COLUMNS`], without versions yet.
pub(super) fn credential_head(row: &PgRow) -> Result<CredentialRecord, StoreError> {
    let credential = Credential {
        id: credential_id(&get::<String>(row, "id")?)?,
        credential_type: CredentialType::from(get::<String>(row, "type")?.as_str()),
        name: CredentialName::from_str(&get::<String>(row, "name")?)
            .map_err(|_| corrupt("name"))?,
        status: wire_enum::<CredentialStatus>(&get::<String>(row, "status")?, "status")?,
        scope: from_json::<Vec<Grant>>(&get::<String>(row, "scope")?, "scope")?,
        metadata: from_json::<Metadata>(&get::<String>(row, "metadata")?, "metadata")?,
        created_at: instant(get(row, "created_at")?)?,
        expires_at: optional_instant(get(row, "expires_at")?)?,
        revoked_at: optional_instant(get(row, "revoked_at")?)?,
        current_version: number(get(row, "current_version")?, "current_version")?,
        versions: Vec::new(),
    };
    Ok(CredentialRecord {
        issuer: get(row, "issuer")?,
        credential,
        versions: Vec::new(),
    })
}

/// Adds the version in a row with [`VERSION_COLUMNS`] to `record`.
pub(super) fn push_version(record: &mut CredentialRecord, row: &PgRow) -> Result<(), StoreError> {
    let version = number(get(row, "v_version")?, "version")?;
    let vendor_key = get::<Option<String>>(row, "v_vendor_key")?
        .map(|text| from_json::<VendorKey>(&text, "vendor key"))
        .transpose()?;
    record.credential.versions.push(Version {
        version,
        status: wire_enum::<VersionStatus>(&get::<String>(row, "v_status")?, "version status")?,
        secret_hint: get(row, "v_secret_hint")?,
        key_id: vendor_key.as_ref().map(|key| key.id.clone()),
        created_at: instant(get(row, "v_created_at")?)?,
        expires_at: optional_instant(get(row, "v_expires_at")?)?,
        revoked_at: optional_instant(get(row, "v_revoked_at")?)?,
    });
    let mac: Vec<u8> = get(row, "v_secret_mac")?;
    record.versions.push(VersionRecord {
        version,
        scope: from_json(&get::<String>(row, "v_scope")?, "version scope")?,
        secret_mac: <[u8; 32]>::try_from(mac).map_err(|_| corrupt("secret mac"))?,
        fingerprint: get(row, "v_fingerprint")?,
        vendor_key,
        vendor_retired_at: optional_instant(get(row, "v_vendor_retired_at")?)?,
    });
    Ok(())
}

/// Credentials from rows of a credential-version join ordered by credential, then version.
pub(super) fn credentials_from_joined(rows: &[PgRow]) -> Result<Vec<CredentialRecord>, StoreError> {
    let mut records: Vec<CredentialRecord> = Vec::new();
    for row in rows {
        let issuer: String = get(row, "issuer")?;
        let id: String = get(row, "id")?;
        let same = records
            .last()
            .is_some_and(|r| r.issuer == issuer && r.credential.id.as_str() == id);
        if !same {
            records.push(credential_head(row)?);
        }
        if let Some(record) = records.last_mut() {
            push_version(record, row)?;
        }
    }
    Ok(records)
}

/// The columns of an access request row.
pub(super) const ACCESS_REQUEST_COLUMNS: &str =
    "issuer, request::text AS request, requester_token, sealed_secret";

pub(super) fn access_request_from_row(row: &PgRow) -> Result<AccessRequestRecord, StoreError> {
    Ok(AccessRequestRecord {
        issuer: get(row, "issuer")?,
        request: from_json(&get::<String>(row, "request")?, "access request")?,
        requester_token: get(row, "requester_token")?,
        sealed_secret: get(row, "sealed_secret")?,
    })
}

pub(super) fn token_from_row(row: &PgRow) -> Result<TokenRecord, StoreError> {
    let mac: Vec<u8> = get(row, "token_mac")?;
    let scopes: Vec<String> = from_json(&get::<String>(row, "scopes")?, "token scopes")?;
    let authority: Option<String> = get(row, "authority")?;
    Ok(TokenRecord {
        id: get(row, "id")?,
        mac: <[u8; 32]>::try_from(mac).map_err(|_| corrupt("token mac"))?,
        label: get(row, "label")?,
        scopes: scopes
            .iter()
            .map(|s| ApiScope::from_str(s).map_err(|_| corrupt("token scope")))
            .collect::<Result<_, _>>()?,
        authority: authority
            .map(|a| from_json(&a, "token authority"))
            .transpose()?,
        created_at: instant(get(row, "created_at")?)?,
    })
}
