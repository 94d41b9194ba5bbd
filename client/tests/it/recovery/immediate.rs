//! `--immediate`: the old secret stops working at the rotation; the report says so.

use super::{Project, json, text};

#[tokio::test]
async fn immediate_recovery_says_so_and_leaves_nothing_to_revoke() {
    let project = Project::start().await;
    let made = project.make(4, 1, &[]).await;
    let plan = project
        .run(&["recover", "--all", "--immediate", "--dry-run"])
        .await;
    assert!(plan.status.success(), "{}", text(&plan));
    assert!(String::from_utf8_lossy(&plan.stdout).contains("rotate immediately"));
    let run = project
        .run(&["recover", "--all", "--immediate", "--json"])
        .await;
    assert!(run.status.success(), "{}", text(&run));
    let report = json(&run);
    for credential in report["credentials"].as_array().unwrap() {
        assert_eq!(credential["mode"], "immediate");
        assert!(
            credential["notes"][0]
                .as_str()
                .unwrap()
                .contains("--immediate")
        );
    }
    for m in &made {
        assert!(!project.introspect(m, m.secret.expose()).await.0);
        assert_eq!(
            project.introspect(m, &project.env_value(m)).await,
            (true, Some(2))
        );
    }
}
