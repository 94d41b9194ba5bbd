//! SIGKILL in the middle of recovering 100 credentials, then `--resume`: the end state is that of
//! an uninterrupted run, no credential is rotated twice (audit log), and no target ever held a
//! dead secret (checked at the moment of the kill). REQ-IDEM-2: a retried rotation reuses its
//! journaled key and body; REQ-ROT-1: it carries `If-Match` on the version it replaces.

use std::time::Duration;

use credential_issuer_spec::AuditAction;

use super::{Project, json, text};

#[tokio::test]
async fn sigkill_mid_recovery_then_resume_finishes_without_rotating_twice() {
    let project = Project::start().await;
    let made = project.make(100, 3, &[]).await;
    let mut child = project
        .credctl(&["recover", "--exposed", "leak.txt", "--concurrency", "4"])
        .spawn()
        .unwrap();
    // Wait until some credentials are done and others are mid-way, then kill -9.
    let journal = project.path(".credctl/journal");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let done = std::fs::read_dir(&journal)
            .map(|dir| {
                dir.flatten()
                    .filter(|e| {
                        std::fs::read_to_string(e.path())
                            .is_ok_and(|t| t.contains("\"step\":\"done\""))
                    })
                    .count()
            })
            .unwrap_or(0);
        if done >= 20 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "credctl ended before the kill"
        );
        // Waits for the credctl process to get further (polling its journal), not for time.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();

    // At the kill: every target holds a secret the issuer accepts.
    let mut rotated_at_kill = 0;
    for m in &made {
        let value = project.env_value(m);
        assert!(
            project.introspect(m, &value).await.0,
            "{} holds a dead secret",
            m.env
        );
        assert!(project.introspect(m, &project.installed_value(m)).await.0);
        if value != m.secret.expose() {
            rotated_at_kill += 1;
        }
    }
    assert!(
        rotated_at_kill < 100,
        "the kill came too late to test anything"
    );

    // Without --resume, the unfinished run is refused.
    let refused = project.run(&["recover", "--exposed", "leak.txt"]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));

    let resumed = project
        .run(&["recover", "--resume", "--exposed", "leak.txt", "--json"])
        .await;
    assert!(resumed.status.success(), "{}", text(&resumed));
    assert_eq!(json(&resumed)["recovered"], 100);
    for m in &made {
        let new = project.env_value(m);
        assert_eq!(
            project.introspect(m, &new).await,
            (true, Some(2)),
            "{}",
            m.env
        );
        assert_eq!(project.installed_value(m), new);
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
            assert_eq!(
                rotations.get(&m.id),
                Some(&1),
                "{} rotated more than once",
                m.id
            );
            assert_eq!(revocations.get(&m.id), Some(&1), "{}", m.id);
        }
    }
}
