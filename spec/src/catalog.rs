//! The JSON Schema (2020-12) documents generated from the wire types: one per document, named
//! `<document>.schema.json` in the repository's `schemas/` directory.

use schemars::{JsonSchema, Schema, generate::SchemaSettings};

use crate::operations::exposure::{ExposureReport, ExposureReportResponse};
use crate::operations::introspect::{IntrospectRequest, IntrospectResponse};
use crate::operations::requests::{ApproveRequest, CreateAccessRequest, DenyRequest};
use crate::operations::{create::CreateRequest, revoke::RevokeRequest, rotate::RotateRequest};
use crate::{
    AccessRequest, AuditEvent, CheckpointPayload, Credential, IssuedCredential, Manifest, Page,
    PermissionSchema, Problem,
};

/// One generated schema document.
#[derive(Debug, Clone, Copy)]
pub struct SchemaDocument {
    /// The document's name: the file is `<name>.schema.json`, examples are under
    /// `examples/{valid,invalid}/<name>/`.
    pub name: &'static str,
    generate: fn() -> Schema,
    parse: fn(serde_json::Value) -> Result<(), serde_json::Error>,
}

impl SchemaDocument {
    /// The schema, with `$id` set to `urn:credential-issuer:schema:<spec version>:<name>`.
    pub fn schema(&self) -> Schema {
        let mut schema = (self.generate)();
        if let Some(object) = schema.as_object_mut() {
            let id = format!(
                "urn:credential-issuer:schema:{}:{}",
                crate::SPEC_VERSION,
                self.name
            );
            object.insert("$id".to_owned(), id.into());
        }
        schema
    }

    /// Deserialises `document` into this document's Rust type, to check that the types accept
    /// what the schema accepts.
    pub fn parse(&self, document: serde_json::Value) -> Result<(), serde_json::Error> {
        (self.parse)(document)
    }

    /// The file name, `<name>.schema.json`.
    pub fn file_name(&self) -> String {
        format!("{}.schema.json", self.name)
    }

    /// The schema as the pretty-printed JSON written to `schemas/`, members sorted by name (so
    /// that the text does not depend on whether serde_json preserves insertion order in this
    /// build), with a final newline.
    pub fn to_file_contents(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(&sorted(self.schema().to_value())).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// `value` with every object's members in name order.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let ordered: std::collections::BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            serde_json::Value::Object(ordered.into_iter().collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    document: serde_json::Value,
) -> Result<(), serde_json::Error> {
    serde_json::from_value::<T>(document).map(drop)
}

fn generate<T: JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
}

macro_rules! documents {
    ($($name:literal => $ty:ty,)+) => {
        /// Every schema document, in file-name order.
        pub const DOCUMENTS: &[SchemaDocument] = &[
            $(SchemaDocument { name: $name, generate: generate::<$ty>, parse: parse::<$ty> },)+
        ];
    };
}

documents! {
    "access-request" => AccessRequest,
    "access-request-approval" => ApproveRequest,
    "access-request-creation" => CreateAccessRequest,
    "access-request-denial" => DenyRequest,
    "audit-checkpoint" => CheckpointPayload,
    "audit-event" => AuditEvent,
    "audit-page" => Page<AuditEvent>,
    "create-request" => CreateRequest,
    "credential" => Credential,
    "credential-page" => Page<Credential>,
    "exposure-report" => ExposureReport,
    "exposure-report-response" => ExposureReportResponse,
    "introspect-request" => IntrospectRequest,
    "introspect-response" => IntrospectResponse,
    "issued-credential" => IssuedCredential,
    "manifest" => Manifest,
    "permission-schema" => PermissionSchema,
    "problem" => Problem,
    "revoke-request" => RevokeRequest,
    "rotate-request" => RotateRequest,
}

/// The document named `name`.
pub fn document(name: &str) -> Option<&'static SchemaDocument> {
    DOCUMENTS.iter().find(|d| d.name == name)
}
