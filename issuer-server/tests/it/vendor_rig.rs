//! The vendor rig: Stoplight Prism (pinned in `tests/vendor-rig/package.json`, installed with
//! `npm ci` by `.ci/vendor-rig.sh`) in proxy mode between a shim and the test's fake of the
//! vendor, so that every request the shim sends and every answer the fake gives is checked
//! against the vendor's official OpenAPI description; with `--errors`, a violation is answered
//! with an error instead of being passed on, and the test fails.
//!
//! The tests that need the rig are `#[ignore]`d with the reason, so that `cargo test` reports
//! them as ignored; `cargo test -- --ignored` (as CI runs after `.ci/vendor-rig.sh`) runs them,
//! and then a missing rig is a failure.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The rig's directory.
pub(crate) fn rig_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor-rig")
}

/// Fails a test whose rig is missing, saying how to install it.
pub(crate) fn missing(test: &str, what: &str) -> ! {
    panic!("{test}: {what}; run .ci/vendor-rig.sh to install the vendor rig")
}

/// The operations the OpenAI shim calls: what the committed description is trimmed to.
const OPENAI_OPERATIONS: &[&str] = &[
    "POST:/organization/projects/{project_id}/service_accounts",
    "DELETE:/organization/projects/{project_id}/service_accounts/{service_account_id}",
    "GET:/organization/projects/{project_id}/api_keys",
    "DELETE:/organization/projects/{project_id}/api_keys/{api_key_id}",
    "GET:/organization/admin_api_keys",
    "POST:/organization/admin_api_keys",
    "DELETE:/organization/admin_api_keys/{key_id}",
];

/// The official OpenAI description, trimmed to the operations the shim uses (closed request
/// bodies, explicit `/v1`): committed in `tests/vendor-rig/openai/` with its licence and source.
pub(crate) fn openai_spec() -> PathBuf {
    rig_dir().join("openai/openapi.trimmed.json")
}

/// The committed trimmed description is what `trim-openapi.py` makes of the official one, when
/// the official one is at hand (it is 3 MB, so it is not committed).
#[test]
#[ignore = "needs the full OpenAI description (CREDENTIAL_ISSUER_OPENAI_SPEC, or ../shared/vendor-specs beside the checkout); a maintainer's check, not run by CI"]
fn the_trimmed_openai_description_is_current() {
    let test = "the_trimmed_openai_description_is_current";
    let source = std::env::var_os("CREDENTIAL_ISSUER_OPENAI_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/vendor-specs/openai/openapi.yaml")
        });
    assert!(
        source.exists(),
        "{test}: no OpenAI description at {}; set CREDENTIAL_ISSUER_OPENAI_SPEC",
        source.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("openapi.trimmed.json");
    let status = Command::new("python3")
        .arg(rig_dir().join("trim-openapi.py"))
        .arg(&source)
        .arg(&out)
        .args(["--prefix", "/v1"])
        .args(OPENAI_OPERATIONS)
        .status();
    match status {
        Ok(status) if status.success() => {}
        other => missing(test, &format!("trim-openapi.py did not run: {other:?}")),
    }
    let fresh = std::fs::read(&out).unwrap();
    let committed = std::fs::read(rig_dir().join("openai/openapi.trimmed.json")).unwrap();
    assert!(
        fresh == committed,
        "tests/vendor-rig/openai/openapi.trimmed.json is stale; regenerate it with \
         tests/vendor-rig/trim-openapi.py (see tests/vendor-rig/openai/SOURCE)"
    );
}

/// GitHub's official description (`@octokit/openapi`, pinned), trimmed to the operation the
/// shim uses (its request body closed), written into `dir`.
pub(crate) fn github_spec(test: &str, dir: &Path) -> PathBuf {
    let source = rig_dir().join("node_modules/@octokit/openapi/generated/api.github.com.json");
    if !source.exists() {
        missing(
            test,
            "@octokit/openapi is not installed (tests/vendor-rig/node_modules)",
        );
    }
    let out = dir.join("github.trimmed.json");
    let status = Command::new("python3")
        .arg(rig_dir().join("trim-openapi.py"))
        .arg(&source)
        .arg(&out)
        .arg("POST:/app/installations/{installation_id}/access_tokens")
        .status();
    match status {
        Ok(status) if status.success() => out,
        other => missing(
            test,
            &format!("trimming the GitHub description failed: {other:?}"),
        ),
    }
}

/// A running Prism proxy; stopped when dropped.
pub(crate) struct Prism {
    /// Its base URL, e.g. `http://127.0.0.1:40123`.
    pub(crate) url: String,
    child: Child,
    log: PathBuf,
}

impl Prism {
    /// Starts `prism proxy spec upstream --errors` on a free port of 127.0.0.1, and waits until
    /// it listens.
    pub(crate) async fn start(test: &str, spec: &Path, upstream: SocketAddr, dir: &Path) -> Self {
        let bin = rig_dir().join("node_modules/.bin/prism");
        if !bin.exists() {
            missing(
                test,
                "Prism is not installed (tests/vendor-rig/node_modules)",
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("prism-{port}.log"));
        let child = Command::new(bin)
            .arg("proxy")
            .arg(spec)
            .arg(format!("http://{upstream}"))
            .args([
                "--errors",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::inherit())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) => missing(test, &format!("Prism did not start: {error}")),
        };
        let prism = Self {
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
        };
        for _ in 0..600 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return prism;
            }
            // Waits for the Prism process to listen on its socket.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Prism did not listen within 60 s:\n{}", prism.log_text());
    }

    /// What Prism printed (its validation messages).
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `router` on a free port of 127.0.0.1 (the fake vendor), until the test ends.
pub(crate) async fn serve_fake(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}
