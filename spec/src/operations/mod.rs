//! The operations, one file each: method, path (relative to `credential_issuer_endpoint`), the
//! issuer-API scope required, and the request and response documents (spec §"Operations").
//!
//! The server's router and the client both read these constants, so no path is written twice.

pub mod audit;
pub mod create;
pub mod exposure;
pub mod get;
pub mod introspect;
pub mod list;
pub mod requests;
pub mod revoke;
pub mod rotate;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::ApiScope;

/// An HTTP method used by the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// Where an operation lives and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path template relative to `credential_issuer_endpoint`; `{id}` is a path parameter.
    pub path: &'static str,
    /// The issuer-API scope a caller's token must hold.
    pub scope: ApiScope,
}

impl Endpoint {
    /// The path with `{id}` replaced by `id` (ids are URL-safe by construction).
    pub fn path_for(&self, id: &str) -> String {
        self.path.replace("{id}", id)
    }
}

/// Every endpoint of the protocol.
pub const ALL: &[Endpoint] = &[
    create::ENDPOINT,
    list::ENDPOINT,
    get::ENDPOINT,
    rotate::ENDPOINT,
    revoke::ENDPOINT,
    introspect::ENDPOINT,
    exposure::ENDPOINT,
    requests::CREATE,
    requests::LIST,
    requests::GET,
    requests::APPROVE,
    requests::DENY,
    requests::COLLECT,
    audit::LIST,
    audit::CHECKPOINT,
];

/// One page of a listing (spec §"Pagination").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The cursor of the next page; absent or `null` on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The default number of items on a page.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The largest `limit` an issuer must accept.
pub const MAX_PAGE_SIZE: u32 = 200;
