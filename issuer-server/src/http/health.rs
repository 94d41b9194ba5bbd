//! `/livez` (the process answers) and `/readyz` (the store answers too).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::respond;
use crate::http::error::ApiError;
use crate::state::AppState;

/// `GET /livez`
pub(crate) async fn live() -> Response {
    respond::json(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`
pub(crate) async fn ready(State(state): State<AppState>) -> Result<Response, ApiError> {
    state
        .context
        .store
        .ping()
        .await
        .map_err(|_| ApiError::Unavailable)?;
    Ok(respond::json(
        StatusCode::OK,
        &serde_json::json!({ "status": "ready" }),
    ))
}
