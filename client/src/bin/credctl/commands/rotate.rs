//! `credctl rotate`

use credential_issuer_spec::RotationMode;
use credential_issuer_spec::operations::rotate::RotateRequest;

use super::{Session, credential_id, show_issued};
use crate::args::{ModeArg, RotateArgs};
use crate::failure::Failure;

pub(crate) async fn run(session: &Session, args: RotateArgs) -> Result<(), Failure> {
    let id = credential_id(&args.id)?;
    let request = RotateRequest {
        mode: args.mode.map(|mode| match mode {
            ModeArg::Overlap => RotationMode::Overlap,
            ModeArg::Immediate => RotationMode::Immediate,
        }),
        grace_period_seconds: args.grace.map(|d| d.as_secs()),
        scope: (!args.scope.is_empty()).then_some(args.scope),
    };
    let issued = session
        .issuer()
        .await?
        .rotate(&id, &request, args.if_version)
        .await?;
    show_issued(
        &session.out,
        &issued,
        args.secret_file.as_deref(),
        "rotated",
    )
}
