//! Discovery: the manifest and permission schema over HTTP (REQ-DISC-*, REQ-MAN-*).

use reqwest::{Method, StatusCode};

use crate::harness::{TestServer, assert_schema};

#[tokio::test]
async fn the_manifest_is_served_without_authentication_and_validates() {
    // REQ-DISC-3, REQ-DISC-4, REQ-DISC-5, REQ-MAN-1, REQ-MAN-2
    let server = TestServer::start().await;
    let url = format!("{}/.well-known/credential-issuer", server.issuer);
    let reply = server.send(Method::GET, &url, None, &[], None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let manifest = reply.json();
    assert_schema("manifest", &manifest);
    assert_eq!(manifest["issuer"], server.issuer);
    assert_eq!(manifest["protocol"], "credential-issuer");
    assert_eq!(manifest["credential_issuer_endpoint"], server.endpoint);
    let formats = manifest["secret_formats"].as_array().unwrap();
    assert_eq!(formats[0]["prefix"], "cik_");
}

#[tokio::test]
async fn the_manifest_carries_cache_headers_and_revalidates() {
    // REQ-DISC-10, REQ-DISC-11
    let server = TestServer::start().await;
    let url = format!("{}/.well-known/credential-issuer", server.issuer);
    let first = server.send(Method::GET, &url, None, &[], None).await;
    let etag = first.header("etag").unwrap().to_owned();
    assert!(first.header("cache-control").unwrap().contains("max-age="));
    let again = server
        .send(Method::GET, &url, None, &[("if-none-match", &etag)], None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    let stale = server
        .send(
            Method::GET,
            &url,
            None,
            &[("if-none-match", "\"other\"")],
            None,
        )
        .await;
    assert_eq!(stale.status, StatusCode::OK);
}

#[tokio::test]
async fn an_issuer_with_a_path_is_found_by_path_insertion() {
    // REQ-DISC-1, REQ-DISC-3: issuer http://host/tenant-a has its manifest at
    // http://host/.well-known/credential-issuer/tenant-a, and its operations below its path.
    let server = TestServer::start_with(|config| {
        config.public_url = Some(format!("http://{}/tenant-a", config.addr));
    })
    .await;
    assert!(server.issuer.ends_with("/tenant-a"));
    let host = server.issuer.trim_end_matches("/tenant-a");
    let inserted = format!("{host}/.well-known/credential-issuer/tenant-a");
    let reply = server.send(Method::GET, &inserted, None, &[], None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["issuer"], server.issuer);
    let appended = format!("{}/.well-known/credential-issuer", server.issuer);
    let wrong = server.send(Method::GET, &appended, None, &[], None).await;
    wrong.assert_problem(404, "not-found");
    let created = server.create(&["events:read"]).await;
    assert!(created["id"].as_str().unwrap().starts_with("cred_"));
}

#[tokio::test]
async fn the_permission_schema_is_served_and_validates() {
    let server = TestServer::start().await;
    let manifest = server
        .send(
            Method::GET,
            &format!("{}/.well-known/credential-issuer", server.issuer),
            None,
            &[],
            None,
        )
        .await
        .json();
    let url = manifest["permission_schema_url"].as_str().unwrap();
    let reply = server.send(Method::GET, url, None, &[], None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let schema = reply.json();
    assert_schema("permission-schema", &schema);
    assert_eq!(schema["issuer"], server.issuer);
}

#[tokio::test]
async fn the_openapi_description_is_served_and_matches_the_committed_snapshot() {
    let server = TestServer::start().await;
    let reply = server
        .send(
            Method::GET,
            &format!("{}/openapi.json", server.issuer),
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let served = reply.json();
    assert_eq!(served["openapi"], "3.1.0");
    assert!(served["paths"]["/credential-issuer/credentials/{id}/rotate"]["post"].is_object());

    // The committed snapshot is the document of the default configuration.
    let profile = credential_issuer_server::config::default_profile().unwrap();
    let generated = credential_issuer_server::openapi::document(&profile);
    let path = format!("{}/../schemas/openapi.json", env!("CARGO_MANIFEST_DIR"));
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        committed == generated,
        "schemas/openapi.json is stale: run `cargo run -p credential-issuer-server -- openapi > schemas/openapi.json`"
    );
}
