//! The import rules of `ARCHITECTURE.md`, enforced: every `crate::` path in `src/` (in `use`
//! items and in code) names only modules its own top-level module may import, and the layers
//! below HTTP name no web framework. The files are parsed with `syn`, so comments and strings
//! do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Each top-level module and the top-level modules it may import (besides itself and `spec`).
/// Keep in step with the code map of `ARCHITECTURE.md`.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    // Leaves: the server's own records and ids, its keys and seals, and time.
    ("model", &[]),
    ("crypto", &[]),
    ("clock", &[]),
    // Storage knows records, nothing above them.
    ("store", &["model"]),
    // Where credentials are minted: records and keys, never the gateway or HTTP.
    ("backends", &["model", "crypto", "clock"]),
    // An issuer's profile: its permissions, policies and backend.
    ("issuer", &["model", "crypto", "backends"]),
    // The operations as domain code.
    (
        "lifecycle",
        &["model", "crypto", "clock", "store", "backends", "issuer"],
    ),
    // Hosting more issuers: their backends and admin credentials.
    ("gateway", &["model", "crypto", "store", "backends"]),
    // Settings, and what they make.
    (
        "config",
        &["model", "crypto", "store", "backends", "issuer", "gateway"],
    ),
    // Wiring: one issuer's state, opened from a configuration.
    (
        "state",
        &[
            "model",
            "crypto",
            "clock",
            "store",
            "backends",
            "issuer",
            "lifecycle",
            "gateway",
            "config",
            "openapi",
        ],
    ),
    ("openapi", &["model", "issuer"]),
    // The HTTP surface, and the process around it.
    (
        "http",
        &[
            "model",
            "crypto",
            "clock",
            "store",
            "issuer",
            "lifecycle",
            "state",
            "openapi",
        ],
    ),
    (
        "serve",
        &["lifecycle", "state", "http", "config", "store", "clock"],
    ),
    (
        "cli",
        &[
            "model",
            "crypto",
            "clock",
            "store",
            "issuer",
            "lifecycle",
            "config",
            "state",
            "openapi",
            "serve",
        ],
    ),
];

/// Crates no module below the HTTP layer may name: the web framework, its plumbing, the CLI.
const WEB_AND_CLI: &[&str] = &["axum", "http", "hyper", "tower", "tower_http", "clap"];

/// The modules below the HTTP layer, and the crates each must not name besides [`WEB_AND_CLI`].
const BELOW_HTTP: &[(&str, &[&str])] = &[
    ("model", &["sqlx", "reqwest"]),
    ("crypto", &["sqlx", "reqwest"]),
    ("clock", &["sqlx", "reqwest"]),
    ("store", &["reqwest"]),
    ("backends", &["sqlx"]),
    ("issuer", &["sqlx", "reqwest"]),
    ("lifecycle", &["sqlx", "reqwest"]),
    ("gateway", &["sqlx"]),
];

#[test]
fn modules_import_only_what_architecture_md_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: BTreeMap<&str, BTreeSet<&str>> = MAY_IMPORT
        .iter()
        .map(|(module, allowed)| (*module, allowed.iter().copied().collect()))
        .collect();
    let forbidden: BTreeMap<&str, &[&str]> = BELOW_HTTP.iter().copied().collect();
    let mut broken = Vec::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let module = top_module(relative);
        if matches!(module.as_str(), "lib" | "main") {
            continue;
        }
        let Some(allowed) = rules.get(module.as_str()) else {
            broken.push(format!(
                "{}: top-level module `{module}` is not in ARCHITECTURE.md's code map (nor in this test)",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let syntax =
            syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", relative.display()));
        let mut paths = Paths::default();
        paths.visit_file(&syntax);
        for target in &paths.crate_modules {
            if target != &module
                && !allowed.contains(target.as_str())
                && rules.contains_key(target.as_str())
            {
                broken.push(format!(
                    "{}: `{module}` imports `crate::{target}`",
                    relative.display()
                ));
            }
        }
        if let Some(also) = forbidden.get(module.as_str()) {
            for name in &paths.crates {
                if WEB_AND_CLI.contains(&name.as_str()) || also.contains(&name.as_str()) {
                    broken.push(format!(
                        "{}: `{module}` names the crate `{name}`",
                        relative.display()
                    ));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "import rules broken:\n{}",
        broken.join("\n")
    );
}

/// `store/postgres/rows.rs` -> `store`; `gateway.rs` -> `gateway`.
fn top_module(relative: &Path) -> String {
    let first = relative.components().next().unwrap().as_os_str();
    Path::new(first)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The first segments of every path in a file: `crate::X` modules and other crates' names.
#[derive(Default)]
struct Paths {
    crate_modules: BTreeSet<String>,
    crates: BTreeSet<String>,
}

impl Paths {
    fn segments(&mut self, first: &str, second: Option<String>) {
        match (first, second) {
            ("crate", Some(module)) => {
                self.crate_modules.insert(module);
            }
            ("crate" | "self" | "super" | "Self", _) => {}
            (name, _) => {
                self.crates.insert(name.to_owned());
            }
        }
    }

    fn use_tree(&mut self, tree: &syn::UseTree, prefix: Option<&str>) {
        match tree {
            syn::UseTree::Path(path) => {
                let ident = path.ident.to_string();
                match prefix {
                    None if ident == "crate" => self.use_tree(&path.tree, Some("crate")),
                    None => {
                        self.segments(&ident, None);
                    }
                    Some(_) => self.segments("crate", Some(ident)),
                }
            }
            syn::UseTree::Name(name) => match prefix {
                Some(_) => self.segments("crate", Some(name.ident.to_string())),
                None => self.segments(&name.ident.to_string(), None),
            },
            syn::UseTree::Rename(rename) => match prefix {
                Some(_) => self.segments("crate", Some(rename.ident.to_string())),
                None => self.segments(&rename.ident.to_string(), None),
            },
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(tree, prefix);
                }
            }
            syn::UseTree::Glob(_) => {}
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, None);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter().map(|s| s.ident.to_string());
        if let Some(first) = segments.next() {
            // A single-segment path is a local name, not a crate.
            if path.segments.len() > 1 || path.leading_colon.is_some() {
                self.segments(&first, segments.next());
            }
        }
        syn::visit::visit_path(self, path);
    }
}
