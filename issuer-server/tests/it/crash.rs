//! Durability: every create answered 201 survives `kill -9` of the server process, and the audit
//! chain still links after the restart (REQ-ERR-18). Runs the real binary.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use credential_issuer_spec::audit::verify_chain;
use credential_issuer_spec::{AuditEvent, GENESIS_HASH};

struct Process {
    child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &std::path::Path, port: u16, log: &std::path::Path) -> Process {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_credential-issuer-server"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Process { child }
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(reply) = client.get(format!("{base}/readyz")).send().await
            && reply.status().is_success()
        {
            return;
        }
        // Waits for the server process to listen and answer on its socket.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn acknowledged_creates_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("server.log");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start(&data, port, &log);
    wait_ready(&client, &base).await;
    let token = std::fs::read_to_string(data.join("bootstrap-token"))
        .unwrap()
        .trim()
        .to_owned();

    // Four writers create credentials as fast as they can; the server is killed mid-stream,
    // once it has acknowledged `BEFORE_KILL` creates (each acknowledgement adds a permit).
    const BEFORE_KILL: u32 = 40;
    let acknowledgements = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let acknowledgements = acknowledgements.clone();
        writers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0.. {
                let body = serde_json::json!({ "type": "api_key", "name": format!("w{writer}-{i}"),
                    "scope": [{ "permission": "events:read" }] });
                let sent = client
                    .post(format!("{base}/credential-issuer/credentials"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(reply) if reply.status() == 201 => {
                        if let Ok(json) = reply.json::<serde_json::Value>().await {
                            acknowledged.push(json["id"].as_str().unwrap().to_owned());
                            acknowledgements.add_permits(1);
                        }
                    }
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::timeout(
        Duration::from_secs(60),
        acknowledgements.acquire_many(BEFORE_KILL),
    )
    .await
    .expect("the server acknowledged creates")
    .unwrap()
    .forget();
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() > 10,
        "only {} creates before the kill",
        acknowledged.len()
    );
    drop(server);

    let mut restarted = start(&data, port, &log);
    wait_ready(&client, &base).await;
    let mut stored = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/credential-issuer/credentials?limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: serde_json::Value = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stored.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged creates lost: {lost:?}",
        lost.len()
    );

    let mut events: Vec<AuditEvent> = Vec::new();
    let mut after = 0;
    loop {
        let page: serde_json::Value = client
            .get(format!(
                "{base}/credential-issuer/audit?after_seq={after}&limit=200"
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items: Vec<AuditEvent> = serde_json::from_value(page["items"].clone()).unwrap();
        let Some(last) = items.last() else { break };
        after = last.seq;
        events.extend(items);
    }
    let (seq, _) = verify_chain(&events, 0, GENESIS_HASH).expect("the chain links after the crash");
    assert!(seq as usize >= acknowledged.len());

    // SIGTERM stops the server gracefully, with a successful exit.
    let pid = restarted.child.id().to_string();
    let signalled = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(signalled.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = restarted.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        // Waits for the server process to exit.
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit after SIGTERM: {status}");

    // The server's own log never holds the token.
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(!log_text.contains(&token));
    assert!(log_text.contains("shutting down"));
}
