//! Installing a secret where it is used: a `.env` file (rewritten atomically, one writer per file
//! at a time), a command receiving the secret on standard input (all of it in the pipe before
//! the command starts), or a webhook.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use credential_issuer_spec::Secret;

use super::inventory::{Target, WebhookMethod};
use crate::atomic_write::{FileMode, write_atomically};

/// The longest secret a command target accepts: what a pipe holds before its reader reads
/// (`PIPE_BUF` on Linux, and the least a pipe holds there, one page). The secret is all in the
/// pipe before the command starts, so that the command reads all of it or none even when
/// credctl is killed meanwhile.
pub const MAX_COMMAND_SECRET_BYTES: usize = 4096;

/// Why a secret could not be installed. Never carries the secret (nor a command's output, which
/// might echo it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The command could not be run or did not succeed.
    #[error("command `{command}`: {reason}")]
    Command {
        /// The command.
        command: String,
        /// How it ended.
        reason: String,
    },
    /// The webhook did not accept the secret.
    #[error("webhook {url}: {reason}")]
    Webhook {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
}

/// What a target holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readback {
    /// This secret.
    Holds(Secret),
    /// Nothing (no such file or key).
    Absent,
    /// Cannot be read back (a command, a webhook).
    Unreadable,
}

/// Installs secrets into targets, with paths relative to `base`.
///
/// ```
/// use credential_issuer_client::recovery::targets::{Installer, Readback};
/// use credential_issuer_client::recovery::Target;
/// use credential_issuer_spec::Secret;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join(".env"), "OTHER=1\nAPI_KEY=old\n").unwrap();
/// let installer = Installer::new(dir.path());
/// let target = Target::EnvFile { path: ".env".into(), key: None };
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// installer.install(&target, "API_KEY", &Secret::new("new".into())).await.unwrap();
/// # });
/// assert_eq!(installer.read(&target, "API_KEY"), Readback::Holds(Secret::new("new".into())));
/// assert_eq!(std::fs::read_to_string(dir.path().join(".env")).unwrap(), "OTHER=1\nAPI_KEY=new\n");
/// ```
#[derive(Debug, Clone)]
pub struct Installer {
    base: PathBuf,
    locks: Arc<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>>,
    http: reqwest::Client,
}

impl Installer {
    /// An installer for an inventory in `base`.
    pub fn new(base: &Path) -> Self {
        Self {
            base: base.to_owned(),
            locks: Arc::default(),
            http: reqwest::Client::new(),
        }
    }

    /// The directory relative paths and commands start from.
    pub fn base(&self) -> &Path {
        &self.base
    }

    fn lock_for(&self, path: &Path) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = match self.locks.lock() {
            Ok(locks) => locks,
            Err(poisoned) => poisoned.into_inner(),
        };
        locks.entry(path.to_owned()).or_default().clone()
    }

    /// Puts `secret` into `target` under the variable name `env`.
    pub async fn install(
        &self,
        target: &Target,
        env: &str,
        secret: &Secret,
    ) -> Result<(), TargetError> {
        match target {
            Target::EnvFile { path, key } => {
                let path = self.base.join(path);
                let key = key.as_deref().unwrap_or(env);
                let lock = self.lock_for(&path);
                let _held = lock.lock().await;
                let file_error = |e: std::io::Error| TargetError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                };
                let current = match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(e) => return Err(file_error(e)),
                };
                let updated = set_env_line(&current, key, secret.expose());
                let write_path = path.clone();
                tokio::task::spawn_blocking(move || {
                    write_atomically(&write_path, updated.as_bytes(), FileMode::KeepOr(0o600))
                })
                .await
                .map_err(|e| TargetError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?
                .map_err(file_error)
            }
            Target::Command { command } => {
                let fail = |reason: String| TargetError::Command {
                    command: command.clone(),
                    reason,
                };
                // The whole secret is in the pipe and its writing end closed before the command
                // starts: a command started by a credctl that is then killed still reads the
                // whole secret, never an end of input cut short (which it would take for an
                // empty or truncated secret and install).
                let secret = secret.expose().as_bytes();
                if secret.len() > MAX_COMMAND_SECRET_BYTES {
                    return Err(fail(format!(
                        "the secret is longer than the {MAX_COMMAND_SECRET_BYTES} bytes a command \
                         target takes"
                    )));
                }
                let (input, mut feed) =
                    std::io::pipe().map_err(|e| fail(format!("cannot make its input: {e}")))?;
                feed.write_all(secret)
                    .map_err(|e| fail(format!("cannot write its input: {e}")))?;
                drop(feed);
                let mut child = tokio::process::Command::new("sh")
                    .args(["-c", command])
                    .current_dir(&self.base)
                    .env("CREDCTL_SECRET_NAME", env)
                    .stdin(input)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .map_err(|e| fail(format!("cannot start: {e}")))?;
                let status = child.wait().await.map_err(|e| fail(e.to_string()))?;
                if status.success() {
                    Ok(())
                } else {
                    Err(fail(format!("exited with {status}")))
                }
            }
            Target::Webhook { url, method } => {
                let fail = |reason: String| TargetError::Webhook {
                    url: url.to_string(),
                    reason,
                };
                let request = match method {
                    WebhookMethod::Put => self.http.put(url.clone()),
                    WebhookMethod::Post => self.http.post(url.clone()),
                };
                let answer = request
                    .json(&serde_json::json!({ "name": env, "secret": secret.expose() }))
                    .send()
                    .await
                    .map_err(|e| fail(e.without_url().to_string()))?;
                if answer.status().is_success() {
                    Ok(())
                } else {
                    Err(fail(format!("answered HTTP {}", answer.status().as_u16())))
                }
            }
        }
    }

    /// What `target` holds now, when that can be read back.
    pub fn read(&self, target: &Target, env: &str) -> Readback {
        match target {
            Target::EnvFile { path, key } => match std::fs::read_to_string(self.base.join(path)) {
                Ok(text) => get_env_line(&text, key.as_deref().unwrap_or(env))
                    .map_or(Readback::Absent, Readback::Holds),
                Err(_) => Readback::Absent,
            },
            Target::Command { .. } | Target::Webhook { .. } => Readback::Unreadable,
        }
    }
}

fn split_key(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (key, value) = line.split_once('=')?;
    Some((key.trim(), value))
}

/// The value of `key` in dotenv text (unquoted).
fn get_env_line(text: &str, key: &str) -> Option<Secret> {
    text.lines().rev().find_map(|line| {
        let (k, value) = split_key(line)?;
        (k == key).then(|| {
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Secret::new(value.to_owned())
        })
    })
}

/// `text` with `key` set to `value`: every line of the key replaced, or one appended.
fn set_env_line(text: &str, key: &str, value: &str) -> String {
    let mut out = String::with_capacity(text.len() + key.len() + value.len() + 2);
    let mut found = false;
    for line in text.lines() {
        match split_key(line) {
            Some((k, _)) if k == key => {
                let export = line.trim_start().starts_with("export ");
                if export {
                    out.push_str("export ");
                }
                out.push_str(key);
                out.push('=');
                out.push_str(value);
                found = true;
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    if !found {
        out.push_str(key);
        out.push('=');
        out.push_str(value);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_are_replaced_in_place_and_quotes_read() {
        let text = "# c\nexport A=\"x\"\nB=2\n";
        assert_eq!(get_env_line(text, "A"), Some(Secret::new("x".into())));
        assert_eq!(set_env_line(text, "A", "y"), "# c\nexport A=y\nB=2\n");
        assert_eq!(
            set_env_line(text, "C", "3"),
            "# c\nexport A=\"x\"\nB=2\nC=3\n"
        );
        assert_eq!(get_env_line(text, "Z"), None);
    }
}
