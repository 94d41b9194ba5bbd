//! The project's JSON Schemas, embedded at build time, compiled once on first use, with formats
//! enforced. Discovery validates the manifest and permission schema with them; the conformance
//! suite validates every response.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

macro_rules! documents {
    ($($variant:ident => $name:literal,)+) => {
        /// A document with a schema in `schemas/`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Document {
            $(
                #[doc = concat!("`", $name, ".schema.json`")]
                $variant,
            )+
        }

        impl Document {
            /// The schema's name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            fn validator(self) -> &'static Validator {
                match self {
                    $(Self::$variant => {
                        static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
                            compile($name, include_str!(concat!("../../schemas/", $name, ".schema.json")))
                        });
                        &VALIDATOR
                    })+
                }
            }
        }
    };
}

documents! {
    AccessRequest => "access-request",
    AuditCheckpoint => "audit-checkpoint",
    AuditEvent => "audit-event",
    AuditPage => "audit-page",
    Credential => "credential",
    CredentialPage => "credential-page",
    ExposureReportResponse => "exposure-report-response",
    IntrospectResponse => "introspect-response",
    IssuedCredential => "issued-credential",
    Manifest => "manifest",
    PermissionSchema => "permission-schema",
    Problem => "problem",
}

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

impl Document {
    /// The first rule `instance` breaks, as `at <pointer>: <message>`.
    pub fn first_violation(self, instance: &Value) -> Option<String> {
        self.validator().iter_errors(instance).next().map(|error| {
            let at = error.instance_path().to_string();
            let at = if at.is_empty() { "/".to_owned() } else { at };
            format!("at {at}: {error}")
        })
    }
}
