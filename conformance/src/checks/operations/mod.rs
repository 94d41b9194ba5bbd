//! Operations: each claimed operation's success path and the version state machine, one file
//! per concern; [`CHECKS`] is the group's registry in run order.

mod create;
mod exposure;
mod introspect;
mod lifetime;
mod read;
mod revoke;
mod rotate;

use credential_issuer_spec::Operation;

use crate::Group;
use crate::check::Check;

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[
    create::ISSUED,
    create::EXPIRES_IN,
    read::GET,
    read::LIST,
    introspect::INTROSPECTION,
    rotate::OVERLAP,
    rotate::STALE_IF_MATCH,
    revoke::REVOKE_VERSION,
    revoke::REVOKE_CURRENT,
    rotate::IMMEDIATE,
    revoke::REVOKE,
    lifetime::GRACE_PERIOD,
    lifetime::LIFETIME,
    exposure::EXPOSURE,
    rotate::VERSION_LIMIT,
    revoke::EMPTY_BODY,
    rotate::RACE,
    create::IDEMPOTENCY,
];

const GROUP: Group = Group::Operations;
const NEEDS_CREATE: &[Operation] = &[Operation::Create];
const NEEDS_CREATE_INTROSPECT: &[Operation] = &[Operation::Create, Operation::Introspect];
const NEEDS_ROTATE: &[Operation] = &[Operation::Create, Operation::Rotate, Operation::Introspect];
const NEEDS_REVOKE: &[Operation] = &[
    Operation::Create,
    Operation::Rotate,
    Operation::Revoke,
    Operation::Introspect,
];
const NEEDS_LIST: &[Operation] = &[Operation::Create, Operation::List];
