//! `credctl revoke`

use credential_issuer_spec::operations::revoke::RevokeRequest;

use super::{Session, credential_id};
use crate::args::RevokeArgs;
use crate::failure::Failure;

pub(crate) async fn run(session: &Session, args: RevokeArgs) -> Result<(), Failure> {
    let id = credential_id(&args.id)?;
    let request = RevokeRequest {
        version: args.version,
        reason: args.reason,
    };
    let credential = session.issuer().await?.revoke(&id, &request).await?;
    if session.out.json {
        session.out.json(&credential);
        return Ok(());
    }
    match args.version {
        Some(version) => session
            .out
            .line(&format!("revoked version {version} of {id}")),
        None => session.out.line(&format!("revoked {id}")),
    }
    session.out.credential(&credential);
    Ok(())
}
