//! `POST /exposures`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::respond;
use crate::http::error::ApiError;
use crate::lifecycle::{self, Call};
use crate::state::AppState;

/// `POST /exposures`
pub(crate) async fn report(
    State(state): State<AppState>,
    call: Call,
    body: Bytes,
) -> Result<Response, ApiError> {
    let answer = lifecycle::report_exposure(&state.context, &call, &body).await?;
    Ok(respond::no_store(StatusCode::OK, &answer))
}
