//! The authenticated caller, from `Authorization: Bearer <token>` (REQ-AUTH-1, REQ-AUTH-3).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::request_id;
use crate::http::error::ApiError;
use crate::lifecycle::{Call, Caller};
use crate::minting::{macs_equal, secret_mac};
use crate::state::AppState;
use crate::tokens::token_format;

impl FromRequestParts<AppState> for Call {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthorized { presented: false });
        };
        let invalid = ApiError::Unauthorized { presented: true };
        let value = value
            .to_str()
            .map_err(|_| ApiError::Unauthorized { presented: true })?;
        let (scheme, token) = value
            .split_once(' ')
            .ok_or(ApiError::Unauthorized { presented: true })?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(invalid);
        }
        let token = token.trim();
        // The checksum turns away typos and random strings without a database lookup.
        if token_format().verify(token).is_err() {
            return Err(invalid);
        }
        let mac = secret_mac(&state.context.keys.token_mac, token);
        let record = state
            .context
            .store
            .token_by_mac(&mac)
            .await
            .map_err(|_| ApiError::Unavailable)?
            .filter(|record| macs_equal(&record.mac, &mac))
            .ok_or(invalid)?;
        Ok(Call {
            caller: Caller {
                token_id: record.id,
                scopes: record.scopes,
                authority: record.authority,
            },
            request_id: request_id::current(),
        })
    }
}
