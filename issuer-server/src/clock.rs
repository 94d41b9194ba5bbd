//! Where the server reads the time: every time-driven rule (lifetimes, grace periods, access
//! request expiry, idempotency windows, audit event times) asks a [`Clock`], chosen when the
//! state is opened. Production uses [`SystemClock`]; tests use a [`ManualClock`] and move it
//! forward instead of waiting for time to pass.
//!
//! A trait of one method, so no crate is used: the ones that mock time (`mock_instant`,
//! `quanta`) mock monotonic `Instant`s, not the wall-clock instants the protocol writes.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use credential_issuer_spec::Timestamp;

/// A source of the current instant.
///
/// ```
/// use credential_issuer_server::clock::{Clock, SystemClock};
/// let clock: std::sync::Arc<dyn Clock> = std::sync::Arc::new(SystemClock);
/// let before = clock.now();
/// assert!(clock.now() >= before);
/// ```
pub trait Clock: Send + Sync + Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The machine's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move: it starts at a given instant and changes
/// only by [`advance`](Self::advance) and [`set`](Self::set). Share it as an `Arc` (by every
/// replica of a test, for instance); all of them see each move at once.
///
/// ```
/// use std::time::Duration;
/// use credential_issuer_server::clock::{Clock, ManualClock};
/// use credential_issuer_spec::Timestamp;
///
/// let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
/// let clock = ManualClock::starting_at(start);
/// assert_eq!(clock.now(), start);
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(clock.now().to_string(), "2026-01-01T00:01:30Z");
/// clock.set(start);
/// assert_eq!(clock.now(), start);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock that reads `start` until moved.
    pub fn starting_at(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by` (to millisecond precision). A move past the last
    /// representable instant leaves the clock where it was.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let mut now = self.lock();
        if let Some(later) = Timestamp::from_unix_millis(now.unix_millis().saturating_add(millis)) {
            *now = later;
        }
    }

    /// Puts the clock at `instant` (which may be earlier than it reads now).
    pub fn set(&self, instant: Timestamp) {
        *self.lock() = instant;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Timestamp> {
        // A `Timestamp` is `Copy`: a panic while the lock was held cannot leave it half-written.
        self.now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_every_holder_sees_it() {
        let start: Timestamp = "2026-05-01T12:00:00Z".parse().unwrap();
        let clock = Arc::new(ManualClock::starting_at(start));
        let shared: Arc<dyn Clock> = clock.clone();
        assert_eq!(shared.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(shared.now().unix_millis(), start.unix_millis() + 1500);
        clock.advance(Duration::MAX);
        assert_eq!(shared.now().unix_millis(), start.unix_millis() + 1500);
    }
}
