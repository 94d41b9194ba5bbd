//! `GET /audit` (signed checkpoints come with the trust work: `/audit/checkpoint` answers 501).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::credentials::query_pairs;
use super::respond;
use crate::error::ApiError;
use crate::lifecycle::{self, Call};
use crate::state::AppState;

/// `GET /audit`
pub(crate) async fn list(
    State(state): State<AppState>,
    call: Call,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let page = lifecycle::list_audit(&state.context, &call, &query_pairs(query.as_deref())).await?;
    Ok(respond::json(StatusCode::OK, &page))
}

/// `GET /audit/checkpoint`: this server does not sign checkpoints yet.
pub(crate) async fn checkpoint(_call: Call) -> Result<Response, ApiError> {
    Err(ApiError::OperationNotSupported("audit checkpoint"))
}
