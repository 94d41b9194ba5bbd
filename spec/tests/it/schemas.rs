//! The committed schemas are exactly what the types generate, and are valid 2020-12 schemas.

use credential_issuer_spec::catalog::DOCUMENTS;

use crate::{json_files, read_json, schemas_dir};

#[test]
fn committed_schemas_match_the_types() {
    let mut stale = Vec::new();
    for document in DOCUMENTS {
        let path = schemas_dir().join(document.file_name());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != document.to_file_contents() {
            stale.push(document.file_name());
        }
    }
    assert!(
        stale.is_empty(),
        "schemas drifted from the types: {stale:?}; run `cargo run -p credential-issuer-spec --bin gen-schemas`"
    );
}

#[test]
fn no_schema_file_without_a_type() {
    for path in json_files(&schemas_dir()) {
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let Some(name) = file.strip_suffix(".schema.json") else {
            continue;
        };
        assert!(
            DOCUMENTS.iter().any(|d| d.name == name),
            "{file} is not generated from any type"
        );
    }
}

#[test]
fn every_schema_is_a_valid_2020_12_schema() {
    for document in DOCUMENTS {
        let schema = read_json(&schemas_dir().join(document.file_name()));
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        if let Err(error) = jsonschema::meta::validate(&schema) {
            panic!("{}: {error}", document.name);
        }
    }
}

#[test]
fn request_bodies_reject_unknown_members() {
    for name in [
        "create-request",
        "rotate-request",
        "revoke-request",
        "introspect-request",
        "exposure-report",
        "access-request-creation",
        "access-request-approval",
        "access-request-denial",
    ] {
        let schema = read_json(&schemas_dir().join(format!("{name}.schema.json")));
        assert_eq!(schema["additionalProperties"], false, "{name}");
    }
}

#[test]
fn manifests_tolerate_unknown_members() {
    // REQ-MAN: readers ignore members they do not know.
    let schema = read_json(&schemas_dir().join("manifest.schema.json"));
    assert!(
        schema
            .get("additionalProperties")
            .is_none_or(|v| v != false)
    );
}
