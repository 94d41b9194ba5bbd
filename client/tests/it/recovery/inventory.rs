//! The inventory file and its schema, `inventory add|list|check`, `scan` and `blast-radius`.

use credential_issuer_client::recovery::Inventory;

use super::{Project, json, text};

#[test]
fn the_inventory_schema_file_is_current() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/credentials-inventory.schema.json"
    );
    let generated = serde_json::to_string_pretty(&Inventory::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/credentials-inventory.schema.json is stale: run UPDATE_SCHEMAS=1 cargo test -p credential-issuer-client --test it recovery::inventory"
    );
}

#[tokio::test]
async fn add_list_check_scan_and_blast_radius() {
    let project = Project::start().await;
    let made = project.make(4, 2, &[]).await;
    // The file written by the test validates against the schema.
    let schema = Inventory::json_schema();
    let inventory: toml::Value =
        toml::from_str(&std::fs::read_to_string(project.path("credentials.toml")).unwrap())
            .unwrap();
    let instance = serde_json::to_value(inventory).unwrap();
    assert!(jsonschema::is_valid(&schema, &instance));

    // `inventory add` records one more, with a need narrower than its scope.
    let issuer = project.issuers[0].clone();
    let request = credential_issuer_spec::operations::create::CreateRequest::new(
        credential_issuer_spec::CredentialType::ApiKey,
        "broad".parse().unwrap(),
        vec![
            "events:read".parse().unwrap(),
            "events:write".parse().unwrap(),
        ],
    );
    let broad = issuer.create(&request).await.unwrap();
    let added = project
        .run(&[
            "inventory",
            "add",
            "--credential",
            broad.credential.id.as_str(),
            "--env",
            "BROAD",
            "--env-file",
            ".env.broad",
            "--need",
            "events:read",
        ])
        .await;
    assert!(added.status.success(), "{}", text(&added));
    let listed = project.run(&["inventory", "list", "--json"]).await;
    assert_eq!(json(&listed)["credential"].as_array().unwrap().len(), 5);

    // check: the new one's .env is missing and it is broader than needed; a stale target shows.
    std::fs::write(
        project.path(&made[1].env_file),
        std::fs::read_to_string(project.path(&made[1].env_file))
            .unwrap()
            .replace(made[1].secret.expose(), "cik_notasecret"),
    )
    .unwrap();
    let check = project.run(&["inventory", "check", "--json"]).await;
    assert_eq!(check.status.code(), Some(6), "{}", text(&check));
    let problems = json(&check)["problems"].as_array().unwrap().clone();
    let kinds: Vec<&str> = problems
        .iter()
        .map(|p| p["problem"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"over_broad"), "{problems:#?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "stale_target").count(),
        2,
        "{problems:#?}"
    );
    assert!(!String::from_utf8_lossy(&check.stdout).contains(made[0].secret.expose()));

    // scan: finds the secrets by file, line and issuer (both formats), never printing them;
    // the stale target's `cik_notasecret` matches no format and no checksum (REQ-SEC-6).
    let scan = project.run(&["scan", ".", "--json"]).await;
    assert_eq!(scan.status.code(), Some(6), "{}", text(&scan));
    let findings = json(&scan);
    let stdout = String::from_utf8_lossy(&scan.stdout);
    for m in made.iter().filter(|m| m.id != made[1].id) {
        assert!(!stdout.contains(m.secret.expose()));
        assert!(findings.as_array().unwrap().iter().any(|f| {
            f["location"]["file"]
                .as_str()
                .unwrap()
                .ends_with(&m.env_file)
                && f["issuer"] == project.url(m.issuer)
        }));
    }
    // --git finds a secret that only history holds.
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(project.dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap()
    };
    git(&["init", "-q"]);
    std::fs::write(
        project.path("old.sh"),
        format!("export X={}\n", made[0].secret.expose()),
    )
    .unwrap();
    git(&["add", "old.sh"]);
    git(&["commit", "-qm", "oops"]);
    std::fs::remove_file(project.path("old.sh")).unwrap();
    git(&["commit", "-qam", "fix"]);
    let history = project.run(&["scan", ".", "--git", "--json"]).await;
    let findings = json(&history);
    assert!(
        findings.as_array().unwrap().iter().any(|f| {
            f["location"]["file"] == "old.sh"
                && f["location"]["line"] == 1
                && f["location"]["commit"].is_string()
        }),
        "{findings:#}"
    );

    // blast-radius: credential, scope with access levels, places, what breaks, the plan.
    let radius = project
        .run(&["blast-radius", "--exposed", "leak.txt", "--json"])
        .await;
    assert_eq!(radius.status.code(), Some(6), "{}", text(&radius));
    let radius = json(&radius);
    let first = radius["exposed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["credential_id"] == made[0].id.as_str())
        .unwrap();
    assert_eq!(first["active"], true);
    assert_eq!(first["scope"][0]["access"], "read");
    assert_eq!(first["used_in"].as_array().unwrap().len(), 2);
    assert!(first["plan"]["steps"].as_array().unwrap().len() >= 4);
    let human = project
        .run(&["blast-radius", "--exposed", "leak.txt"])
        .await;
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("breaks if revoked now") && human.contains("plan:"),
        "{human}"
    );
    assert!(!human.contains(made[0].secret.expose()));
}
