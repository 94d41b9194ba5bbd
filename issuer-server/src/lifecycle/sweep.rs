//! One pass of the time-driven work: purge stored idempotent responses past their window,
//! expire pending access requests, record ended grace periods and lifetimes, and retire the
//! vendor keys of ended versions. The server runs [`sweep_once`] every
//! [`SWEEP_INTERVAL`](crate::serve::SWEEP_INTERVAL); tests call it directly after moving a
//! [`ManualClock`](crate::clock::ManualClock) forward, so that none waits for time to pass.

use super::{Context, LifecycleError, expiry};

/// What one pass did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SweepReport {
    /// Stored idempotent responses purged (their replay window is over).
    pub purged_responses: u64,
    /// Pending access requests that expired.
    pub expired_requests: usize,
    /// Credentials whose grace periods or lifetime ended (each saved and audited once).
    pub expired_credentials: usize,
    /// Vendor keys of ended versions retired at their vendor.
    pub retired_vendor_keys: usize,
    /// The steps that failed; each is tried again at the next pass.
    pub failures: Vec<SweepFailure>,
}

/// A step of a pass that failed.
#[derive(Debug, thiserror::Error)]
#[error("{step} failed: {source}")]
pub struct SweepFailure {
    /// Which step.
    pub step: SweepStep,
    /// Why.
    #[source]
    pub source: LifecycleError,
}

/// The steps of a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepStep {
    /// Purging stored idempotent responses.
    PurgeResponses,
    /// Expiring access requests.
    ExpireRequests,
    /// Recording ended grace periods and lifetimes.
    Expiry,
    /// Retiring vendor keys.
    RetireVendorKeys,
}

impl std::fmt::Display for SweepStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PurgeResponses => "purging expired idempotent responses",
            Self::ExpireRequests => "expiring access requests",
            Self::Expiry => "the expiry sweep",
            Self::RetireVendorKeys => "the vendor retirement sweep",
        })
    }
}

impl SweepReport {
    fn failed(&mut self, step: SweepStep, source: LifecycleError) {
        tracing::warn!(error = %source, "{step} failed; retrying at the next sweep");
        self.failures.push(SweepFailure { step, source });
    }
}

/// One pass over every issuer of `contexts` (one per issuer the server hosts; the first one's
/// store holds the idempotent responses and the retirement queue of all). Each failed step is
/// logged and reported; the others still run.
pub async fn sweep_once(contexts: &[Context]) -> SweepReport {
    let mut report = SweepReport::default();
    let Some(first) = contexts.first() else {
        return report;
    };
    match super::purge_expired_responses(first).await {
        Ok(purged) => report.purged_responses = purged,
        Err(error) => report.failed(SweepStep::PurgeResponses, error),
    }
    for context in contexts {
        match super::expire_requests(context).await {
            Ok(expired) => report.expired_requests += expired,
            Err(error) => report.failed(SweepStep::ExpireRequests, error),
        }
        match expiry::sweep(context).await {
            Ok(0) => {}
            Ok(changed) => {
                tracing::info!(
                    changed,
                    issuer = %context.issuer.id.as_str(),
                    "expired versions and credentials recorded"
                );
                report.expired_credentials += changed;
            }
            Err(error) => report.failed(SweepStep::Expiry, error),
        }
    }
    match super::retire_due(contexts).await {
        Ok(0) => {}
        Ok(retired) => {
            tracing::info!(retired, "vendor keys of ended versions retired");
            report.retired_vendor_keys = retired;
        }
        Err(error) => report.failed(SweepStep::RetireVendorKeys, error),
    }
    report
}
