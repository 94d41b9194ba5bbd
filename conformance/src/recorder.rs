//! Runs checks and records their results with evidence.

use credential_issuer_spec::Operation;

use crate::Group;
use crate::context::Context;
use crate::outcome::{CheckResult, Outcome, Verdict};
use crate::report::CaseResult;

/// What a check is: stable id, the requirements it enforces, and when it can run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    /// Stable id, e.g. `OPS-06`.
    pub(crate) id: &'static str,
    /// Its group.
    pub(crate) group: Group,
    /// The spec requirement ids it enforces.
    pub(crate) requirements: &'static [&'static str],
    /// One line.
    pub(crate) title: &'static str,
    /// Whether it creates, rotates or revokes.
    pub(crate) mutating: bool,
    /// The operations the manifest must claim for it to run.
    pub(crate) needs: &'static [Operation],
}

/// Collects results.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Every result so far.
    pub(crate) results: Vec<CaseResult>,
}

impl Recorder {
    /// Runs `body` unless the check cannot run here, and records the result.
    pub(crate) async fn check<F>(&mut self, ctx: &mut Context, meta: &Meta, body: F)
    where
        F: AsyncFnOnce(&mut Context) -> CheckResult,
    {
        let verdict = if meta.mutating && !ctx.config.allow_mutations {
            Err(Verdict::skip("mutating check: run with --allow-mutations"))
        } else if ctx.manifest.is_none() && meta.group != Group::Discovery {
            Err(Verdict::skip(
                "no usable manifest (see the discovery checks)",
            ))
        } else if let Some(missing) = meta.needs.iter().find(|op| !ctx.claims(op)) {
            Err(Verdict::skip(ctx.why_not(missing)))
        } else if (meta.mutating || !meta.needs.is_empty()) && ctx.config.token.is_none() {
            Err(Verdict::skip("needs a token (--token)"))
        } else {
            body(ctx).await
        };
        let evidence = ctx.probe.take_evidence();
        let (outcome, message) = match verdict {
            Ok(()) => (Outcome::Passed, None),
            Err(Verdict { outcome, message }) => (outcome, Some(message)),
        };
        self.results.push(CaseResult {
            id: meta.id.to_owned(),
            group: meta.group,
            title: meta.title.to_owned(),
            requirements: meta.requirements.iter().map(|r| (*r).to_owned()).collect(),
            outcome,
            message: message.map(|m| ctx.probe.redactor.redact(&m)),
            evidence,
        });
    }
}
