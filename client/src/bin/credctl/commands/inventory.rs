//! `credctl inventory add|list|check`

use credential_issuer_client::recovery::inventory::{self, InventoryEntry};
use credential_issuer_client::recovery::{HealthCheck, Target};

use super::credential_id;
use super::workspace::Workspace;
use crate::args::InventoryAddArgs;
use crate::failure::Failure;

pub(crate) async fn add(mut workspace: Workspace, args: InventoryAddArgs) -> Result<(), Failure> {
    let issuer_url = workspace.chosen_issuer.clone().ok_or_else(|| {
        Failure::Usage("name the credential's issuer with --issuer (or CREDCTL_ISSUER)".into())
    })?;
    let id = credential_id(&args.credential)?;
    let issuer = workspace
        .issuers
        .get(&issuer_url)
        .ok_or_else(|| Failure::Usage(format!("issuer {issuer_url} was not discovered")))?;
    // The credential must exist there (and the token must see it).
    issuer.get(&id).await?;
    let mut targets = Vec::new();
    for spec in &args.env_files {
        let (path, key) = match spec.rsplit_once(':') {
            Some((path, key)) if !key.contains('/') => (path, Some(key.to_owned())),
            _ => (spec.as_str(), None),
        };
        targets.push(Target::EnvFile {
            path: path.into(),
            key,
        });
    }
    targets.extend(args.commands.iter().map(|command| Target::Command {
        command: command.clone(),
    }));
    targets.extend(args.webhooks.iter().map(|url| Target::Webhook {
        url: url.clone(),
        method: Default::default(),
    }));
    let mut health: Vec<HealthCheck> = args
        .check_commands
        .iter()
        .map(|command| HealthCheck::Command {
            command: command.clone(),
        })
        .collect();
    for spec in &args.check_http {
        let (url, status) = match spec.rsplit_once('=') {
            Some((url, status)) if status.parse::<u16>().is_ok() => {
                (url, status.parse::<u16>().unwrap_or(200))
            }
            _ => (spec.as_str(), 200),
        };
        let url = url
            .parse()
            .map_err(|_| Failure::Usage(format!("{url:?} is not a URL")))?;
        health.push(HealthCheck::Http {
            url,
            expect_status: status,
        });
    }
    workspace.inventory.upsert(InventoryEntry {
        issuer: issuer_url.clone(),
        id: id.clone(),
        env: args.env.clone(),
        targets,
        health,
        need: args.need,
    });
    workspace.inventory.save(&workspace.inventory_path)?;
    if workspace.out.json {
        workspace
            .out
            .json(&workspace.inventory.entry(&issuer_url, &id));
    } else {
        workspace.out.line(&format!(
            "{id} of {issuer_url} recorded in {}",
            Workspace::show(&workspace.inventory_path)
        ));
    }
    Ok(())
}

pub(crate) fn list(workspace: &Workspace) -> Result<(), Failure> {
    if workspace.out.json {
        workspace.out.json(&workspace.inventory);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = workspace
        .inventory
        .credentials
        .iter()
        .map(|e| {
            vec![
                e.id.to_string(),
                e.issuer.clone(),
                e.env.clone(),
                e.targets
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
                e.health.len().to_string(),
            ]
        })
        .collect();
    workspace
        .out
        .table(&["ID", "ISSUER", "ENV", "TARGETS", "CHECKS"], rows);
    Ok(())
}

pub(crate) async fn check(workspace: &Workspace) -> Result<(), Failure> {
    let report =
        inventory::check(&workspace.inventory, &workspace.base, &workspace.issuers).await?;
    if workspace.out.json {
        workspace.out.json(&report);
    } else {
        for problem in &report.problems {
            workspace.out.line(&problem.to_string());
        }
        workspace.out.line(&format!(
            "{} credentials checked, {} problems, {} targets not readable back (commands, webhooks)",
            report.checked,
            report.problems.len(),
            report.unverifiable_targets
        ));
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::Attention(format!(
            "the inventory has {} problems",
            report.problems.len()
        )))
    }
}
