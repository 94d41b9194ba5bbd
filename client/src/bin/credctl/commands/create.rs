//! `credctl create`

use std::collections::BTreeMap;

use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::{CredentialType, Metadata};

use super::{Session, show_issued};
use crate::args::CreateArgs;
use crate::failure::Failure;

pub(crate) async fn run(session: &Session, args: CreateArgs) -> Result<(), Failure> {
    let name = args
        .name
        .parse()
        .map_err(|e| Failure::Usage(format!("--name: {e}")))?;
    let metadata: BTreeMap<String, String> = args.metadata.into_iter().collect();
    let mut request = CreateRequest::new(
        CredentialType::from(args.credential_type.as_str()),
        name,
        args.scope,
    );
    request.metadata =
        Metadata::new(metadata).map_err(|e| Failure::Usage(format!("--metadata: {e}")))?;
    request.expires_in = args.expires_in.map(|d| d.as_secs().max(1));
    let issuer = session.issuer().await?;
    let issued = issuer.create(&request).await?;
    show_issued(
        &session.out,
        &issued,
        args.secret_file.as_deref(),
        "created",
    )
}
