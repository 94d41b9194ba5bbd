//! Discovery: manifest URL, content type, issuer match, caching, signatures.

use credential_issuer_spec::IssuerId;
use serde_json::Value;

use super::expect::json_body;
use super::signature;
use crate::Group;
use crate::check::{Check, Meta};
use crate::context::Context;
use crate::outcome::{CheckResult, Verdict, ensure};
use crate::probe::Request;

const DISCOVERY: Group = Group::Discovery;

/// The checks of this group, in run order.
pub(crate) const CHECKS: &[Check] = &[MANIFEST, NO_AUTH, CACHING, OTHER_CACHING, SIGNED];

const MANIFEST: Check = Check::new(
    Meta {
        id: "DISC-01",
        group: DISCOVERY,
        requirements: &[
            "REQ-DISC-1",
            "REQ-DISC-3",
            "REQ-DISC-5",
            "REQ-DISC-6",
            "REQ-ID-1",
            "REQ-ID-2",
            "REQ-ID-5",
            "REQ-COLL-4",
            "REQ-ID-4",
        ],
        title: "the manifest is served at the inserted well-known URL, as JSON, naming this issuer",
        mutating: false,
        needs: &[],
    },
    |ctx| Box::pin(manifest(ctx)),
);

async fn manifest(ctx: &mut Context) -> CheckResult {
    let issuer = IssuerId::parse(&ctx.config.issuer)
        .map_err(|e| Verdict::fail(format!("the issuer identifier is not acceptable: {e}")))?;
    let url = issuer.manifest_url();
    let response = ctx
        .probe
        .send(Request::get(url.as_str()).header("accept", "application/json"))
        .await;
    ensure(response.status == 200, || {
        format!("{url} answered HTTP {}", response.status)
    })?;
    ensure(response.media_type() == "application/json", || {
        format!(
            "the manifest is served as {:?}, not application/json",
            response.media_type()
        )
    })?;
    let manifest = json_body(&response, "manifest")?;
    ensure(manifest.get("protocol").is_some(), || {
        "the manifest has no protocol member".to_owned()
    })?;
    ensure(manifest["issuer"] == ctx.config.issuer, || {
        format!(
            "the manifest names issuer {}, not {:?}",
            manifest["issuer"], ctx.config.issuer
        )
    })?;
    // Later groups use the parsed manifest; documents reports schema problems in detail.
    ctx.manifest = serde_json::from_value(manifest.clone()).ok();
    ctx.manifest_json = Some(manifest);
    if let Some(manifest) = &ctx.manifest {
        for format in &manifest.secret_formats {
            ctx.probe.redactor.add_pattern(&format.regex);
        }
    }
    if ctx.manifest.is_none() {
        return Err(Verdict::fail(
            "the manifest does not parse (see DOC-01 with --only documents)",
        ));
    }
    if issuer.as_url().path().len() > 1 && issuer.as_str().ends_with('/') {
        return Err(Verdict::warn("the issuer identifier's path ends with /"));
    }
    Ok(())
}

const NO_AUTH: Check = Check::new(
    Meta {
        id: "DISC-02",
        group: DISCOVERY,
        requirements: &["REQ-DISC-4"],
        title: "discovery documents need no authentication and do not depend on it",
        mutating: false,
        needs: &[],
    },
    |ctx| Box::pin(no_auth(ctx)),
);

async fn no_auth(ctx: &mut Context) -> CheckResult {
    let url = IssuerId::parse(&ctx.config.issuer)
        .map_err(|e| Verdict::fail(e.to_string()))?
        .manifest_url();
    let plain = ctx.probe.send(Request::get(url.as_str())).await;
    let with_token = ctx
        .probe
        .send(Request::get(url.as_str()).bearer("cit_not_a_valid_token"))
        .await;
    ensure(plain.status == 200 && with_token.status == 200, || {
        format!(
            "the manifest answered {} without and {} with a (bogus) token",
            plain.status, with_token.status
        )
    })?;
    ensure(plain.json() == with_token.json(), || {
        "the manifest differs when a token is sent".to_owned()
    })?;
    let schema_url = ctx
        .manifest
        .as_ref()
        .map(|m| m.permission_schema_url.to_string())
        .unwrap_or_default();
    let schema = ctx.probe.send(Request::get(schema_url)).await;
    ensure(schema.status == 200, || {
        format!(
            "the permission schema answered HTTP {} without a token",
            schema.status
        )
    })
}

const CACHING: Check = Check::new(
    Meta {
        id: "DISC-03",
        group: DISCOVERY,
        requirements: &["REQ-DISC-10", "REQ-DISC-11", "REQ-DISC-12"],
        title: "the manifest carries Cache-Control max-age and an ETag, and revalidates with 304",
        mutating: false,
        needs: &[],
    },
    |ctx| Box::pin(caching(ctx)),
);

async fn caching(ctx: &mut Context) -> CheckResult {
    let url = IssuerId::parse(&ctx.config.issuer)
        .map_err(|e| Verdict::fail(e.to_string()))?
        .manifest_url();
    let first = ctx.probe.send(Request::get(url.as_str())).await;
    let cache = first.header("cache-control").unwrap_or_default().to_owned();
    let max_age = cache.split(',').find_map(|d| {
        d.trim()
            .strip_prefix("max-age=")
            .and_then(|v| v.parse::<u64>().ok())
    });
    let Some(max_age) = max_age else {
        return Err(Verdict::fail(format!(
            "Cache-Control {cache:?} has no max-age"
        )));
    };
    let Some(etag) = first.header("etag").map(str::to_owned) else {
        return Err(Verdict::fail("the manifest has no ETag"));
    };
    let again = ctx
        .probe
        .send(Request::get(url.as_str()).header("if-none-match", &etag))
        .await;
    ensure(again.status == 304, || {
        format!(
            "If-None-Match with the ETag answered {}, not 304",
            again.status
        )
    })?;
    ensure(again.body.is_empty(), || {
        "a 304 answer has a body".to_owned()
    })?;
    if max_age > 86_400 {
        return Err(Verdict::warn(format!("max-age {max_age} exceeds one day")));
    }
    Ok(())
}

const OTHER_CACHING: Check = Check::new(
    Meta {
        id: "DISC-04",
        group: DISCOVERY,
        requirements: &["REQ-DISC-14"],
        title: "the permission schema and JWK Set carry caching headers too",
        mutating: false,
        needs: &[],
    },
    |ctx| Box::pin(other_caching(ctx)),
);

async fn other_caching(ctx: &mut Context) -> CheckResult {
    let mut urls = Vec::new();
    if let Some(m) = &ctx.manifest {
        urls.push(m.permission_schema_url.to_string());
        urls.extend(m.jwks_uri.iter().map(ToString::to_string));
    }
    for url in urls {
        let response = ctx.probe.send(Request::get(&url)).await;
        if response.header("etag").is_none() || response.header("cache-control").is_none() {
            return Err(Verdict::warn(format!("{url} has no ETag or Cache-Control")));
        }
    }
    Ok(())
}

const SIGNED: Check = Check::new(
    Meta {
        id: "DISC-05",
        group: DISCOVERY,
        requirements: &[
            "REQ-DISC-15",
            "REQ-DISC-16",
            "REQ-DISC-17",
            "REQ-DISC-18",
            "REQ-DISC-19",
        ],
        title: "the signed manifest verifies with a published key and covers every member",
        mutating: false,
        needs: &[],
    },
    |ctx| Box::pin(signed(ctx)),
);

async fn signed(ctx: &mut Context) -> CheckResult {
    let manifest = ctx.manifest_json.clone().unwrap_or_default();
    let url = IssuerId::parse(&ctx.config.issuer)
        .map_err(|e| Verdict::fail(e.to_string()))?
        .manifest_url();
    let jwt = ctx
        .probe
        .send(Request::get(url.as_str()).header("accept", "application/jwt"))
        .await;
    let Some(signed) = manifest.get("signed_manifest").and_then(Value::as_str) else {
        ensure(jwt.media_type() == "application/json", || {
            "an issuer without a signed manifest must answer Accept: application/jwt with JSON"
                .to_owned()
        })?;
        return Err(Verdict::skip("the manifest is not signed"));
    };
    ensure(
        jwt.status == 200 && jwt.media_type() == "application/jwt",
        || {
            format!(
                "Accept: application/jwt answered {} {:?}",
                jwt.status,
                jwt.media_type()
            )
        },
    )?;
    ensure(jwt.body.trim() == signed, || {
        "the application/jwt answer differs from signed_manifest".to_owned()
    })?;
    let jwks_uri = manifest["jwks_uri"]
        .as_str()
        .ok_or_else(|| Verdict::fail("a signed manifest without jwks_uri"))?;
    let jwks = json_body(&ctx.probe.send(Request::get(jwks_uri)).await, "JWK Set")?;
    let payload = signature::verify(
        signed,
        &jwks,
        credential_issuer_spec::manifest::SIGNED_MANIFEST_TYPE,
    )?;
    ensure(payload["iss"] == ctx.config.issuer, || {
        "the signed manifest's iss is not the issuer".to_owned()
    })?;
    let mut members = payload.clone();
    if let Some(object) = members.as_object_mut() {
        object.remove("iss");
    }
    let mut unsigned = manifest.clone();
    if let Some(object) = unsigned.as_object_mut() {
        object.remove("signed_manifest");
    }
    ensure(members == unsigned, || {
        "the signed payload does not carry the same members as the manifest".to_owned()
    })
}
