//! JSON Schema for members that are always present but may be `null` (such as `expires_at`).
//!
//! schemars treats `Option` members as optional; the spec makes these required-but-nullable, so
//! that a reader can tell "never expires" from "the issuer forgot the member".

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// `T` or `null`.
pub(crate) fn nullable<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let inner = generator.subschema_for::<T>();
    json_schema!({ "anyOf": [inner, { "type": "null" }] })
}

/// A version number (an integer from 1) or `null`.
pub(crate) fn nullable_version(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "anyOf": [{ "type": "integer", "minimum": 1, "maximum": 4294967295u64 }, { "type": "null" }] })
}
