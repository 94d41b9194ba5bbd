//! Access requests are not offered by this server yet; their paths answer
//! `operation-not-supported` (501, REQ-ERR-20) after authentication.

use axum::response::Response;

use crate::error::ApiError;
use crate::lifecycle::Call;

/// Every `/requests` path.
pub(crate) async fn not_offered(_call: Call) -> Result<Response, ApiError> {
    Err(ApiError::OperationNotSupported("request"))
}
