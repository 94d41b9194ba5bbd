//! The authenticated caller, from `Authorization: Bearer <token>`; the token itself is checked
//! by [`lifecycle::authenticate`](crate::lifecycle::authenticate).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::error::ApiError;
use super::request_id;
use crate::lifecycle::{self, AuthError, Call};
use crate::state::AppState;

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let invalid = ApiError::Unauthorized { presented: true };
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthorized { presented: false });
        };
        let (scheme, token) = value
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .ok_or(ApiError::Unauthorized { presented: true })?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(invalid);
        }
        let caller = lifecycle::authenticate(&state.context, token.trim())
            .await
            .map_err(|error| match error {
                AuthError::Invalid => ApiError::Unauthorized { presented: true },
                AuthError::Unavailable(_) => ApiError::Unavailable,
            })?;
        Ok(Call {
            caller,
            request_id: request_id::current(),
        })
    }
}
