//! The issuers a recovery talks to, discovered once each, by identifier.

use std::collections::BTreeMap;

use credential_issuer_spec::{Secret, SecretFormatDescriptor};

use super::RecoveryError;
use crate::{Client, Issuer};

/// Discovered issuers by identifier (URL).
///
/// ```no_run
/// # async fn run() -> Result<(), credential_issuer_client::recovery::RecoveryError> {
/// use credential_issuer_client::Client;
/// use credential_issuer_client::recovery::Issuers;
/// let issuers = Issuers::discover(&Client::new(), ["http://127.0.0.1:8080".to_owned()], |_| None).await?;
/// assert!(issuers.get("http://127.0.0.1:8080").is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Issuers {
    by_url: BTreeMap<String, Issuer>,
}

impl Issuers {
    /// Discovers every issuer of `urls` (duplicates once), each with the token `token_for` gives.
    pub async fn discover(
        client: &Client,
        urls: impl IntoIterator<Item = String>,
        token_for: impl Fn(&str) -> Option<Secret>,
    ) -> Result<Self, RecoveryError> {
        let mut by_url = BTreeMap::new();
        for url in urls {
            if by_url.contains_key(&url) {
                continue;
            }
            let issuer = client
                .discover(&url)
                .await
                .map_err(|source| RecoveryError::Issuer {
                    issuer: url.clone(),
                    source,
                })?;
            let issuer = match token_for(&url) {
                Some(token) => issuer.with_token(token),
                None => issuer,
            };
            by_url.insert(url, issuer);
        }
        Ok(Self { by_url })
    }

    /// The issuer with identifier `url`.
    pub fn get(&self, url: &str) -> Option<&Issuer> {
        self.by_url.get(url)
    }

    /// Every issuer, by identifier.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Issuer)> {
        self.by_url
            .iter()
            .map(|(url, issuer)| (url.as_str(), issuer))
    }

    /// Every secret format every issuer publishes, with the issuer's identifier.
    pub fn secret_formats(&self) -> Vec<(String, SecretFormatDescriptor)> {
        self.by_url
            .iter()
            .flat_map(|(url, issuer)| {
                issuer
                    .manifest()
                    .secret_formats
                    .iter()
                    .map(move |format| (url.clone(), format.clone()))
            })
            .collect()
    }
}
