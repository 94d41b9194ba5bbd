//! Integration tests of the issuer server: real HTTP on 127.0.0.1 against a real SQLite file in
//! a temporary directory. One test binary; a module per area.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly; a panic is the failure report"
)]

mod audit;
mod aws;
mod crash;
mod credentials;
mod discovery;
mod errors;
mod gateway;
mod harness;
mod postgres;
mod readiness;
mod replicas;
mod requests;
mod secrets;
mod store_contract;
mod trust;
mod vault;
