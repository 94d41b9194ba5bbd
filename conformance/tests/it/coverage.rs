//! Every requirement of the spec is either cited by a check or listed, with its reason, in the
//! crate README as not checked, and never both.

use std::collections::BTreeSet;

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

#[test]
fn every_requirement_is_checked_or_explained() {
    let spec = read("../spec/credential-issuer.md");
    let defined: BTreeSet<String> = spec
        .lines()
        .filter_map(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            line.strip_prefix("**")
                .and_then(|l| l.split("**").next())
                .map(str::to_owned)
        })
        .filter(|id| id.starts_with("REQ-"))
        .collect();
    let mut cited = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(format!(
        "{}/src",
        env!("CARGO_MANIFEST_DIR")
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                cited.extend(ids(&std::fs::read_to_string(path).unwrap()));
            }
        }
    }
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
