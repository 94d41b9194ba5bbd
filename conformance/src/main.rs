//! `credential-issuer-conformance`: run the suite against an issuer, or check documents offline.
//!
//! Exit codes: 0 when no check failed, 1 when one did, 2 on usage errors.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use credential_issuer_conformance::{
    Config, Group, Report, Restricted, check_documents, report, run,
};

/// Test a credential issuer against the credential-issuer specification.
///
/// Runs every check the issuer's manifest calls for, each tied to requirement ids of the spec,
/// and reports passed, failed, warning (a SHOULD not met) or skipped (with the reason). Checks
/// that create, rotate or revoke run only with --allow-mutations, and revoke what they create.
/// Exit codes: 0 no check failed, 1 a check failed, 2 usage error.
#[derive(Debug, Parser)]
#[command(
    name = "credential-issuer-conformance",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// The issuer identifier to test, e.g. https://issuer.example.com.
    #[arg(long, env = "CONFORMANCE_ISSUER")]
    issuer: Option<String>,
    /// A bearer token with the issuer-API scopes of the claimed operations.
    #[arg(long, env = "CONFORMANCE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Run the checks that create, rotate and revoke credentials (they clean up after themselves).
    #[arg(long)]
    allow_mutations: bool,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Only this group of checks (repeatable); discovery always runs.
    #[arg(long, value_enum)]
    only: Vec<Group>,
    /// A second caller's token for the authorization checks: it holds credentials:create,
    /// credentials:read and credentials:rotate, not credentials:revoke or audit:read.
    #[arg(long, env = "CONFORMANCE_RESTRICTED_TOKEN", hide_env_values = true)]
    restricted_token: Option<String>,
    /// The authority of --restricted-token, permission[@resource]; repeatable.
    #[arg(long)]
    restricted_authority: Vec<credential_issuer_spec::Grant>,
    /// A token holding only requests:create, for the access request checks.
    #[arg(long, env = "CONFORMANCE_REQUESTER_TOKEN", hide_env_values = true)]
    requester_token: Option<String>,
    /// Print the JSON Schema of the JSON report and exit.
    #[arg(long)]
    report_schema: bool,
    /// Check documents offline instead.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a manifest (and a permission schema) from files before publishing them.
    CheckDocuments {
        /// The manifest, JSON.
        manifest: PathBuf,
        /// The permission schema, JSON.
        permissions: Option<PathBuf>,
        /// Report format.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Write the report to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A grouped summary for people (coloured on a terminal).
    Text,
    /// The full report with evidence.
    Json,
    /// JUnit XML for CI systems.
    Junit,
}

fn usage(message: &str) -> ExitCode {
    eprintln!("credential-issuer-conformance: {message}");
    ExitCode::from(2)
}

fn read_json(path: &PathBuf) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

fn emit(report: &Report, format: Format, output: Option<&PathBuf>) -> ExitCode {
    let text = match format {
        Format::Text => report::text::render(
            report,
            output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none(),
        ),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Junit => report::junit::render(report),
    };
    match output {
        Some(path) => {
            if let Err(error) = std::fs::write(path, text) {
                return usage(&format!("cannot write {}: {error}", path.display()));
            }
        }
        None => print!("{text}"),
    }
    if report.summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.report_schema {
        print!("{}", Report::json_schema());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return usage(&format!("cannot start: {error}")),
    };
    match cli.command {
        Some(Command::CheckDocuments {
            manifest,
            permissions,
            format,
            output,
        }) => {
            let manifest = match read_json(&manifest) {
                Ok(value) => value,
                Err(message) => return usage(&message),
            };
            let permissions = match permissions.as_ref().map(read_json).transpose() {
                Ok(value) => value,
                Err(message) => return usage(&message),
            };
            let report = runtime.block_on(check_documents(&manifest, permissions.as_ref()));
            emit(&report, format, output.as_ref())
        }
        None => {
            let Some(issuer) = cli.issuer else {
                return usage("--issuer is required (see --help)");
            };
            let restricted = match (cli.restricted_token, cli.restricted_authority.is_empty()) {
                (Some(token), false) => Some(Restricted {
                    token,
                    authority: cli.restricted_authority,
                }),
                (None, true) => None,
                _ => return usage("--restricted-token and --restricted-authority go together"),
            };
            let config = Config {
                issuer,
                token: cli.token,
                allow_mutations: cli.allow_mutations,
                only: cli.only,
                restricted,
                requester: cli.requester_token,
            };
            let report = runtime.block_on(run(config));
            emit(&report, cli.format, cli.output.as_ref())
        }
    }
}
