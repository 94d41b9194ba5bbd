//! Agent access requests: ask, read, decide, collect. When the issuer does not offer them, every
//! path answers `operation-not-supported` (501, REQ-ERR-20) after authentication.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use credential_issuer_spec::operations::requests::{
    self, ApproveRequest, CreateAccessRequest, DenyRequest,
};

use super::credentials::query_pairs;
use super::extract::{JsonBody, OptionalJsonBody};
use super::respond;
use crate::http::error::ApiError;
use crate::lifecycle::{self, Call};
use crate::state::AppState;

/// `POST /requests`: 202 with the request and its `Location`.
pub(crate) async fn create(
    State(state): State<AppState>,
    call: Call,
    JsonBody(asked): JsonBody<CreateAccessRequest>,
) -> Result<Response, ApiError> {
    let request = lifecycle::create_request(&state.context, &call, asked).await?;
    let mut response = respond::json(StatusCode::ACCEPTED, &request);
    let location = state
        .context
        .issuer
        .operation_url(&requests::GET, request.id.as_str());
    if let Ok(value) = HeaderValue::from_str(location.as_str()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /requests`
pub(crate) async fn list(
    State(state): State<AppState>,
    call: Call,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let page =
        lifecycle::list_requests(&state.context, &call, &query_pairs(query.as_deref())).await?;
    Ok(respond::json(StatusCode::OK, &page))
}

/// `GET /requests/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    call: Call,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let request = lifecycle::get_request(&state.context, &call, &id).await?;
    Ok(respond::json(StatusCode::OK, &request))
}

/// `POST /requests/{id}/approve`
pub(crate) async fn approve(
    State(state): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    OptionalJsonBody(decision): OptionalJsonBody<ApproveRequest>,
) -> Result<Response, ApiError> {
    let request = lifecycle::approve(&state.context, &call, &id, decision).await?;
    Ok(respond::json(StatusCode::OK, &request))
}

/// `POST /requests/{id}/deny`
pub(crate) async fn deny(
    State(state): State<AppState>,
    call: Call,
    Path(id): Path<String>,
    OptionalJsonBody(decision): OptionalJsonBody<DenyRequest>,
) -> Result<Response, ApiError> {
    let request = lifecycle::deny(&state.context, &call, &id, decision).await?;
    Ok(respond::json(StatusCode::OK, &request))
}

/// `POST /requests/{id}/collect`: the credential with its secret, once (`no-store`).
pub(crate) async fn collect(
    State(state): State<AppState>,
    call: Call,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let issued = lifecycle::collect(&state.context, &call, &id).await?;
    Ok(respond::issued(StatusCode::OK, &state, &issued))
}
