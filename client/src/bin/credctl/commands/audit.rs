//! `credctl audit`

use credential_issuer_client::AuditQuery;
use futures_util::TryStreamExt;

use super::{Session, credential_id};
use crate::args::AuditArgs;
use crate::failure::Failure;

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
