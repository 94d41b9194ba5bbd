//! Rules on the discovery documents themselves: schema, cross-member consistency, secret
//! formats, permission schema. The documents group runs them on what the issuer serves;
//! `credential-issuer-conformance check-documents` runs them on files, before publishing.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::{IssuerId, Manifest, Operation, PermissionSchema};
use serde_json::Value;

use crate::outcome::{CheckResult, Verdict, ensure};

/// The manifest validates against `manifest.schema.json` and parses (REQ-MAN-1, REQ-MAN-2).
pub fn manifest_schema(manifest: &Value) -> Result<Manifest, Verdict> {
    if let Some(rule) = Document::Manifest.first_violation(manifest) {
        return Err(Verdict::fail(format!(
            "the manifest breaks its schema {rule}"
        )));
    }
    serde_json::from_value(manifest.clone())
        .map_err(|e| Verdict::fail(format!("the manifest does not parse: {e}")))
}

/// Every URL is https or loopback http; the endpoint has no query or fragment (REQ-MAN-3).
pub fn manifest_urls(manifest: &Manifest) -> CheckResult {
    let mut urls = vec![
        (
            "credential_issuer_endpoint",
            &manifest.credential_issuer_endpoint,
        ),
        ("permission_schema_url", &manifest.permission_schema_url),
    ];
    urls.extend(manifest.jwks_uri.iter().map(|u| ("jwks_uri", u)));
    urls.extend(
        manifest
            .documentation_url
            .iter()
            .map(|u| ("documentation_url", u)),
    );
    for (member, url) in urls {
        let mut bare = url.clone();
        bare.set_query(None);
        bare.set_fragment(None);
        ensure(IssuerId::parse(bare.as_str()).is_ok(), || {
            format!("{member} {url} is neither https nor http on a loopback host")
        })?;
    }
    let endpoint = &manifest.credential_issuer_endpoint;
    ensure(
        endpoint.query().is_none() && endpoint.fragment().is_none(),
        || "credential_issuer_endpoint has a query or fragment".to_owned(),
    )
}

/// `jwks_uri`, `rotation` and `expiry` are present exactly when required (REQ-MAN-5 to -7).
pub fn conditional_members(manifest: &Manifest) -> CheckResult {
    ensure(
        manifest.jwks_uri.is_some()
            || (!manifest.supports_audit && manifest.signed_manifest.is_none()),
        || {
            "jwks_uri is missing although supports_audit is true or the manifest is signed"
                .to_owned()
        },
    )?;
    ensure(
        manifest.rotation.is_some() || !manifest.supports_rotation,
        || "rotation is missing although supports_rotation is true".to_owned(),
    )?;
    ensure(
        manifest.expiry.is_some() == manifest.supports_expiring_credentials,
        || "expiry must be present if and only if supports_expiring_credentials is true".to_owned(),
    )
}

/// Rotation and expiry bounds are consistent (REQ-MAN-8, REQ-MAN-9).
pub fn bounds(manifest: &Manifest) -> CheckResult {
    if let Some(rotation) = &manifest.rotation {
        ensure(
            rotation.default_grace_period_seconds <= rotation.max_grace_period_seconds,
            || "rotation.default_grace_period_seconds exceeds max_grace_period_seconds".to_owned(),
        )?;
        let overlap = rotation
            .modes
            .contains(&credential_issuer_spec::RotationMode::Overlap);
        ensure(!overlap || rotation.max_active_versions >= 2, || {
            "overlap rotation is offered but max_active_versions is below 2".to_owned()
        })?;
    }
    if let Some(expiry) = &manifest.expiry {
        ensure(expiry.min_ttl_seconds <= expiry.max_ttl_seconds, || {
            "expiry.min_ttl_seconds exceeds max_ttl_seconds".to_owned()
        })?;
        if let Some(default) = expiry.default_ttl_seconds {
            ensure(
                (expiry.min_ttl_seconds..=expiry.max_ttl_seconds).contains(&default),
                || "expiry.default_ttl_seconds lies outside min..max".to_owned(),
            )?;
        }
    }
    Ok(())
}

/// The claims agree with each other (REQ-MAN-11, REQ-MAN-16, REQ-MAN-18, REQ-MAN-19,
/// REQ-AUTH-2).
pub fn claims_agree(manifest: &Manifest) -> CheckResult {
    let claims = |op: Operation| manifest.supports(&op);
    for (flag, value, op) in [
        (
            "supports_rotation",
            manifest.supports_rotation,
            Operation::Rotate,
        ),
        (
            "supports_revocation",
            manifest.supports_revocation,
            Operation::Revoke,
        ),
        ("supports_audit", manifest.supports_audit, Operation::Audit),
    ] {
        ensure(value == claims(op.clone()), || {
            format!(
                "{flag} is {value} but supported_operations {} `{op}`",
                if claims(op.clone()) {
                    "lists"
                } else {
                    "does not list"
                }
            )
        })?;
    }
    if claims(Operation::Request) {
        ensure(
            claims(Operation::Approve) && manifest.supports_expiring_credentials,
            || "`request` is claimed without `approve` or without expiring credentials".to_owned(),
        )?;
    }
    for step in &manifest.manual_steps {
        ensure(!manifest.supports(&step.operation), || {
            format!(
                "`{}` is both a manual step and a supported operation",
                step.operation
            )
        })?;
    }
    for limitation in &manifest.limitations {
        let claimed = manifest.supports(&limitation.operation)
            || manifest
                .manual_steps
                .iter()
                .any(|step| step.operation == limitation.operation);
        ensure(!claimed, || {
            format!(
                "`{}` is listed in limitations and also claimed",
                limitation.operation
            )
        })?;
    }
    ensure(
        manifest.supported_operations.is_empty()
            || manifest
                .auth_methods
                .contains(&credential_issuer_spec::AuthMethod::Bearer),
        || "auth_methods does not list bearer".to_owned(),
    )
}

/// Each secret format's regex compiles, starts with its prefix and fits its length (REQ-MAN-17).
pub fn secret_formats(manifest: &Manifest) -> CheckResult {
    for format in &manifest.secret_formats {
        let regex = regex::Regex::new(&format!("^(?:{})$", format.regex)).map_err(|_| {
            Verdict::fail(format!(
                "the regex of the {} format does not compile",
                format.credential_type
            ))
        })?;
        ensure(
            format.regex.starts_with(&regex::escape(&format.prefix))
                || format.regex.starts_with(&format.prefix),
            || {
                format!(
                    "the regex of the {} format does not start with its prefix {}",
                    format.credential_type, format.prefix
                )
            },
        )?;
        if let Some(length) = format.length {
            // A string of the prefix padded to the length with a letter the regex should accept.
            let sample = format!(
                "{}{}",
                format.prefix,
                "A".repeat((length as usize).saturating_sub(format.prefix.len()))
            );
            let short = &sample[..sample.len().saturating_sub(1)];
            ensure(!regex.is_match(short), || {
                format!(
                    "the regex of the {} format accepts secrets shorter than its length {length}",
                    format.credential_type
                )
            })?;
        }
    }
    Ok(())
}

/// The permission schema validates, belongs to the issuer, and is internally consistent
/// (REQ-PERM-1 to REQ-PERM-3).
pub fn permission_schema(issuer: &IssuerId, schema: &Value) -> Result<PermissionSchema, Verdict> {
    if let Some(rule) = Document::PermissionSchema.first_violation(schema) {
        return Err(Verdict::fail(format!(
            "the permission schema breaks its schema {rule}"
        )));
    }
    let parsed: PermissionSchema = serde_json::from_value(schema.clone())
        .map_err(|e| Verdict::fail(format!("the permission schema does not parse: {e}")))?;
    ensure(parsed.issuer == *issuer, || {
        format!(
            "the permission schema names issuer {}, not {}",
            parsed.issuer, issuer
        )
    })?;
    parsed
        .index()
        .map_err(|e| Verdict::fail(format!("the permission schema is inconsistent: {e}")))?;
    let mut types = std::collections::BTreeSet::new();
    for resource_type in &parsed.resource_types {
        ensure(types.insert(resource_type.id.clone()), || {
            format!("resource type {} is defined twice", resource_type.id)
        })?;
    }
    Ok(parsed)
}
