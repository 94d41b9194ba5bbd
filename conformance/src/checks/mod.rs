//! The checks, one module per group (split further by concern where a group is large), each
//! group's registry a slice of [`Check`]s in run order, and the helpers the checks share.

pub(crate) mod audit;
pub(crate) mod discovery;
pub(crate) mod documents;
pub(crate) mod errors;
mod expect;
mod lifecycle;
pub(crate) mod operations;
pub(crate) mod requests;
mod sample;
pub(crate) mod security;
mod signature;

pub(crate) use lifecycle::cleanup;

use crate::Group;
use crate::check::Check;

/// The checks of `group`, in run order.
pub(crate) fn of(group: Group) -> &'static [Check] {
    match group {
        Group::Discovery => discovery::CHECKS,
        Group::Documents => documents::CHECKS,
        Group::Operations => operations::CHECKS,
        Group::Errors => errors::CHECKS,
        Group::Security => security::CHECKS,
        Group::Requests => requests::CHECKS,
        Group::Audit => audit::CHECKS,
    }
}
