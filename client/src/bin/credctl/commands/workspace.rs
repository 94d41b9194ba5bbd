//! What the recovery commands share: the inventory, its directory, and its issuers discovered
//! with their tokens (from the config file by URL, else --token / CREDCTL_TOKEN).

use std::path::{Path, PathBuf};

use credential_issuer_client::Client;
use credential_issuer_client::recovery::{Inventory, Issuers};

use crate::args::{Cli, Command, InventoryCommand};
use crate::config::ConfigFile;
use crate::failure::Failure;
use crate::output::Output;

/// The inventory and its issuers.
pub(crate) struct Workspace {
    pub(crate) inventory: Inventory,
    pub(crate) inventory_path: PathBuf,
    pub(crate) base: PathBuf,
    pub(crate) issuers: Issuers,
    pub(crate) out: Output,
    /// The issuer named by --issuer / CREDCTL_ISSUER / the config's default, resolved to a URL.
    pub(crate) chosen_issuer: Option<String>,
}

/// Runs `inventory`, `scan`, `blast-radius` and `recover`.
pub(crate) async fn run(cli: Cli, config: ConfigFile) -> Result<(), Failure> {
    let out = Output::new(cli.json);
    let token = cli.token.clone();
    let (inventory_path, with_config_issuers) = match &cli.command {
        Command::Inventory(InventoryCommand::List(file) | InventoryCommand::Check(file)) => {
            (file.inventory.clone(), false)
        }
        Command::Inventory(InventoryCommand::Add(args)) => (args.file.inventory.clone(), false),
        Command::Scan(args) => (args.file.inventory.clone(), true),
        Command::BlastRadius(args) => (args.file.inventory.clone(), true),
        Command::Recover(args) => (args.file.inventory.clone(), false),
        _ => return Err(Failure::Usage("not a recovery command".into())),
    };
    let inventory = match &cli.command {
        Command::Inventory(InventoryCommand::Add(_))
        | Command::Scan(_)
        | Command::BlastRadius(_) => Inventory::load_or_default(&inventory_path)?,
        _ => Inventory::load(&inventory_path)?,
    };
    let base = match inventory_path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let chosen_issuer = match config.chosen_issuer(cli.issuer.as_deref()) {
        Some(name) => Some(config.resolve(Some(&name), token.as_deref())?.0),
        None => None,
    };
    let mut urls = inventory.issuer_urls();
    urls.extend(chosen_issuer.clone());
    if with_config_issuers {
        urls.extend(config.issuers.values().map(|entry| entry.url.clone()));
    }
    urls.sort();
    urls.dedup();
    let client = Client::new().pin_jwk_thumbprints(cli.pins.clone());
    let token_for = |url: &str| {
        config
            .resolve(Some(url), token.as_deref())
            .ok()
            .and_then(|(_, token)| token)
    };
    let issuers = Issuers::discover(&client, urls, token_for).await?;
    let workspace = Workspace {
        inventory,
        inventory_path,
        base,
        issuers,
        out,
        chosen_issuer,
    };
    match cli.command {
        Command::Inventory(InventoryCommand::Add(args)) => {
            super::inventory::add(workspace, args).await
        }
        Command::Inventory(InventoryCommand::List(_)) => super::inventory::list(&workspace),
        Command::Inventory(InventoryCommand::Check(_)) => super::inventory::check(&workspace).await,
        Command::Scan(args) => super::scan::run(&workspace, args),
        Command::BlastRadius(args) => super::blast_radius::run(&workspace, args).await,
        Command::Recover(args) => super::recover::run(&workspace, args).await,
        _ => Err(Failure::Usage("not a recovery command".into())),
    }
}

impl Workspace {
    /// A scanner for every discovered issuer's formats, and for the variables the inventory
    /// names (so that secrets of issuers without a format are found where they are assigned).
    pub(crate) fn scanner(
        &self,
    ) -> Result<credential_issuer_client::recovery::scan::Scanner, Failure> {
        let variables: Vec<_> = self
            .inventory
            .credentials
            .iter()
            .filter_map(|entry| {
                let issuer = self.issuers.get(&entry.issuer)?;
                // A finding is confirmed by introspection; an issuer without it gets none.
                if !issuer
                    .manifest()
                    .supports(&credential_issuer_spec::Operation::Introspect)
                {
                    return None;
                }
                let credential_type = issuer.manifest().supported_credential_types.first()?;
                Some((
                    entry.env.clone(),
                    entry.issuer.clone(),
                    credential_type.clone(),
                ))
            })
            .collect();
        Ok(
            credential_issuer_client::recovery::scan::Scanner::new(self.issuers.secret_formats())?
                .with_variables(variables),
        )
    }

    /// `path` shown relative to where it was given.
    pub(crate) fn show(path: &Path) -> String {
        path.display().to_string()
    }
}
