//! The HTTP surface: routes built from the spec's endpoint constants, thin handlers, and the
//! middleware every request passes through (request id, body checks, tracing).

mod audit;
mod body_limit;
mod caller;
mod credentials;
mod discovery;
pub(crate) mod error;
mod exposures;
mod extract;
mod health;
pub(crate) mod request_id;
mod requests;
mod respond;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use credential_issuer_spec::WELL_KNOWN_SUFFIX;
use credential_issuer_spec::operations::{self, Endpoint};

use crate::http::error::ApiError;
use crate::issuer::{ENDPOINT_PATH, JWKS_PATH, PERMISSION_SCHEMA_PATH};
use crate::state::AppState;

/// Builds the router of a server hosting one issuer: discovery, operations, health, OpenAPI.
pub fn app(state: AppState) -> Router {
    gateway_app(vec![state])
}

/// Builds the router of a server hosting several issuers (the gateway), each at its own path;
/// health and the OpenAPI description are answered for the first.
pub fn gateway_app(states: Vec<AppState>) -> Router {
    let mut router = Router::new();
    let mut primary = None;
    for state in states {
        primary.get_or_insert_with(|| state.clone());
        router = router.merge(issuer_routes(state));
    }
    if let Some(primary) = primary {
        router = router.merge(
            Router::new()
                .route("/openapi.json", get(discovery::openapi))
                .route("/livez", get(health::live))
                .route("/readyz", get(health::ready))
                .with_state(primary),
        );
    }
    router
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn(body_limit::check))
        .layer(middleware::from_fn(request_id::assign))
}

/// The routes of one issuer: its discovery documents and operations, below its path.
fn issuer_routes(state: AppState) -> Router {
    let issuer_path = state.context.issuer.id.path().to_owned();
    let base = format!("{issuer_path}{ENDPOINT_PATH}");
    let at = |endpoint: &Endpoint| format!("{base}{}", endpoint.path);
    Router::new()
        .route(
            &format!("{WELL_KNOWN_SUFFIX}{issuer_path}"),
            get(discovery::manifest),
        )
        .route(
            &format!("{base}{PERMISSION_SCHEMA_PATH}"),
            get(discovery::permission_schema),
        )
        .route(&format!("{base}{JWKS_PATH}"), get(discovery::jwks))
        .route(
            &at(&operations::create::ENDPOINT),
            post(credentials::create).get(credentials::list),
        )
        .route(&at(&operations::get::ENDPOINT), get(credentials::get))
        .route(
            &at(&operations::rotate::ENDPOINT),
            post(credentials::rotate),
        )
        .route(
            &at(&operations::revoke::ENDPOINT),
            post(credentials::revoke),
        )
        .route(
            &at(&operations::introspect::ENDPOINT),
            post(credentials::introspect),
        )
        .route(
            &at(&operations::exposure::ENDPOINT),
            post(exposures::report),
        )
        .route(&at(&operations::audit::LIST), get(audit::list))
        .route(&at(&operations::audit::CHECKPOINT), get(audit::checkpoint))
        .route(
            &at(&operations::requests::CREATE),
            post(requests::create).get(requests::list),
        )
        .route(&at(&operations::requests::GET), get(requests::get))
        .route(&at(&operations::requests::APPROVE), post(requests::approve))
        .route(&at(&operations::requests::DENY), post(requests::deny))
        .route(&at(&operations::requests::COLLECT), post(requests::collect))
        .with_state(state)
}
