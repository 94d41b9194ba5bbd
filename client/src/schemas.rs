//! The project's JSON Schemas, embedded at build time, compiled once, with formats enforced.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

fn compile(name: &str, text: &str) -> Validator {
    let schema: Value = match serde_json::from_str(text) {
        Ok(schema) => schema,
        Err(error) => unreachable!("the embedded {name} schema is JSON: {error}"),
    };
    match jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
    {
        Ok(validator) => validator,
        Err(error) => unreachable!("the embedded {name} schema compiles: {error}"),
    }
}

static MANIFEST: LazyLock<Validator> = LazyLock::new(|| {
    compile(
        "manifest",
        include_str!("../../schemas/manifest.schema.json"),
    )
});
static PERMISSION_SCHEMA: LazyLock<Validator> = LazyLock::new(|| {
    compile(
        "permission-schema",
        include_str!("../../schemas/permission-schema.schema.json"),
    )
});

/// A document the client validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `manifest.schema.json`
    Manifest,
    /// `permission-schema.schema.json`
    PermissionSchema,
}

impl Document {
    /// The schema's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Manifest => "manifest",
            Self::PermissionSchema => "permission-schema",
        }
    }

    /// The first rule `instance` breaks, as `at <pointer>: <message>`.
    pub fn first_violation(self, instance: &Value) -> Option<String> {
        let validator = match self {
            Self::Manifest => &*MANIFEST,
            Self::PermissionSchema => &*PERMISSION_SCHEMA,
        };
        validator.iter_errors(instance).next().map(|error| {
            let at = error.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("at {at}: {error}")
        })
    }
}
