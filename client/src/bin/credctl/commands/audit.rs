//! `credctl audit`

use std::path::{Path, PathBuf};

use credential_issuer_client::atomic_write::{FileMode, write_atomically};
use credential_issuer_client::{AuditExport, AuditQuery, VerifiedLog};
use credential_issuer_spec::CheckpointPayload;
use futures_util::TryStreamExt;

use super::{Session, credential_id};
use crate::args::{AuditArgs, ExportArgs, VerifyArgs};
use crate::failure::Failure;
use crate::output::Output;

pub(crate) async fn run(session: &Session, args: AuditArgs) -> Result<(), Failure> {
    let query = AuditQuery {
        credential_id: args.credential.as_deref().map(credential_id).transpose()?,
        after_seq: args.after_seq,
        limit: args.page_size,
    };
    let issuer = session.issuer().await?;
    let events: Vec<_> = issuer.audit(query).try_collect().await?;
    if session.out.json {
        session.out.json(&events);
    } else {
        session.out.events(&events);
    }
    Ok(())
}

/// The file keeping the last verified checkpoint of `issuer`.
fn state_file(issuer: &str, dir: Option<&Path>) -> Option<PathBuf> {
    let dir = match dir {
        Some(dir) => dir.to_owned(),
        None => std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?
            .join("credctl/checkpoints"),
    };
    let name = hex_digest(issuer);
    Some(dir.join(format!("{name}.json")))
}

fn hex_digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

fn load_earlier(path: Option<&Path>) -> Option<CheckpointPayload> {
    let text = std::fs::read_to_string(path?).ok()?;
    serde_json::from_str(&text).ok()
}

fn save_checkpoint(path: Option<&Path>, checkpoint: &CheckpointPayload) -> Result<(), Failure> {
    let Some(path) = path else { return Ok(()) };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::Io(format!("cannot create {}: {e}", parent.display())))?;
    }
    let text = serde_json::to_string_pretty(checkpoint).unwrap_or_default();
    write_atomically(path, text.as_bytes(), FileMode::KeepOr(0o644))
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))
}

fn report(out: &Output, verified: &VerifiedLog) {
    if out.json {
        out.json(&serde_json::json!({
            "issuer": verified.issuer,
            "verified": true,
            "events": verified.events,
            "first_seq": verified.first_seq,
            "last_seq": verified.last_seq,
            "checkpoint": verified.checkpoint,
            "key_thumbprint": verified.key_thumbprint,
        }));
    } else {
        out.line(&format!(
            "verified {} events (seq {}..{}) of {}",
            verified.events, verified.first_seq, verified.last_seq, verified.issuer
        ));
        out.line(&format!(
            "checkpoint seq {} at {} signed by key {}",
            verified.checkpoint.seq, verified.checkpoint.time, verified.key_thumbprint
        ));
    }
}

/// `credctl audit verify`: the live log.
pub(crate) async fn verify(session: &Session, args: VerifyArgs) -> Result<(), Failure> {
    let issuer = session.issuer().await?;
    let export = issuer.export_audit(args.from_seq).await?;
    let state = state_file(&export.issuer, args.state_dir.as_deref());
    let earlier = load_earlier(state.as_deref());
    let verified = export.verify(&session.pins(), earlier.as_ref())?;
    save_checkpoint(state.as_deref(), &verified.checkpoint)?;
    report(&session.out, &verified);
    Ok(())
}

/// `credctl audit verify --file`: an export, offline.
pub(crate) fn verify_file(
    out: &Output,
    file: &Path,
    pins: &[String],
    state_dir: Option<&Path>,
) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Io(format!("cannot read {}: {e}", file.display())))?;
    let export: AuditExport = serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("{} is not an audit export: {e}", file.display())))?;
    let state = state_dir.and_then(|dir| state_file(&export.issuer, Some(dir)));
    let earlier = load_earlier(state.as_deref());
    let verified = export.verify(pins, earlier.as_ref())?;
    report(out, &verified);
    Ok(())
}

/// `credctl audit export`
pub(crate) async fn export(session: &Session, args: ExportArgs) -> Result<(), Failure> {
    let issuer = session.issuer().await?;
    let export = issuer.export_audit(args.from_seq).await?;
    let text = serde_json::to_string_pretty(&export).unwrap_or_default();
    std::fs::write(&args.output, text)
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", args.output.display())))?;
    if !session.out.json {
        session.out.line(&format!(
            "exported {} events to {}",
            export.events.len(),
            args.output.display()
        ));
    }
    Ok(())
}
