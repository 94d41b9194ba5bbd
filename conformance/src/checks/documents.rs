//! Documents: the manifest, permission schema and JWK Set against the schemas and the spec's
//! rules. [`CHECKS`] runs them on what the issuer serves; [`OFFLINE`] runs the same rules, with
//! the same ids, on files (`check-documents`).

use credential_issuer_spec::IssuerId;
use serde_json::Value;

use super::expect::json_body;
use crate::Group;
use crate::check::{Check, Meta};
use crate::consistency;
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

/// The checks of this group on the served documents, in run order.
pub(crate) const CHECKS: &[Check] = &[
    Check::new(SCHEMA, |ctx| Box::pin(schema(ctx))),
    Check::on_manifest(URLS, |ctx| Box::pin(urls(ctx))),
    Check::on_manifest(CONDITIONAL, |ctx| Box::pin(conditional(ctx))),
    Check::on_manifest(BOUNDS, |ctx| Box::pin(bounds(ctx))),
    Check::on_manifest(CLAIMS, |ctx| Box::pin(claims(ctx))),
    Check::on_manifest(FORMATS, |ctx| Box::pin(formats(ctx))),
    Check::on_manifest(PERMISSIONS, |ctx| Box::pin(served_permissions(ctx))),
    Check::on_manifest(JWKS, |ctx| Box::pin(jwks(ctx))),
];

/// The same rules on files: the manifest in `manifest_json`, the permission schema (if any) in
/// `permission_file`; no network.
pub(crate) const OFFLINE: &[Check] = &[
    Check::new(SCHEMA, |ctx| Box::pin(parsed(ctx))),
    Check::on_manifest(URLS, |ctx| Box::pin(urls(ctx))),
    Check::on_manifest(CONDITIONAL, |ctx| Box::pin(conditional(ctx))),
    Check::on_manifest(BOUNDS, |ctx| Box::pin(bounds(ctx))),
    Check::on_manifest(CLAIMS, |ctx| Box::pin(claims(ctx))),
    Check::on_manifest(FORMATS, |ctx| Box::pin(formats(ctx))),
    Check::on_manifest(PERMISSIONS, |ctx| Box::pin(given_permissions(ctx))),
];

const G: Group = Group::Documents;

const SCHEMA: Meta = Meta {
    id: "DOC-01",
    group: G,
    requirements: &["REQ-MAN-1", "REQ-MAN-2", "REQ-MAN-14", "REQ-DISC-7"],
    title: "the manifest validates against manifest.schema.json",
    mutating: false,
    needs: &[],
};

/// The manifest as served validates against its schema.
async fn schema(ctx: &mut Context) -> CheckResult {
    consistency::manifest_schema(ctx.manifest_json.as_ref().unwrap_or(&Value::Null)).map(drop)
}

/// The manifest file validates against its schema; the other rules run on what it parses to.
async fn parsed(ctx: &mut Context) -> CheckResult {
    let manifest =
        consistency::manifest_schema(ctx.manifest_json.as_ref().unwrap_or(&Value::Null))?;
    ctx.manifest = Some(manifest);
    Ok(())
}

const URLS: Meta = Meta {
    id: "DOC-02",
    group: G,
    requirements: &["REQ-MAN-3"],
    title: "every manifest URL is https (or http on loopback)",
    mutating: false,
    needs: &[],
};

async fn urls(ctx: &mut Context) -> CheckResult {
    consistency::manifest_urls(manifest(ctx)?)
}

const CONDITIONAL: Meta = Meta {
    id: "DOC-03",
    group: G,
    requirements: &["REQ-MAN-5", "REQ-MAN-6", "REQ-MAN-7"],
    title: "jwks_uri, rotation and expiry are present exactly when required",
    mutating: false,
    needs: &[],
};

async fn conditional(ctx: &mut Context) -> CheckResult {
    consistency::conditional_members(manifest(ctx)?)
}

const BOUNDS: Meta = Meta {
    id: "DOC-04",
    group: G,
    requirements: &["REQ-MAN-8", "REQ-MAN-9"],
    title: "rotation and expiry bounds are consistent",
    mutating: false,
    needs: &[],
};

async fn bounds(ctx: &mut Context) -> CheckResult {
    consistency::bounds(manifest(ctx)?)
}

const CLAIMS: Meta = Meta {
    id: "DOC-05",
    group: G,
    requirements: &[
        "REQ-MAN-11",
        "REQ-MAN-16",
        "REQ-MAN-18",
        "REQ-MAN-19",
        "REQ-AUTH-2",
    ],
    title: "flags, operations and manual steps agree",
    mutating: false,
    needs: &[],
};

async fn claims(ctx: &mut Context) -> CheckResult {
    consistency::claims_agree(manifest(ctx)?)
}

const FORMATS: Meta = Meta {
    id: "DOC-06",
    group: G,
    requirements: &["REQ-MAN-17"],
    title: "secret format regexes compile and start with their prefix",
    mutating: false,
    needs: &[],
};

async fn formats(ctx: &mut Context) -> CheckResult {
    consistency::secret_formats(manifest(ctx)?)
}

const PERMISSIONS: Meta = Meta {
    id: "DOC-07",
    group: G,
    requirements: &["REQ-PERM-1", "REQ-PERM-2", "REQ-PERM-3"],
    title: "the permission schema validates and belongs to this issuer",
    mutating: false,
    needs: &[],
};

/// The permission schema the manifest points to; later groups use it.
async fn served_permissions(ctx: &mut Context) -> CheckResult {
    let issuer = IssuerId::parse(&ctx.config.issuer).map_err(|e| Verdict::fail(e.to_string()))?;
    let url = manifest(ctx)?.permission_schema_url.clone();
    let response = ctx.probe.send(Request::get(url.as_str())).await;
    ensure(response.status == 200, || {
        format!("the permission schema answered HTTP {}", response.status)
    })?;
    let schema = json_body(&response, "permission schema")?;
    ctx.permissions = Some(consistency::permission_schema(&issuer, &schema)?);
    Ok(())
}

/// The permission schema file, if one was given.
async fn given_permissions(ctx: &mut Context) -> CheckResult {
    let issuer = manifest(ctx)?.issuer.clone();
    match &ctx.permission_file {
        Some(schema) => consistency::permission_schema(&issuer, schema).map(drop),
        None => Err(Verdict::skip("no permission schema file given")),
    }
}

const JWKS: Meta = Meta {
    id: "DOC-08",
    group: G,
    requirements: &["REQ-DISC-16", "REQ-AUD-15"],
    title: "the JWK Set publishes only public keys with kid, use and alg",
    mutating: false,
    needs: &[],
};

async fn jwks(ctx: &mut Context) -> CheckResult {
    let Some(uri) = manifest(ctx)?.jwks_uri.clone() else {
        return Err(Verdict::skip("the manifest has no jwks_uri"));
    };
    let response = ctx.probe.send(Request::get(uri.as_str())).await;
    ensure(response.status == 200, || {
        format!("the JWK Set answered HTTP {}", response.status)
    })?;
    let jwks = json_body(&response, "JWK Set")?;
    let keys = jwks["keys"]
        .as_array()
        .ok_or_else(|| Verdict::fail("the JWK Set has no keys array"))?;
    ensure(!keys.is_empty(), || "the JWK Set is empty".to_owned())?;
    for key in keys {
        for member in ["kid", "use", "alg"] {
            ensure(key.get(member).is_some(), || {
                format!("a key has no {member}")
            })?;
        }
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            ensure(key.get(private).is_none(), || {
                format!("the JWK Set publishes a private member {private:?}")
            })?;
        }
    }
    Ok(())
}

/// The parsed manifest (these checks are left out of the report without one).
fn manifest(ctx: &Context) -> Result<&credential_issuer_spec::Manifest, Verdict> {
    ctx.manifest
        .as_ref()
        .ok_or_else(|| Verdict::skip("no usable manifest (see the discovery checks)"))
}
