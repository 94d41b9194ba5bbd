//! The reference server, started in-process on 127.0.0.1 with a fresh data directory. The
//! client talks to it over HTTP only.

use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::{AppState, serve};

pub(crate) struct Server {
    pub(crate) issuer: String,
    pub(crate) token: String,
    _dir: tempfile::TempDir,
    pub(crate) state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub(crate) async fn start() -> Self {
        Self::start_with(credential_issuer_server::crypto::signing::SigningAlgorithm::EdDsa).await
    }
    pub(crate) async fn start_with(
        signing_alg: credential_issuer_server::crypto::signing::SigningAlgorithm,
    ) -> Self {
        Self::start_configured(|config| config.signing_alg = signing_alg).await
    }

    pub(crate) async fn start_configured(tune: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = ServerConfig {
            addr: listener.local_addr().unwrap(),
            data_dir: dir.path().join("data"),
            ..ServerConfig::default()
        };
        let mut config = config;
        tune(&mut config);
        let (state, token, task) = if config.issuers.is_empty() {
            let (state, token) = AppState::open(&config).await.unwrap();
            let serving = state.clone();
            let task = tokio::spawn(async move { serve::run(listener, serving).await.unwrap() });
            (state, token, task)
        } else {
            // The gateway: the native issuer and every `[[issuers]]` one on the same listener.
            let (states, token) = AppState::open_gateway(&config).await.unwrap();
            let state = states[0].clone();
            let task =
                tokio::spawn(async move { serve::run_gateway(listener, states).await.unwrap() });
            (state, token, task)
        };
        Self {
            issuer: config.issuer_identifier(),
            token: token.unwrap().expose().to_owned(),
            _dir: dir,
            state,
            task,
        }
    }
}

impl Server {
    pub(crate) fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("data")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
