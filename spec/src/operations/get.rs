//! `GET /credentials/{id}`: one credential (spec §"List and get").

use super::{Endpoint, Method};
use crate::auth::ApiScope;

/// Answers `200` with a [`Credential`](crate::Credential) and an `ETag` of its current version.
pub const ENDPOINT: Endpoint = Endpoint {
    method: Method::Get,
    path: "/credentials/{id}",
    scope: ApiScope::CredentialsRead,
};
