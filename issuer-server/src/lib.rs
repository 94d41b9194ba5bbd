//! # credential-issuer-server
//!
//! The reference issuer of the credential-issuer protocol: an axum server that serves the
//! manifest, the permission schema and the lifecycle operations (create, list, get, rotate,
//! revoke, introspect, report exposure, audit), with SQLite as the embedded store.
//!
//! The crate is a library first: [`app`] builds the axum `Router` for an [`AppState`], so that
//! tests and other programs can serve it on their own listener; the `credential-issuer-server`
//! binary adds configuration, logging and signal handling.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use credential_issuer_server::{AppState, app, config::ServerConfig};
//! let config = ServerConfig::default();
//! let (state, _bootstrap_token) = AppState::open(&config).await?;
//! let listener = tokio::net::TcpListener::bind(config.addr).await?;
//! axum::serve(listener, app(state)).await?;
//! # Ok(()) }
//! ```

pub mod backends;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod gateway;
mod http;
pub mod issuer;
pub mod lifecycle;
pub mod model;
pub mod openapi;
pub mod serve;
mod state;
pub mod store;

pub use http::{app, gateway_app};
pub use state::{AppState, BOOTSTRAP_TOKEN_FILE, StartupError};
