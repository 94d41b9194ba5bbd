//! `credential-issuer-server`: configuration, logging, and the subcommands.

use std::process::ExitCode;

use clap::Parser;
use credential_issuer_server::cli::{
    Cli, Command, KeysCommand, TokenCommand, TokenCreateArgs, VendorCredentialCommand,
};
use credential_issuer_server::config::{ConfigFile, LogFormat, ServerConfig};
use credential_issuer_server::keys::ServerKeys;
use credential_issuer_server::store::StoreSettings;
use credential_issuer_server::{AppState, serve, tokens};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = match cli.config.as_deref().map(ConfigFile::load).transpose() {
        Ok(file) => cli.file_with_flags(file.unwrap_or_default()),
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
        Command::VendorCredential(command) => {
            let settings = store_settings(&file);
            runtime.block_on(vendor_credential(command, file.data_dir, settings))
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
                args.alg,
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
            let settings = store_settings(&file);
            let data_dir = args
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| ServerConfig::default().data_dir);
            runtime.block_on(create_token(&args, &data_dir, &settings))
        }
    }
}

/// `error` and its causes, e.g. `store: database error: error communicating with database:
/// Connection refused`. No cause holds a secret: the database URL is not part of any.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let said = next.to_string();
        // A wrapper that shows its cause already (`store: {0}`) is not repeated.
        if !text.ends_with(&said) {
            text.push_str(&format!(": {said}"));
        }
        cause = next.source();
    }
    text
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
    let (states, bootstrap) = match AppState::open_gateway(&config).await {
        Ok(opened) => opened,
        Err(error) => return fail(&with_causes(&error)),
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
    let store = config.database.describe(&config.data_dir);
    tracing::info!(%issuer, addr = %config.addr, data_dir = %config.data_dir.display(), %store, "listening");
    for state in states.iter().skip(1) {
        let hosted = &state.context().issuer;
        println!(
            "  also hosting {} ({} backend)",
            hosted.id.as_str(),
            hosted.backend.kind()
        );
    }
    match serve::run_gateway(listener, states).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("server error: {error}")),
    }
}

/// The store the file (with the global flags merged in) names, for the admin subcommands.
fn store_settings(file: &ConfigFile) -> StoreSettings {
    StoreSettings {
        url: file.database_url.clone(),
        ..StoreSettings::default()
    }
}

async fn create_token(
    args: &TokenCreateArgs,
    data_dir: &std::path::Path,
    settings: &StoreSettings,
) -> ExitCode {
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
    let store = match credential_issuer_server::store::open(settings, data_dir).await {
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

async fn vendor_credential(
    command: VendorCredentialCommand,
    file_data_dir: Option<std::path::PathBuf>,
    settings: StoreSettings,
) -> ExitCode {
    use std::io::Read;
    let (issuer, data_dir) = match &command {
        VendorCredentialCommand::Set(args) => (&args.issuer, &args.data_dir),
        VendorCredentialCommand::List(args) => (&args.issuer, &args.data_dir),
    };
    let issuer = match credential_issuer_spec::IssuerId::parse(issuer) {
        Ok(issuer) => issuer,
        Err(error) => return fail(&format!("--issuer: {error}")),
    };
    let data_dir = data_dir
        .clone()
        .or(file_data_dir)
        .unwrap_or_else(|| ServerConfig::default().data_dir);
    if !data_dir
        .join(credential_issuer_server::keys::MASTER_KEY_FILE)
        .exists()
    {
        return fail(&format!(
            "{} is not a server data directory (run `serve` once to create it)",
            data_dir.display()
        ));
    }
    let store = match credential_issuer_server::store::open(&settings, &data_dir).await {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    match command {
        VendorCredentialCommand::List(_) => {
            match store.vendor_credential_names(issuer.as_str()).await {
                Ok(names) => {
                    for name in names {
                        println!("{name}");
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error.to_string()),
            }
        }
        VendorCredentialCommand::Set(args) => {
            let secret = if let Some(variable) = &args.from_env {
                match std::env::var(variable) {
                    Ok(value) => value,
                    Err(_) => return fail(&format!("${variable} is not set")),
                }
            } else if let Some(path) = &args.from_file {
                match std::fs::read_to_string(path) {
                    Ok(value) => value,
                    Err(error) => return fail(&format!("cannot read {}: {error}", path.display())),
                }
            } else {
                let mut value = String::new();
                if let Err(error) = std::io::stdin().read_to_string(&mut value) {
                    return fail(&format!("cannot read standard input: {error}"));
                }
                value
            };
            let secret = secret.trim();
            if secret.is_empty() {
                return fail("the vendor credential is empty");
            }
            let vault = match credential_issuer_server::vault::Vault::load_or_create(&data_dir) {
                Ok(vault) => vault,
                Err(error) => return fail(&error.to_string()),
            };
            let jwe = match vault.seal(issuer.as_str(), &args.name, secret) {
                Ok(jwe) => jwe,
                Err(error) => return fail(&error.to_string()),
            };
            if let Err(error) = store
                .put_vendor_credential(
                    issuer.as_str(),
                    &args.name,
                    &jwe,
                    credential_issuer_spec::Timestamp::now(),
                )
                .await
            {
                return fail(&error.to_string());
            }
            eprintln!("stored {} for {} (sealed as a JWE)", args.name, issuer);
            ExitCode::SUCCESS
        }
    }
}
