//! `credctl request`, `requests list`, `approve`, `deny`: agent access requests.

use std::time::{Duration, Instant};

use comfy_table::Cell;

use credential_issuer_spec::operations::requests::{
    ApproveRequest, CreateAccessRequest, DenyRequest,
};
use credential_issuer_spec::{AccessRequest, AccessRequestId, AccessRequestStatus, CredentialType};

use super::{Session, show_issued};
use crate::args::{ApproveArgs, DenyArgs, RequestArgs, RequestsListArgs};
use crate::failure::Failure;
use crate::output::scope;

/// How often a waiting requester asks (REQ-AR-6: no more often than every 5 seconds).
const POLL: Duration = Duration::from_secs(5);

fn request_id(raw: &str) -> Result<AccessRequestId, Failure> {
    raw.parse()
        .map_err(|_| Failure::Usage(format!("{raw:?} is not an access request id")))
}

fn show(session: &Session, request: &AccessRequest) {
    if session.out.json {
        session.out.json(request);
        return;
    }
    session.out.line(&format!(
        "{}  {}",
        request.id,
        session.out.status(request.status.as_str())
    ));
    session
        .out
        .line(&format!("  requester {}", request.requester));
    session
        .out
        .line(&format!("  scope     {}", scope(&request.scope)));
    session.out.line(&format!(
        "  ttl       {}",
        humantime::format_duration(Duration::from_secs(request.ttl_seconds))
    ));
    session.out.line(&format!("  reason    {}", request.reason));
    if let Some(by) = &request.decided_by {
        session.out.line(&format!(
            "  decided   by {by}{}",
            if request.auto_approved {
                " (policy)"
            } else {
                ""
            }
        ));
    }
}

/// `credctl request`
pub(crate) async fn request(session: &Session, args: RequestArgs) -> Result<(), Failure> {
    let issuer = session.issuer().await?;
    let ask = CreateAccessRequest {
        requester: args.requester,
        credential_type: CredentialType::from(args.credential_type.as_str()),
        scope: args.scope,
        ttl_seconds: args.ttl.as_secs().max(1),
        reason: args.reason,
    };
    let mut current = issuer.create_access_request(&ask).await?;
    if !args.wait {
        show(session, &current);
        return Ok(());
    }
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_message(format!(
        "waiting for a decision on {} (requested {})",
        current.id,
        scope(&current.scope)
    ));
    progress.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    while current.status == AccessRequestStatus::Pending {
        if started.elapsed() > args.timeout {
            progress.finish_and_clear();
            return Err(Failure::Io(format!(
                "no decision on {} within {}",
                current.id,
                humantime::format_duration(args.timeout)
            )));
        }
        tokio::time::sleep(POLL).await;
        current = issuer.access_request(&current.id).await?;
    }
    progress.finish_and_clear();
    match current.status {
        AccessRequestStatus::Approved => {
            let issued = issuer.collect(&current.id).await?;
            show_issued(
                &session.out,
                &issued,
                args.secret_file.as_deref(),
                "approved and collected",
            )
        }
        AccessRequestStatus::Denied => Err(Failure::Refused(format!(
            "{} was denied{}",
            current.id,
            current
                .decision_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ))),
        other => Err(Failure::Gone(format!(
            "{} is {}",
            current.id,
            other.as_str()
        ))),
    }
}

/// `credctl requests list`
pub(crate) async fn list(session: &Session, args: RequestsListArgs) -> Result<(), Failure> {
    let status = match args.status.as_str() {
        "all" => None,
        other => Some(
            serde_json::from_value::<AccessRequestStatus>(serde_json::Value::String(
                other.to_owned(),
            ))
            .map_err(|_| Failure::Usage(format!("--status {other:?} is not a request status")))?,
        ),
    };
    let issuer = session.issuer().await?;
    let mut requests = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = issuer.access_requests(status, cursor.as_deref()).await?;
        requests.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if session.out.json {
        session.out.json(&requests);
        return Ok(());
    }
    let rows = requests.iter().map(|r| {
        vec![
            Cell::new(&r.id),
            session.out.status_cell(r.status.as_str()),
            Cell::new(&r.requester),
            Cell::new(scope(&r.scope)),
            Cell::new(humantime::format_duration(Duration::from_secs(
                r.ttl_seconds,
            ))),
            Cell::new(&r.reason),
        ]
    });
    session.out.table(
        &["ID", "STATUS", "REQUESTER", "SCOPE", "TTL", "REASON"],
        rows,
    );
    Ok(())
}

/// `credctl approve`
pub(crate) async fn approve(session: &Session, args: ApproveArgs) -> Result<(), Failure> {
    let id = request_id(&args.id)?;
    let decision = ApproveRequest {
        scope: (!args.scope.is_empty()).then_some(args.scope),
        ttl_seconds: args.ttl.map(|d| d.as_secs().max(1)),
        reason: args.reason,
    };
    let request = session.issuer().await?.approve(&id, &decision).await?;
    show(session, &request);
    Ok(())
}

/// `credctl deny`
pub(crate) async fn deny(session: &Session, args: DenyArgs) -> Result<(), Failure> {
    let id = request_id(&args.id)?;
    let request = session
        .issuer()
        .await?
        .deny(
            &id,
            &DenyRequest {
                reason: args.reason,
            },
        )
        .await?;
    show(session, &request);
    Ok(())
}
