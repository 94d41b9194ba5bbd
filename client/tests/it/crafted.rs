//! Discovery against crafted documents served from 127.0.0.1: an impostor, a broken manifest,
//! OpenID4VCI metadata, an oversized or non-JSON answer, caching and retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use credential_issuer_client::{Client, ClientError, TransportOptions};
use serde_json::{Value, json};

/// A server answering every request with `respond`; returns its base URL and a request counter.
async fn serve<F, R>(respond: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(usize, HeaderMap, String) -> R + Clone + Send + Sync + 'static,
    R: IntoResponse,
{
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(get(move |headers: HeaderMap, uri: axum::http::Uri| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let respond = respond.clone();
        async move { respond(n, headers, uri.path().to_owned()) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, hits)
}

/// A valid manifest for `issuer`, whose permission schema is served at `/permissions`.
fn manifest(issuer: &str) -> Value {
    let mut manifest: Value = serde_json::from_str(include_str!(
        "../../../spec/examples/valid/manifest/native.json"
    ))
    .unwrap();
    manifest["issuer"] = json!(issuer);
    manifest["credential_issuer_endpoint"] = json!(format!("{issuer}/api"));
    manifest["permission_schema_url"] = json!(format!("{issuer}/permissions"));
    manifest["jwks_uri"] = json!(format!("{issuer}/jwks"));
    manifest
}

fn permissions(issuer: &str) -> Value {
    let mut schema: Value = serde_json::from_str(include_str!(
        "../../../spec/examples/valid/permission-schema/native.json"
    ))
    .unwrap();
    schema["issuer"] = json!(issuer);
    schema
}

fn json_response(value: &Value) -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// Serves `manifest` (a function of the base URL) and a matching permission schema.
async fn issuer_serving(
    document: impl Fn(&str) -> Value + Clone + Send + Sync + 'static,
) -> String {
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let known = base.clone();
    let (url, _) = serve(move |_, _, path| {
        let issuer = known.get().cloned().unwrap_or_default();
        if path == "/permissions" {
            json_response(&permissions(&issuer))
        } else {
            json_response(&document(&issuer))
        }
    })
    .await;
    base.set(url.clone()).unwrap();
    url
}

#[tokio::test]
async fn a_well_formed_issuer_is_discovered() {
    let issuer = issuer_serving(manifest).await;
    let found = Client::new().discover(&issuer).await.unwrap();
    assert_eq!(found.manifest().issuer.as_str(), issuer);
    assert!(!found.permission_schema().permissions.is_empty());
}

#[tokio::test]
async fn an_impostor_manifest_is_refused() {
    // REQ-DISC-6: the manifest names another issuer.
    let issuer = issuer_serving(|_| manifest("https://bank.example.com")).await;
    let error = Client::new().discover(&issuer).await.unwrap_err();
    assert!(
        matches!(error, ClientError::IssuerMismatch { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_manifest_that_breaks_the_schema_is_refused_with_the_rule() {
    // REQ-DISC-7
    let issuer = issuer_serving(|issuer| {
        let mut broken = manifest(issuer);
        broken
            .as_object_mut()
            .unwrap()
            .remove("supported_operations");
        broken
    })
    .await;
    let error = Client::new().discover(&issuer).await.unwrap_err();
    match &error {
        ClientError::InvalidDocument { document, rule, .. } => {
            assert_eq!(*document, "manifest");
            assert!(rule.contains("supported_operations"), "{rule}");
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn openid4vci_metadata_is_recognised() {
    // REQ-COLL-*
    let issuer = issuer_serving(|issuer| {
        json!({ "credential_issuer": issuer, "credential_endpoint": format!("{issuer}/credential"),
                "credential_configurations_supported": {} })
    })
    .await;
    let error = Client::new().discover(&issuer).await.unwrap_err();
    assert!(
        matches!(error, ClientError::OpenId4VciMetadata { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn oversized_and_non_json_answers_are_refused() {
    let (big, _) = serve(|_, _, _| "x".repeat(2 * 1024 * 1024)).await;
    let small = TransportOptions {
        max_response_bytes: 1024 * 1024,
        ..TransportOptions::default()
    };
    let error = Client::with_options(small)
        .discover(&big)
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::TooLarge { .. }), "{error}");

    let (html, _) = serve(|_, _, _| "<html>not a manifest</html>").await;
    let error = Client::new().discover(&html).await.unwrap_err();
    assert!(matches!(error, ClientError::NotJson { .. }), "{error}");

    let (missing, _) = serve(|_, _, _| StatusCode::NOT_FOUND).await;
    let error = Client::new().discover(&missing).await.unwrap_err();
    assert!(
        matches!(error, ClientError::HttpStatus { status: 404, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn discovery_documents_are_cached_and_revalidated() {
    // REQ-DISC-13: fresh for max-age, then revalidated with If-None-Match.
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let known = base.clone();
    let (url, hits) = serve(move |_, headers: HeaderMap, path: String| {
        let issuer = known.get().cloned().unwrap_or_default();
        if headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v == "\"v1\"")
        {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, "\"v1\"")]).into_response();
        }
        let body = if path == "/permissions" {
            permissions(&issuer)
        } else {
            manifest(&issuer)
        };
        let cache = if path == "/permissions" {
            "max-age=0"
        } else {
            "max-age=3600"
        };
        (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::ETAG, "\"v1\""),
                (header::CACHE_CONTROL, cache),
            ],
            body.to_string(),
        )
            .into_response()
    })
    .await;
    base.set(url.clone()).unwrap();
    let client = Client::new();
    client.discover(&url).await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    client.discover(&url).await.unwrap();
    // The manifest was fresh (no request); the permission schema was revalidated (one 304).
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn unavailable_answers_are_retried_honouring_retry_after() {
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let known = base.clone();
    let (url, hits) = serve(move |n, _, path: String| {
        let issuer = known.get().cloned().unwrap_or_default();
        if n < 2 {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "0")],
            )
                .into_response();
        }
        json_response(&if path == "/permissions" {
            permissions(&issuer)
        } else {
            manifest(&issuer)
        })
    })
    .await;
    base.set(url.clone()).unwrap();
    let quick = TransportOptions {
        initial_backoff: Duration::from_millis(10),
        ..TransportOptions::default()
    };
    Client::with_options(quick).discover(&url).await.unwrap();
    assert_eq!(
        hits.load(Ordering::SeqCst),
        4,
        "two 503s, then the manifest and the schema"
    );
}

/// REQ-IDEM-6: `request-in-progress` means the request's own earlier attempt is still running at
/// the issuer; it is asked for again past the retry count (here 3), until it is answered.
#[tokio::test]
async fn a_request_still_in_progress_is_asked_for_again_past_the_retry_count() {
    let base = Arc::new(std::sync::OnceLock::<String>::new());
    let known = base.clone();
    let (url, hits) = serve(move |n, _, path: String| {
        let issuer = known.get().cloned().unwrap_or_default();
        if n < 6 {
            let problem = json!({
                "type": "urn:credential-issuer:problem:request-in-progress",
                "title": "Request in progress",
                "status": 409,
            });
            return (
                StatusCode::CONFLICT,
                [(header::CONTENT_TYPE, "application/problem+json")],
                problem.to_string(),
            )
                .into_response();
        }
        json_response(&if path == "/permissions" {
            permissions(&issuer)
        } else {
            manifest(&issuer)
        })
    })
    .await;
    base.set(url.clone()).unwrap();
    let quick = TransportOptions {
        initial_backoff: Duration::from_millis(1),
        max_retries: 3,
        ..TransportOptions::default()
    };
    Client::with_options(quick).discover(&url).await.unwrap();
    assert_eq!(
        hits.load(Ordering::SeqCst),
        8,
        "six answers in progress, then the manifest and the schema"
    );
}

/// Other answers worth retrying keep the retry count: a 503 after three retries is the answer.
#[tokio::test]
async fn unavailable_answers_are_retried_only_max_retries_times() {
    let (url, hits) = serve(|_, _, _: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "0")],
        )
            .into_response()
    })
    .await;
    let quick = TransportOptions {
        initial_backoff: Duration::from_millis(1),
        max_retries: 3,
        ..TransportOptions::default()
    };
    let error = Client::with_options(quick)
        .discover(&url)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::HttpStatus { status: 503, .. }),
        "{error}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        4,
        "the first attempt and three retries"
    );
}

#[tokio::test]
async fn plain_http_on_a_public_host_is_refused_before_any_request() {
    let error = Client::new()
        .discover("http://issuer.example.com")
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::InvalidIssuer(_)), "{error}");
}
