//! The normative text is reviewable: every normative statement carries a unique requirement id,
//! and every id cited by code or tests in the workspace exists in the spec.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::crate_dir;

const KEYWORDS: [&str; 10] = [
    "MUST",
    "MUST NOT",
    "REQUIRED",
    "SHALL",
    "SHALL NOT",
    "SHOULD",
    "SHOULD NOT",
    "RECOMMENDED",
    "MAY",
    "OPTIONAL",
];

fn spec_text() -> String {
    std::fs::read_to_string(crate_dir().join("credential-issuer.md"))
        .unwrap_or_else(|e| panic!("spec/credential-issuer.md: {e}"))
}

/// `REQ-AREA-N` ids at the start of a requirement (a line starting with a bold `REQ-<AREA>-<N>`).
fn defined_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            let rest = line.strip_prefix("**REQ-")?;
            let end = rest.find("**")?;
            Some(format!("REQ-{}", &rest[..end]))
        })
        .collect()
}

/// Every `REQ-AREA-N` mentioned anywhere in `text`.
fn mentioned_ids(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(found) = text[start..].find("REQ-") {
        let at = start + found;
        let mut end = at + 4;
        while end < bytes.len() && bytes[end].is_ascii_uppercase() {
            end += 1;
        }
        let area_end = end;
        if end < bytes.len() && bytes[end] == b'-' && area_end > at + 4 {
            end += 1;
            let digits = end;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if end > digits {
                ids.insert(text[at..end].to_owned());
            }
        }
        start = at + 4;
    }
    ids
}

fn has_keyword(line: &str) -> bool {
    // Keywords quoted in backticks (the terminology section) do not count.
    let mut unquoted = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            unquoted.push_str(part);
            unquoted.push(' ');
        }
    }
    unquoted
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|word| KEYWORDS.contains(&word))
}

#[test]
fn requirement_ids_are_unique_and_well_formed() {
    let ids = defined_ids(&spec_text());
    assert!(ids.len() >= 80, "only {} requirements", ids.len());
    let mut seen = BTreeMap::new();
    for id in &ids {
        assert_eq!(mentioned_ids(id).len(), 1, "malformed id {id}");
        *seen.entry(id.clone()).or_insert(0) += 1;
    }
    let duplicates: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicates.is_empty(), "duplicate ids: {duplicates:?}");
}

#[test]
fn every_normative_statement_carries_an_id() {
    let text = spec_text();
    let mut in_code = false;
    let mut unlabelled = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let trimmed = line.trim_start().trim_start_matches("- ");
        if !in_code && has_keyword(line) && !trimmed.starts_with("**REQ-") {
            unlabelled.push(format!("{}: {}", number + 1, line));
        }
    }
    assert!(
        unlabelled.is_empty(),
        "normative lines without an id:\n{}",
        unlabelled.join("\n")
    );
}

#[test]
fn the_spec_has_no_placeholders() {
    let text = spec_text();
    for marker in ["TODO", "TBD", "FIXME", "XXX", "lorem"] {
        assert!(!text.contains(marker), "the spec contains {marker}");
    }
    assert!(text.contains("0.1"));
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && name != "examples" {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn ids_cited_in_code_exist_in_the_spec() {
    let defined: BTreeSet<String> = defined_ids(&spec_text()).into_iter().collect();
    let mut files = Vec::new();
    for member in ["spec", "issuer-server", "client", "conformance"] {
        walk(&crate_dir().join("..").join(member), &mut files);
    }
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for id in mentioned_ids(&text) {
            if !defined.contains(&id) {
                missing.push(format!("{}: {id}", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "cited but not defined:\n{}",
        missing.join("\n")
    );
}
