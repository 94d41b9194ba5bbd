//! Reads: get never shows the secret; list pages with cursors.

use credential_issuer_client::schemas::Document;
use credential_issuer_spec::operations::{get, list};
use serde_json::json;

use super::{GROUP, NEEDS_LIST};
use crate::check::{Check, Meta};
use crate::checks::expect::{json_body, schema};
use crate::checks::lifecycle;
use crate::checks::sample::{grant, test_permission};
use crate::context::Context;
use crate::outcome::{CheckResult, ensure};
use crate::probe::Request;

pub(super) const GET: Check = Check::new(
    Meta {
        id: "OPS-03",
        group: GROUP,
        requirements: &["REQ-LIST-3", "REQ-STATE-1", "REQ-STATE-2"],
        title: "get answers the credential with its version as ETag, never the secret",
        mutating: true,
        needs: NEEDS_LIST,
    },
    |ctx| Box::pin(get_hides_the_secret(ctx)),
);

async fn get_hides_the_secret(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
    let id = issued["id"].as_str().unwrap_or_default();
    let response = ctx.call(Request::get(get::ENDPOINT.path_for(id))).await;
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
}

pub(super) const LIST: Check = Check::new(
    Meta {
        id: "OPS-04",
        group: GROUP,
        requirements: &[
            "REQ-LIST-1",
            "REQ-PAGE-1",
            "REQ-PAGE-2",
            "REQ-PAGE-4",
            "REQ-PAGE-6",
        ],
        title: "list pages with cursors, each item once",
        mutating: true,
        needs: NEEDS_LIST,
    },
    |ctx| Box::pin(list_pages(ctx)),
);

async fn list_pages(ctx: &mut Context) -> CheckResult {
    let (permission, _) = test_permission(ctx)?;
    let mut mine = Vec::new();
    for _ in 0..3 {
        let issued = lifecycle::create(ctx, grant(&permission), json!({})).await?;
        mine.push(issued["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let path = match &cursor {
            Some(c) => format!("{}?limit=2&cursor={c}", list::ENDPOINT.path),
            None => format!("{}?limit=2", list::ENDPOINT.path),
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
}
