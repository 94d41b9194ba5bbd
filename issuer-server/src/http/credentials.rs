//! Credential operations: create, list, get, rotate, revoke, introspect (thin: extract, call
//! `lifecycle`, respond).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::operations::introspect::IntrospectRequest;
use credential_issuer_spec::operations::revoke::RevokeRequest;
use credential_issuer_spec::operations::rotate::RotateRequest;

use super::extract::{CredentialPath, JsonBody, OptionalJsonBody};
use super::respond::{self, header_text};
use crate::http::error::ApiError;
use crate::lifecycle::{self, Call};
use crate::state::AppState;

/// The query string as `(name, value)` pairs.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// `POST /credentials`
pub(crate) async fn create(
    State(state): State<AppState>,
    call: Call,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreateRequest>,
) -> Result<Response, ApiError> {
    let key = header_text(&headers, "idempotency-key")?;
    let issued = lifecycle::create(&state.context, &call, request, key).await?;
    Ok(respond::issued(StatusCode::CREATED, &state, &issued))
}

/// `GET /credentials`
pub(crate) async fn list(
    State(state): State<AppState>,
    call: Call,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let page = lifecycle::list(&state.context, &call, &query_pairs(query.as_deref())).await?;
    Ok(respond::json(StatusCode::OK, &page))
}

/// `GET /credentials/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    call: Call,
    CredentialPath(id): CredentialPath,
) -> Result<Response, ApiError> {
    let credential = lifecycle::get(&state.context, &call, &id).await?;
    Ok(respond::credential(&credential))
}

/// `POST /credentials/{id}/rotate`
pub(crate) async fn rotate(
    State(state): State<AppState>,
    call: Call,
    CredentialPath(id): CredentialPath,
    headers: HeaderMap,
    OptionalJsonBody(request): OptionalJsonBody<RotateRequest>,
) -> Result<Response, ApiError> {
    let if_match = header_text(&headers, "if-match")?;
    let key = header_text(&headers, "idempotency-key")?;
    let issued = lifecycle::rotate(&state.context, &call, &id, request, if_match, key).await?;
    Ok(respond::issued(StatusCode::OK, &state, &issued))
}

/// `POST /credentials/{id}/revoke`
pub(crate) async fn revoke(
    State(state): State<AppState>,
    call: Call,
    CredentialPath(id): CredentialPath,
    OptionalJsonBody(request): OptionalJsonBody<RevokeRequest>,
) -> Result<Response, ApiError> {
    let credential = lifecycle::revoke(&state.context, &call, &id, request).await?;
    Ok(respond::credential(&credential))
}

/// `POST /credentials/introspect`
pub(crate) async fn introspect(
    State(state): State<AppState>,
    call: Call,
    JsonBody(request): JsonBody<IntrospectRequest>,
) -> Result<Response, ApiError> {
    let answer = lifecycle::introspect(&state.context, &call, request).await?;
    Ok(respond::no_store(StatusCode::OK, &answer))
}
