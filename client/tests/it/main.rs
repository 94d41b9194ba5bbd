//! Integration tests of the client and `credctl`: the real server on 127.0.0.1 with a
//! temporary SQLite store, and crafted documents served from 127.0.0.1 for discovery failures.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the failure report"
)]

mod audit_verify;
mod crafted;
mod credctl;
mod operations;
mod recovery;
mod server;
