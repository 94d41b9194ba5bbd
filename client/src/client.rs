//! The client: an HTTP transport and a cache of discovery documents shared by every issuer it
//! discovers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use credential_issuer_spec::IssuerId;
use reqwest::Method;
use reqwest::header::{ACCEPT, IF_NONE_MATCH};
use url::Url;

use crate::discovery::{self, Discovery};
use crate::error::ClientError;
use crate::issuer::Issuer;
use crate::transport::{Outgoing, Transport, TransportOptions};

/// A cached document: its body, entity tag and freshness (REQ-DISC-13).
#[derive(Debug, Clone)]
struct Cached {
    body: Vec<u8>,
    etag: Option<String>,
    fresh_until: Instant,
}

/// Discovers issuers and talks to them over HTTP. Cheap to clone; clones share the cache.
///
/// ```no_run
/// # async fn run() -> Result<(), credential_issuer_client::ClientError> {
/// use credential_issuer_client::Client;
/// let client = Client::new();
/// let issuer = client.discover("http://127.0.0.1:8080").await?;
/// println!("{:?}", issuer.manifest().supported_operations);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) transport: Transport,
    cache: Arc<Mutex<HashMap<Url, Cached>>>,
    pub(crate) pins: Arc<Vec<String>>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    /// A client with the default timeouts, limits and retries.
    pub fn new() -> Self {
        Self::with_options(TransportOptions::default())
    }

    /// A client with `options`.
    pub fn with_options(options: TransportOptions) -> Self {
        Self {
            transport: Transport::new(options),
            cache: Arc::default(),
            pins: Arc::default(),
        }
    }

    /// Accepts signed manifests and checkpoints only from keys with these RFC 7638 thumbprints,
    /// and refuses unsigned manifests.
    pub fn pin_jwk_thumbprints(mut self, thumbprints: Vec<String>) -> Self {
        self.pins = Arc::new(thumbprints);
        self
    }

    /// Discovers `issuer`: derives the manifest URL (path insertion), fetches and checks the
    /// manifest and the permission schema.
    pub async fn discover(&self, issuer: &str) -> Result<Issuer, ClientError> {
        let issuer = IssuerId::parse(issuer)?;
        let manifest_url = issuer.manifest_url();
        let body = self.fetch_document(&manifest_url).await?;
        let (mut manifest, manifest_json) =
            discovery::parse_manifest(&issuer, &manifest_url, &body)?;
        discovery::check_manifest_urls(&manifest, &manifest_url)?;
        match (&manifest.signed_manifest, &manifest.jwks_uri) {
            (Some(signed), Some(jwks_uri)) => {
                let jwks: serde_json::Value = serde_json::from_slice(
                    &self.fetch_document(jwks_uri).await?,
                )
                .map_err(|_| ClientError::NotJson {
                    url: jwks_uri.to_string(),
                })?;
                manifest = discovery::verified_manifest(
                    &issuer,
                    &manifest_url,
                    signed,
                    &jwks,
                    &self.pins,
                )?;
            }
            (Some(_), None) => {
                return Err(ClientError::InvalidDocument {
                    document: "manifest",
                    url: manifest_url.to_string(),
                    rule: "signed_manifest without jwks_uri".to_owned(),
                });
            }
            (None, _) if !self.pins.is_empty() => {
                return Err(ClientError::Signature {
                    what: "manifest",
                    reason: crate::signature::SignatureError::NotPinned(
                        "an unsigned manifest".to_owned(),
                    ),
                });
            }
            (None, _) => {}
        }
        let schema_url = manifest.permission_schema_url.clone();
        let body = self.fetch_document(&schema_url).await?;
        let (permission_schema, permissions) =
            discovery::parse_permission_schema(&issuer, &schema_url, &body)?;
        let discovery = Discovery {
            issuer,
            manifest_url,
            manifest,
            manifest_json,
            permission_schema,
            permissions,
        };
        Ok(Issuer::new(self.clone(), discovery))
    }

    /// Fetches a discovery document, from the cache while fresh, revalidating with its ETag.
    pub(crate) async fn fetch_document(&self, url: &Url) -> Result<Vec<u8>, ClientError> {
        let cached = self
            .cache
            .lock()
            .ok()
            .and_then(|cache| cache.get(url).cloned());
        if let Some(cached) = &cached
            && Instant::now() < cached.fresh_until
        {
            return Ok(cached.body.clone());
        }
        let mut request =
            Outgoing::new(Method::GET, url.clone()).header(ACCEPT, "application/json")?;
        if let Some(etag) = cached.as_ref().and_then(|c| c.etag.as_deref()) {
            request = request.header(IF_NONE_MATCH, etag)?;
        }
        let reply = self.transport.send(&request).await?;
        let body = match (reply.status.as_u16(), cached) {
            (304, Some(cached)) => cached.body,
            _ => {
                reply.expect_success()?;
                reply.body.clone()
            }
        };
        let max_age = reply
            .header("cache-control")
            .and_then(|value| {
                value.split(',').find_map(|directive| {
                    directive
                        .trim()
                        .strip_prefix("max-age=")
                        .and_then(|s| s.parse::<u64>().ok())
                })
            })
            .unwrap_or(0);
        let entry = Cached {
            body: body.clone(),
            etag: reply.header("etag").map(str::to_owned),
            fresh_until: Instant::now() + Duration::from_secs(max_age.min(86_400)),
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(url.clone(), entry);
        }
        Ok(body)
    }
}
