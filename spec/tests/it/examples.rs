//! `examples/valid/<document>/*.json` pass the schema and deserialise into the types;
//! `examples/invalid/<document>/*.json` fail the schema.

use credential_issuer_spec::catalog::{DOCUMENTS, document};

use crate::{crate_dir, json_files, read_json, schemas_dir};

fn validator(name: &str) -> jsonschema::Validator {
    let schema = read_json(&schemas_dir().join(format!("{name}.schema.json")));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_document_has_valid_and_invalid_examples() {
    for document in DOCUMENTS {
        let valid = json_files(&crate_dir().join("examples/valid").join(document.name));
        assert!(!valid.is_empty(), "no valid example for {}", document.name);
    }
    for name in [
        "manifest",
        "credential",
        "create-request",
        "rotate-request",
        "problem",
    ] {
        let invalid = json_files(&crate_dir().join("examples/invalid").join(name));
        assert!(!invalid.is_empty(), "no invalid example for {name}");
    }
}

#[test]
fn valid_examples_pass_the_schema_and_parse() {
    for document in DOCUMENTS {
        let validator = validator(document.name);
        for path in json_files(&crate_dir().join("examples/valid").join(document.name)) {
            let instance = read_json(&path);
            let errors: Vec<String> = validator
                .iter_errors(&instance)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            if let Err(error) = document.parse(instance) {
                panic!("{} does not deserialise: {error}", path.display());
            }
        }
    }
}

#[test]
fn invalid_examples_fail_the_schema() {
    let invalid_dir = crate_dir().join("examples/invalid");
    let mut seen = 0;
    for entry in std::fs::read_dir(&invalid_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            document(&name).is_some(),
            "examples/invalid/{name} names no schema"
        );
        let validator = validator(&name);
        for path in json_files(&entry.path()) {
            assert!(
                !validator.is_valid(&read_json(&path)),
                "{} was accepted",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen > 20, "only {seen} invalid examples found");
}

#[test]
fn openid4vci_metadata_is_not_a_manifest() {
    // REQ-COLL: the required `protocol` member tells the documents apart.
    let path = crate_dir().join("examples/invalid/manifest/openid4vci-metadata.json");
    let error = serde_json::from_value::<credential_issuer_spec::Manifest>(read_json(&path))
        .expect_err("OpenID4VCI metadata parsed as a manifest");
    assert!(error.to_string().contains("protocol"), "{error}");
}

#[test]
fn example_audit_chain_links() {
    use credential_issuer_spec::{AuditEvent, GENESIS_HASH, audit::verify_chain};
    let dir = crate_dir().join("examples/valid/audit-event");
    let mut events: Vec<AuditEvent> = json_files(&dir)
        .iter()
        .map(|p| serde_json::from_value(read_json(p)).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    events.sort_by_key(|e| e.seq);
    let verified = verify_chain(&events, 0, GENESIS_HASH);
    assert_eq!(verified.map(|(seq, _)| seq), Ok(events.len() as u64));
}

#[test]
fn example_secrets_carry_a_valid_checksum() {
    use credential_issuer_spec::NativeSecretFormat;
    let format = NativeSecretFormat::new("cik_").unwrap_or_else(|e| panic!("{e}"));
    let issued = read_json(&crate_dir().join("examples/valid/issued-credential/created.json"));
    let secret = issued["secret"].as_str().unwrap_or_default();
    assert_eq!(format.verify(secret), Ok(()));
    assert_eq!(secret.len(), format.len());
}
