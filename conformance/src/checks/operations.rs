//! Operations: each claimed operation's success path and the version state machine.

use std::time::Duration;

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::{NativeSecretFormat, Operation, ProblemType, Secret};
use serde_json::{Value, json};

use super::{create, grant, introspect, json_body, problem, schema, test_permission};
use crate::Group;
use crate::context::Context;
use crate::outcome::{Verdict, ensure};
use crate::probe::Request;
use crate::recorder::{Meta, Recorder};

const G: Group = Group::Operations;
const CREATE: &[Operation] = &[Operation::Create];
const CREATE_INTROSPECT: &[Operation] = &[Operation::Create, Operation::Introspect];
const ROTATE: &[Operation] = &[Operation::Create, Operation::Rotate, Operation::Introspect];
const REVOKE: &[Operation] = &[
    Operation::Create,
    Operation::Rotate,
    Operation::Revoke,
    Operation::Introspect,
];
const LIST: &[Operation] = &[Operation::Create, Operation::List];

const M_CREATE: Meta = Meta {
    id: "OPS-01",
    group: G,
    requirements: &[
        "REQ-CRE-3",
        "REQ-CRE-4",
        "REQ-MAN-15",
        "REQ-SEC-1",
        "REQ-SEC-3",
        "REQ-SEC-8",
        "REQ-SEC-10",
        "REQ-STATE-1",
        "REQ-STATE-5",
        "REQ-ERR-9",
    ],
    title: "create answers 201 with Location, ETag and the secret, exactly as asked",
    mutating: true,
    needs: CREATE,
};
const M_EXPIRES: Meta = Meta {
    id: "OPS-02",
    group: G,
    requirements: &["REQ-CRE-5"],
    title: "expires_in sets expires_at",
    mutating: true,
    needs: CREATE,
};
const M_GET: Meta = Meta {
    id: "OPS-03",
    group: G,
    requirements: &["REQ-LIST-3", "REQ-STATE-1", "REQ-STATE-2"],
    title: "get answers the credential with its version as ETag, never the secret",
    mutating: true,
    needs: LIST,
};
const M_LIST: Meta = Meta {
    id: "OPS-04",
    group: G,
    requirements: &[
        "REQ-LIST-1",
        "REQ-PAGE-1",
        "REQ-PAGE-2",
        "REQ-PAGE-4",
        "REQ-PAGE-6",
    ],
    title: "list pages with cursors, each item once",
    mutating: true,
    needs: LIST,
};
const M_INTROSPECT: Meta = Meta {
    id: "OPS-05",
    group: G,
    requirements: &["REQ-INT-1", "REQ-INT-5"],
    title: "introspection maps a secret to its credential, version and scope",
    mutating: true,
    needs: CREATE_INTROSPECT,
};
const M_OVERLAP: Meta = Meta {
    id: "OPS-06",
    group: G,
    requirements: &["REQ-ROT-5", "REQ-ROT-10", "REQ-STATE-11", "REQ-STATE-12"],
    title: "an overlap rotation keeps the previous version working",
    mutating: true,
    needs: ROTATE,
};
const M_IF_MATCH: Meta = Meta {
    id: "OPS-07",
    group: G,
    requirements: &["REQ-ROT-1", "REQ-ERR-22"],
    title: "a rotation with a stale If-Match is a conflict naming the current version",
    mutating: true,
    needs: ROTATE,
};
const M_REVOKE_VERSION: Meta = Meta {
    id: "OPS-08",
    group: G,
    requirements: &["REQ-REV-2", "REQ-INT-2", "REQ-STATE-6"],
    title: "revoking the previous version ends it and only it",
    mutating: true,
    needs: REVOKE,
};
const M_REVOKE_CURRENT: Meta = Meta {
    id: "OPS-09",
    group: G,
    requirements: &["REQ-REV-3"],
    title: "the current version cannot be revoked alone",
    mutating: true,
    needs: REVOKE,
};
const M_IMMEDIATE: Meta = Meta {
    id: "OPS-10",
    group: G,
    requirements: &["REQ-ROT-7"],
    title: "an immediate rotation revokes the old version at once",
    mutating: true,
    needs: ROTATE,
};
const M_REVOKE: Meta = Meta {
    id: "OPS-11",
    group: G,
    requirements: &[
        "REQ-REV-1",
        "REQ-REV-4",
        "REQ-STATE-8",
        "REQ-STATE-9",
        "REQ-ROT-4",
        "REQ-LIST-2",
        "REQ-LIST-6",
        "REQ-LIST-5",
        "REQ-STATE-7",
        "REQ-STATE-13",
    ],
    title: "revocation sticks, is idempotent, and the record stays",
    mutating: true,
    needs: REVOKE,
};
const M_GRACE: Meta = Meta {
    id: "OPS-12",
    group: G,
    requirements: &["REQ-STATE-4", "REQ-STATE-6", "REQ-STATE-10"],
    title: "a previous version stops working when its grace period ends",
    mutating: true,
    needs: ROTATE,
};
const M_EXPIRY: Meta = Meta {
    id: "OPS-13",
    group: G,
    requirements: &["REQ-STATE-4", "REQ-STATE-6", "REQ-REV-5"],
    title: "a credential stops working when its lifetime ends",
    mutating: true,
    needs: CREATE_INTROSPECT,
};
const M_EXPOSURE: Meta = Meta {
    id: "OPS-14",
    group: G,
    requirements: &[
        "REQ-EXP-3",
        "REQ-EXP-4",
        "REQ-EXP-5",
        "REQ-EXP-6",
        "REQ-EXP-7",
        "REQ-SEC-14",
    ],
    title: "exposure reports identify secrets, record them and revoke on request",
    mutating: true,
    needs: &[
        Operation::Create,
        Operation::ReportExposure,
        Operation::Introspect,
    ],
};
const M_VERSION_LIMIT: Meta = Meta {
    id: "OPS-16",
    group: G,
    requirements: &["REQ-ROT-6"],
    title: "an overlap rotation beyond max_active_versions is refused",
    mutating: true,
    needs: ROTATE,
};
const M_EMPTY_BODY: Meta = Meta {
    id: "OPS-17",
    group: G,
    requirements: &["REQ-ERR-4"],
    title: "rotate and revoke accept an empty body as {}",
    mutating: true,
    needs: REVOKE,
};
const M_RACE: Meta = Meta {
    id: "OPS-18",
    group: G,
    requirements: &["REQ-ROT-2"],
    title: "of concurrent rotations with the same If-Match, exactly one wins",
    mutating: true,
    needs: ROTATE,
};
const M_IDEMPOTENCY: Meta = Meta {
    id: "OPS-15",
    group: G,
    requirements: &["REQ-IDEM-1", "REQ-IDEM-4", "REQ-IDEM-5", "REQ-IDEM-7"],
    title: "an Idempotency-Key replays the first create; reusing it for another body is refused",
    mutating: true,
    needs: CREATE,
};

pub(crate) async fn run(ctx: &mut Context, rec: &mut Recorder) {
    rec.check(ctx, &M_CREATE, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let body = json!({ "type": super::test_type(ctx), "name": "conformance create", "scope": grant(&permission),
            "metadata": { "owner": "conformance", "environment": "test" } });
        let response = ctx.call(Request::post_json("/credentials", &body)).await;
        ensure(response.status == 201, || format!("create answered HTTP {}, not 201", response.status))?;
        let issued = json_body(&response, "create response")?;
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        ctx.remember_secret(&secret);
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        ctx.created.push(id.clone());
        ctx.mutations.push(("credential.create".into(), id.clone(), Some(1)));
        schema(Document::IssuedCredential, &issued)?;
        ensure(response.header("etag") == Some("\"1\""), || format!("ETag is {:?}, not \"1\"", response.header("etag")))?;
        let location = format!("{}/credentials/{id}", ctx.endpoint().unwrap_or_default());
        ensure(response.header("location") == Some(location.as_str()), || format!("Location is {:?}, not {location}", response.header("location")))?;
        ensure(response.header("cache-control").is_some_and(|v| v.contains("no-store")), || "a response with a secret lacks Cache-Control: no-store".to_owned())?;
        ensure(issued["scope"] == body["scope"] && issued["name"] == body["name"] && issued["metadata"] == body["metadata"], || "the credential does not carry exactly the requested scope, name and metadata".to_owned())?;
        ensure(issued["status"] == "active" && issued["current_version"] == 1, || "a new credential must be active at version 1".to_owned())?;
        ensure(issued["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), || "times must be written in UTC with Z".to_owned())?;
        let manifest = ctx.manifest.clone().unwrap_or_else(|| unreachable!("checked by the recorder"));
        if let Some(format) = manifest.secret_formats.iter().find(|f| f.credential_type.as_str() == issued["type"].as_str().unwrap_or_default()) {
            let regex = regex::Regex::new(&format!("^(?:{})$", format.regex)).map_err(|_| Verdict::fail("the secret format regex does not compile"))?;
            ensure(regex.is_match(&secret), || "the secret does not match the published secret format".to_owned())?;
            if format.checksum == credential_issuer_spec::ChecksumScheme::Crc32Base62 {
                let native = NativeSecretFormat::new(&format.prefix).map_err(|_| Verdict::fail("the prefix is not a native prefix"))?;
                native.verify(&secret).map_err(|e| Verdict::fail(format!("the secret's checksum: {e}")))?;
                let hint = issued["versions"][0]["secret_hint"].as_str().unwrap_or_default();
                ensure(hint == Secret::new(secret.clone()).hint(), || format!("secret_hint {hint:?} is not prefix…last four"))?;
            }
        }
        Ok(())
    })
    .await;

    rec.check(ctx, &M_EXPIRES, async |ctx: &mut Context| {
        let Some(expiry) = ctx.manifest.as_ref().and_then(|m| m.expiry.clone()) else {
            return Err(Verdict::skip(
                "the issuer does not offer expiring credentials",
            ));
        };
        let (permission, _) = test_permission(ctx)?;
        let ttl = expiry
            .max_ttl_seconds
            .min(86_400)
            .max(expiry.min_ttl_seconds);
        let issued = create(ctx, grant(&permission), json!({ "expires_in": ttl })).await?;
        let created: credential_issuer_spec::Timestamp =
            serde_json::from_value(issued["created_at"].clone())
                .map_err(|_| Verdict::fail("created_at is not a timestamp"))?;
        let expires: credential_issuer_spec::Timestamp =
            serde_json::from_value(issued["expires_at"].clone())
                .map_err(|_| Verdict::fail("expires_at is not a timestamp"))?;
        let delta = expires.unix_seconds() - created.unix_seconds();
        ensure((delta - ttl as i64).abs() <= 1, || {
            format!("expires_at is {delta} s after created_at, not {ttl}")
        })
    })
    .await;

    rec.check(ctx, &M_GET, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default();
        let response = ctx.call(Request::get(format!("/credentials/{id}"))).await;
        ensure(response.status == 200, || {
            format!("get answered HTTP {}", response.status)
        })?;
        let credential = json_body(&response, "credential")?;
        schema(Document::Credential, &credential)?;
        ensure(response.header("etag") == Some("\"1\""), || {
            format!("ETag is {:?}, not \"1\"", response.header("etag"))
        })?;
        ensure(credential.get("secret").is_none(), || {
            "get returned the secret".to_owned()
        })
    })
    .await;

    rec.check(ctx, &M_LIST, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let mut mine = Vec::new();
        for _ in 0..3 {
            let issued = create(ctx, grant(&permission), json!({})).await?;
            mine.push(issued["id"].as_str().unwrap_or_default().to_owned());
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let path = match &cursor {
                Some(c) => format!("/credentials?limit=2&cursor={c}"),
                None => "/credentials?limit=2".to_owned(),
            };
            let response = ctx.call(Request::get(path)).await;
            ensure(response.status == 200, || {
                format!("list answered HTTP {}", response.status)
            })?;
            let page = json_body(&response, "list page")?;
            schema(Document::CredentialPage, &page)?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            ensure(items.len() <= 2, || {
                format!("limit=2 returned {} items", items.len())
            })?;
            seen.extend(
                items
                    .iter()
                    .filter_map(|c| c["id"].as_str().map(str::to_owned)),
            );
            match page["next_cursor"].as_str() {
                Some(next) => {
                    ensure(
                        !next.is_empty()
                            && next.len() <= 512
                            && next
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)),
                        || format!("cursor {next:?} is not 1 to 512 URL-safe characters"),
                    )?;
                    cursor = Some(next.to_owned());
                }
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        ensure(unique.len() == seen.len(), || {
            "an item appeared twice while paging".to_owned()
        })?;
        ensure(mine.iter().all(|id| seen.contains(id)), || {
            "a credential created by this run is missing from the list".to_owned()
        })
    })
    .await;

    rec.check(ctx, &M_INTROSPECT, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        let response = ctx
            .call(Request::post_json(
                "/credentials/introspect",
                &json!({ "secret": secret }),
            ))
            .await;
        ensure(response.status == 200, || {
            format!("introspect answered HTTP {}", response.status)
        })?;
        let answer = json_body(&response, "introspection")?;
        ctx.mutations.push((
            "credential.introspect".into(),
            issued["id"].as_str().unwrap_or_default().to_owned(),
            Some(1),
        ));
        schema(Document::IntrospectResponse, &answer)?;
        ensure(
            answer["active"] == true
                && answer["credential_id"] == issued["id"]
                && answer["version"] == 1
                && answer["scope"] == issued["scope"],
            || format!("the introspection does not describe the credential: {answer}"),
        )?;
        ensure(
            response
                .header("cache-control")
                .is_some_and(|v| v.contains("no-store")),
            || "an introspection lacks Cache-Control: no-store".to_owned(),
        )
    })
    .await;

    rec.check(ctx, &M_OVERLAP, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let (id, old) = (
            issued["id"].as_str().unwrap_or_default().to_owned(),
            issued["secret"].as_str().unwrap_or_default().to_owned(),
        );
        let rotated = rotate(ctx, &id, json!({ "mode": "overlap" }), None).await?;
        ensure(
            rotated["current_version"] == 2
                && rotated["versions"][0]["status"] == "previous"
                && rotated["versions"][1]["status"] == "current",
            || {
                format!(
                    "after an overlap rotation, expected version 1 previous and 2 current: {}",
                    rotated["versions"]
                )
            },
        )?;
        ensure(rotated["expires_at"] == issued["expires_at"], || {
            "the rotation changed the credential's expires_at".to_owned()
        })?;
        ensure(rotated["versions"][0]["expires_at"].is_string(), || {
            "the previous version has no expires_at (end of its grace period)".to_owned()
        })?;
        let new = rotated["secret"].as_str().unwrap_or_default().to_owned();
        ensure(new != old, || {
            "the rotation returned the old secret".to_owned()
        })?;
        ensure(introspect(ctx, &old).await?["active"] == true, || {
            "the previous version stopped working during its grace period".to_owned()
        })?;
        ensure(introspect(ctx, &new).await?["version"] == 2, || {
            "the new secret does not introspect as version 2".to_owned()
        })
    })
    .await;

    rec.check(ctx, &M_IF_MATCH, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let id = create(ctx, grant(&permission), json!({})).await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        rotate(ctx, &id, json!({ "mode": "overlap" }), Some(1)).await?;
        let stale = ctx
            .call(
                Request::post_json(format!("/credentials/{id}/rotate"), &json!({}))
                    .header("if-match", "\"1\""),
            )
            .await;
        ctx.refusals.push(("credential.rotate".into(), id.clone()));
        problem(&stale, 409, ProblemType::RotationConflict)?;
        let body = json_body(&stale, "problem")?;
        ensure(body["current_version"] == 2, || {
            format!("current_version is {}, not 2", body["current_version"])
        })
    })
    .await;

    rec.check(ctx, &M_REVOKE_VERSION, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let (id, old) = (
            issued["id"].as_str().unwrap_or_default().to_owned(),
            issued["secret"].as_str().unwrap_or_default().to_owned(),
        );
        let rotated = rotate(ctx, &id, json!({ "mode": "overlap" }), None).await?;
        let response = ctx
            .call(Request::post_json(
                format!("/credentials/{id}/revoke"),
                &json!({ "version": 1 }),
            ))
            .await;
        ensure(response.status == 200, || {
            format!("revoking version 1 answered HTTP {}", response.status)
        })?;
        ctx.mutations
            .push(("credential.revoke".into(), id.clone(), Some(1)));
        let credential = json_body(&response, "credential")?;
        schema(Document::Credential, &credential)?;
        ensure(
            credential["versions"][0]["status"] == "revoked"
                && credential["versions"][1]["status"] == "current",
            || "only version 1 should be revoked".to_owned(),
        )?;
        let answer = introspect(ctx, &old).await?;
        ensure(answer == json!({ "active": false }), || {
            format!("a revoked version introspects as {answer}, not exactly {{\"active\": false}}")
        })?;
        let new = rotated["secret"].as_str().unwrap_or_default().to_owned();
        ensure(introspect(ctx, &new).await?["active"] == true, || {
            "revoking version 1 ended version 2".to_owned()
        })
    })
    .await;

    rec.check(ctx, &M_REVOKE_CURRENT, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        let response = ctx
            .call(Request::post_json(
                format!("/credentials/{id}/revoke"),
                &json!({ "version": 1 }),
            ))
            .await;
        ctx.refusals.push(("credential.revoke".into(), id.clone()));
        problem(&response, 400, ProblemType::InvalidRequest)?;
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        ensure(introspect(ctx, &secret).await?["active"] == true, || {
            "a refused revoke ended the current version".to_owned()
        })
    })
    .await;

    rec.check(ctx, &M_IMMEDIATE, async |ctx: &mut Context| {
        let modes = ctx
            .manifest
            .as_ref()
            .and_then(|m| m.rotation.clone())
            .map(|r| r.modes)
            .unwrap_or_default();
        if !modes.contains(&credential_issuer_spec::RotationMode::Immediate) {
            return Err(Verdict::skip(
                "the issuer does not offer immediate rotation",
            ));
        }
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        let rotated = rotate(ctx, &id, json!({ "mode": "immediate" }), None).await?;
        ensure(rotated["versions"][0]["status"] == "revoked", || {
            "after an immediate rotation version 1 is not revoked".to_owned()
        })?;
        let old = issued["secret"].as_str().unwrap_or_default().to_owned();
        ensure(introspect(ctx, &old).await?["active"] == false, || {
            "the old secret still works after an immediate rotation".to_owned()
        })
    })
    .await;

    rec.check(ctx, &M_REVOKE, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        let first = ctx
            .call(Request::post_json(
                format!("/credentials/{id}/revoke"),
                &json!({ "reason": "conformance" }),
            ))
            .await;
        ensure(first.status == 200, || {
            format!("revoke answered HTTP {}", first.status)
        })?;
        ctx.mutations
            .push(("credential.revoke".into(), id.clone(), None));
        let revoked = json_body(&first, "credential")?;
        ensure(
            revoked["status"] == "revoked" && revoked["revoked_at"].is_string(),
            || "the credential is not revoked".to_owned(),
        )?;
        ensure(
            revoked["versions"][0]["status"] == "revoked"
                && revoked["versions"][0]["revoked_at"] == revoked["revoked_at"],
            || "version 1 is not revoked with the credential's revoked_at".to_owned(),
        )?;
        let again = ctx
            .call(Request::post_json(
                format!("/credentials/{id}/revoke"),
                &json!({}),
            ))
            .await;
        ensure(again.status == 200, || {
            format!("a second revoke answered HTTP {}", again.status)
        })?;
        ctx.mutations
            .push(("credential.revoke".into(), id.clone(), None));
        ensure(
            json_body(&again, "credential")?["revoked_at"] == revoked["revoked_at"],
            || "a second revoke changed revoked_at".to_owned(),
        )?;
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        ensure(introspect(ctx, &secret).await?["active"] == false, || {
            "a revoked secret still works".to_owned()
        })?;
        let rotate_revoked = ctx
            .call(Request::post_json(
                format!("/credentials/{id}/rotate"),
                &json!({}),
            ))
            .await;
        ctx.refusals.push(("credential.rotate".into(), id.clone()));
        problem(&rotate_revoked, 409, ProblemType::CredentialRevoked)?;
        let fetched = ctx.call(Request::get(format!("/credentials/{id}"))).await;
        ensure(
            fetched.status == 200 && fetched.json().is_some_and(|c| c["status"] == "revoked"),
            || "the revoked credential's record is gone or not revoked".to_owned(),
        )?;
        if first.header("etag").is_none() {
            return Err(Verdict::warn("the revoke response carries no ETag"));
        }
        Ok(())
    })
    .await;

    rec.check(ctx, &M_GRACE, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        rotate(
            ctx,
            &id,
            json!({ "mode": "overlap", "grace_period_seconds": 1 }),
            None,
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(1300)).await;
        let old = issued["secret"].as_str().unwrap_or_default().to_owned();
        ensure(introspect(ctx, &old).await?["active"] == false, || {
            "the previous version still works after its grace period".to_owned()
        })?;
        let fetched = json_body(
            &ctx.call(Request::get(format!("/credentials/{id}"))).await,
            "credential",
        )?;
        ensure(fetched["versions"][0]["status"] == "expired", || {
            format!(
                "version 1 is {} after its grace period, not expired",
                fetched["versions"][0]["status"]
            )
        })
    })
    .await;

    rec.check(ctx, &M_EXPIRY, async |ctx: &mut Context| {
        let Some(expiry) = ctx.manifest.as_ref().and_then(|m| m.expiry.clone()) else {
            return Err(Verdict::skip(
                "the issuer does not offer expiring credentials",
            ));
        };
        if expiry.min_ttl_seconds > 2 {
            return Err(Verdict::skip(format!(
                "the shortest lifetime is {} s; too long for this run",
                expiry.min_ttl_seconds
            )));
        }
        let (permission, _) = test_permission(ctx)?;
        let issued = create(
            ctx,
            grant(&permission),
            json!({ "expires_in": expiry.min_ttl_seconds }),
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(expiry.min_ttl_seconds * 1000 + 300)).await;
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        ensure(introspect(ctx, &secret).await?["active"] == false, || {
            "an expired credential still works".to_owned()
        })?;
        let id = issued["id"].as_str().unwrap_or_default();
        let fetched = json_body(
            &ctx.call(Request::get(format!("/credentials/{id}"))).await,
            "credential",
        )?;
        ensure(fetched["status"] == "expired", || {
            format!(
                "the credential is {} after its lifetime, not expired",
                fetched["status"]
            )
        })?;
        ctx.expired.push(id.to_owned());
        if !ctx.claims(&Operation::Revoke) {
            return Ok(());
        }
        // Revoking an expired credential revokes it and leaves its versions expired.
        let revoked = json_body(
            &ctx.call(Request::post_json(
                format!("/credentials/{id}/revoke"),
                &json!({}),
            ))
            .await,
            "credential",
        )?;
        ctx.mutations
            .push(("credential.revoke".into(), id.to_owned(), None));
        ensure(
            revoked["status"] == "revoked"
                && revoked["revoked_at"].is_string()
                && revoked["versions"][0]["status"] == "expired",
            || {
                format!(
                    "revoking an expired credential gave status {} with version 1 {}",
                    revoked["status"], revoked["versions"][0]["status"]
                )
            },
        )
    })
    .await;

    rec.check(ctx, &M_EXPOSURE, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let issued = create(ctx, grant(&permission), json!({})).await?;
        let id = issued["id"].as_str().unwrap_or_default().to_owned();
        let secret = issued["secret"].as_str().unwrap_or_default().to_owned();
        let fingerprint = Secret::new(secret.clone()).fingerprint();
        let unknown = Secret::new(format!("unknown-{}", uuid::Uuid::new_v4())).fingerprint();
        let report = json!({ "action": "report", "source": "conformance", "exposures": [{ "fingerprint": fingerprint }, { "fingerprint": unknown }] });
        let response = ctx.call(Request::post_json("/exposures", &report)).await;
        ensure(response.status == 200, || format!("the exposure report answered HTTP {}", response.status))?;
        let answer = json_body(&response, "exposure report response")?;
        schema(Document::ExposureReportResponse, &answer)?;
        ensure(answer["results"][0]["matched"] == true && answer["results"][0]["action_taken"] == "recorded", || format!("the exposed secret was not matched and recorded: {}", answer["results"][0]))?;
        ensure(answer["results"][1]["matched"] == false && answer["results"][1]["action_taken"] == "none" && answer["results"][1].get("credential_id").is_none(), || "an unknown fingerprint matched something".to_owned())?;
        ensure(introspect(ctx, &secret).await?["active"] == true, || "a report (not revoke) changed the credential".to_owned())?;
        let revoke = json!({ "action": "revoke", "exposures": [{ "secret": secret }] });
        let answer = json_body(&ctx.call(Request::post_json("/exposures", &revoke)).await, "exposure report response")?;
        ensure(answer["results"][0]["action_taken"] == "credential_revoked", || format!("revoking an exposed current version answered {}", answer["results"][0]["action_taken"]))?;
        ctx.mutations.push(("credential.revoke".into(), id, None));
        ensure(introspect(ctx, &secret).await?["active"] == false, || "the exposed secret still works after a revoke report".to_owned())?;
        let again = json_body(&ctx.call(Request::post_json("/exposures", &revoke)).await, "exposure report response")?;
        ensure(again["results"][0]["action_taken"] == "already_inactive", || "reporting a revoked secret again is not already_inactive".to_owned())
    })
    .await;

    rec.check(ctx, &M_VERSION_LIMIT, async |ctx: &mut Context| {
        let max = ctx
            .manifest
            .as_ref()
            .and_then(|m| m.rotation.as_ref())
            .map_or(0, |r| r.max_active_versions);
        if !(1..=4).contains(&max) {
            return Err(Verdict::skip(format!(
                "max_active_versions is {max}; too many rotations for this run"
            )));
        }
        let (permission, _) = test_permission(ctx)?;
        let id = create(ctx, grant(&permission), json!({})).await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for _ in 1..max {
            rotate(ctx, &id, json!({ "mode": "overlap" }), None).await?;
        }
        let beyond = ctx
            .call(Request::post_json(
                format!("/credentials/{id}/rotate"),
                &json!({ "mode": "overlap" }),
            ))
            .await;
        ctx.refusals.push(("credential.rotate".into(), id.clone()));
        problem(&beyond, 409, ProblemType::ActiveVersionLimit)
    })
    .await;

    rec.check(ctx, &M_EMPTY_BODY, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let id = create(ctx, grant(&permission), json!({})).await?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut empty = Request::post_raw(
            format!("/credentials/{id}/rotate"),
            String::new(),
            "application/json",
        );
        empty.headers.clear();
        let rotated = ctx.call(empty).await;
        ensure(rotated.status == 200, || {
            format!("rotate with an empty body answered HTTP {}", rotated.status)
        })?;
        if let Some(secret) = rotated
            .json()
            .and_then(|b| b["secret"].as_str().map(str::to_owned))
        {
            ctx.remember_secret(&secret);
        }
        ctx.mutations
            .push(("credential.rotate".into(), id.clone(), Some(2)));
        let mut empty = Request::post_raw(
            format!("/credentials/{id}/revoke"),
            String::new(),
            "application/json",
        );
        empty.headers.clear();
        let revoked = ctx.call(empty).await;
        ensure(revoked.status == 200, || {
            format!("revoke with an empty body answered HTTP {}", revoked.status)
        })?;
        ctx.mutations.push(("credential.revoke".into(), id, None));
        Ok(())
    })
    .await;

    rec.check(ctx, &M_RACE, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let id = create(ctx, grant(&permission), json!({})).await?["id"].as_str().unwrap_or_default().to_owned();
        let url = format!("{}/credentials/{id}/rotate", ctx.endpoint().unwrap_or_default());
        let token = ctx.config.token.clone().unwrap_or_default();
        let http = reqwest::Client::new();
        // Immediate where offered (so the racers do not meet the active-version limit), else
        // the mode the issuer has.
        let immediate = ctx
            .manifest
            .as_ref()
            .and_then(|m| m.rotation.as_ref())
            .is_some_and(|r| r.modes.contains(&credential_issuer_spec::RotationMode::Immediate));
        let body = if immediate { "{\"mode\":\"immediate\"}" } else { "{\"mode\":\"overlap\"}" };
        let racers: Vec<_> = (0..4)
            .map(|_| {
                let (http, url, token) = (http.clone(), url.clone(), token.clone());
                tokio::spawn(async move {
                    let reply = http.post(url).bearer_auth(token).header("if-match", "\"1\"")
                        .header("content-type", "application/json").body(body).send().await;
                    match reply {
                        Ok(reply) => (reply.status().as_u16(), reply.json::<Value>().await.unwrap_or_default()),
                        Err(_) => (0, Value::Null),
                    }
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for racer in racers {
            let (status, body) = racer.await.unwrap_or((0, Value::Null));
            if let Some(secret) = body["secret"].as_str() {
                ctx.remember_secret(secret);
            }
            statuses.push(status);
        }
        let won = statuses.iter().filter(|s| **s == 200).count();
        let lost = statuses.iter().filter(|s| **s == 409).count();
        ensure(won == 1 && lost == statuses.len() - 1, || format!("concurrent rotations with If-Match \"1\" answered {statuses:?}: expected one 200 and 409 for the rest"))?;
        ctx.mutations.push(("credential.rotate".into(), id.clone(), Some(2)));
        ctx.refusals.push(("credential.rotate".into(), id));
        Ok(())
    })
    .await;

    rec.check(ctx, &M_IDEMPOTENCY, async |ctx: &mut Context| {
        let (permission, _) = test_permission(ctx)?;
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({ "type": super::test_type(ctx), "name": "conformance idempotency", "scope": grant(&permission) });
        let first = ctx.call(Request::post_json("/credentials", &body).header("idempotency-key", &key)).await;
        ensure(first.status == 201, || format!("create answered HTTP {}", first.status))?;
        let first_body = json_body(&first, "create response")?;
        ctx.remember_secret(first_body["secret"].as_str().unwrap_or_default());
        let id = first_body["id"].as_str().unwrap_or_default().to_owned();
        ctx.created.push(id.clone());
        ctx.idempotent.push(id.clone());
        ctx.mutations.push(("credential.create".into(), id, Some(1)));
        let retry = ctx.call(Request::post_json("/credentials", &body).header("idempotency-key", &key)).await;
        ensure(retry.status == 201 && retry.json() == Some(first_body.clone()), || "a retry with the same key did not return the first credential".to_owned())?;
        let mut other = body.clone();
        other["name"] = Value::String("conformance idempotency (other)".into());
        let reused = ctx.call(Request::post_json("/credentials", &other).header("idempotency-key", &key)).await;
        problem(&reused, 422, ProblemType::IdempotencyKeyReused)?;
        let retry_key = uuid::Uuid::new_v4().to_string();
        let mut refused = body.clone();
        refused["scope"] = json!([{ "permission": "conformance:no-such-permission" }]);
        let failed = ctx.call(Request::post_json("/credentials", &refused).header("idempotency-key", &retry_key)).await;
        ctx.refusals.push(("credential.create".into(), String::new()));
        ensure(failed.status == 400, || format!("an unknown permission answered HTTP {}", failed.status))?;
        let after_error = ctx.call(Request::post_json("/credentials", &body).header("idempotency-key", &retry_key)).await;
        ensure(after_error.status == 201, || format!("a key whose first use failed was not usable again (HTTP {})", after_error.status))?;
        if let Some(issued) = after_error.json() {
            ctx.remember_secret(issued["secret"].as_str().unwrap_or_default());
            let id = issued["id"].as_str().unwrap_or_default().to_owned();
            ctx.created.push(id.clone());
            ctx.mutations.push(("credential.create".into(), id, Some(1)));
        }
        let bad = ctx.call(Request::post_json("/credentials", &body).header("idempotency-key", "")).await;
        if bad.status == 201 {
            if let Some(id) = bad.json().and_then(|b| b["id"].as_str().map(str::to_owned)) {
                ctx.created.push(id);
            }
            return Err(Verdict::fail("an empty Idempotency-Key was accepted"));
        }
        Ok(())
    })
    .await;
}

/// Rotates `id` with `body`, optionally with `If-Match`, expecting success.
pub(crate) async fn rotate(
    ctx: &mut Context,
    id: &str,
    body: Value,
    if_match: Option<u32>,
) -> Result<Value, Verdict> {
    let mut request = Request::post_json(format!("/credentials/{id}/rotate"), &body);
    if let Some(version) = if_match {
        request = request.header("if-match", &format!("\"{version}\""));
    }
    let response = ctx.call(request).await;
    ensure(response.status == 200, || {
        format!(
            "rotate answered HTTP {}, not 200: {}",
            response.status, response.body
        )
    })?;
    let rotated = json_body(&response, "rotate response")?;
    schema(Document::IssuedCredential, &rotated)?;
    if let Some(secret) = rotated["secret"].as_str() {
        ctx.remember_secret(secret);
    }
    ctx.mutations.push((
        "credential.rotate".into(),
        id.to_owned(),
        rotated["current_version"].as_u64(),
    ));
    ensure(
        response.header("etag") == Some(&format!("\"{}\"", rotated["current_version"])),
        || "the rotate response's ETag is not the new version".to_owned(),
    )?;
    Ok(rotated)
}
