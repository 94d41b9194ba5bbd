//! Running the server: bind, serve until SIGTERM or Ctrl-C (finishing requests in flight), and
//! carry out time-driven transitions in the background.

use std::time::Duration;

use tokio::net::TcpListener;

use crate::lifecycle::expiry;
use crate::state::AppState;

/// How often due expirations are made durable and audited.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Serves `state` on `listener` until a shutdown signal arrives.
pub async fn run(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let context = state.context().clone();
    let sweeper = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            ticker.tick().await;
            if let Err(error) = crate::lifecycle::purge_expired_responses(&context).await {
                tracing::warn!(%error, "could not purge expired idempotent responses; retrying");
            }
            if let Err(error) = crate::lifecycle::expire_requests(&context).await {
                tracing::warn!(%error, "could not expire access requests; retrying");
            }
            match expiry::sweep(&context).await {
                Ok(0) => {}
                Ok(changed) => tracing::info!(changed, "expired versions and credentials recorded"),
                Err(error) => tracing::warn!(%error, "expiry sweep failed; retrying"),
            }
        }
    });
    let result = axum::serve(listener, crate::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    sweeper.abort();
    result
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
