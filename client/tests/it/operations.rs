//! Typed operations against the real server.

use credential_issuer_client::{AuditQuery, Client, ClientError};
use credential_issuer_spec::audit::verify_chain;
use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::operations::exposure::{
    ActionTaken, Exposure, ExposureAction, ExposureReport,
};
use credential_issuer_spec::operations::list::ListQuery;
use credential_issuer_spec::operations::revoke::RevokeRequest;
use credential_issuer_spec::operations::rotate::RotateRequest;
use credential_issuer_spec::{
    CredentialType, GENESIS_HASH, Grant, ProblemType, RotationMode, Secret,
};
use futures_util::TryStreamExt;

use crate::server::Server;

fn request(name: &str, scope: &[&str]) -> CreateRequest {
    CreateRequest::new(
        CredentialType::ApiKey,
        name.parse().unwrap(),
        scope.iter().map(|g| g.parse().unwrap()).collect(),
    )
}

#[tokio::test]
async fn the_lifecycle_through_the_typed_client() {
    let server = Server::start().await;
    let issuer = Client::new()
        .discover(&server.issuer)
        .await
        .unwrap()
        .with_token(Secret::new(server.token.clone()));

    let issued = issuer
        .create(&request("reader", &["events:read@project:web"]))
        .await
        .unwrap();
    let id = issued.credential.id.clone();
    let v1 = issued.secret.clone();
    assert_eq!(issuer.introspect(&v1).await.unwrap().version, Some(1));

    let overlap = RotateRequest {
        mode: Some(RotationMode::Overlap),
        grace_period_seconds: Some(600),
        scope: None,
    };
    let rotated = issuer.rotate(&id, &overlap, Some(1)).await.unwrap();
    assert_eq!(rotated.credential.current_version, 2);
    assert!(issuer.introspect(&v1).await.unwrap().active);

    // A stale If-Match is a typed conflict carrying the current version.
    let error = issuer.rotate(&id, &overlap, Some(1)).await.unwrap_err();
    assert_eq!(error.problem_type(), Some(&ProblemType::RotationConflict));
    match &error {
        ClientError::Protocol(problem) => {
            assert_eq!(problem.problem.extensions["current_version"], 2)
        }
        other => panic!("{other}"),
    }

    let revoked = issuer
        .revoke(
            &id,
            &RevokeRequest {
                version: Some(1),
                reason: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(revoked.versions[0].status.as_str(), "revoked");
    assert!(!issuer.introspect(&v1).await.unwrap().active);

    let report = ExposureReport {
        exposures: vec![Exposure {
            secret: Some(rotated.secret.clone()),
            fingerprint: None,
            location: None,
            detected_at: None,
        }],
        action: ExposureAction::Report,
        source: Some("test".into()),
    };
    let answer = issuer.report_exposure(&report).await.unwrap();
    assert_eq!(answer.results[0].action_taken, ActionTaken::Recorded);

    let missing = issuer
        .get(&"cred_missing".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(missing.problem_type(), Some(&ProblemType::NotFound));

    let events: Vec<_> = issuer
        .audit(AuditQuery {
            limit: Some(2),
            ..AuditQuery::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(events.len() >= 6);
    verify_chain(&events, 0, GENESIS_HASH).unwrap();
}

#[tokio::test]
async fn listing_streams_across_pages() {
    let server = Server::start().await;
    let issuer = Client::new()
        .discover(&server.issuer)
        .await
        .unwrap()
        .with_token(Secret::new(server.token.clone()));
    for i in 0..5 {
        issuer
            .create(&request(&format!("key {i}"), &["events:read"]))
            .await
            .unwrap();
    }
    let all: Vec<_> = issuer
        .list(ListQuery {
            limit: Some(2),
            ..ListQuery::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    let names: Vec<_> = all.iter().map(|c| c.name.as_str().to_owned()).collect();
    assert_eq!(names, ["key 0", "key 1", "key 2", "key 3", "key 4"]);
}

#[tokio::test]
async fn scope_helpers_use_the_issuers_permission_schema() {
    let server = Server::start().await;
    let issuer = Client::new().discover(&server.issuer).await.unwrap();
    let admin: Vec<Grant> = vec!["admin".parse().unwrap()];
    let need: Vec<Grant> = vec!["events:read@project:web".parse().unwrap()];
    assert!(issuer.scope_within(&need, &admin));
    assert!(!issuer.scope_within(&admin, &need));
    assert_eq!(issuer.broader_than(&admin, &need).len(), 1);
}

#[tokio::test]
async fn operations_need_a_token_and_an_offered_operation() {
    let server = Server::start().await;
    let issuer = Client::new().discover(&server.issuer).await.unwrap();
    let error = issuer
        .create(&request("x", &["events:read"]))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::MissingToken), "{error}");
    let bad = issuer.with_token(Secret::new("cit_wrong".into()));
    let error = bad
        .create(&request("x", &["events:read"]))
        .await
        .unwrap_err();
    assert_eq!(error.problem_type(), Some(&ProblemType::Unauthorized));
}
