//! What checks expect of an answer: a JSON body, a document that validates against its schema,
//! a problem document of a given type.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::ProblemType;
use credential_issuer_spec::problem::PROBLEM_TYPE_PREFIX;
use serde_json::Value;

use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Response;

/// The body as JSON, or a failure saying what came instead.
pub(crate) fn json_body(response: &Response, what: &str) -> Result<Value, Verdict> {
    response
        .json()
        .ok_or_else(|| Verdict::fail(format!("the {what} (HTTP {}) is not JSON", response.status)))
}

/// `document` validates against its schema.
pub(crate) fn schema(document: Document, value: &Value) -> CheckResult {
    match document.first_violation(value) {
        Some(rule) => Err(Verdict::fail(format!(
            "the {} breaks its schema {rule}",
            document.name()
        ))),
        None => Ok(()),
    }
}

/// The response is a problem document with `status` and the spec type `expected`.
pub(crate) fn problem(response: &Response, status: u16, expected: ProblemType) -> CheckResult {
    ensure(response.status == status, || {
        format!(
            "expected HTTP {status} ({}), got {}",
            expected.name(),
            response.status
        )
    })?;
    ensure(response.media_type() == "application/problem+json", || {
        format!(
            "an error must be application/problem+json, got {:?}",
            response.media_type()
        )
    })?;
    let body = json_body(response, "problem document")?;
    schema(Document::Problem, &body)?;
    let uri = format!("{PROBLEM_TYPE_PREFIX}{}", expected.name());
    ensure(body["type"] == uri, || {
        format!("expected problem type {uri}, got {}", body["type"])
    })?;
    ensure(body["status"] == status, || {
        "the problem's status differs from the HTTP status".to_owned()
    })
}
