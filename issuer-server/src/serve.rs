//! Running the server: bind, serve until SIGTERM or Ctrl-C (finishing requests in flight), and
//! carry out time-driven transitions in the background.

use std::time::Duration;

use tokio::net::TcpListener;

use crate::state::AppState;

/// How often due expirations are made durable and audited.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Serves `state` on `listener` until a shutdown signal arrives.
pub async fn run(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    run_gateway(listener, vec![state]).await
}

/// Serves every issuer of `states` on `listener` until a shutdown signal arrives, sweeping
/// each issuer's time-driven transitions and its vendor retirements in the background.
pub async fn run_gateway(listener: TcpListener, states: Vec<AppState>) -> std::io::Result<()> {
    let contexts: Vec<_> = states.iter().map(|s| s.context().clone()).collect();
    // Stopped when this future ends or is dropped, so no sweep outlives its server.
    let _sweeper = AbortOnDrop(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            ticker.tick().await;
            crate::lifecycle::sweep_once(&contexts).await;
        }
    }));
    axum::serve(listener, crate::gateway_app(states))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// A background task that ends with its owner.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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
