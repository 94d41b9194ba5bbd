//! Authentication: operations need a bearer token, presented in the header.

use credential_issuer_spec::operations::list;
use credential_issuer_spec::{Operation, ProblemType};

use super::GROUP;
use crate::check::{Check, Meta};
use crate::checks::expect::problem;
use crate::context::Context;
use crate::outcome::{CheckResult, ensure};
use crate::probe::Request;

pub(super) const AUTH: Check = Check::new(
    Meta {
        id: "SEC-01",
        group: GROUP,
        requirements: &["REQ-AUTH-1", "REQ-AUTH-3"],
        title: "operations need a bearer token: 401 with WWW-Authenticate, also for a token in the query",
        mutating: false,
        needs: &[Operation::List],
    },
    |ctx| Box::pin(auth(ctx)),
);

async fn auth(ctx: &mut Context) -> CheckResult {
    let endpoint = ctx.endpoint().unwrap_or_default();
    let none = ctx
        .probe
        .send(Request::get(format!("{endpoint}{}", list::ENDPOINT.path)))
        .await;
    problem(&none, 401, ProblemType::Unauthorized)?;
    ensure(
        none.header("www-authenticate")
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("bearer")),
        || "a 401 lacks WWW-Authenticate: Bearer".to_owned(),
    )?;
    let bogus = ctx
        .probe
        .send(
            Request::get(format!("{endpoint}{}", list::ENDPOINT.path))
                .bearer("cit_not_a_valid_token"),
        )
        .await;
    problem(&bogus, 401, ProblemType::Unauthorized)?;
    ensure(
        bogus
            .header("www-authenticate")
            .is_some_and(|v| v.contains("invalid_token")),
        || "a 401 for a presented token lacks error=\"invalid_token\"".to_owned(),
    )?;
    let token = ctx.config.token.clone().unwrap_or_default();
    let in_query = ctx
        .probe
        .send(Request::get(format!(
            "{endpoint}{}?access_token={token}",
            list::ENDPOINT.path
        )))
        .await;
    ensure(in_query.status == 401 || in_query.status == 400, || {
        format!(
            "a token in the query was accepted (HTTP {})",
            in_query.status
        )
    })
}
