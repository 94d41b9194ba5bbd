//! `credctl` as a user runs it: the binary against the real server.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::server::Server;

async fn credctl(
    server: Option<&Server>,
    config_home: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_credctl"));
    command
        .args(args)
        .env("XDG_CONFIG_HOME", config_home)
        .env("NO_COLOR", "1");
    command
        .env_remove("CREDCTL_ISSUER")
        .env_remove("CREDCTL_TOKEN")
        .env_remove("CREDCTL_CONFIG");
    if let Some(server) = server {
        command
            .env("CREDCTL_ISSUER", &server.issuer)
            .env("CREDCTL_TOKEN", &server.token);
    }
    command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(input) = stdin {
        use tokio::io::AsyncWriteExt;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .await
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn discover_prints_a_summary_and_a_valid_manifest() {
    let server = Server::start().await;
    let home = tempfile::tempdir().unwrap();
    let human = credctl(Some(&server), home.path(), &["discover"], None).await;
    assert!(human.status.success(), "{}", stderr(&human));
    let text = stdout(&human);
    for expected in [
        "operations",
        "create, list, rotate",
        "rotation",
        "overlap, immediate",
        "cik_",
        "expiry",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let json = credctl(Some(&server), home.path(), &["discover", "--json"], None).await;
    let manifest: Value = serde_json::from_slice(&json.stdout).unwrap();
    let schema: Value =
        serde_json::from_str(include_str!("../../../schemas/manifest.schema.json")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    assert!(validator.is_valid(&manifest));
    assert_eq!(manifest["issuer"], server.issuer);
}

#[tokio::test]
async fn the_readme_walkthrough_with_credctl() {
    let server = Server::start().await;
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let v1 = dir.path().join("v1");
    let v2 = dir.path().join("v2");
    let run = |args: Vec<String>, stdin: Option<String>| {
        let server = &server;
        let home = home.path().to_owned();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            credctl(Some(server), &home, &args, stdin.as_deref()).await
        }
    };
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();

    let created = run(
        s(&[
            "create",
            "--json",
            "--name",
            "dashboard reader",
            "--scope",
            "events:read@project:web",
            "--metadata",
            "owner=team-web",
            "--metadata",
            "environment=production",
            "--secret-file",
            v1.to_str().unwrap(),
        ]),
        None,
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let credential: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert!(
        credential.get("secret").is_none(),
        "the secret went to the file, not stdout"
    );
    let id = credential["id"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&v1).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let first = run(
        s(&[
            "introspect",
            "--json",
            "--secret-file",
            v1.to_str().unwrap(),
        ]),
        None,
    )
    .await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        serde_json::from_slice::<Value>(&first.stdout).unwrap()["version"],
        1
    );

    let rotated = run(
        s(&[
            "rotate",
            &id,
            "--mode",
            "overlap",
            "--grace",
            "1h",
            "--if-version",
            "1",
            "--secret-file",
            v2.to_str().unwrap(),
        ]),
        None,
    )
    .await;
    assert!(rotated.status.success(), "{}", stderr(&rotated));

    for (file, version) in [(&v1, 1), (&v2, 2)] {
        let secret = std::fs::read_to_string(file).unwrap();
        let answer = run(s(&["introspect", "--json"]), Some(secret)).await;
        assert!(answer.status.success(), "{}", stderr(&answer));
        assert_eq!(
            serde_json::from_slice::<Value>(&answer.stdout).unwrap()["version"],
            version
        );
    }

    let revoked = run(
        s(&["revoke", &id, "--version", "1", "--reason", "rolled out v2"]),
        None,
    )
    .await;
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let gone = run(
        s(&["introspect", "--secret-file", v1.to_str().unwrap()]),
        None,
    )
    .await;
    assert_eq!(gone.status.code(), Some(3), "an inactive secret exits 3");

    let audit = run(s(&["audit", "--json", "--credential", &id]), None).await;
    let events: Vec<Value> = serde_json::from_slice(&audit.stdout).unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "credential.create",
            "credential.introspect",
            "credential.rotate",
            "credential.introspect",
            "credential.introspect",
            "credential.revoke"
        ]
    );
    let table = run(s(&["audit"]), None).await;
    assert!(stdout(&table).contains("credential.revoke"));
    let secret = std::fs::read_to_string(&v2).unwrap();
    for output in [&created, &rotated, &revoked, &audit, &table] {
        assert!(
            !stdout(output).contains(secret.trim()),
            "a secret was printed"
        );
    }
}

#[tokio::test]
async fn untrustworthy_issuers_are_refused_with_one_line_and_exit_5() {
    let home = tempfile::tempdir().unwrap();
    let public = credctl(
        None,
        home.path(),
        &["discover", "http://issuer.example.com"],
        None,
    )
    .await;
    assert_eq!(public.status.code(), Some(5));
    let message = stderr(&public);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("https"), "{message}");

    // An impostor: a loopback server whose manifest names another issuer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut manifest: Value = serde_json::from_str(include_str!(
        "../../../spec/examples/valid/manifest/native.json"
    ))
    .unwrap();
    manifest["issuer"] = Value::String("https://bank.example.com".into());
    let app = axum::Router::new().fallback(move || {
        let body = manifest.to_string();
        async move { ([("content-type", "application/json")], body) }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let impostor = credctl(None, home.path(), &["discover", &base], None).await;
    assert_eq!(impostor.status.code(), Some(5));
    assert!(stderr(&impostor).contains("bank.example.com"));

    let none = credctl(None, home.path(), &["list"], None).await;
    assert_eq!(none.status.code(), Some(2), "no issuer is a usage error");
}

#[tokio::test]
async fn refusals_and_missing_credentials_have_their_exit_codes() {
    let server = Server::start().await;
    let home = tempfile::tempdir().unwrap();
    let missing = credctl(Some(&server), home.path(), &["get", "cred_missing"], None).await;
    assert_eq!(missing.status.code(), Some(3));
    let unknown = credctl(
        Some(&server),
        home.path(),
        &["create", "--name", "x", "--scope", "nope:read"],
        None,
    )
    .await;
    assert_eq!(unknown.status.code(), Some(4), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("invalid-scope"));
    let usage = credctl(
        Some(&server),
        home.path(),
        &["create", "--scope", "events:read"],
        None,
    )
    .await;
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn named_issuers_take_their_token_from_the_config_file() {
    let server = Server::start().await;
    let home = tempfile::tempdir().unwrap();
    let token_file = home.path().join("token");
    std::fs::write(&token_file, format!("{}\n", server.token)).unwrap();
    std::fs::create_dir_all(home.path().join("credctl")).unwrap();
    std::fs::write(
        home.path().join("credctl/config.toml"),
        format!(
            "default_issuer = \"local\"\n[issuers.local]\nurl = \"{}\"\ntoken_file = \"{}\"\n\n[issuers.cmd]\nurl = \"{}\"\ntoken_command = \"cat {}\"\n",
            server.issuer,
            token_file.display(),
            server.issuer,
            token_file.display()
        ),
    )
    .unwrap();
    let by_default = credctl(None, home.path(), &["list", "--json"], None).await;
    assert!(by_default.status.success(), "{}", stderr(&by_default));
    let by_command = credctl(
        None,
        home.path(),
        &["--issuer", "cmd", "list", "--json"],
        None,
    )
    .await;
    assert!(by_command.status.success(), "{}", stderr(&by_command));
    let unknown = credctl(None, home.path(), &["--issuer", "nowhere", "list"], None).await;
    assert_eq!(unknown.status.code(), Some(2));
}

#[tokio::test]
async fn every_flag_of_every_command_is_described() {
    let home = tempfile::tempdir().unwrap();
    for command in [
        None,
        Some("discover"),
        Some("create"),
        Some("list"),
        Some("get"),
        Some("rotate"),
        Some("revoke"),
        Some("introspect"),
        Some("audit"),
    ] {
        let mut args: Vec<&str> = command.into_iter().collect();
        args.push("-h");
        let help = credctl(None, home.path(), &args, None).await;
        assert!(help.status.success());
        let text = stdout(&help);
        for line in text.lines().filter(|l| l.trim_start().starts_with('-')) {
            let described = line
                .trim_start()
                .split_once("  ")
                .map(|x| x.1)
                .is_some_and(|d| !d.trim().is_empty());
            assert!(
                described,
                "undescribed flag in `credctl {}`: {line}",
                command.unwrap_or("")
            );
        }
    }
}

#[tokio::test]
async fn an_agent_requests_waits_and_collects_once_approved() {
    use credential_issuer_spec::ApiScope;
    let server = Server::start_configured(|config| {
        config.access_requests =
            Some(credential_issuer_server::issuer::policy::AccessPolicy::default());
    })
    .await;
    let minted = credential_issuer_server::lifecycle::mint_token(
        &server.state.context().keys.token_mac,
        "agent",
        [ApiScope::RequestsCreate].into(),
        None,
    );
    server
        .state
        .context()
        .store
        .insert_token(&minted.record)
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let secret_file = home.path().join("agent.secret");
    let agent = tokio::process::Command::new(env!("CARGO_BIN_EXE_credctl"))
        .args([
            "request",
            "--scope",
            "events:read@project:web",
            "--ttl",
            "10m",
            "--reason",
            "look at sign-ups",
            "--wait",
        ])
        .arg("--secret-file")
        .arg(&secret_file)
        .env("XDG_CONFIG_HOME", home.path())
        .env("CREDCTL_ISSUER", &server.issuer)
        .env("CREDCTL_TOKEN", minted.token.expose())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    let mut id = None;
    for _ in 0..100 {
        let listed = credctl(
            Some(&server),
            home.path(),
            &["requests", "list", "--json"],
            None,
        )
        .await;
        let pending: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap_or_default();
        if let Some(first) = pending.first() {
            id = first["id"].as_str().map(str::to_owned);
            break;
        }
        // Waits for the `credctl request --wait` process to have sent its request, not for time.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let id = id.expect("the agent's request appears as pending");
    let approved = credctl(
        Some(&server),
        home.path(),
        &["approve", &id, "--ttl", "5m", "--json"],
        None,
    )
    .await;
    assert!(approved.status.success(), "{}", stderr(&approved));
    assert_eq!(
        serde_json::from_slice::<Value>(&approved.stdout).unwrap()["ttl_seconds"],
        300
    );

    let waited = tokio::time::timeout(std::time::Duration::from_secs(30), agent.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        waited.status.success(),
        "{}",
        String::from_utf8_lossy(&waited.stderr)
    );
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    assert!(!String::from_utf8_lossy(&waited.stdout).contains(secret.trim()));
    let answer = credctl(
        Some(&server),
        home.path(),
        &["introspect", "--json"],
        Some(secret.as_str()),
    )
    .await;
    assert!(answer.status.success(), "{}", stderr(&answer));
    assert_eq!(
        serde_json::from_slice::<Value>(&answer.stdout).unwrap()["scope"][0]["resource"],
        "project:web"
    );
}
