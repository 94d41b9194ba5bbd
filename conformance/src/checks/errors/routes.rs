//! Routes and queries: unknown paths, wrong methods, unknown credential ids, invalid query
//! parameters and unclaimed operations each get their problem type.

use credential_issuer_spec::operations::{create, exposure, get, list, requests};
use credential_issuer_spec::{Operation, ProblemType};
use serde_json::json;

use super::GROUP;
use crate::check::{Check, Meta};
use crate::checks::expect::problem;
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

pub(super) const ROUTES: Check = Check::new(
    Meta {
        id: "ERR-04",
        group: GROUP,
        requirements: &["REQ-ERR-19"],
        title: "unknown paths get not-found, wrong methods method-not-allowed with Allow",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(routes(ctx)),
);

async fn routes(ctx: &mut Context) -> CheckResult {
    let missing = ctx.call(Request::get("/no-such-operation")).await;
    problem(&missing, 404, ProblemType::NotFound)?;
    let mut delete = Request::get(list::ENDPOINT.path);
    delete.method = reqwest::Method::DELETE;
    let wrong = ctx.call(delete).await;
    problem(&wrong, 405, ProblemType::MethodNotAllowed)?;
    ensure(wrong.header("allow").is_some(), || {
        "a 405 answer has no Allow header".to_owned()
    })
}

pub(super) const UNKNOWN_ID: Check = Check::new(
    Meta {
        id: "ERR-05",
        group: GROUP,
        requirements: &["REQ-LIST-4"],
        title: "unknown and malformed credential ids get not-found",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(unknown_id(ctx)),
);

async fn unknown_id(ctx: &mut Context) -> CheckResult {
    let unknown = ctx
        .call(Request::get(get::ENDPOINT.path_for(&format!(
            "cred-conformance-{}",
            uuid::Uuid::new_v4().simple()
        ))))
        .await;
    problem(&unknown, 404, ProblemType::NotFound)?;
    let malformed = ctx
        .call(Request::get(get::ENDPOINT.path_for("%2E%2E%2Fetc")))
        .await;
    problem(&malformed, 404, ProblemType::NotFound)
}

pub(super) const QUERY: Check = Check::new(
    Meta {
        id: "ERR-06",
        group: GROUP,
        requirements: &["REQ-ERR-6", "REQ-PAGE-2", "REQ-PAGE-5", "REQ-LIST-1"],
        title: "invalid query parameters, limits and cursors get invalid-request",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(query(ctx)),
);

async fn query(ctx: &mut Context) -> CheckResult {
    for query in [
        "limit=0",
        "limit=201",
        "status=sleeping",
        "no_such_parameter=1",
        "cursor=not-a-cursor-from-this-issuer",
    ] {
        let path = format!("{}?{query}", list::ENDPOINT.path);
        let response = ctx.call(Request::get(&path)).await;
        problem(&response, 400, ProblemType::InvalidRequest)
            .map_err(|v| Verdict::fail(format!("{path}: {}", v.message)))?;
    }
    Ok(())
}

pub(super) const UNCLAIMED: Check = Check::new(
    Meta {
        id: "ERR-07",
        group: GROUP,
        requirements: &["REQ-ERR-20"],
        title: "an operation the manifest does not claim gets operation-not-supported",
        mutating: false,
        needs: &[],
    },
    |ctx| Box::pin(unclaimed(ctx)),
);

async fn unclaimed(ctx: &mut Context) -> CheckResult {
    let paths = [
        (Operation::Request, requests::CREATE.path),
        (Operation::ReportExposure, exposure::ENDPOINT.path),
        (Operation::Create, create::ENDPOINT.path),
    ];
    let Some((_, path)) = paths.iter().find(|(op, _)| !ctx.claims(op)) else {
        return Err(Verdict::skip(
            "the manifest claims every operation this check can probe",
        ));
    };
    let response = ctx.call(Request::post_json(*path, &json!({}))).await;
    problem(&response, 501, ProblemType::OperationNotSupported)
}
