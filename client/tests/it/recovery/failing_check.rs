//! A failing health check stops only its credential: its previous secret stays valid and is put
//! back into its targets, it is marked for a person, and the others are recovered.

use super::{Project, json, text};

#[tokio::test]
async fn a_failing_health_check_restores_the_old_secret_and_the_others_carry_on() {
    let project = Project::start().await;
    let made = project.make(6, 2, &[3]).await;
    let run = project
        .run(&["recover", "--exposed", "leak.txt", "--json"])
        .await;
    assert_eq!(run.status.code(), Some(6), "{}", text(&run));
    let report = json(&run);
    assert_eq!(report["recovered"], 5, "{report:#}");
    assert_eq!(report["needs_person"], 1);
    let failed = report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["credential_id"] == made[3].id.as_str())
        .unwrap();
    assert_eq!(failed["outcome"], "needs_person");
    assert!(
        failed["reason"].as_str().unwrap().contains("health check"),
        "{failed:#}"
    );
    assert_eq!(failed["previous_revoked"], false);
    assert_eq!(failed["targets_restored"], 2);
    // Its old secret works and is back in both targets.
    let bad = &made[3];
    assert_eq!(project.env_value(bad), bad.secret.expose());
    assert_eq!(project.installed_value(bad), bad.secret.expose());
    assert!(project.introspect(bad, bad.secret.expose()).await.0);
    for (n, m) in made.iter().enumerate().filter(|(n, _)| *n != 3) {
        let new = project.env_value(m);
        assert_eq!(project.introspect(m, &new).await, (true, Some(2)), "{n}");
        assert!(!project.introspect(m, m.secret.expose()).await.0, "{n}");
    }
    // A later run reports it from the journal and changes nothing; the text report says so.
    let resumed = project
        .run(&["recover", "--resume", "--exposed", "leak.txt"])
        .await;
    assert_eq!(resumed.status.code(), Some(6), "{}", text(&resumed));
    let human = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        human.contains("NEEDS A PERSON: health check"),
        "{}",
        text(&resumed)
    );
    assert!(
        human.contains("5 recovered, 1 need a person"),
        "{}",
        text(&resumed)
    );
    assert!(
        human.contains("previous secret put back into 2 target(s)"),
        "{}",
        text(&resumed)
    );
    assert!(!human.contains(bad.secret.expose()));
    assert!(project.introspect(bad, bad.secret.expose()).await.0);
}
