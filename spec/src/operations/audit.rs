//! `GET /audit` and `GET /audit/checkpoint` (spec §"Audit").

use super::{Endpoint, Method};
use crate::auth::ApiScope;

/// Answers `200` with a [`Page`](super::Page) of [`AuditEvent`](crate::AuditEvent)s, oldest first.
/// Query: `credential_id`, `after_seq`, `limit`.
pub const LIST: Endpoint = Endpoint {
    method: Method::Get,
    path: "/audit",
    scope: ApiScope::AuditRead,
};

/// Answers `200` with a compact JWS (`application/jose`) over a
/// [`CheckpointPayload`](crate::CheckpointPayload).
pub const CHECKPOINT: Endpoint = Endpoint {
    method: Method::Get,
    path: "/audit/checkpoint",
    scope: ApiScope::AuditRead,
};

/// The media type of a checkpoint.
pub const CHECKPOINT_CONTENT_TYPE: &str = "application/jose";
