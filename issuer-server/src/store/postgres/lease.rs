//! Leases on background work shared by replicas: the time-driven sweeps run on one replica at
//! a time. A replica takes a lease when it is free or has lapsed and renews it while it holds
//! it; when the holder dies, another replica takes over once the lease lapses.
//!
//! A lease only saves work: correctness does not depend on it. A transaction still reads the
//! due record `FOR UPDATE` and saves it with a compare-and-set, so that a stalled holder whose
//! lease lapsed finds the work already done and rolls back.

use std::time::Duration;

use credential_issuer_spec::Timestamp;
use sqlx::PgPool;

use crate::store::StoreError;
use crate::store::sql::query_error;

/// How long a lease lasts unless renewed; the sweep renews it every second.
pub(super) const LEASE_DURATION: Duration = Duration::from_secs(5);

/// One named lease, held (or not) by this replica.
#[derive(Debug, Clone)]
pub(super) struct Lease {
    name: &'static str,
    /// This replica, as the lease table names it.
    holder: String,
}

impl Lease {
    pub(super) fn new(name: &'static str) -> Self {
        Self {
            name,
            holder: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Takes or renews the lease at `now`; whether this replica holds it now.
    pub(super) async fn hold(&self, pool: &PgPool, now: Timestamp) -> Result<bool, StoreError> {
        let now = now.unix_millis();
        let duration = i64::try_from(LEASE_DURATION.as_millis()).unwrap_or(i64::MAX);
        let held: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
              WHERE leases.holder = excluded.holder OR leases.until <= $4
             RETURNING holder",
        )
        .bind(self.name)
        .bind(&self.holder)
        .bind(now.saturating_add(duration))
        .bind(now)
        .fetch_optional(pool)
        .await
        .map_err(query_error)?;
        Ok(held.is_some())
    }
}
