//! Human output (aligned tables; colour only on a terminal and without `NO_COLOR`) or JSON.

use std::io::{IsTerminal, Write};

use credential_issuer_spec::{AuditEvent, Credential, Grant, Outcome};

/// How to print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) json: bool,
    colour: bool,
}

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        let colour =
            !json && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self { json, colour }
    }

    /// Prints `value` as pretty JSON, with a final newline.
    pub(crate) fn json(&self, value: &impl serde::Serialize) {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    /// A line of human output.
    pub(crate) fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    /// A status word, green for working, red for revoked, yellow otherwise.
    pub(crate) fn status(&self, status: &str) -> String {
        if !self.colour {
            return status.to_owned();
        }
        let code = match status {
            "active" | "current" | "success" => "32",
            "revoked" | "error" | "refused" => "31",
            _ => "33",
        };
        format!("\x1b[{code}m{status}\x1b[0m")
    }

    /// Prints rows under headers, each column as wide as its widest cell.
    pub(crate) fn table(&self, headers: &[&str], rows: &[Vec<String>]) {
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(visible_width(cell));
            }
        }
        let render = |cells: Vec<String>| {
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(visible_width(cell));
                line.push_str(cell);
                if i + 1 < cells.len() {
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            line
        };
        self.line(&render(headers.iter().map(|h| (*h).to_owned()).collect()));
        for row in rows {
            self.line(&render(row.clone()));
        }
    }

    /// A credential in detail.
    pub(crate) fn credential(&self, credential: &Credential) {
        self.line(&format!("{}  {}", credential.id, credential.name.as_str()));
        self.line(&format!("  type      {}", credential.credential_type));
        self.line(&format!(
            "  status    {}",
            self.status(credential.status.as_str())
        ));
        self.line(&format!("  scope     {}", scope(&credential.scope)));
        for (key, value) in credential.metadata.as_map() {
            self.line(&format!("  {key:<9} {value}"));
        }
        self.line(&format!("  created   {}", credential.created_at));
        self.line(&format!("  expires   {}", optional(credential.expires_at)));
        if let Some(revoked) = credential.revoked_at {
            self.line(&format!("  revoked   {revoked}"));
        }
        let rows: Vec<Vec<String>> = credential
            .versions
            .iter()
            .map(|v| {
                vec![
                    v.version.to_string(),
                    self.status(v.status.as_str()),
                    v.secret_hint.clone(),
                    v.created_at.to_string(),
                    optional(v.expires_at),
                    optional(v.revoked_at),
                ]
            })
            .collect();
        self.table(
            &["VERSION", "STATUS", "HINT", "CREATED", "EXPIRES", "REVOKED"],
            &rows,
        );
    }

    /// Credentials, one per row.
    pub(crate) fn credentials(&self, credentials: &[Credential]) {
        let rows: Vec<Vec<String>> = credentials
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    c.name.as_str().to_owned(),
                    c.credential_type.to_string(),
                    self.status(c.status.as_str()),
                    c.current_version.to_string(),
                    scope(&c.scope),
                    optional(c.expires_at),
                ]
            })
            .collect();
        self.table(
            &[
                "ID", "NAME", "TYPE", "STATUS", "VERSION", "SCOPE", "EXPIRES",
            ],
            &rows,
        );
    }

    /// Audit events, one per row.
    pub(crate) fn events(&self, events: &[AuditEvent]) {
        let rows: Vec<Vec<String>> = events
            .iter()
            .map(|e| {
                let outcome = match e.outcome {
                    Outcome::Success => "success",
                    Outcome::Refused => "refused",
                    Outcome::Error => "error",
                };
                vec![
                    e.seq.to_string(),
                    e.time.to_string(),
                    e.actor.clone(),
                    serde_json::to_value(e.action)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    e.credential_id
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), ToString::to_string),
                    e.version.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                    self.status(outcome),
                ]
            })
            .collect();
        self.table(
            &[
                "SEQ",
                "TIME",
                "ACTOR",
                "ACTION",
                "CREDENTIAL",
                "VERSION",
                "OUTCOME",
            ],
            &rows,
        );
    }
}

/// A scope as `permission[@resource], ...`.
pub(crate) fn scope(grants: &[Grant]) -> String {
    grants
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn optional(value: Option<credential_issuer_spec::Timestamp>) -> String {
    value.map_or_else(|| "-".to_owned(), |t| t.to_string())
}

/// Width without ANSI colour codes.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}
