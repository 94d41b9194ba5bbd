//! `credctl recover`

use std::collections::BTreeMap;

use credential_issuer_client::recovery::progress::{Lines, Progress, Quiet};
use credential_issuer_client::recovery::{self, Journal, RecoverOptions, blast_radius};
use credential_issuer_spec::Secret;

use super::credential_id;
use super::workspace::Workspace;
use crate::args::RecoverArgs;
use crate::failure::Failure;

pub(crate) async fn run(workspace: &Workspace, args: RecoverArgs) -> Result<(), Failure> {
    if args.provide.len() != args.secret_files.len() {
        return Err(Failure::Usage(
            "give one --secret-file per --provide, in the same order".into(),
        ));
    }
    let mut provided = BTreeMap::new();
    for (raw, file) in args.provide.iter().zip(&args.secret_files) {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::Io(format!("cannot read {}: {e}", file.display())))?;
        provided.insert(credential_id(raw)?, Secret::new(text.trim().to_owned()));
    }
    let journal_dir = args
        .journal
        .clone()
        .unwrap_or_else(|| workspace.base.join(".credctl").join("journal"));
    let journal = Journal::open(&journal_dir)?;

    let mut selected = Vec::new();
    let mut exposed = BTreeMap::new();
    if let Some(file) = &args.exposed {
        let findings = workspace
            .scanner()?
            .scan_paths(std::slice::from_ref(file))?;
        let radius = blast_radius::assess(
            &findings,
            &workspace.inventory,
            &workspace.issuers,
            args.immediate,
        )
        .await?;
        for finding in &findings {
            if let Some(item) = radius.exposed.iter().find(|e| {
                e.active && e.issuer == finding.issuer && e.fingerprint == finding.fingerprint
            }) && let Some(id) = &item.credential_id
            {
                exposed.insert((item.issuer.clone(), id.clone()), finding.secret.clone());
            }
        }
        selected.extend(radius.active_credentials());
        let inactive = radius.exposed.iter().filter(|e| !e.active).count();
        if inactive > 0 && !workspace.out.json {
            eprintln!(
                "credctl: {inactive} exposed secrets are already inactive: nothing to do for them"
            );
        }
    }
    if args.all {
        selected.extend(workspace.inventory.all());
    }
    for raw in args.credentials.iter().chain(&args.provide) {
        let id = credential_id(raw)?;
        let matching: Vec<_> = workspace
            .inventory
            .credentials
            .iter()
            .filter(|e| e.id == id)
            .map(|e| (e.issuer.clone(), e.id.clone()))
            .collect();
        if matching.is_empty() {
            return Err(Failure::Usage(format!("{id} is not in the inventory")));
        }
        selected.extend(matching);
    }
    if args.resume || !provided.is_empty() {
        selected.extend(journal.credentials()?);
    }
    let mut seen = std::collections::BTreeSet::new();
    selected.retain(|key| seen.insert(key.clone()));
    if selected.is_empty() && args.exposed.is_none() && !args.resume {
        return Err(Failure::Usage(
            "say what to recover: --exposed FILE, --all, --credential ID or --resume".into(),
        ));
    }

    let plan = recovery::plan::plan(
        &workspace.inventory,
        &selected,
        &workspace.issuers,
        args.immediate,
        &exposed,
    );
    if args.dry_run {
        if workspace.out.json {
            workspace.out.json(&plan);
        } else {
            workspace.out.line(plan.text().trim_end());
        }
        return Ok(());
    }
    let options = RecoverOptions {
        concurrency: usize::from(args.concurrency),
        resume: args.resume,
        dry_run: false,
        provided,
        grace_period_seconds: args.grace.map(|d| d.as_secs().max(1)),
    };
    let lines = Lines::new(plan.items.len());
    let progress: &dyn Progress = if workspace.out.json { &Quiet } else { &lines };
    let report = recovery::recover::run(
        &plan,
        &workspace.issuers,
        &journal,
        &workspace.base,
        &options,
        progress,
    )
    .await?;
    if workspace.out.json {
        workspace.out.json(&report);
    } else {
        workspace.out.line(report.text().trim_end());
    }
    if report.all_recovered() {
        Ok(())
    } else {
        Err(Failure::Attention(format!(
            "{} credentials need a person, {} wait for a manual step (see the report)",
            report.needs_person, report.awaiting_manual_step
        )))
    }
}
