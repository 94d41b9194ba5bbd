//! Errors: each error path answers problem+json with a spec type, and bad input changes
//! nothing; one file per concern, [`CHECKS`] the group's registry in run order.

mod bodies;
mod input;
mod routes;

use credential_issuer_spec::Operation;

use crate::Group;
use crate::check::Check;

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[
    bodies::MALFORMED,
    bodies::MEDIA,
    bodies::TOO_LARGE,
    routes::ROUTES,
    routes::UNKNOWN_ID,
    routes::QUERY,
    routes::UNCLAIMED,
    input::EXPOSURES,
    input::BAD_CREATE,
    input::BAD_ROTATION,
];

const GROUP: Group = Group::Errors;
const NEEDS_CREATE: &[Operation] = &[Operation::Create, Operation::List];
