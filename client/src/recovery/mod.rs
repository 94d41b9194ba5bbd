//! Recovery after a leak (spec seed "blast radius"; DESIGN §9): which credentials leaked, what they
//! can do, where they are used, and a journaled rotate → install → check → revoke run over many
//! credentials at once.
//!
//! One concept per module:
//! - [`inventory`]: `credentials.toml`, where each credential lives and is used, and its check;
//! - [`scan`]: finding secrets in files and git history by the issuers' `secret_formats`;
//! - [`blast_radius`]: what an exposed secret can do, where it is used, what breaks if revoked;
//! - [`plan`]: the order and steps of a recovery, per credential;
//! - [`targets`]: installing a secret into a `.env` file, a command or a webhook;
//! - [`health`]: the checks run after installing;
//! - [`journal`]: the append-only, fsynced, 0600 record that makes a run resumable;
//! - [`recover`]: the run itself, concurrent across credentials and issuers;
//! - [`progress`]: what the run says while it works;
//! - [`report`]: what it says at the end.
//!
//! ```no_run
//! # async fn run() -> Result<(), credential_issuer_client::recovery::RecoveryError> {
//! use credential_issuer_client::Client;
//! use credential_issuer_client::recovery::{self, Inventory, Issuers, Journal, RecoverOptions};
//!
//! let inventory = Inventory::load("credentials.toml".as_ref())?;
//! let issuers = Issuers::discover(&Client::new(), inventory.issuer_urls(), |_| None).await?;
//! let plan = recovery::plan::plan(&inventory, &inventory.all(), &issuers, false, &Default::default());
//! let journal = Journal::open(".credctl/journal".as_ref())?;
//! let options = RecoverOptions { concurrency: 8, ..RecoverOptions::default() };
//! let report = recovery::recover::run(&plan, &issuers, &journal, ".".as_ref(), &options,
//!     &recovery::progress::Quiet).await?;
//! println!("{}", report.text());
//! # Ok(()) }
//! ```

pub mod blast_radius;
mod error;
pub mod health;
pub mod inventory;
mod issuers;
pub mod journal;
pub mod plan;
pub mod progress;
pub mod recover;
pub mod report;
pub mod scan;
pub mod targets;

pub use error::RecoveryError;
pub use inventory::{HealthCheck, Inventory, InventoryEntry, Target};
pub use issuers::Issuers;
pub use journal::Journal;
pub use recover::RecoverOptions;
pub use report::Report;
