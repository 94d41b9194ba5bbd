//! `credctl blast-radius`

use credential_issuer_client::recovery::blast_radius;

use super::workspace::Workspace;
use crate::args::BlastRadiusArgs;
use crate::failure::Failure;

pub(crate) async fn run(workspace: &Workspace, args: BlastRadiusArgs) -> Result<(), Failure> {
    let scanner = workspace.scanner()?;
    let paths: Vec<_> = args
        .exposed
        .iter()
        .chain(args.scan.iter())
        .cloned()
        .collect();
    let findings = scanner.scan_paths(&paths)?;
    let radius = blast_radius::assess(
        &findings,
        &workspace.inventory,
        &workspace.issuers,
        args.immediate,
    )
    .await?;
    if workspace.out.json {
        workspace.out.json(&radius);
    } else {
        workspace.out.line(radius.text().trim_end());
    }
    let active = radius.active_credentials().len();
    if active == 0 {
        Ok(())
    } else {
        Err(Failure::Attention(format!(
            "{active} exposed secrets are active: recover them (credctl recover --exposed FILE)"
        )))
    }
}
