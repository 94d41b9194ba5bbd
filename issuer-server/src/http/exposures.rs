//! `POST /exposures`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use credential_issuer_spec::operations::exposure::ExposureReport;

use super::extract::JsonBody;
use super::respond;
use crate::http::error::ApiError;
use crate::lifecycle::{self, Call};
use crate::state::AppState;

/// `POST /exposures`
pub(crate) async fn report(
    State(state): State<AppState>,
    call: Call,
    JsonBody(report): JsonBody<ExposureReport>,
) -> Result<Response, ApiError> {
    let answer = lifecycle::report_exposure(&state.context, &call, report).await?;
    Ok(respond::no_store(StatusCode::OK, &answer))
}
