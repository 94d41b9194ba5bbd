//! What a scope asks of GitHub: the permissions this issuer grants, and the `permissions` and
//! `repositories` of an installation-token request.

use std::collections::{BTreeMap, BTreeSet};

use credential_issuer_spec::Grant;
use serde_json::{Value, json};

use crate::backends::BackendError;

/// The GitHub permissions this issuer grants (GitHub's names), each at `read` and `write`.
pub const PERMISSIONS: &[(&str, &str)] = &[
    (
        "contents",
        "Repository contents, commits, branches, downloads, releases and merges",
    ),
    (
        "issues",
        "Issues and related comments, assignees, labels and milestones",
    ),
    (
        "metadata",
        "Repository metadata: search, collaborators and other read-only details",
    ),
    (
        "pull_requests",
        "Pull requests and related comments, assignees, labels, milestones and merges",
    ),
];

/// GitHub's `permissions` and `repositories` for a scope. GitHub applies every permission of a
/// token to every repository it names, so each permission must name the same repositories (or
/// none, for every repository of the installation); a scope that cannot be narrowed exactly is
/// refused rather than widened.
pub fn token_request(scope: &[Grant]) -> Result<Value, BackendError> {
    let mut permissions: BTreeMap<&str, &str> = BTreeMap::new();
    let mut repositories: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
    for grant in scope {
        let id = grant.permission.as_str();
        let Some((name, level)) = id.split_once(':') else {
            return Err(BackendError::Rejected(format!("unknown permission {id}")));
        };
        let level = match level {
            "read" | "write" => level,
            _ => return Err(BackendError::Rejected(format!("unknown permission {id}"))),
        };
        let entry = permissions.entry(name).or_insert(level);
        if level == "write" {
            *entry = "write";
        }
        let repository = match &grant.resource {
            None => None,
            Some(resource)
                if resource.type_id() == "repository" && resource.wildcard_prefix().is_none() =>
            {
                Some(resource.name())
            }
            Some(resource) => {
                return Err(BackendError::Rejected(format!(
                    "GitHub tokens name repositories exactly: {} is not one",
                    resource.as_str()
                )));
            }
        };
        repositories.entry(name).or_default().insert(repository);
    }
    let mut sets = repositories.values();
    let first = sets.next().cloned().unwrap_or_default();
    if sets.any(|set| *set != first) || (first.contains(&None) && first.len() > 1) {
        return Err(BackendError::Rejected(
            "a GitHub installation token applies every permission to every repository it names: \
             give each permission the same repositories"
                .into(),
        ));
    }
    let mut body = json!({ "permissions": permissions });
    if !first.contains(&None) && !first.is_empty() {
        let names: Vec<&str> = first.into_iter().flatten().collect();
        body["repositories"] = json!(names);
    }
    Ok(body)
}
