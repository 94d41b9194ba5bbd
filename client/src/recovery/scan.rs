//! Finding secrets in files, directories and git history by the issuers' `secret_formats`: the
//! published regex finds candidates, the published checksum confirms them (spec §"Secret
//! formats", REQ-SEC-6), so a random string or a mistyped copy that looks alike is not reported.
//! Findings name file, line and issuer, never the secret.
//!
//! Some vendors' secrets have no recognisable form (an AWS secret access key is 40 characters of
//! base64): for those, an assignment to a variable the inventory names (`AWS_SECRET=...` in a
//! `.env` or shell file, `AWS_SECRET: ...` in YAML) is a finding of that variable's issuer, which
//! introspection then confirms or not.

use std::path::{Path, PathBuf};

use credential_issuer_spec::secret::{CHECKSUM_LEN, crc32_base62};
use credential_issuer_spec::{ChecksumScheme, CredentialType, Secret, SecretFormatDescriptor};
use regex::Regex;
use serde::Serialize;

use super::RecoveryError;

/// Directories never scanned: version control internals, build output, dependencies, and the
/// recovery journal (which holds secrets on purpose).
pub const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".credctl"];

/// Files larger than this are not scanned.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Where a secret was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file (relative to the scanned path for git history).
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// The commit that added the line, for git history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A secret found. The secret itself is kept for introspection but never serialized or shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Where.
    pub location: Location,
    /// The issuer whose format it has.
    pub issuer: String,
    /// The credential type of that format.
    pub credential_type: CredentialType,
    /// A hint a person can recognise it by (prefix and checksum characters only).
    pub hint: String,
    /// `sha256:<hex>`, to match it without showing it.
    pub fingerprint: String,
    /// The secret.
    #[serde(skip)]
    pub secret: Secret,
}

#[derive(Debug)]
struct Pattern {
    issuer: String,
    format: SecretFormatDescriptor,
    regex: Regex,
}

/// A scanner for the formats of some issuers.
///
/// ```
/// use credential_issuer_client::recovery::scan::Scanner;
/// use credential_issuer_spec::{ChecksumScheme, CredentialType, NativeSecretFormat, SecretFormatDescriptor};
/// let native = NativeSecretFormat::new("cik_").unwrap();
/// let format = SecretFormatDescriptor {
///     credential_type: CredentialType::ApiKey, prefix: "cik_".into(), regex: native.regex(),
///     checksum: ChecksumScheme::Crc32Base62, length: Some(native.len() as u32),
/// };
/// let scanner = Scanner::new([("https://issuer.example".to_owned(), format)]).unwrap();
/// let secret = native.assemble(&"a".repeat(43)).unwrap();
/// let text = format!("A=1\nAPI_KEY={}\n", secret.expose());
/// let found = scanner.scan_text(&text, ".env".as_ref(), None);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].location.line, 2);
/// // a typo breaks the checksum: not reported
/// let typo = text.replace("aaaa", "aaab");
/// assert!(scanner.scan_text(&typo, ".env".as_ref(), None).is_empty());
/// ```
#[derive(Debug)]
pub struct Scanner {
    patterns: Vec<Pattern>,
    variables: Vec<Variable>,
}

/// A variable the inventory says holds a secret of an issuer.
#[derive(Debug)]
struct Variable {
    name: String,
    issuer: String,
    credential_type: CredentialType,
}

impl Scanner {
    /// A scanner for these `(issuer, format)` pairs.
    pub fn new(
        formats: impl IntoIterator<Item = (String, SecretFormatDescriptor)>,
    ) -> Result<Self, RecoveryError> {
        let mut patterns = Vec::new();
        for (issuer, format) in formats {
            let regex = Regex::new(&format!(r"\b(?:{})\b", format.regex)).map_err(|e| {
                RecoveryError::Pattern {
                    issuer: issuer.clone(),
                    prefix: format.prefix.clone(),
                    reason: e.to_string(),
                }
            })?;
            patterns.push(Pattern {
                issuer,
                format,
                regex,
            });
        }
        Ok(Self {
            patterns,
            variables: Vec::new(),
        })
    }

    /// The scanner that also reports what is assigned to these `(variable, issuer, type)`
    /// variables (the inventory's `env` names), for issuers whose secrets have no format.
    ///
    /// ```
    /// use credential_issuer_client::recovery::scan::Scanner;
    /// use credential_issuer_spec::CredentialType;
    /// let scanner = Scanner::new([]).unwrap().with_variables([(
    ///     "AWS_SECRET".to_owned(), "https://gw.example/aws-iam".to_owned(), CredentialType::AccessKey,
    /// )]);
    /// let found = scanner.scan_text("export AWS_SECRET=\"wJalrXUtnFEMI/K7MDENG\"\n", "env.sh".as_ref(), None);
    /// assert_eq!(found.len(), 1);
    /// assert_eq!(found[0].issuer, "https://gw.example/aws-iam");
    /// assert_eq!(found[0].secret.expose(), "wJalrXUtnFEMI/K7MDENG");
    /// ```
    pub fn with_variables(
        mut self,
        variables: impl IntoIterator<Item = (String, String, CredentialType)>,
    ) -> Self {
        self.variables.extend(
            variables
                .into_iter()
                .map(|(name, issuer, credential_type)| Variable {
                    name,
                    issuer,
                    credential_type,
                }),
        );
        self
    }

    /// Findings in `text`, reported as lines of `file`.
    pub fn scan_text(&self, text: &str, file: &Path, commit: Option<&str>) -> Vec<Finding> {
        let mut found = Vec::new();
        for (index, line) in text.lines().enumerate() {
            self.scan_line(line, file, index + 1, commit, &mut found);
        }
        found
    }

    fn scan_line(
        &self,
        line: &str,
        file: &Path,
        number: usize,
        commit: Option<&str>,
        found: &mut Vec<Finding>,
    ) {
        let before = found.len();
        self.scan_formats(line, file, number, commit, found);
        let Some((name, value)) = assignment(line) else {
            return;
        };
        if found[before..].iter().any(|f| f.secret.expose() == value) {
            return;
        }
        for variable in self.variables.iter().filter(|v| v.name == name) {
            let secret = Secret::new(value.to_owned());
            found.push(Finding {
                location: Location {
                    file: file.to_owned(),
                    line: number,
                    commit: commit.map(str::to_owned),
                },
                issuer: variable.issuer.clone(),
                credential_type: variable.credential_type.clone(),
                hint: secret.hint(),
                fingerprint: secret.fingerprint(),
                secret,
            });
        }
    }

    fn scan_formats(
        &self,
        line: &str,
        file: &Path,
        number: usize,
        commit: Option<&str>,
        found: &mut Vec<Finding>,
    ) {
        for pattern in &self.patterns {
            for m in pattern.regex.find_iter(line) {
                let candidate = m.as_str();
                if !checksum_holds(&pattern.format, candidate) {
                    continue;
                }
                let secret = Secret::new(candidate.to_owned());
                found.push(Finding {
                    location: Location {
                        file: file.to_owned(),
                        line: number,
                        commit: commit.map(str::to_owned),
                    },
                    issuer: pattern.issuer.clone(),
                    credential_type: pattern.format.credential_type.clone(),
                    hint: secret.hint(),
                    fingerprint: secret.fingerprint(),
                    secret,
                });
            }
        }
    }
}

/// `NAME` and `VALUE` of a line `NAME=VALUE` (`.env`, shell, with `export`) or `NAME: VALUE`
/// (YAML), the value unquoted; `None` for other lines and empty values.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let line = line.strip_prefix("- ").unwrap_or(line);
    let split = line.find(['=', ':'])?;
    let (name, rest) = (line[..split].trim(), line[split + 1..].trim());
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    let value = rest
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| rest.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(rest);
    (valid_name && !value.is_empty() && !value.contains(char::is_whitespace))
        .then_some((name, value))
}

impl Scanner {
    /// Findings in files and directories (recursively, skipping [`SKIPPED_DIRS`] and binary files).
    pub fn scan_paths(&self, paths: &[PathBuf]) -> Result<Vec<Finding>, RecoveryError> {
        let mut found = Vec::new();
        for path in paths {
            self.scan_path(path, &mut found)?;
        }
        found.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(found)
    }

    fn scan_path(&self, path: &Path, found: &mut Vec<Finding>) -> Result<(), RecoveryError> {
        let read = |source| RecoveryError::Read {
            path: path.to_owned(),
            source,
        };
        let metadata = std::fs::metadata(path).map_err(read)?;
        if metadata.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(read)?
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for entry in entries {
                let skipped = entry
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n));
                if !(skipped && entry.is_dir()) {
                    self.scan_path(&entry, found)?;
                }
            }
        } else if metadata.is_file() && metadata.len() <= MAX_FILE_BYTES {
            let bytes = std::fs::read(path).map_err(read)?;
            if bytes.contains(&0) {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&bytes);
            found.extend(self.scan_text(&text, path, None));
        }
        Ok(())
    }

    /// Findings in lines added anywhere in the git history of the repository at `repo`
    /// (`git log --all -p`), with the commit that added each.
    pub fn scan_git(&self, repo: &Path) -> Result<Vec<Finding>, RecoveryError> {
        let fail = |reason: String| RecoveryError::Git {
            path: repo.to_owned(),
            reason,
        };
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args([
                "log",
                "--all",
                "-p",
                "-U0",
                "--no-color",
                "--no-ext-diff",
                "--format=commit %H",
            ])
            .stderr(std::process::Stdio::null())
            .output()
            .map_err(|e| fail(format!("cannot run git: {e}")))?;
        if !output.status.success() {
            return Err(fail(format!("git log exited with {}", output.status)));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut found = Vec::new();
        let mut commit = String::new();
        let mut file = PathBuf::new();
        let mut line = 0usize;
        for raw in text.lines() {
            if let Some(hash) = raw.strip_prefix("commit ") {
                commit = hash.to_owned();
            } else if let Some(name) = raw.strip_prefix("+++ ") {
                file = PathBuf::from(name.strip_prefix("b/").unwrap_or(name));
            } else if let Some(hunk) = raw.strip_prefix("@@ ") {
                // @@ -a,b +c,d @@
                line = hunk
                    .split_whitespace()
                    .find_map(|part| part.strip_prefix('+'))
                    .and_then(|range| range.split(',').next())
                    .and_then(|start| start.parse().ok())
                    .unwrap_or(0);
            } else if let Some(added) = raw.strip_prefix('+') {
                self.scan_line(added, &file, line, Some(&commit), &mut found);
                line += 1;
            }
        }
        Ok(found)
    }
}

/// Whether `candidate` carries a valid checksum by its format's scheme.
fn checksum_holds(format: &SecretFormatDescriptor, candidate: &str) -> bool {
    if let Some(length) = format.length
        && candidate.chars().count() != length as usize
    {
        return false;
    }
    match format.checksum {
        ChecksumScheme::Crc32Base62 => {
            candidate.len() > CHECKSUM_LEN + format.prefix.len()
                && candidate.is_char_boundary(candidate.len() - CHECKSUM_LEN)
                && {
                    let (signed, checksum) = candidate.split_at(candidate.len() - CHECKSUM_LEN);
                    crc32_base62(signed.as_bytes()) == checksum
                }
        }
        ChecksumScheme::None => true,
    }
}
