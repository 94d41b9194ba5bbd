//! The version state machine, as a pure function (spec §"State machine").
//!
//! ```text
//! current  --rotate overlap-->   previous  --grace ends-->        expired
//! current  --rotate immediate--> revoked   previous --revoke version--> revoked
//! previous --rotate immediate--> revoked   current|previous --revoke credential--> revoked
//! current|previous --credential expires--> expired
//! ```

use crate::credential::VersionStatus;

/// Something that happens to a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionEvent {
    /// An overlap rotation of its credential.
    RotatedOverlap,
    /// An immediate rotation of its credential.
    RotatedImmediate,
    /// This version alone was revoked.
    VersionRevoked,
    /// Its whole credential was revoked.
    CredentialRevoked,
    /// Its grace period ended.
    GraceEnded,
    /// Its credential's lifetime ended.
    CredentialExpired,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// Revoking only the current version would leave the credential without a working secret;
    /// revoke the credential or rotate with `immediate` instead.
    #[error(
        "the current version cannot be revoked alone; revoke the credential or rotate immediately"
    )]
    CurrentVersionRevoke,
    /// The version is already revoked or expired.
    #[error("the version is {0:?} and can no longer change")]
    Terminal(VersionStatus),
    /// The event does not apply to a version in this status.
    #[error("{event:?} does not apply to a {from:?} version")]
    NotApplicable {
        /// The status of the version.
        from: VersionStatus,
        /// The event.
        event: VersionEvent,
    },
}

/// The status a version moves to when `event` happens to it.
///
/// ```
/// use credential_issuer_spec::{VersionStatus, state::{transition, VersionEvent}};
/// assert_eq!(transition(VersionStatus::Current, VersionEvent::RotatedOverlap), Ok(VersionStatus::Previous));
/// assert!(transition(VersionStatus::Current, VersionEvent::VersionRevoked).is_err());
/// ```
pub fn transition(
    from: VersionStatus,
    event: VersionEvent,
) -> Result<VersionStatus, TransitionError> {
    use VersionEvent as E;
    use VersionStatus as S;
    match (from, event) {
        (S::Current, E::RotatedOverlap) => Ok(S::Previous),
        (S::Previous, E::RotatedOverlap) => Ok(S::Previous),
        (S::Current | S::Previous, E::RotatedImmediate) => Ok(S::Revoked),
        (S::Previous, E::VersionRevoked) => Ok(S::Revoked),
        (S::Current, E::VersionRevoked) => Err(TransitionError::CurrentVersionRevoke),
        (S::Current | S::Previous, E::CredentialRevoked) => Ok(S::Revoked),
        // Revoking a credential leaves its finished versions as they were.
        (S::Revoked | S::Expired, E::CredentialRevoked) => Ok(from),
        (S::Previous, E::GraceEnded) => Ok(S::Expired),
        (S::Current | S::Previous, E::CredentialExpired) => Ok(S::Expired),
        (S::Revoked | S::Expired, _) => Err(TransitionError::Terminal(from)),
        (S::Current, E::GraceEnded) => Err(TransitionError::NotApplicable { from, event }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use VersionEvent as E;
    use VersionStatus as S;

    const EVENTS: [VersionEvent; 6] = [
        E::RotatedOverlap,
        E::RotatedImmediate,
        E::VersionRevoked,
        E::CredentialRevoked,
        E::GraceEnded,
        E::CredentialExpired,
    ];

    #[test]
    fn terminal_states_stay_terminal() {
        for from in [S::Revoked, S::Expired] {
            for event in EVENTS {
                match transition(from, event) {
                    Ok(to) => assert_eq!(to, from, "{from:?} {event:?}"),
                    Err(TransitionError::Terminal(s)) => assert_eq!(s, from),
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    #[test]
    fn only_immediate_or_revocation_ends_the_current_version() {
        // REQ-ROT-*: an overlap rotation never leaves the credential without a working secret.
        for event in EVENTS {
            if let Ok(to) = transition(S::Current, event) {
                let ends = !to.is_valid();
                let allowed = matches!(
                    event,
                    E::RotatedImmediate | E::CredentialRevoked | E::CredentialExpired
                );
                assert_eq!(ends, allowed, "{event:?}");
            }
        }
    }
}
