//! The command line of `credctl`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use credential_issuer_spec::Grant;

/// Discover and drive credential issuers: create, list, rotate, revoke, introspect and audit
/// API credentials at any issuer that implements the credential-issuer protocol.
///
/// The issuer and token come from --issuer/--token, from CREDCTL_ISSUER/CREDCTL_TOKEN, or from
/// the config file ($XDG_CONFIG_HOME/credctl/config.toml) where named issuers take their token
/// from a file, an environment variable or a command.
///
/// Exit codes: 0 success; 1 failure (network, issuer error, invalid answer); 2 usage or
/// configuration error; 3 not found, revoked, expired or inactive; 4 refused by the issuer
/// (authentication, permission, invalid request, conflict, rate limit, operation not offered);
/// 5 the issuer failed discovery (not a valid or trustworthy credential-issuer manifest);
/// 6 there is something for a person: `scan` found secrets, `inventory check` found problems,
/// `recover` left credentials for a person or waiting for a manual step.
#[derive(Debug, Parser)]
#[command(name = "credctl", version, max_term_width = 100)]
pub(crate) struct Cli {
    /// Issuer identifier (URL) or the name of an issuer in the config file.
    #[arg(long, global = true, env = "CREDCTL_ISSUER")]
    pub(crate) issuer: Option<String>,
    /// Bearer token for the issuer (prefer CREDCTL_TOKEN or the config file: flags show in `ps`).
    #[arg(long, global = true, env = "CREDCTL_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,
    /// Config file [default: $XDG_CONFIG_HOME/credctl/config.toml].
    #[arg(long, global = true, env = "CREDCTL_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Accept signed manifests and checkpoints only from this key (RFC 7638 thumbprint); repeatable.
    #[arg(long = "pin-jwk-thumbprint", global = true)]
    pub(crate) pins: Vec<String>,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show what an issuer offers: operations, credential types, rotation, expiry, secret formats.
    Discover(DiscoverArgs),
    /// Create a credential; its secret is printed once (or written to --secret-file).
    Create(CreateArgs),
    /// List credentials, following every page.
    List(ListArgs),
    /// Show one credential and its versions.
    Get(IdArgs),
    /// Rotate a credential: a new current version; the old one overlaps or is revoked at once.
    Rotate(RotateArgs),
    /// Revoke a credential, or one previous version of it.
    Revoke(RevokeArgs),
    /// Tell which credential and version a secret is (read from a file or standard input).
    Introspect(IntrospectArgs),
    /// Show, verify or export the issuer's audit log.
    Audit(AuditCommand),
    /// Ask for short-lived access (an agent's way in); --wait collects the credential once approved.
    Request(RequestArgs),
    /// List access requests.
    #[command(subcommand)]
    Requests(RequestsCommand),
    /// Approve an access request, possibly narrower (--scope) or shorter (--ttl).
    Approve(ApproveArgs),
    /// Deny an access request.
    Deny(DenyArgs),
    /// The inventory (credentials.toml): which credential lives where and is used where.
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Find secrets of the configured issuers in files, directories and git history.
    Scan(ScanArgs),
    /// For exposed secrets: which credential, what it can do, where it is used, what breaks.
    BlastRadius(BlastRadiusArgs),
    /// Rotate, install everywhere, check, then revoke the old: many credentials at once, journaled.
    Recover(RecoverArgs),
}

/// Where the inventory is.
#[derive(Debug, Args)]
pub(crate) struct InventoryFile {
    /// The inventory file; relative paths inside it are from its directory.
    #[arg(long, default_value = "credentials.toml")]
    pub(crate) inventory: PathBuf,
}

/// `inventory` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum InventoryCommand {
    /// Add a credential of --issuer (or replace its entry), with its targets and health checks.
    Add(InventoryAddArgs),
    /// List the credentials of the inventory and their places.
    List(InventoryFile),
    /// Check the inventory against the issuers: unknown credentials, stale targets, over-broad scope.
    Check(InventoryFile),
}

/// `inventory add`
#[derive(Debug, Args)]
pub(crate) struct InventoryAddArgs {
    /// The inventory file.
    #[command(flatten)]
    pub(crate) file: InventoryFile,
    /// The credential id at --issuer.
    #[arg(long)]
    pub(crate) credential: String,
    /// The environment variable the secret is known by.
    #[arg(long)]
    pub(crate) env: String,
    /// A .env file holding it, PATH or PATH:KEY; repeatable.
    #[arg(long = "env-file")]
    pub(crate) env_files: Vec<String>,
    /// A command receiving the secret on stdin, e.g. "gh secret set NAME"; repeatable.
    #[arg(long = "command")]
    pub(crate) commands: Vec<String>,
    /// A URL receiving {"name", "secret"} by PUT; repeatable.
    #[arg(long = "webhook")]
    pub(crate) webhooks: Vec<url::Url>,
    /// A health check command (gets the secret in $ENV); repeatable.
    #[arg(long = "check-command")]
    pub(crate) check_commands: Vec<String>,
    /// A health check URL, URL or URL=STATUS (GET with the secret as bearer token); repeatable.
    #[arg(long = "check-http")]
    pub(crate) check_http: Vec<String>,
    /// What the users need, permission[@resource]; repeatable (a broader scope is reported).
    #[arg(long = "need")]
    pub(crate) need: Vec<Grant>,
}

/// `scan`
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan.
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Also scan every commit of the git repositories at PATHs.
    #[arg(long)]
    pub(crate) git: bool,
    /// The inventory, whose issuers' formats are used (with --issuer and the config file's).
    #[command(flatten)]
    pub(crate) file: InventoryFile,
}

/// `blast-radius`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["exposed", "scan"])))]
pub(crate) struct BlastRadiusArgs {
    /// A file with exposed content (a leaked .env, a CI log, an environment dump).
    #[arg(long)]
    pub(crate) exposed: Option<PathBuf>,
    /// Scan this file or directory for exposed secrets instead.
    #[arg(long)]
    pub(crate) scan: Option<PathBuf>,
    /// Plan immediate rotation.
    #[arg(long)]
    pub(crate) immediate: bool,
    /// The inventory file.
    #[command(flatten)]
    pub(crate) file: InventoryFile,
}

/// `recover`
#[derive(Debug, Args)]
pub(crate) struct RecoverArgs {
    /// Recover the credentials whose secrets are in this file (a leaked .env, a log).
    #[arg(long)]
    pub(crate) exposed: Option<PathBuf>,
    /// Recover every credential of the inventory.
    #[arg(long, conflicts_with = "exposed")]
    pub(crate) all: bool,
    /// Recover this credential (of any issuer of the inventory); repeatable.
    #[arg(long = "credential")]
    pub(crate) credentials: Vec<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Credentials worked on at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) concurrency: u16,
    /// Rotate immediately: the old secret stops working before the new one is installed.
    #[arg(long)]
    pub(crate) immediate: bool,
    /// Finish the journaled run that was interrupted.
    #[arg(long)]
    pub(crate) resume: bool,
    /// A credential whose new secret a person made at the vendor (with --secret-file); repeatable.
    #[arg(long = "provide", requires = "secret_files")]
    pub(crate) provide: Vec<String>,
    /// The file with the provided secret, one per --provide, in the same order.
    #[arg(long = "secret-file")]
    pub(crate) secret_files: Vec<PathBuf>,
    /// How long old versions keep working with overlap rotation, e.g. 1h [default: the issuer's].
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) grace: Option<Duration>,
    /// The journal directory [default: .credctl/journal next to the inventory].
    #[arg(long)]
    pub(crate) journal: Option<PathBuf>,
    /// The inventory file.
    #[command(flatten)]
    pub(crate) file: InventoryFile,
}

/// `discover`
#[derive(Debug, Args)]
pub(crate) struct DiscoverArgs {
    /// The issuer to discover (overrides --issuer).
    pub(crate) issuer: Option<String>,
}

/// `create`
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Credential type, one of the issuer's supported_credential_types.
    #[arg(long = "type", default_value = "api_key")]
    pub(crate) credential_type: String,
    /// A name for people.
    #[arg(long)]
    pub(crate) name: String,
    /// A grant, permission[@resource]; repeat for several.
    #[arg(long = "scope", required = true)]
    pub(crate) scope: Vec<Grant>,
    /// Lifetime, e.g. 30m, 12h, 90d.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) expires_in: Option<Duration>,
    /// A label, key=value (owner, project, environment, purpose, ...); repeatable.
    #[arg(long = "metadata", value_parser = parse_pair)]
    pub(crate) metadata: Vec<(String, String)>,
    /// Write the secret to this file (created with mode 0600) instead of printing it.
    #[arg(long)]
    pub(crate) secret_file: Option<PathBuf>,
}

/// `list`
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only credentials with this status.
    #[arg(long, value_enum)]
    pub(crate) status: Option<StatusFilter>,
    /// Only credentials of this type.
    #[arg(long = "type")]
    pub(crate) credential_type: Option<String>,
    /// Only credentials with this label, key=value; repeatable.
    #[arg(long = "metadata", value_parser = parse_pair)]
    pub(crate) metadata: Vec<(String, String)>,
    /// Page size asked of the issuer (1 to 200).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub(crate) page_size: Option<u32>,
}

/// A credential status to filter on.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum StatusFilter {
    /// Working credentials.
    Active,
    /// Credentials whose lifetime ended.
    Expired,
    /// Revoked credentials.
    Revoked,
}

/// A credential id.
#[derive(Debug, Args)]
pub(crate) struct IdArgs {
    /// The credential id.
    pub(crate) id: String,
}

/// A rotation mode.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ModeArg {
    /// The old version keeps working until the grace period ends.
    Overlap,
    /// Every old version is revoked now (for a known leak).
    Immediate,
}

/// `rotate`
#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The credential id.
    pub(crate) id: String,
    /// overlap (default) or immediate.
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// How long the old version keeps working with overlap, e.g. 1h.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) grace: Option<Duration>,
    /// A narrower scope for the new version, permission[@resource]; repeatable.
    #[arg(long = "scope")]
    pub(crate) scope: Vec<Grant>,
    /// Rotate only if this version is still current (sent as If-Match).
    #[arg(long)]
    pub(crate) if_version: Option<u32>,
    /// Write the new secret to this file (mode 0600) instead of printing it.
    #[arg(long)]
    pub(crate) secret_file: Option<PathBuf>,
}

/// `revoke`
#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// The credential id.
    pub(crate) id: String,
    /// Revoke only this (previous) version.
    #[arg(long)]
    pub(crate) version: Option<u32>,
    /// Why, for the audit log.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

/// `introspect`
#[derive(Debug, Args)]
pub(crate) struct IntrospectArgs {
    /// Read the secret from this file; `-` (the default) reads standard input.
    #[arg(long, default_value = "-")]
    pub(crate) secret_file: PathBuf,
}

/// `audit`: list by default; `verify` and `export` as subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct AuditCommand {
    /// verify or export; without one, the events are listed.
    #[command(subcommand)]
    pub(crate) action: Option<AuditAction>,
    /// Listing flags.
    #[command(flatten)]
    pub(crate) list: AuditArgs,
}

/// `audit verify` and `audit export`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditAction {
    /// Prove the log: every hash, every link, the signed checkpoint, and the checkpoint verified last time.
    Verify(VerifyArgs),
    /// Save the log, the checkpoint and the JWK Set to a file, for offline verification.
    Export(ExportArgs),
}

/// `audit verify`
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The issuer (overrides --issuer).
    pub(crate) issuer: Option<String>,
    /// Verify from this sequence number (trusting the prev_hash of that event).
    #[arg(long, default_value_t = 1)]
    pub(crate) from_seq: u64,
    /// Verify an export file instead of the live log.
    #[arg(long)]
    pub(crate) file: Option<PathBuf>,
    /// Where the last verified checkpoint of each issuer is kept [default: $XDG_STATE_HOME/credctl/checkpoints].
    #[arg(long)]
    pub(crate) state_dir: Option<PathBuf>,
}

/// `audit export`
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The file to write.
    #[arg(long)]
    pub(crate) output: PathBuf,
    /// Export from this sequence number.
    #[arg(long, default_value_t = 1)]
    pub(crate) from_seq: u64,
}

/// `audit` (listing)
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Only events about this credential.
    #[arg(long)]
    pub(crate) credential: Option<String>,
    /// Only events after this sequence number.
    #[arg(long)]
    pub(crate) after_seq: Option<u64>,
    /// Page size asked of the issuer (1 to 200).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub(crate) page_size: Option<u32>,
}

fn parse_pair(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{value:?} is not key=value"))
}

/// `request`
#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// Credential type.
    #[arg(long = "type", default_value = "api_key")]
    pub(crate) credential_type: String,
    /// A grant wanted, permission[@resource]; repeatable.
    #[arg(long = "scope", required = true)]
    pub(crate) scope: Vec<Grant>,
    /// How long the credential should live, e.g. 30m.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) ttl: Duration,
    /// Why, for the approver.
    #[arg(long)]
    pub(crate) reason: String,
    /// Who asks, for the approver to read [default: credctl].
    #[arg(long, default_value = "credctl")]
    pub(crate) requester: String,
    /// Wait until the request is decided, then collect the credential.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Give up waiting after this long, e.g. 15m.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "15m")]
    pub(crate) timeout: Duration,
    /// Write the collected secret to this file (mode 0600) instead of printing it.
    #[arg(long)]
    pub(crate) secret_file: Option<PathBuf>,
}

/// `requests` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RequestsCommand {
    /// List access requests (pending ones by default).
    List(RequestsListArgs),
}

/// `requests list`
#[derive(Debug, Args)]
pub(crate) struct RequestsListArgs {
    /// Only requests with this status: pending, approved, denied, expired, collected, or all.
    #[arg(long, default_value = "pending")]
    pub(crate) status: String,
}

/// `approve`
#[derive(Debug, Args)]
pub(crate) struct ApproveArgs {
    /// The access request id.
    pub(crate) id: String,
    /// A narrower scope to grant, permission[@resource]; repeatable.
    #[arg(long = "scope")]
    pub(crate) scope: Vec<Grant>,
    /// A shorter lifetime to grant, e.g. 10m.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) ttl: Option<Duration>,
    /// A note for the audit log.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

/// `deny`
#[derive(Debug, Args)]
pub(crate) struct DenyArgs {
    /// The access request id.
    pub(crate) id: String,
    /// Why, for the requester and the audit log.
    #[arg(long)]
    pub(crate) reason: Option<String>,
}
