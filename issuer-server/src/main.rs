//! `credential-issuer-server`: configuration, logging, and the subcommands.

use std::process::ExitCode;

use clap::Parser;
use credential_issuer_server::cli::{Cli, Command, KeysCommand, TokenCommand, TokenCreateArgs};
use credential_issuer_server::config::{ConfigFile, LogFormat, ServerConfig};
use credential_issuer_server::keys::ServerKeys;
use credential_issuer_server::store::Store;
use credential_issuer_server::store::sqlite::{DATABASE_FILE, SqliteStore};
use credential_issuer_server::{AppState, serve, tokens};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = match cli.config.as_deref().map(ConfigFile::load).transpose() {
        Ok(file) => file.unwrap_or_default(),
        Err(error) => return fail(&error.to_string()),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the runtime: {error}")),
    };
    match cli.command {
        Command::Serve(args) => {
            let config = args.resolve(file);
            init_logging(config.log_format);
            runtime.block_on(run_server(config))
        }
        Command::Keys(KeysCommand::Rotate(args)) => {
            let data_dir = args
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| ServerConfig::default().data_dir);
            if !data_dir
                .join(credential_issuer_server::signing::SIGNING_KEYS_FILE)
                .exists()
            {
                return fail(&format!(
                    "{} has no signing keys (run `serve` once to create them)",
                    data_dir.display()
                ));
            }
            match credential_issuer_server::signing::SigningKeys::rotate(
                &data_dir,
                args.keep_old.as_secs(),
            ) {
                Ok(rotation) => {
                    println!("signing key now {}", rotation.current);
                    println!("next key published {}", rotation.next);
                    if let Some((kid, until)) = rotation.retired {
                        println!("retired key {kid} stays published until {until}");
                    }
                    println!(
                        "restart the server to serve the new JWK Set and sign with the new key"
                    );
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error.to_string()),
            }
        }
        Command::Openapi => match credential_issuer_server::issuer::default_profile() {
            Ok(profile) => {
                let document = credential_issuer_server::openapi::document(&profile);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&document).unwrap_or_default()
                );
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string()),
        },
        Command::Token(TokenCommand::Create(args)) => {
            let data_dir = args
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| ServerConfig::default().data_dir);
            runtime.block_on(create_token(&args, &data_dir))
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("credential-issuer-server: {message}");
    ExitCode::FAILURE
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run_server(config: ServerConfig) -> ExitCode {
    let (state, bootstrap) = match AppState::open(&config).await {
        Ok(opened) => opened,
        Err(error) => return fail(&error.to_string()),
    };
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(error) => return fail(&format!("cannot listen on {}: {error}", config.addr)),
    };
    let issuer = config.issuer_identifier();
    if let Some(token) = bootstrap {
        // Shown once, on standard output, never in the log.
        println!("First start: created a bootstrap admin token with every scope.");
        println!(
            "It is also in {}/bootstrap-token (mode 0600):",
            config.data_dir.display()
        );
        println!("{}", token.expose());
    }
    println!("credential issuer {issuer} listening on {}", config.addr);
    tracing::info!(%issuer, addr = %config.addr, data_dir = %config.data_dir.display(), "listening");
    match serve::run(listener, state).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("server error: {error}")),
    }
}

async fn create_token(args: &TokenCreateArgs, data_dir: &std::path::Path) -> ExitCode {
    if !data_dir
        .join(credential_issuer_server::keys::MASTER_KEY_FILE)
        .exists()
    {
        return fail(&format!(
            "{} is not a server data directory (run `serve` once to create it)",
            data_dir.display()
        ));
    }
    let keys = match ServerKeys::load_or_create(data_dir) {
        Ok((keys, _)) => keys,
        Err(error) => return fail(&error.to_string()),
    };
    let store = match SqliteStore::open(&data_dir.join(DATABASE_FILE)).await {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    let authority = (!args.authority.is_empty()).then(|| args.authority.clone());
    let minted = tokens::mint_token(&keys.token_mac, &args.label, args.scope_set(), authority);
    if let Err(error) = store.insert_token(&minted.record).await {
        return fail(&error.to_string());
    }
    if args.json {
        let scopes: Vec<&str> = minted.record.scopes.iter().map(|s| s.as_str()).collect();
        println!(
            "{}",
            serde_json::json!({ "id": minted.record.id, "token": minted.token.expose(), "scopes": scopes })
        );
    } else {
        println!("{}", minted.token.expose());
        eprintln!(
            "token {} created; it is shown only this once",
            minted.record.id
        );
    }
    ExitCode::SUCCESS
}
