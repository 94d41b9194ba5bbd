//! Human output (tables laid out by `comfy-table`; colour written through `anstream`, which drops
//! it when standard output is not a terminal or `NO_COLOR` is set) or JSON.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use comfy_table::{Cell, Color, Row, Table};
use credential_issuer_spec::{AuditEvent, Credential, Grant, Outcome};

/// How to print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

/// The colour of a status word: green for working, red for revoked or failed, yellow otherwise.
fn status_colour(status: &str) -> AnsiColor {
    match status {
        "active" | "current" | "success" => AnsiColor::Green,
        "revoked" | "error" | "refused" => AnsiColor::Red,
        _ => AnsiColor::Yellow,
    }
}

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        Self { json }
    }

    /// Prints `value` as pretty JSON, with a final newline.
    pub(crate) fn json(&self, value: &impl serde::Serialize) {
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    /// A line of human output (colour dropped where standard output takes none).
    pub(crate) fn line(&self, text: &str) {
        let mut out = anstream::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    /// A status word in its colour.
    pub(crate) fn status(&self, status: &str) -> String {
        let style = Style::new().fg_color(Some(status_colour(status).into()));
        format!("{style}{status}{style:#}")
    }

    /// A status word as a table cell, in its colour.
    pub(crate) fn status_cell(&self, status: &str) -> Cell {
        let colour = match status_colour(status) {
            AnsiColor::Green => Color::Green,
            AnsiColor::Red => Color::Red,
            _ => Color::Yellow,
        };
        Cell::new(status).fg(colour)
    }

    /// Prints rows under headers, each column as wide as its widest cell and two spaces from the
    /// next, without borders.
    pub(crate) fn table<R: Into<Row>>(&self, headers: &[&str], rows: impl IntoIterator<Item = R>) {
        let mut table = Table::new();
        table
            .load_style(comfy_table::presets::NOTHING)
            // Styled always: the colour is dropped, or not, where it is written.
            .enforce_styling()
            .set_header(headers.to_vec())
            .add_rows(rows);
        let last = headers.len().saturating_sub(1);
        for (i, column) in table.column_iter_mut().enumerate() {
            column.set_padding((0, if i == last { 0 } else { 2 }));
        }
        self.line(&table.trim_fmt());
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
        let rows: Vec<Vec<Cell>> = credential
            .versions
            .iter()
            .map(|v| {
                vec![
                    Cell::new(v.version),
                    self.status_cell(v.status.as_str()),
                    Cell::new(&v.secret_hint),
                    Cell::new(v.created_at),
                    Cell::new(optional(v.expires_at)),
                    Cell::new(optional(v.revoked_at)),
                ]
            })
            .collect();
        self.table(
            &["VERSION", "STATUS", "HINT", "CREATED", "EXPIRES", "REVOKED"],
            rows,
        );
    }

    /// Credentials, one per row.
    pub(crate) fn credentials(&self, credentials: &[Credential]) {
        let rows: Vec<Vec<Cell>> = credentials
            .iter()
            .map(|c| {
                vec![
                    Cell::new(&c.id),
                    Cell::new(c.name.as_str()),
                    Cell::new(&c.credential_type),
                    self.status_cell(c.status.as_str()),
                    Cell::new(c.current_version),
                    Cell::new(scope(&c.scope)),
                    Cell::new(optional(c.expires_at)),
                ]
            })
            .collect();
        self.table(
            &[
                "ID", "NAME", "TYPE", "STATUS", "VERSION", "SCOPE", "EXPIRES",
            ],
            rows,
        );
    }

    /// Audit events, one per row.
    pub(crate) fn events(&self, events: &[AuditEvent]) {
        let rows: Vec<Vec<Cell>> = events
            .iter()
            .map(|e| {
                let outcome = match e.outcome {
                    Outcome::Success => "success",
                    Outcome::Refused => "refused",
                    Outcome::Error => "error",
                };
                vec![
                    Cell::new(e.seq),
                    Cell::new(e.time),
                    Cell::new(&e.actor),
                    Cell::new(
                        serde_json::to_value(e.action)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                    ),
                    Cell::new(
                        e.credential_id
                            .as_ref()
                            .map_or_else(|| "-".to_owned(), ToString::to_string),
                    ),
                    Cell::new(e.version.map_or_else(|| "-".to_owned(), |v| v.to_string())),
                    self.status_cell(outcome),
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
            rows,
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
