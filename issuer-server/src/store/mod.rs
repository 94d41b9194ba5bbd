//! Storage: an object-safe async trait, so that the SQLite store (the embedded default) and
//! the PostgreSQL store (to scale out) are interchangeable behind `Arc<dyn Store>`.
//!
//! Reads outside a transaction see committed data. Every write goes through a [`Transaction`]:
//! the credential change, its audit event and any idempotency record commit together or not at
//! all, and [`Transaction::save_credential`] is a compare-and-set on the credential's version.
//!
//! Both stores are one [`sql::SqlStore`] over a [`sql::Dialect`]: [`sql`] holds the statements,
//! rows and transactions they share, [`sqlite`] and [`postgres`] only what differs (opening,
//! locks, the audit append, leases). The store reads no clock: every instant it compares
//! against comes from the caller.

pub mod postgres;
mod query;
mod settings;
pub mod sql;
pub mod sqlite;

use async_trait::async_trait;
use credential_issuer_spec::{
    AccessRequestId, AccessRequestStatus, AuditEvent, CredentialId, Timestamp,
};

pub use query::{AuditQuery, CredentialFilter, StatusAt};

pub use settings::{DatabaseUrl, DatabaseUrlError, StoreSettings, open};

use crate::model::{
    AccessRequestRecord, AuditEntry, CredentialRecord, ExposureRecord, IdempotencyKey,
    StoredResponse, TokenRecord,
};

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record changed since it was read (compare-and-set failed) or a unique key exists.
    #[error("conflict: the record changed concurrently")]
    Conflict,
    /// The database failed.
    #[error("database error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// The storage of one server: credentials of every issuer it hosts, audit logs, tokens.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Starts a write transaction.
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError>;

    /// One credential.
    async fn credential(
        &self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError>;

    /// Credentials matching `filter`, in id order, after `filter.after`, at most `filter.limit`.
    async fn credentials(
        &self,
        issuer: &str,
        filter: &CredentialFilter,
    ) -> Result<Vec<CredentialRecord>, StoreError>;

    /// The credential and version whose secret has this keyed hash.
    async fn credential_by_secret_mac(
        &self,
        mac: &[u8],
    ) -> Result<Option<(CredentialRecord, u32)>, StoreError>;

    /// Audit events of `issuer`, oldest first.
    async fn audit_events(
        &self,
        issuer: &str,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError>;

    /// The sequence number and hash of the newest event of `issuer`'s log.
    async fn audit_head(&self, issuer: &str) -> Result<Option<(u64, String)>, StoreError>;

    /// One access request.
    async fn access_request(
        &self,
        issuer: &str,
        id: &AccessRequestId,
    ) -> Result<Option<AccessRequestRecord>, StoreError>;

    /// Access requests of `issuer`, optionally with one status, in id order after `after`.
    async fn access_requests(
        &self,
        issuer: &str,
        status: Option<AccessRequestStatus>,
        after: Option<&AccessRequestId>,
        limit: u32,
    ) -> Result<Vec<AccessRequestRecord>, StoreError>;

    /// Pending access requests whose time to be decided is over.
    ///
    /// A store shared by several servers may hand this work to one of them at a time (the
    /// others get an empty list); whoever carries it out still re-reads each request in a
    /// transaction, so that it is done once.
    async fn due_request_expiries(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, AccessRequestId)>, StoreError>;

    /// Credentials with a previous version or a lifetime due to end at or before `now`.
    ///
    /// As with [`due_request_expiries`](Store::due_request_expiries), a shared store may hand
    /// this work to one server at a time.
    async fn due_for_expiry(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError>;

    /// Credentials with a revoked or expired version whose key at a vendor is not yet retired
    /// (the durable queue of a shim's pending retirements). On a database shared by replicas,
    /// only the replica holding the sweep lease is given work. Keys deferred past `now` are
    /// left out.
    async fn due_vendor_retirements(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, CredentialId)>, StoreError>;

    /// Leaves the vendor key of `version` out of the queue until `until` (a retirement that
    /// failed, or that the vendor cannot do before then). A later change of the version keeps
    /// it; the retirement itself clears nothing, since a retired key leaves the queue anyway.
    async fn defer_vendor_retirement(
        &self,
        issuer: &str,
        id: &CredentialId,
        version: u32,
        until: Timestamp,
    ) -> Result<(), StoreError>;

    /// Deletes stored responses created before `before` (their replay window is over, and they
    /// hold sealed secrets that must not outlive it, REQ-SEC-15). Returns how many went.
    async fn purge_stored_responses(&self, before: Timestamp) -> Result<u64, StoreError>;

    /// The token with this keyed hash.
    async fn token_by_mac(&self, mac: &[u8]) -> Result<Option<TokenRecord>, StoreError>;

    /// Stores a new token.
    async fn insert_token(&self, token: &TokenRecord) -> Result<(), StoreError>;

    /// Stores (or replaces) a sealed vendor credential (a JWE; never plain text), updated `now`.
    async fn put_vendor_credential(
        &self,
        issuer: &str,
        name: &str,
        jwe: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// A sealed vendor credential.
    async fn vendor_credential(
        &self,
        issuer: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError>;

    /// The names of the vendor credentials stored for `issuer`.
    async fn vendor_credential_names(&self, issuer: &str) -> Result<Vec<String>, StoreError>;

    /// Records `check` (a value derived from the server's keys, never a key) if the store has
    /// none yet; whether the recorded one is `check`. Servers sharing a store must share their
    /// keys, or none could verify the secrets and tokens the others issued.
    async fn agree_key_check(&self, check: &str) -> Result<bool, StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// A write transaction. Dropping it without [`commit`](Transaction::commit) rolls it back.
#[async_trait]
pub trait Transaction: Send {
    /// One credential, as of this transaction. A store shared by several servers locks it
    /// until the transaction ends, so that concurrent changes of one credential serialise.
    async fn credential(
        &mut self,
        issuer: &str,
        id: &CredentialId,
    ) -> Result<Option<CredentialRecord>, StoreError>;

    /// The credential and version whose secret has this fingerprint.
    async fn version_by_fingerprint(
        &mut self,
        issuer: &str,
        fingerprint: &str,
    ) -> Result<Option<(CredentialId, u32)>, StoreError>;

    /// Stores a new credential with its versions.
    async fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), StoreError>;

    /// Stores a changed credential, only if its current version is still `expected_version`
    /// ([`StoreError::Conflict`] otherwise). Versions are inserted or updated.
    async fn save_credential(
        &mut self,
        record: &CredentialRecord,
        expected_version: u32,
    ) -> Result<(), StoreError>;

    /// Appends an event to the issuer's audit log, linking it to the previous one.
    async fn append_audit(
        &mut self,
        issuer: &str,
        entry: AuditEntry,
    ) -> Result<AuditEvent, StoreError>;

    /// The response stored under an idempotency key. A store shared by several servers makes
    /// a concurrent transaction with the same key wait here until this one ends.
    async fn stored_response(
        &mut self,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredResponse>, StoreError>;

    /// Stores the response to an idempotent request, or its claim while it runs (replacing
    /// what was filed under the key).
    async fn store_response(
        &mut self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;

    /// Drops the claim of a request that ended without a response to replay (REQ-IDEM-7); a
    /// stored response is left alone.
    async fn release_claim(&mut self, key: &IdempotencyKey) -> Result<(), StoreError>;

    /// One access request, as of this transaction (locked, as [`Transaction::credential`]).
    async fn access_request(
        &mut self,
        issuer: &str,
        id: &AccessRequestId,
    ) -> Result<Option<AccessRequestRecord>, StoreError>;

    /// Stores a new access request.
    async fn insert_access_request(
        &mut self,
        record: &AccessRequestRecord,
    ) -> Result<(), StoreError>;

    /// Stores a changed access request, only if its status is still `expected_status`.
    async fn save_access_request(
        &mut self,
        record: &AccessRequestRecord,
        expected_status: AccessRequestStatus,
    ) -> Result<(), StoreError>;

    /// Records an exposure report.
    async fn insert_exposure(&mut self, exposure: &ExposureRecord) -> Result<(), StoreError>;

    /// Makes every change durable.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
