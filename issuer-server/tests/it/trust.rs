//! Signed manifest, JWK Set and signed audit checkpoints (REQ-DISC-15 to -19, REQ-AUD-15, -16).

use josekit::jwk::Jwk;
use josekit::jws::EdDSA;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::harness::TestServer;

/// Verifies a compact JWS against the issuer's JWK Set; returns the payload and `typ`.
async fn verify(server: &TestServer, jwks_uri: &str, jws: &str) -> (Value, String) {
    let jwks = server
        .send(Method::GET, jwks_uri, None, &[], None)
        .await
        .json();
    use base64::Engine;
    let protected = jws.split('.').next().unwrap();
    let protected: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(protected)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(protected["alg"], "EdDSA");
    let kid = protected["kid"].as_str().unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} is not in the JWK Set"));
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "EdDSA");
    assert!(
        key.get("d").is_none(),
        "the JWK Set publishes a private key"
    );
    let jwk = Jwk::from_map(key.as_object().unwrap().clone()).unwrap();
    let verifier = EdDSA.verifier_from_jwk(&jwk).unwrap();
    let (payload, header) = josekit::jws::deserialize_compact(jws, &verifier).unwrap();
    (
        serde_json::from_slice(&payload).unwrap(),
        header.token_type().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn the_manifest_is_signed_with_a_published_key() {
    let server = TestServer::start().await;
    let url = format!("{}/.well-known/credential-issuer", server.issuer);
    let manifest = server.send(Method::GET, &url, None, &[], None).await.json();
    let jwks_uri = manifest["jwks_uri"].as_str().unwrap().to_owned();
    let signed = manifest["signed_manifest"].as_str().unwrap().to_owned();
    let (payload, typ) = verify(&server, &jwks_uri, &signed).await;
    assert_eq!(typ, credential_issuer_spec::manifest::SIGNED_MANIFEST_TYPE);
    assert_eq!(payload["iss"], server.issuer);
    let mut unsigned = manifest.clone();
    unsigned.as_object_mut().unwrap().remove("signed_manifest");
    let mut signed_members = payload.clone();
    signed_members.as_object_mut().unwrap().remove("iss");
    assert_eq!(
        signed_members, unsigned,
        "the signature covers every other member"
    );

    let jwt = server
        .send(
            Method::GET,
            &url,
            None,
            &[("accept", "application/jwt")],
            None,
        )
        .await;
    assert_eq!(jwt.status, StatusCode::OK);
    assert_eq!(jwt.header("content-type"), Some("application/jwt"));
    assert_eq!(jwt.text, signed);
    let json = server
        .send(
            Method::GET,
            &url,
            None,
            &[("accept", "application/json, application/jwt")],
            None,
        )
        .await;
    assert_eq!(json.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn checkpoints_sign_the_head_of_the_audit_log() {
    let server = TestServer::start().await;
    let empty = server.get("/audit/checkpoint").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(empty.header("content-type"), Some("application/jose"));
    let jwks_uri = format!("{}/jwks.json", server.endpoint);
    let (payload, _) = verify(&server, &jwks_uri, &empty.text).await;
    assert_eq!(payload["seq"], 0);
    assert_eq!(payload["hash"], credential_issuer_spec::GENESIS_HASH);

    server.create(&["events:read"]).await;
    server.create(&["events:read"]).await;
    let events = server.audit().await;
    let reply = server.get("/audit/checkpoint").await;
    let (payload, typ) = verify(&server, &jwks_uri, &reply.text).await;
    assert_eq!(typ, credential_issuer_spec::audit::CHECKPOINT_TYPE);
    crate::harness::assert_schema("audit-checkpoint", &payload);
    let last = events.last().unwrap();
    assert_eq!(payload["seq"], last["seq"]);
    assert_eq!(payload["hash"], last["hash"]);
    assert_eq!(payload["issuer"], server.issuer);

    let reader = server
        .token(&[credential_issuer_spec::ApiScope::CredentialsRead], None)
        .await;
    server
        .send(Method::GET, "/audit/checkpoint", Some(&reader), &[], None)
        .await
        .assert_problem(403, "forbidden");
}
