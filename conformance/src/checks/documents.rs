//! Documents: the manifest, permission schema and JWK Set against the schemas and the spec's
//! rules (the same rules `check-documents` applies offline).

use credential_issuer_spec::IssuerId;
use serde_json::Value;

use super::json_body;
use crate::Group;
use crate::consistency;
use crate::context::Context;
use crate::outcome::{Verdict, ensure};
use crate::probe::Request;
use crate::recorder::{Meta, Recorder};

const G: Group = Group::Documents;

pub(crate) const SCHEMA: Meta = Meta {
    id: "DOC-01",
    group: G,
    requirements: &["REQ-MAN-1", "REQ-MAN-2", "REQ-MAN-14", "REQ-DISC-7"],
    title: "the manifest validates against manifest.schema.json",
    mutating: false,
    needs: &[],
};
pub(crate) const URLS: Meta = Meta {
    id: "DOC-02",
    group: G,
    requirements: &["REQ-MAN-3"],
    title: "every manifest URL is https (or http on loopback)",
    mutating: false,
    needs: &[],
};
pub(crate) const CONDITIONAL: Meta = Meta {
    id: "DOC-03",
    group: G,
    requirements: &["REQ-MAN-5", "REQ-MAN-6", "REQ-MAN-7"],
    title: "jwks_uri, rotation and expiry are present exactly when required",
    mutating: false,
    needs: &[],
};
pub(crate) const BOUNDS: Meta = Meta {
    id: "DOC-04",
    group: G,
    requirements: &["REQ-MAN-8", "REQ-MAN-9"],
    title: "rotation and expiry bounds are consistent",
    mutating: false,
    needs: &[],
};
pub(crate) const CLAIMS: Meta = Meta {
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
pub(crate) const FORMATS: Meta = Meta {
    id: "DOC-06",
    group: G,
    requirements: &["REQ-MAN-17"],
    title: "secret format regexes compile and start with their prefix",
    mutating: false,
    needs: &[],
};
pub(crate) const PERMISSIONS: Meta = Meta {
    id: "DOC-07",
    group: G,
    requirements: &["REQ-PERM-1", "REQ-PERM-2", "REQ-PERM-3"],
    title: "the permission schema validates and belongs to this issuer",
    mutating: false,
    needs: &[],
};
const JWKS: Meta = Meta {
    id: "DOC-08",
    group: G,
    requirements: &["REQ-DISC-16", "REQ-AUD-15"],
    title: "the JWK Set publishes only public keys with kid, use and alg",
    mutating: false,
    needs: &[],
};

pub(crate) async fn run(ctx: &mut Context, rec: &mut Recorder) {
    let manifest_json = ctx.manifest_json.clone().unwrap_or(Value::Null);
    rec.check(ctx, &SCHEMA, async |_: &mut Context| {
        consistency::manifest_schema(&manifest_json).map(drop)
    })
    .await;
    let Some(manifest) = ctx.manifest.clone() else {
        return;
    };
    rec.check(ctx, &URLS, async |_: &mut Context| {
        consistency::manifest_urls(&manifest)
    })
    .await;
    rec.check(ctx, &CONDITIONAL, async |_: &mut Context| {
        consistency::conditional_members(&manifest)
    })
    .await;
    rec.check(ctx, &BOUNDS, async |_: &mut Context| {
        consistency::bounds(&manifest)
    })
    .await;
    rec.check(ctx, &CLAIMS, async |_: &mut Context| {
        consistency::claims_agree(&manifest)
    })
    .await;
    rec.check(ctx, &FORMATS, async |_: &mut Context| {
        consistency::secret_formats(&manifest)
    })
    .await;
    rec.check(ctx, &PERMISSIONS, async |ctx: &mut Context| {
        let issuer =
            IssuerId::parse(&ctx.config.issuer).map_err(|e| Verdict::fail(e.to_string()))?;
        let response = ctx
            .probe
            .send(Request::get(manifest.permission_schema_url.as_str()))
            .await;
        ensure(response.status == 200, || {
            format!("the permission schema answered HTTP {}", response.status)
        })?;
        let schema = json_body(&response, "permission schema")?;
        ctx.permissions = Some(consistency::permission_schema(&issuer, &schema)?);
        Ok(())
    })
    .await;
    rec.check(ctx, &JWKS, async |ctx: &mut Context| {
        let Some(uri) = manifest.jwks_uri.clone() else {
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
    })
    .await;
}
