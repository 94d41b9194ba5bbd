//! `credential-issuer-server`: parses the command line and runs the subcommand (see [`Cli`]).

use std::process::ExitCode;

use clap::Parser;
use credential_issuer_server::cli::Cli;

fn main() -> ExitCode {
    Cli::parse().run()
}
