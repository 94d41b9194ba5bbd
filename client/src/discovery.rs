//! Discovery (spec §4 to §7): from an issuer identifier to a checked manifest and permission
//! schema. Parsing and checking are pure functions over bytes; fetching and caching are in
//! [`Client`](crate::Client).

use credential_issuer_spec::{IssuerId, Manifest, PermissionIndex, PermissionSchema, SPEC_VERSION};
use serde_json::Value;
use url::Url;

use crate::error::ClientError;
use crate::schemas::Document;

/// What discovery found: the issuer's manifest and permission schema, both checked.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The identifier the client asked for.
    pub issuer: IssuerId,
    /// Where the manifest was fetched.
    pub manifest_url: Url,
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest as received, for tools that show or store it.
    pub manifest_json: Value,
    /// The permission schema.
    pub permission_schema: PermissionSchema,
    /// The permission schema prepared for scope containment checks.
    pub permissions: PermissionIndex,
}

/// Checks the bytes served at the manifest URL of `issuer` and reads the manifest:
/// OpenID4VCI metadata is told apart (REQ-COLL), the issuer must match exactly (REQ-DISC-6), the
/// schema must hold (REQ-DISC-7), and the version must be one this client implements (REQ-MAN-4).
pub fn parse_manifest(
    issuer: &IssuerId,
    url: &Url,
    body: &[u8],
) -> Result<(Manifest, Value), ClientError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| ClientError::NotJson {
        url: url.to_string(),
    })?;
    let Some(object) = value.as_object() else {
        return Err(invalid(
            Document::Manifest,
            url,
            "at /: not a JSON object".to_owned(),
        ));
    };
    if !object.contains_key("protocol")
        && (object.contains_key("credential_issuer") || object.contains_key("credential_endpoint"))
    {
        return Err(ClientError::OpenId4VciMetadata {
            url: url.to_string(),
        });
    }
    if let Some(found) = object.get("issuer").and_then(Value::as_str)
        && found != issuer.as_str()
    {
        return Err(ClientError::IssuerMismatch {
            expected: issuer.as_str().to_owned(),
            found: found.to_owned(),
        });
    }
    if let Some(version) = object.get("spec_version").and_then(Value::as_str)
        && version != SPEC_VERSION
        && object.get("protocol").and_then(Value::as_str) == Some("credential-issuer")
    {
        return Err(ClientError::UnsupportedVersion(version.to_owned()));
    }
    if let Some(rule) = Document::Manifest.first_violation(&value) {
        return Err(invalid(Document::Manifest, url, rule));
    }
    let manifest: Manifest = serde_json::from_value(value.clone())
        .map_err(|e| invalid(Document::Manifest, url, e.to_string()))?;
    Ok((manifest, value))
}

/// Checks and reads a permission schema; its `issuer` must be the manifest's.
pub fn parse_permission_schema(
    issuer: &IssuerId,
    url: &Url,
    body: &[u8],
) -> Result<(PermissionSchema, PermissionIndex), ClientError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| ClientError::NotJson {
        url: url.to_string(),
    })?;
    if let Some(rule) = Document::PermissionSchema.first_violation(&value) {
        return Err(invalid(Document::PermissionSchema, url, rule));
    }
    let schema: PermissionSchema = serde_json::from_value(value)
        .map_err(|e| invalid(Document::PermissionSchema, url, e.to_string()))?;
    if schema.issuer != *issuer {
        return Err(invalid(
            Document::PermissionSchema,
            url,
            format!(
                "it names issuer {:?}, not {:?}",
                schema.issuer.as_str(),
                issuer.as_str()
            ),
        ));
    }
    let index = schema
        .index()
        .map_err(|e| invalid(Document::PermissionSchema, url, e.to_string()))?;
    Ok((schema, index))
}

/// Checks that every URL the manifest gives uses https (or http on loopback), REQ-MAN-3.
pub fn check_manifest_urls(manifest: &Manifest, url: &Url) -> Result<(), ClientError> {
    let mut urls = vec![
        (
            "credential_issuer_endpoint",
            &manifest.credential_issuer_endpoint,
        ),
        ("permission_schema_url", &manifest.permission_schema_url),
    ];
    if let Some(jwks) = &manifest.jwks_uri {
        urls.push(("jwks_uri", jwks));
    }
    for (member, target) in urls {
        let mut as_issuer = target.clone();
        as_issuer.set_query(None);
        as_issuer.set_fragment(None);
        if IssuerId::parse(as_issuer.as_str()).is_err() {
            return Err(invalid(
                Document::Manifest,
                url,
                format!("{member} must use https (http only on loopback hosts)"),
            ));
        }
    }
    Ok(())
}

/// Verifies `signed` (the manifest's `signed_manifest`) with `jwks`, checks `iss`, and returns
/// the manifest the signature carries, whose values take precedence (REQ-DISC-19, REQ-DISC-20).
pub fn verified_manifest(
    issuer: &IssuerId,
    url: &Url,
    signed: &str,
    jwks: &Value,
    pins: &[String],
) -> Result<Manifest, ClientError> {
    let verified = crate::signature::verify(
        signed,
        jwks,
        credential_issuer_spec::manifest::SIGNED_MANIFEST_TYPE,
        pins,
    )
    .map_err(|reason| ClientError::Signature {
        what: "signed manifest",
        reason,
    })?;
    let mut payload = verified.payload;
    if payload["iss"] != issuer.as_str() {
        return Err(ClientError::IssuerMismatch {
            expected: issuer.as_str().to_owned(),
            found: payload["iss"].as_str().unwrap_or_default().to_owned(),
        });
    }
    if let Some(object) = payload.as_object_mut() {
        object.remove("iss");
        object.insert(
            "signed_manifest".to_owned(),
            Value::String(signed.to_owned()),
        );
    }
    let manifest: Manifest = serde_json::from_value(payload)
        .map_err(|e| invalid(Document::Manifest, url, format!("the signed payload: {e}")))?;
    if manifest.issuer != *issuer {
        return Err(ClientError::IssuerMismatch {
            expected: issuer.as_str().to_owned(),
            found: manifest.issuer.as_str().to_owned(),
        });
    }
    Ok(manifest)
}

fn invalid(document: Document, url: &Url, rule: String) -> ClientError {
    ClientError::InvalidDocument {
        document: document.name(),
        url: url.to_string(),
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> IssuerId {
        "https://api.example.com".parse().unwrap()
    }

    fn url() -> Url {
        issuer().manifest_url()
    }

    fn example() -> Value {
        serde_json::from_str(include_str!(
            "../../spec/examples/valid/manifest/native.json"
        ))
        .unwrap()
    }

    #[test]
    fn a_valid_manifest_is_read() {
        let body = serde_json::to_vec(&example()).unwrap();
        let (manifest, _) = parse_manifest(&issuer(), &url(), &body).unwrap();
        assert_eq!(manifest.issuer, issuer());
    }

    #[test]
    fn a_mismatched_issuer_is_refused() {
        // REQ-DISC-6
        let other: IssuerId = "https://evil.example.com".parse().unwrap();
        let body = serde_json::to_vec(&example()).unwrap();
        let error = parse_manifest(&other, &other.manifest_url(), &body).unwrap_err();
        assert!(
            matches!(error, ClientError::IssuerMismatch { .. }),
            "{error}"
        );
    }

    #[test]
    fn openid4vci_metadata_is_named_as_such() {
        // REQ-COLL-*
        let body = include_bytes!("../../spec/examples/invalid/manifest/openid4vci-metadata.json");
        let error = parse_manifest(&issuer(), &url(), body).unwrap_err();
        assert!(
            matches!(error, ClientError::OpenId4VciMetadata { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("OpenID4VCI"));
    }

    #[test]
    fn schema_violations_name_the_rule() {
        // REQ-DISC-7
        let mut broken = example();
        broken["supports_rotation"] = Value::String("yes".into());
        let error =
            parse_manifest(&issuer(), &url(), &serde_json::to_vec(&broken).unwrap()).unwrap_err();
        match error {
            ClientError::InvalidDocument { rule, .. } => {
                assert!(rule.contains("/supports_rotation"), "{rule}")
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn other_versions_and_non_json_are_refused() {
        let mut future = example();
        future["spec_version"] = Value::String("0.2".into());
        let error =
            parse_manifest(&issuer(), &url(), &serde_json::to_vec(&future).unwrap()).unwrap_err();
        assert!(matches!(error, ClientError::UnsupportedVersion(_)));
        let error = parse_manifest(&issuer(), &url(), b"<html>hello</html>").unwrap_err();
        assert!(matches!(error, ClientError::NotJson { .. }));
    }

    #[test]
    fn plain_http_issuers_are_refused_unless_loopback() {
        assert!("http://api.example.com".parse::<IssuerId>().is_err());
        assert!("http://127.0.0.1:8080".parse::<IssuerId>().is_ok());
    }
}
