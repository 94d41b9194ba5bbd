//! Runs checks and records their results with evidence.

use crate::Group;
use crate::check::{Check, WithoutManifest};
use crate::context::Context;
use crate::outcome::{Outcome, Verdict};
use crate::report::CaseResult;

/// Collects results.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    /// Every result so far.
    pub(crate) results: Vec<CaseResult>,
}

impl Recorder {
    /// Runs each of `checks` in order, recording each result.
    pub(crate) async fn run_all(&mut self, ctx: &mut Context, checks: &[Check]) {
        for check in checks {
            self.check(ctx, check).await;
        }
    }

    /// Runs `check` unless it cannot run here, and records the result (a check left out
    /// without a manifest records nothing).
    pub(crate) async fn check(&mut self, ctx: &mut Context, check: &Check) {
        let meta = &check.meta;
        if ctx.manifest.is_none() && check.without_manifest == WithoutManifest::Omit {
            return;
        }
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
            (check.run)(ctx).await
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
