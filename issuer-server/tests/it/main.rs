//! Integration tests of the issuer server: real HTTP on 127.0.0.1 against a real SQLite file in
//! a temporary directory. One test binary; a module per area.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly; a panic is the failure report"
)]

mod anthropic;
mod architecture;
mod audit;
mod aws;
mod capability_table;
mod crash;
mod credentials;
mod discovery;
mod errors;
mod gateway;
mod github;
mod harness;
mod openai;
mod postgres;
mod readiness;
mod replicas;
mod requests;
mod secrets;
mod shim_conformance;
mod store_contract;
mod trust;
mod vault;
mod vendor_rig;
