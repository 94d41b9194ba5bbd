//! The issuer identifier and where its manifest lives (spec §"Issuer identifier and discovery").

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::{Host, Url};

/// The well-known suffix inserted between host and path (REQ-DISC-*).
pub const WELL_KNOWN_SUFFIX: &str = "/.well-known/credential-issuer";

/// An issuer identifier: an `https` URL without query or fragment (`http` only on loopback).
///
/// The identifier is kept exactly as given: the manifest's `issuer` must equal it byte for byte.
///
/// ```
/// use credential_issuer_spec::IssuerId;
/// let issuer: IssuerId = "https://gw.example.com/openai".parse().unwrap();
/// assert_eq!(
///     issuer.manifest_url().as_str(),
///     "https://gw.example.com/.well-known/credential-issuer/openai"
/// );
/// assert!("http://api.example.com".parse::<IssuerId>().is_err());
/// assert!("http://127.0.0.1:8080".parse::<IssuerId>().is_ok());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IssuerId {
    raw: String,
    url: Url,
}

/// Why a string is not an issuer identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerIdError {
    /// Not an absolute URL.
    #[error("not an absolute URL: {0}")]
    NotAUrl(String),
    /// The scheme is not `https`, and not `http` on a loopback host.
    #[error("the issuer must use https (http is allowed only for loopback hosts), got {0:?}")]
    InsecureScheme(String),
    /// A query or fragment is present.
    #[error("an issuer identifier has no query and no fragment")]
    QueryOrFragment,
    /// User information is present.
    #[error("an issuer identifier has no user name or password")]
    UserInfo,
}

impl IssuerId {
    /// Parses and checks an identifier.
    pub fn parse(raw: &str) -> Result<Self, IssuerIdError> {
        let url = Url::parse(raw).map_err(|e| IssuerIdError::NotAUrl(e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            other => return Err(IssuerIdError::InsecureScheme(other.to_owned())),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(IssuerIdError::QueryOrFragment);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(IssuerIdError::UserInfo);
        }
        if url.host().is_none() {
            return Err(IssuerIdError::NotAUrl(raw.to_owned()));
        }
        Ok(Self {
            raw: raw.to_owned(),
            url,
        })
    }

    /// The identifier exactly as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The identifier as a parsed URL.
    pub fn as_url(&self) -> &Url {
        &self.url
    }

    /// The manifest URL: the well-known suffix inserted between host and path, after removing
    /// a trailing `/` from the path (RFC 8414 §3 style).
    pub fn manifest_url(&self) -> Url {
        let mut url = self.url.clone();
        let path = self.url.path().trim_end_matches('/');
        url.set_path(&format!("{WELL_KNOWN_SUFFIX}{path}"));
        url
    }

    /// The issuer's path below the host, without trailing `/` (empty for a host-level issuer).
    pub fn path(&self) -> &str {
        self.url.path().trim_end_matches('/')
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl std::str::FromStr for IssuerId {
    type Err = IssuerIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Debug for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuerId({:?})", self.raw)
    }
}

impl Serialize for IssuerId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for IssuerId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Cow::<str>::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for IssuerId {
    fn schema_name() -> Cow<'static, str> {
        "IssuerId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "uri",
            "pattern": "^(https://|http://(localhost|127\\.[0-9]+\\.[0-9]+\\.[0-9]+|\\[::1\\])(:[0-9]+)?(/|$))[^?#]*$",
            "description": "The issuer identifier: an https URL with no query or fragment (http only for loopback hosts)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_url(issuer: &str) -> String {
        IssuerId::parse(issuer).unwrap().manifest_url().to_string()
    }

    #[test]
    fn suffix_is_inserted_not_appended() {
        // REQ-DISC-1 (insertion) and REQ-DISC-2 (never appending).
        assert_eq!(
            manifest_url("https://gw.example.com/openai"),
            "https://gw.example.com/.well-known/credential-issuer/openai"
        );
        assert_eq!(
            manifest_url("https://gw.example.com/a/b/"),
            "https://gw.example.com/.well-known/credential-issuer/a/b"
        );
        assert_eq!(
            manifest_url("https://api.example.com"),
            "https://api.example.com/.well-known/credential-issuer"
        );
        assert_eq!(
            manifest_url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/.well-known/credential-issuer"
        );
    }

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(IssuerId::parse("http://localhost:1").is_ok());
        assert!(IssuerId::parse("http://[::1]:8080").is_ok());
        assert_eq!(
            IssuerId::parse("http://example.com"),
            Err(IssuerIdError::InsecureScheme("http".into()))
        );
        assert!(IssuerId::parse("ftp://127.0.0.1").is_err());
    }

    #[test]
    fn query_fragment_and_userinfo_are_refused() {
        assert_eq!(
            IssuerId::parse("https://a.example?x=1"),
            Err(IssuerIdError::QueryOrFragment)
        );
        assert_eq!(
            IssuerId::parse("https://a.example#f"),
            Err(IssuerIdError::QueryOrFragment)
        );
        assert_eq!(
            IssuerId::parse("https://u:p@a.example"),
            Err(IssuerIdError::UserInfo)
        );
    }

    #[test]
    fn identifier_is_kept_byte_for_byte() {
        let id = IssuerId::parse("https://API.example.com").unwrap();
        assert_eq!(id.as_str(), "https://API.example.com");
    }
}
