//! `GET /audit` and `GET /audit/checkpoint`.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use credential_issuer_spec::operations::audit::CHECKPOINT_CONTENT_TYPE;

use super::credentials::query_pairs;
use super::respond;
use crate::http::error::ApiError;
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

/// `GET /audit/checkpoint`: a compact JWS (`application/jose`).
pub(crate) async fn checkpoint(
    State(state): State<AppState>,
    call: Call,
) -> Result<Response, ApiError> {
    let jws = lifecycle::checkpoint(&state.context, &call).await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, CHECKPOINT_CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        jws,
    )
        .into_response())
}
