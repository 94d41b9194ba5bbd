//! 50 exposed credentials on two issuers (the native one and aws-iam over moto), used in three
//! `.env` files and a command target:
//! one `credctl recover --exposed` replaces them all, in the order REQ-ROT-11 asks of a client:
//! overlap, install everywhere, check, only then revoke the previous version.

use credential_issuer_spec::AuditAction;

use super::{Project, assert_journal_private, json, text};

#[tokio::test]
async fn recover_exposed_replaces_fifty_credentials_on_two_issuers_everywhere() {
    let project = Project::start().await;
    let made = project.make(50, 3, &[]).await;

    // The plan first: nothing changes.
    let plan = project
        .run(&["recover", "--exposed", "leak.txt", "--dry-run", "--json"])
        .await;
    assert!(plan.status.success(), "{}", text(&plan));
    assert_eq!(json(&plan)["items"].as_array().unwrap().len(), 50);
    assert_eq!(project.env_value(&made[0]), made[0].secret.expose());

    let run = project
        .run(&[
            "recover",
            "--exposed",
            "leak.txt",
            "--concurrency",
            "8",
            "--json",
        ])
        .await;
    assert!(run.status.success(), "{}", text(&run));
    let report = json(&run);
    assert_eq!(report["recovered"], 50, "{report:#}");
    // Progress goes to stderr only; stdout is the JSON report; no secret anywhere in either.
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    for credential in report["credentials"].as_array().unwrap() {
        assert_eq!(credential["outcome"], "recovered");
        assert_eq!(credential["checks_passed"], credential["checks"]);
        assert_eq!(credential["targets_installed"], 2);
        assert_eq!(credential["previous_revoked"], true);
        assert_eq!(credential["mode"], "overlap");
    }
    for m in &made {
        assert!(!stdout.contains(m.secret.expose()) && !stderr.contains(m.secret.expose()));
        let new = project.env_value(m);
        assert_ne!(new, m.secret.expose(), "{} kept its exposed secret", m.env);
        assert_eq!(project.installed_value(m), new);
        assert_eq!(project.introspect(m, &new).await, (true, Some(2)));
        assert!(!project.introspect(m, m.secret.expose()).await.0);
    }
    for issuer in 0..2 {
        let rotations = project
            .audit_counts(issuer, AuditAction::CredentialRotate)
            .await;
        let revocations = project
            .audit_counts(issuer, AuditAction::CredentialRevoke)
            .await;
        for m in made.iter().filter(|m| m.issuer == issuer) {
            assert_eq!(rotations.get(&m.id), Some(&1), "{}", m.id);
            assert_eq!(revocations.get(&m.id), Some(&1), "{}", m.id);
        }
    }
    // At AWS itself (moto, read through boto3): each new key works, each exposed one is gone,
    // and every credential's IAM user holds only its new key.
    if let Some(moto) = &project.moto {
        let users = moto.group("recovery").await;
        assert_eq!(users.len(), made.iter().filter(|m| m.issuer == 1).count());
        assert!(users.values().all(|keys| keys.len() == 1), "{users:?}");
        for m in made.iter().filter(|m| m.issuer == 1) {
            let credential = project.issuers[1].get(&m.id).await.unwrap();
            let key = |n: usize| credential.versions[n].key_id.clone().unwrap();
            assert!(
                moto.accepts(&key(1), &project.env_value(m)).await,
                "{}",
                m.id
            );
            assert!(!moto.accepts(&key(0), m.secret.expose()).await, "{}", m.id);
        }
    }
    assert_journal_private(project.dir.path());

    // The inventory now checks clean, and the leak has nothing active left.
    let check = project.run(&["inventory", "check", "--json"]).await;
    assert!(check.status.success(), "{}", text(&check));
    let again = project
        .run(&["blast-radius", "--exposed", "leak.txt", "--json"])
        .await;
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        json(&again)["exposed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["active"] == false)
    );
}
