//! Security: authentication, secrets shown once and never again, scope escalation refused,
//! authorization with a second caller; one file per concern, [`CHECKS`] the group's registry
//! in run order.

mod authentication;
mod scope;
mod second_caller;
mod secrets;

use crate::Group;
use crate::check::Check;

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[
    authentication::AUTH,
    secrets::LEAKS,
    scope::UNKNOWN_PERMISSION,
    scope::WIDENING,
    secrets::GUESSES,
    second_caller::SCOPES,
    second_caller::AUTHORITY,
    second_caller::ROTATE_AUTHORITY,
    second_caller::KEYS_PER_CALLER,
];

const GROUP: Group = Group::Security;
