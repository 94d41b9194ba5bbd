//! `credctl scan`

use super::workspace::Workspace;
use crate::args::ScanArgs;
use crate::failure::Failure;

pub(crate) fn run(workspace: &Workspace, args: ScanArgs) -> Result<(), Failure> {
    let scanner = workspace.scanner()?;
    let mut findings = scanner.scan_paths(&args.paths)?;
    if args.git {
        for path in &args.paths {
            if path.is_dir() {
                findings.extend(scanner.scan_git(path)?);
            }
        }
    }
    if workspace.out.json {
        workspace.out.json(&findings);
    } else {
        let rows: Vec<Vec<String>> = findings
            .iter()
            .map(|f| {
                vec![
                    f.location.file.display().to_string(),
                    f.location.line.to_string(),
                    f.location
                        .commit
                        .as_deref()
                        .map_or_else(|| "-".to_owned(), |c| c[..c.len().min(12)].to_owned()),
                    f.issuer.clone(),
                    f.credential_type.to_string(),
                    f.hint.clone(),
                ]
            })
            .collect();
        workspace
            .out
            .table(&["FILE", "LINE", "COMMIT", "ISSUER", "TYPE", "HINT"], rows);
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Failure::Attention(format!(
            "found {} secrets (shown by hint only)",
            findings.len()
        )))
    }
}
