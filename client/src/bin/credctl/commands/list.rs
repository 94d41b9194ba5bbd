//! `credctl list` and `credctl get`

use credential_issuer_spec::operations::list::ListQuery;
use credential_issuer_spec::{CredentialStatus, CredentialType};
use futures_util::TryStreamExt;

use super::{Session, credential_id};
use crate::args::{IdArgs, ListArgs, StatusFilter};
use crate::failure::Failure;

pub(crate) async fn run(session: &Session, args: ListArgs) -> Result<(), Failure> {
    let query = ListQuery {
        status: args.status.map(|s| match s {
            StatusFilter::Active => CredentialStatus::Active,
            StatusFilter::Expired => CredentialStatus::Expired,
            StatusFilter::Revoked => CredentialStatus::Revoked,
        }),
        credential_type: args.credential_type.as_deref().map(CredentialType::from),
        metadata: args.metadata.into_iter().collect(),
        limit: args.page_size,
        cursor: None,
    };
    let issuer = session.issuer().await?;
    let credentials: Vec<_> = issuer.list(query).try_collect().await?;
    if session.out.json {
        session.out.json(&credentials);
    } else {
        session.out.credentials(&credentials);
    }
    Ok(())
}

pub(crate) async fn get(session: &Session, args: IdArgs) -> Result<(), Failure> {
    let id = credential_id(&args.id)?;
    let credential = session.issuer().await?.get(&id).await?;
    if session.out.json {
        session.out.json(&credential);
    } else {
        session.out.credential(&credential);
    }
    Ok(())
}
