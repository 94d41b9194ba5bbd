//! Every requirement of the spec is either named by a registered check's metadata (or met by
//! the suite itself: redacted evidence) or listed, with its reason, in the crate README as not
//! checked, and never both.

use std::collections::BTreeSet;

use credential_issuer_conformance::{evidence, registry};

fn ids(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("REQ-") {
        let rest = &text[at + 4..];
        let area: String = rest.chars().take_while(char::is_ascii_uppercase).collect();
        let after = &rest[area.len()..];
        if area.is_empty() || !after.starts_with('-') {
            continue;
        }
        let number: String = after[1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !number.is_empty() {
            found.insert(format!("REQ-{area}-{number}"));
        }
    }
    found
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The requirement ids the spec defines (`**REQ-...**` at the start of a line or list item).
fn defined() -> BTreeSet<String> {
    read("../spec/credential-issuer.md")
        .lines()
        .filter_map(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            line.strip_prefix("**")
                .and_then(|l| l.split("**").next())
                .map(str::to_owned)
        })
        .filter(|id| id.starts_with("REQ-"))
        .collect()
}

#[test]
fn every_requirement_is_checked_or_explained() {
    let defined = defined();
    let cited: BTreeSet<String> = registry()
        .flat_map(|check| check.meta.requirements.iter())
        .chain(evidence::REQUIREMENTS)
        .map(|id| (*id).to_owned())
        .collect();
    let readme = read("README.md");
    let explained = ids(&readme[readme
        .find("## Requirements the suite does not check")
        .unwrap()..]);
    let missing: Vec<_> = defined
        .iter()
        .filter(|id| !cited.contains(*id) && !explained.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "neither checked nor explained: {missing:?}"
    );
    let both: Vec<_> = cited.intersection(&explained).collect();
    assert!(
        both.is_empty(),
        "checked and also listed as not checked: {both:?}"
    );
    let unknown: Vec<_> = cited
        .union(&explained)
        .filter(|id| !defined.contains(*id))
        .collect();
    assert!(unknown.is_empty(), "not in the spec: {unknown:?}");
}

#[test]
fn check_ids_are_unique_and_grouped_in_run_order() {
    let checks: Vec<_> = registry().collect();
    let unique: BTreeSet<_> = checks.iter().map(|c| c.meta.id).collect();
    assert_eq!(unique.len(), checks.len(), "a check id is registered twice");
    assert!(
        checks
            .windows(2)
            .all(|w| w[0].meta.group <= w[1].meta.group),
        "the registry is not in group run order"
    );
}
