//! The suite proves itself: it passes the reference server, and fails each deliberately broken
//! issuer on the requirement that issuer breaks. All on 127.0.0.1.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the failure report"
)]

mod coverage;
mod fixtures;
mod reports;
mod suite;
