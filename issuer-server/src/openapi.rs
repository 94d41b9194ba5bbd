//! The server's OpenAPI 3.1 description, generated from the spec's endpoint constants and the
//! same schemars types the JSON Schemas come from, so the three cannot drift apart. Served at
//! `/openapi.json` and committed as `schemas/openapi.json` (a test compares the two).

use credential_issuer_spec::operations::exposure::{ExposureReport, ExposureReportResponse};
use credential_issuer_spec::operations::introspect::{IntrospectRequest, IntrospectResponse};
use credential_issuer_spec::operations::{
    self, Endpoint, Page, create::CreateRequest, revoke::RevokeRequest, rotate::RotateRequest,
};
use credential_issuer_spec::{
    AuditEvent, Credential, IssuedCredential, Manifest, PermissionSchema, Problem, SPEC_VERSION,
};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use crate::issuer::{ENDPOINT_PATH, IssuerProfile, PERMISSION_SCHEMA_PATH};

struct Operation {
    endpoint: Endpoint,
    operation_id: &'static str,
    summary: &'static str,
    request: Option<Value>,
    /// Whether the body may be left out (operations whose members are all optional).
    body_optional: bool,
    success: (u16, Value),
    parameters: Vec<Value>,
}

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn header(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "header", "required": false, "description": description, "schema": { "type": "string" } })
}

fn id_parameter() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": credential_issuer_spec::id::OPAQUE_ID_PATTERN } })
}

fn operations(g: &mut SchemaGenerator) -> Vec<Operation> {
    let limit = json!({ "type": "integer", "minimum": 1, "maximum": operations::MAX_PAGE_SIZE });
    let idempotency = header(
        "Idempotency-Key",
        "Makes a retry return the first response (REQ-IDEM-1).",
    );
    vec![
        Operation {
            endpoint: operations::create::ENDPOINT,
            operation_id: "createCredential",
            summary: "Create a credential; the secret is shown once.",
            request: Some(schema::<CreateRequest>(g)),
            body_optional: false,
            success: (201, schema::<IssuedCredential>(g)),
            parameters: vec![idempotency.clone()],
        },
        Operation {
            endpoint: operations::list::ENDPOINT,
            operation_id: "listCredentials",
            summary: "List credentials, a page at a time; never a secret.",
            request: None,
            body_optional: false,
            success: (200, schema::<Page<Credential>>(g)),
            parameters: vec![
                query(
                    "status",
                    "active, expired or revoked",
                    json!({ "type": "string", "enum": ["active", "expired", "revoked"] }),
                ),
                query("type", "A credential type.", json!({ "type": "string" })),
                query("limit", "Page size, 1 to 200 (default 50).", limit.clone()),
                query(
                    "cursor",
                    "The next_cursor of the previous page.",
                    json!({ "type": "string" }),
                ),
            ],
        },
        Operation {
            endpoint: operations::get::ENDPOINT,
            operation_id: "getCredential",
            summary: "One credential; ETag is its current version.",
            request: None,
            body_optional: false,
            success: (200, schema::<Credential>(g)),
            parameters: vec![id_parameter()],
        },
        Operation {
            endpoint: operations::rotate::ENDPOINT,
            operation_id: "rotateCredential",
            summary: "Rotate: a new current version (overlap or immediate).",
            request: Some(schema::<RotateRequest>(g)),
            body_optional: true,
            success: (200, schema::<IssuedCredential>(g)),
            parameters: vec![
                id_parameter(),
                header("If-Match", "The current version, as an entity tag."),
                idempotency,
            ],
        },
        Operation {
            endpoint: operations::revoke::ENDPOINT,
            operation_id: "revokeCredential",
            summary: "Revoke a credential or one previous version.",
            request: Some(schema::<RevokeRequest>(g)),
            body_optional: true,
            success: (200, schema::<Credential>(g)),
            parameters: vec![id_parameter()],
        },
        Operation {
            endpoint: operations::introspect::ENDPOINT,
            operation_id: "introspectSecret",
            summary: "Which credential and version a secret is.",
            request: Some(schema::<IntrospectRequest>(g)),
            body_optional: false,
            success: (200, schema::<IntrospectResponse>(g)),
            parameters: vec![],
        },
        Operation {
            endpoint: operations::exposure::ENDPOINT,
            operation_id: "reportExposure",
            summary: "Report exposed secrets; optionally revoke them.",
            request: Some(schema::<ExposureReport>(g)),
            body_optional: false,
            success: (200, schema::<ExposureReportResponse>(g)),
            parameters: vec![],
        },
        Operation {
            endpoint: operations::audit::LIST,
            operation_id: "listAuditEvents",
            summary: "The hash-chained audit log, oldest first.",
            request: None,
            body_optional: false,
            success: (200, schema::<Page<AuditEvent>>(g)),
            parameters: vec![
                query(
                    "credential_id",
                    "Only events about this credential.",
                    json!({ "type": "string" }),
                ),
                query(
                    "after_seq",
                    "Only events after this sequence number.",
                    json!({ "type": "integer", "minimum": 0 }),
                ),
                query(
                    "cursor",
                    "The next_cursor of the previous page.",
                    json!({ "type": "string" }),
                ),
                query("limit", "Page size, 1 to 200 (default 50).", limit),
            ],
        },
    ]
}

fn request_id_parameter() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "pattern": credential_issuer_spec::id::OPAQUE_ID_PATTERN } })
}

/// The access request operations, described when the issuer offers them.
fn request_operations(g: &mut SchemaGenerator) -> Vec<Operation> {
    use credential_issuer_spec::AccessRequest;
    use credential_issuer_spec::operations::requests::{
        self, ApproveRequest, CreateAccessRequest, DenyRequest,
    };
    vec![
        Operation {
            endpoint: requests::CREATE,
            operation_id: "createAccessRequest",
            summary: "Ask for a short-lived credential; answers 202 with the pending request.",
            request: Some(schema::<CreateAccessRequest>(g)),
            body_optional: false,
            success: (202, schema::<AccessRequest>(g)),
            parameters: vec![],
        },
        Operation {
            endpoint: requests::LIST,
            operation_id: "listAccessRequests",
            summary: "Access requests, optionally by status.",
            request: None,
            body_optional: false,
            success: (200, schema::<Page<AccessRequest>>(g)),
            parameters: vec![query(
                "status",
                "pending, approved, denied, expired or collected",
                json!({ "type": "string" }),
            )],
        },
        Operation {
            endpoint: requests::GET,
            operation_id: "getAccessRequest",
            summary: "One access request.",
            request: None,
            body_optional: false,
            success: (200, schema::<AccessRequest>(g)),
            parameters: vec![request_id_parameter()],
        },
        Operation {
            endpoint: requests::APPROVE,
            operation_id: "approveAccessRequest",
            summary: "Approve, possibly narrower or shorter.",
            request: Some(schema::<ApproveRequest>(g)),
            body_optional: true,
            success: (200, schema::<AccessRequest>(g)),
            parameters: vec![request_id_parameter()],
        },
        Operation {
            endpoint: requests::DENY,
            operation_id: "denyAccessRequest",
            summary: "Deny.",
            request: Some(schema::<DenyRequest>(g)),
            body_optional: true,
            success: (200, schema::<AccessRequest>(g)),
            parameters: vec![request_id_parameter()],
        },
        Operation {
            endpoint: requests::COLLECT,
            operation_id: "collectAccessRequest",
            summary: "The requester collects the approved credential, once.",
            request: None,
            body_optional: false,
            success: (200, schema::<IssuedCredential>(g)),
            parameters: vec![request_id_parameter()],
        },
    ]
}

/// The OpenAPI 3.1 document for `issuer`.
pub fn document(issuer: &IssuerProfile) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let problem = schema::<Problem>(&mut generator);
    let manifest = schema::<Manifest>(&mut generator);
    let permissions = schema::<PermissionSchema>(&mut generator);
    let base = format!("{}{ENDPOINT_PATH}", issuer.id.path());
    let mut paths = serde_json::Map::new();
    let mut all = operations(&mut generator);
    if issuer.access.is_some() {
        all.extend(request_operations(&mut generator));
    }
    for operation in all {
        let method = operation.endpoint.method.as_str().to_ascii_lowercase();
        let mut item = json!({
            "operationId": operation.operation_id,
            "summary": operation.summary,
            "security": [{ "bearer": [operation.endpoint.scope.as_str()] }],
            "parameters": operation.parameters,
            "responses": {
                operation.success.0.to_string(): {
                    "description": "Success.",
                    "content": { "application/json": { "schema": operation.success.1 } }
                },
                "default": {
                    "description": "A problem (RFC 9457).",
                    "content": { "application/problem+json": { "schema": problem.clone() } }
                }
            }
        });
        if let Some(request) = operation.request {
            item["requestBody"] = json!({
                "required": !operation.body_optional,
                "content": { "application/json": { "schema": request } }
            });
        }
        let path = format!("{base}{}", operation.endpoint.path);
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[method] = item;
    }
    let document_response = |schema: Value| {
        json!({ "get": { "security": [], "responses": { "200": {
            "description": "The document.", "content": { "application/json": { "schema": schema } } } } } })
    };
    paths.insert(
        format!(
            "{}{}",
            credential_issuer_spec::WELL_KNOWN_SUFFIX,
            issuer.id.path()
        ),
        document_response(manifest),
    );
    paths.insert(
        format!("{base}{PERMISSION_SCHEMA_PATH}"),
        document_response(permissions),
    );
    let definitions: serde_json::Map<String, Value> =
        generator.take_definitions(true).into_iter().collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "credential-issuer reference server",
            "version": SPEC_VERSION,
            "description": "The credential-issuer protocol (spec/credential-issuer.md), as served by credential-issuer-server."
        },
        "servers": [{ "url": issuer.id.as_url().origin().ascii_serialization() }],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        }
    })
}
