//! The journal: one append-only file per credential in `.credctl/journal/`, each record a JSON
//! line, fsynced before the step it records is relied on. Files are mode 0600 (the directory
//! 0700): they hold the new secret, written before anything else happens to it, and the previous
//! secret, so that a crash or Ctrl-C loses neither. `--resume` reads them back.
//!
//! The journal is the only place recovery writes a secret other than the targets; [`Record`]'s
//! `Debug` redacts secrets like [`Secret`] does.

use std::io::Write;
use std::path::{Path, PathBuf};

use credential_issuer_spec::{CredentialId, RotationMode, Secret};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::RecoveryError;

/// One step of one credential's recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Record {
    /// About to rotate: the rotation's `Idempotency-Key` and `If-Match`, written before the
    /// request is sent, so that a lost answer is fetched again rather than rotated twice.
    Begin {
        /// The issuer.
        issuer: String,
        /// The credential.
        credential_id: CredentialId,
        /// The version being replaced (sent as `If-Match`).
        from_version: u32,
        /// The rotation mode asked for.
        mode: RotationMode,
        /// The `Idempotency-Key` of the rotation (empty for a secret provided by a person).
        idempotency_key: String,
        /// The secret being replaced, when known (to put it back if a check fails).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous_secret: Option<Secret>,
    },
    /// The issuer answered with the new version; its secret is here before it goes anywhere.
    Rotated {
        /// The new version.
        version: u32,
        /// Its secret.
        secret: Secret,
    },
    /// Target `target` (index in the inventory entry) holds the new secret.
    Installed {
        /// The target's index.
        target: usize,
    },
    /// Health check `check` passed.
    Checked {
        /// The check's index.
        check: usize,
    },
    /// The previous version is revoked.
    Revoked {
        /// The version revoked.
        version: u32,
    },
    /// Target `target` holds the previous secret again.
    Restored {
        /// The target's index.
        target: usize,
    },
    /// Finished: every target holds the new secret, every check passed, the old is revoked.
    Done,
    /// Stopped for a person; the previous version was left valid.
    NeedsPerson {
        /// Why, in one line.
        reason: String,
    },
}

/// The recovery state of one credential, folded from its records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// The `Begin` record's fields: from version, mode, key, previous secret.
    pub begun: Option<(u32, RotationMode, String, Option<Secret>)>,
    /// The new version and its secret.
    pub rotated: Option<(u32, Secret)>,
    /// Targets holding the new secret.
    pub installed: Vec<usize>,
    /// Checks passed.
    pub checked: Vec<usize>,
    /// Targets given the previous secret back after a failure.
    pub restored: Vec<usize>,
    /// Whether the previous version is revoked.
    pub revoked: bool,
    /// Whether the recovery finished.
    pub done: bool,
    /// Why it stopped for a person, if it did.
    pub needs_person: Option<String>,
}

impl State {
    /// Folds `records` in order.
    pub fn from_records(records: &[Record]) -> Self {
        let mut state = Self::default();
        for record in records {
            match record {
                Record::Begin {
                    from_version,
                    mode,
                    idempotency_key,
                    previous_secret,
                    ..
                } => {
                    state.begun = Some((
                        *from_version,
                        *mode,
                        idempotency_key.clone(),
                        previous_secret.clone(),
                    ));
                }
                Record::Rotated { version, secret } => {
                    state.rotated = Some((*version, secret.clone()));
                }
                Record::Installed { target } => state.installed.push(*target),
                Record::Checked { check } => state.checked.push(*check),
                Record::Revoked { .. } => state.revoked = true,
                Record::Restored { target } => {
                    state.installed.retain(|t| t != target);
                    state.restored.push(*target);
                }
                Record::Done => state.done = true,
                Record::NeedsPerson { reason } => state.needs_person = Some(reason.clone()),
            }
        }
        state
    }

    /// Whether nothing more will happen to this credential.
    pub fn finished(&self) -> bool {
        self.done || self.needs_person.is_some()
    }
}

/// The journal directory.
///
/// ```
/// use credential_issuer_client::recovery::journal::{Journal, Record};
/// let dir = tempfile::tempdir().unwrap();
/// let journal = Journal::open(&dir.path().join(".credctl/journal")).unwrap();
/// let id = "cred_0123456789abcdef".parse().unwrap();
/// journal.append("https://issuer.example", &id, &Record::Done).unwrap();
/// assert_eq!(journal.load("https://issuer.example", &id).unwrap(), vec![Record::Done]);
/// ```
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// Opens (creating, mode 0700) the journal directory.
    pub fn open(dir: &Path) -> Result<Self, RecoveryError> {
        let write = |source| RecoveryError::Write {
            path: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(write)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(write)?;
        }
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of one credential.
    pub fn path_for(&self, issuer: &str, id: &CredentialId) -> PathBuf {
        let digest = hex::encode(Sha256::digest(issuer.as_bytes()));
        self.dir.join(format!("{}-{}.jsonl", &digest[..12], id))
    }

    /// Every record of one credential, oldest first (none when it has no file). A torn last line
    /// (a crash while appending) is ignored: its step had not been relied on.
    pub fn load(&self, issuer: &str, id: &CredentialId) -> Result<Vec<Record>, RecoveryError> {
        let path = self.path_for(issuer, id);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(RecoveryError::Read { path, source }),
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut records = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            match serde_json::from_str(line) {
                Ok(record) => records.push(record),
                Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
                Err(e) => {
                    return Err(RecoveryError::Journal {
                        path,
                        message: format!("line {}: {e}", i + 1),
                    });
                }
            }
        }
        Ok(records)
    }

    /// Appends one record and fsyncs it before returning.
    pub fn append(
        &self,
        issuer: &str,
        id: &CredentialId,
        record: &Record,
    ) -> Result<(), RecoveryError> {
        let path = self.path_for(issuer, id);
        let mut line = serde_json::to_string(record).map_err(|e| RecoveryError::Journal {
            path: path.clone(),
            message: e.to_string(),
        })?;
        line.push('\n');
        let write = |source| RecoveryError::Write {
            path: path.clone(),
            source,
        };
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(write)?;
        file.write_all(line.as_bytes()).map_err(write)?;
        file.sync_data().map_err(write)
    }

    /// Appends off the async runtime's thread.
    pub async fn append_async(
        &self,
        issuer: &str,
        id: &CredentialId,
        record: Record,
    ) -> Result<(), RecoveryError> {
        let journal = self.clone();
        let issuer = issuer.to_owned();
        let id = id.clone();
        tokio::task::spawn_blocking(move || journal.append(&issuer, &id, &record))
            .await
            .map_err(|e| RecoveryError::Journal {
                path: self.dir.clone(),
                message: e.to_string(),
            })?
    }

    /// The journals of unfinished recoveries.
    pub fn unfinished(&self) -> Result<Vec<PathBuf>, RecoveryError> {
        Ok(self
            .files()?
            .into_iter()
            .filter(|(_, state)| !state.finished())
            .map(|(path, _)| path)
            .collect())
    }

    /// Every credential with a journal here (issuer, id), from its `Begin` record.
    pub fn credentials(&self) -> Result<Vec<super::inventory::CredentialRef>, RecoveryError> {
        let mut refs = Vec::new();
        for (path, _) in self.files()? {
            let text = std::fs::read_to_string(&path).map_err(|source| RecoveryError::Read {
                path: path.clone(),
                source,
            })?;
            if let Some(Record::Begin {
                issuer,
                credential_id,
                ..
            }) = text
                .lines()
                .filter_map(|line| serde_json::from_str::<Record>(line).ok())
                .find(|r| matches!(r, Record::Begin { .. }))
            {
                refs.push((issuer, credential_id));
            }
        }
        refs.sort();
        Ok(refs)
    }

    /// Moves finished journals to `done/` (kept as the record of earlier runs).
    pub fn archive_finished(&self) -> Result<(), RecoveryError> {
        let done = self.dir.join("done");
        for (path, state) in self.files()? {
            if state.finished() {
                std::fs::create_dir_all(&done).map_err(|source| RecoveryError::Write {
                    path: done.clone(),
                    source,
                })?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default();
                let to = done.join(format!("{stamp}-{name}"));
                std::fs::rename(&path, &to)
                    .map_err(|source| RecoveryError::Write { path: to, source })?;
            }
        }
        Ok(())
    }

    fn files(&self) -> Result<Vec<(PathBuf, State)>, RecoveryError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| RecoveryError::Read {
            path: self.dir.clone(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "jsonl") {
                let text =
                    std::fs::read_to_string(&path).map_err(|source| RecoveryError::Read {
                        path: path.clone(),
                        source,
                    })?;
                let records: Vec<Record> = text
                    .lines()
                    .filter_map(|line| serde_json::from_str(line).ok())
                    .collect();
                files.push((path, State::from_records(&records)));
            }
        }
        Ok(files)
    }
}
