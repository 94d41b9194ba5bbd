//! The server's own records, in its own terms: what the store keeps and the lifecycle works on.
//!
//! A leaf: it imports only the spec crate (and serde). Each record pairs a wire document with
//! what only the server may see (keyed hashes, sealed secrets, the vendor's handle on a key),
//! and holds no secret in clear.

mod access_request;
mod audit;
mod credential;
mod exposure;
mod idempotency;
mod token;
mod vendor_key;

pub use access_request::AccessRequestRecord;
pub use audit::AuditEntry;
pub use credential::{CredentialRecord, VersionRecord};
pub use exposure::ExposureRecord;
pub use idempotency::{IdempotencyKey, StoredOutcome, StoredResponse};
pub use token::TokenRecord;
pub use vendor_key::VendorKey;
