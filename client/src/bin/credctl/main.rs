//! `credctl`: discover and drive credential issuers from the command line.

mod args;
mod commands;
mod config;
mod failure;
mod output;

use std::process::ExitCode;

use clap::Parser;
use credential_issuer_client::Client;

use crate::args::{Cli, Command};
use crate::commands::Session;
use crate::config::ConfigFile;
use crate::failure::Failure;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("credctl: cannot start: {error}");
            return ExitCode::from(failure::code::FAILURE);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("credctl: {failure}");
            failure.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Audit(args::AuditCommand {
        action: Some(args::AuditAction::Verify(verify)),
        ..
    }) = &cli.command
        && let Some(file) = &verify.file
    {
        return commands::audit::verify_file(
            &Output::new(cli.json),
            file,
            &cli.pins,
            verify.state_dir.as_deref(),
        );
    }
    let config = ConfigFile::load(cli.config.as_deref())?;
    if matches!(
        cli.command,
        Command::Inventory(_) | Command::Scan(_) | Command::BlastRadius(_) | Command::Recover(_)
    ) {
        return commands::workspace::run(cli, config).await;
    }
    let issuer = match &cli.command {
        Command::Discover(args) => args.issuer.clone().or(cli.issuer),
        Command::Audit(args::AuditCommand {
            action: Some(args::AuditAction::Verify(args)),
            ..
        }) => args.issuer.clone().or(cli.issuer),
        _ => cli.issuer,
    };
    let (issuer, token) = config.resolve(issuer.as_deref(), cli.token.as_deref())?;
    let session = Session {
        client: Client::new().pin_jwk_thumbprints(cli.pins.clone()),
        pins: cli.pins,
        issuer,
        token,
        out: Output::new(cli.json),
    };
    match cli.command {
        Command::Discover(_) => commands::discover::run(&session).await,
        Command::Create(args) => commands::create::run(&session, args).await,
        Command::List(args) => commands::list::run(&session, args).await,
        Command::Get(args) => commands::list::get(&session, args).await,
        Command::Rotate(args) => commands::rotate::run(&session, args).await,
        Command::Revoke(args) => commands::revoke::run(&session, args).await,
        Command::Introspect(args) => commands::introspect::run(&session, args).await,
        Command::Request(args) => commands::requests::request(&session, args).await,
        Command::Requests(args::RequestsCommand::List(args)) => {
            commands::requests::list(&session, args).await
        }
        Command::Approve(args) => commands::requests::approve(&session, args).await,
        Command::Deny(args) => commands::requests::deny(&session, args).await,
        Command::Inventory(_)
        | Command::Scan(_)
        | Command::BlastRadius(_)
        | Command::Recover(_) => Err(Failure::Usage("unreachable: handled above".into())),
        Command::Audit(args) => match args.action {
            None => commands::audit::run(&session, args.list).await,
            Some(args::AuditAction::Verify(verify)) => {
                commands::audit::verify(&session, verify).await
            }
            Some(args::AuditAction::Export(export)) => {
                commands::audit::export(&session, export).await
            }
        },
    }
}
