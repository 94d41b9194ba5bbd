//! The rows both dialects read, and how they become records. Column types agree between the
//! schemas except for JSON documents (`TEXT` in SQLite, `JSONB` in PostgreSQL), which are read
//! and written as [`Json`] so that each dialect maps them to its own column type.

use std::str::FromStr;

use credential_issuer_spec::{
    AccessRequest, AccessRequestId, ApiScope, Credential, CredentialId, CredentialName,
    CredentialStatus, CredentialType, Grant, Metadata, Timestamp, Version, VersionStatus,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;

use crate::model::TokenRecord;
use crate::model::VendorKey;
use crate::model::{
    AccessRequestRecord, CredentialRecord, StoredOutcome, StoredResponse, VersionRecord,
};
use crate::store::StoreError;

/// A row type both dialects can read.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// The columns of [`CredentialRow`], of the credentials aliased `c`.
pub(crate) const CREDENTIAL_COLUMNS: &str = "c.issuer, c.id, c.type, c.name, c.status, c.scope, \
     c.metadata, c.created_at, c.expires_at, c.revoked_at, c.current_version";

/// The columns of [`VersionRow`], of the versions aliased `v`, each prefixed `v_` (so that
/// they can stand beside the credential's in a join).
pub(crate) const VERSION_COLUMNS: &str = "v.version AS v_version, v.status AS v_status, \
     v.secret_hint AS v_secret_hint, v.scope AS v_scope, v.created_at AS v_created_at, \
     v.expires_at AS v_expires_at, v.revoked_at AS v_revoked_at, v.secret_mac AS v_secret_mac, \
     v.fingerprint AS v_fingerprint, v.vendor_key AS v_vendor_key, \
     v.vendor_retired_at AS v_vendor_retired_at";

/// A row of `credentials`.
#[derive(FromRow)]
pub(crate) struct CredentialRow {
    issuer: String,
    id: String,
    #[sqlx(rename = "type")]
    credential_type: String,
    name: String,
    status: String,
    scope: Json<Vec<Grant>>,
    metadata: Json<Metadata>,
    created_at: i64,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    current_version: i64,
}

/// A row of `versions`, read with [`VERSION_COLUMNS`].
#[derive(FromRow)]
pub(crate) struct VersionRow {
    v_version: i64,
    v_status: String,
    v_secret_hint: String,
    v_scope: Json<Vec<Grant>>,
    v_created_at: i64,
    v_expires_at: Option<i64>,
    v_revoked_at: Option<i64>,
    v_secret_mac: Vec<u8>,
    v_fingerprint: String,
    v_vendor_key: Option<Json<VendorKey>>,
    v_vendor_retired_at: Option<i64>,
}

/// A row of a credential joined with one of its versions.
#[derive(FromRow)]
pub(crate) struct JoinedRow {
    #[sqlx(flatten)]
    credential: CredentialRow,
    #[sqlx(flatten)]
    version: VersionRow,
}

/// A joined row, and the version of it that a query matched.
#[derive(FromRow)]
pub(crate) struct MatchedRow {
    #[sqlx(flatten)]
    pub(crate) joined: JoinedRow,
    pub(crate) matched: i64,
}

/// A row of `access_requests`.
#[derive(FromRow)]
pub(crate) struct AccessRequestRow {
    issuer: String,
    request: Json<AccessRequest>,
    requester_token: String,
    sealed_secret: Option<Vec<u8>>,
}

/// A row of `tokens`.
#[derive(FromRow)]
pub(crate) struct TokenRow {
    id: String,
    token_mac: Vec<u8>,
    label: String,
    scopes: Json<Vec<String>>,
    authority: Option<Json<Vec<Grant>>>,
    created_at: i64,
}

/// A row of `idempotency`.
#[derive(FromRow)]
pub(crate) struct IdempotencyRow {
    operation: String,
    request_hash: Vec<u8>,
    status: i64,
    sealed_body: Vec<u8>,
    created_at: i64,
}

/// `(issuer, id)` of a row of due work.
#[derive(FromRow)]
pub(crate) struct DueRow {
    issuer: String,
    id: String,
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what))
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn to_json_value<T: Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn wire_enum<T: DeserializeOwned>(text: String, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text)).map_err(|_| corrupt(what))
}

pub(crate) fn millis(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::unix_millis)
}

pub(crate) fn instant(value: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_millis(value).ok_or_else(|| corrupt("timestamp"))
}

fn optional_instant(value: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    value.map(instant).transpose()
}

pub(crate) fn number(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(what))
}

pub(crate) fn sequence(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt("seq"))
}

pub(crate) fn credential_id(text: &str) -> Result<CredentialId, StoreError> {
    CredentialId::from_str(text).map_err(|_| corrupt("id"))
}

fn mac(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| corrupt(what))
}

impl CredentialRow {
    /// The credential, without versions yet.
    pub(crate) fn into_record(self) -> Result<CredentialRecord, StoreError> {
        let credential = Credential {
            id: credential_id(&self.id)?,
            credential_type: CredentialType::from(self.credential_type.as_str()),
            name: CredentialName::from_str(&self.name).map_err(|_| corrupt("name"))?,
            status: wire_enum::<CredentialStatus>(self.status, "status")?,
            scope: self.scope.0,
            metadata: self.metadata.0,
            created_at: instant(self.created_at)?,
            expires_at: optional_instant(self.expires_at)?,
            revoked_at: optional_instant(self.revoked_at)?,
            current_version: number(self.current_version, "current_version")?,
            versions: Vec::new(),
        };
        Ok(CredentialRecord {
            issuer: self.issuer,
            credential,
            versions: Vec::new(),
        })
    }
}

impl VersionRow {
    /// Adds this version to `record`.
    pub(crate) fn push_onto(self, record: &mut CredentialRecord) -> Result<(), StoreError> {
        let version = number(self.v_version, "version")?;
        let vendor_key = self.v_vendor_key.map(|key| key.0);
        record.credential.versions.push(Version {
            version,
            status: wire_enum::<VersionStatus>(self.v_status, "version status")?,
            secret_hint: self.v_secret_hint,
            key_id: vendor_key.as_ref().map(|key| key.id.clone()),
            created_at: instant(self.v_created_at)?,
            expires_at: optional_instant(self.v_expires_at)?,
            revoked_at: optional_instant(self.v_revoked_at)?,
        });
        record.versions.push(VersionRecord {
            version,
            scope: self.v_scope.0,
            secret_mac: mac(self.v_secret_mac, "secret mac")?,
            fingerprint: self.v_fingerprint,
            vendor_key,
            vendor_retired_at: optional_instant(self.v_vendor_retired_at)?,
        });
        Ok(())
    }
}

/// Credentials from rows of a credential-version join ordered by credential, then version.
pub(crate) fn credentials_from_joined(
    rows: Vec<JoinedRow>,
) -> Result<Vec<CredentialRecord>, StoreError> {
    let mut records: Vec<CredentialRecord> = Vec::new();
    for row in rows {
        let same = records.last().is_some_and(|r| {
            r.issuer == row.credential.issuer && r.credential.id.as_str() == row.credential.id
        });
        if !same {
            records.push(row.credential.into_record()?);
        }
        if let Some(record) = records.last_mut() {
            row.version.push_onto(record)?;
        }
    }
    Ok(records)
}

impl TryFrom<AccessRequestRow> for AccessRequestRecord {
    type Error = StoreError;

    fn try_from(row: AccessRequestRow) -> Result<Self, StoreError> {
        Ok(Self {
            issuer: row.issuer,
            request: row.request.0,
            requester_token: row.requester_token,
            sealed_secret: row.sealed_secret,
        })
    }
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            mac: mac(row.token_mac, "token mac")?,
            label: row.label,
            scopes: row
                .scopes
                .0
                .iter()
                .map(|s| ApiScope::from_str(s).map_err(|_| corrupt("token scope")))
                .collect::<Result<_, _>>()?,
            authority: row.authority.map(|a| a.0),
            created_at: instant(row.created_at)?,
        })
    }
}

impl TryFrom<IdempotencyRow> for StoredResponse {
    type Error = StoreError;

    fn try_from(row: IdempotencyRow) -> Result<Self, StoreError> {
        Ok(Self {
            operation: row.operation,
            request_hash: mac(row.request_hash, "request hash")?,
            outcome: StoredOutcome::from_columns(
                u16::try_from(row.status).map_err(|_| corrupt("status"))?,
                row.sealed_body,
            ),
            created_at: instant(row.created_at)?,
        })
    }
}

impl TryFrom<DueRow> for (String, CredentialId) {
    type Error = StoreError;

    fn try_from(row: DueRow) -> Result<Self, StoreError> {
        Ok((row.issuer, credential_id(&row.id)?))
    }
}

impl TryFrom<DueRow> for (String, AccessRequestId) {
    type Error = StoreError;

    fn try_from(row: DueRow) -> Result<Self, StoreError> {
        let id = AccessRequestId::from_str(&row.id).map_err(|_| corrupt("access request id"))?;
        Ok((row.issuer, id))
    }
}
