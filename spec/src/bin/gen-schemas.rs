//! Writes `schemas/<document>.schema.json` from the wire types, or with `--check` reports the
//! files that differ from what the types generate (exit 1).
//!
//! ```text
//! cargo run -p credential-issuer-spec --bin gen-schemas [-- --check] [--dir schemas]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use credential_issuer_spec::catalog::DOCUMENTS;

fn main() -> ExitCode {
    let mut check = false;
    let mut dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas"));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--dir" => match args.next() {
                Some(path) => dir = PathBuf::from(path),
                None => return usage("--dir needs a path"),
            },
            "-h" | "--help" => {
                println!("usage: gen-schemas [--check] [--dir DIR]");
                println!(
                    "Writes DIR/<document>.schema.json from the wire types (default DIR: schemas/);"
                );
                println!("with --check, writes nothing and exits 1 if any file differs.");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }
    let mut stale = 0;
    for document in DOCUMENTS {
        let path = dir.join(document.file_name());
        let wanted = document.to_file_contents();
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == wanted {
            continue;
        }
        if check {
            eprintln!("stale: {}", path.display());
            stale += 1;
        } else if let Err(error) = std::fs::write(&path, wanted) {
            eprintln!("gen-schemas: cannot write {}: {error}", path.display());
            return ExitCode::from(2);
        } else {
            println!("wrote {}", path.display());
        }
    }
    if stale > 0 {
        eprintln!(
            "gen-schemas: {stale} schema file(s) differ from the types; run `cargo run -p credential-issuer-spec --bin gen-schemas`"
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn usage(message: &str) -> ExitCode {
    eprintln!("gen-schemas: {message} (see --help)");
    ExitCode::from(2)
}
