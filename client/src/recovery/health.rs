//! Health checks, run with the new secret after it is installed everywhere.

use std::path::Path;
use std::time::Duration;

use credential_issuer_spec::Secret;

use super::inventory::HealthCheck;

/// How long one check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a check did not pass. Never carries the secret or a command's output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("health check {check} failed: {reason}")]
pub struct CheckFailed {
    /// The check, as written.
    pub check: String,
    /// How it failed.
    pub reason: String,
}

/// Runs `check` with `secret` in the environment variable `env` (for a command) or as a bearer
/// token (for HTTP), from the directory `base`.
///
/// ```
/// use credential_issuer_client::recovery::{health, HealthCheck};
/// use credential_issuer_spec::Secret;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let check = HealthCheck::Command { command: "test \"$API_KEY\" = s3cret".into() };
/// assert!(health::run(&check, ".".as_ref(), "API_KEY", &Secret::new("s3cret".into())).await.is_ok());
/// assert!(health::run(&check, ".".as_ref(), "API_KEY", &Secret::new("other".into())).await.is_err());
/// # });
/// ```
pub async fn run(
    check: &HealthCheck,
    base: &Path,
    env: &str,
    secret: &Secret,
) -> Result<(), CheckFailed> {
    let fail = |reason: String| CheckFailed {
        check: check.to_string(),
        reason,
    };
    match check {
        HealthCheck::Command { command } => {
            let mut child = tokio::process::Command::new("sh")
                .args(["-c", command])
                .current_dir(base)
                .env(env, secret.expose())
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| fail(format!("cannot start: {e}")))?;
            match tokio::time::timeout(CHECK_TIMEOUT, child.wait()).await {
                Err(_) => Err(fail(format!("no answer within {CHECK_TIMEOUT:?}"))),
                Ok(Err(e)) => Err(fail(e.to_string())),
                Ok(Ok(status)) if status.success() => Ok(()),
                Ok(Ok(status)) => Err(fail(format!("exited with {status}"))),
            }
        }
        HealthCheck::Http { url, expect_status } => {
            let answer = reqwest::Client::new()
                .get(url.clone())
                .bearer_auth(secret.expose())
                .timeout(CHECK_TIMEOUT)
                .send()
                .await
                .map_err(|e| fail(e.without_url().to_string()))?;
            let status = answer.status().as_u16();
            if status == *expect_status {
                Ok(())
            } else {
                Err(fail(format!("answered HTTP {status}")))
            }
        }
    }
}
