//! A real `moto_server` (PyPI `moto[server]==5.2.5`), the AWS emulator the shims are tested
//! against, one per test on a free loopback port and killed on drop. It verifies SigV4 and IAM
//! policy after `INITIAL_NO_AUTH_ACTION_COUNT=3` unauthenticated calls, which `moto_rig.py`
//! spends making the admin user, its allow-all policy and its access key. Its state is read
//! back with boto3 (AWS's own SDK), never through our code.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::{Child, Command};

// Relative to the workspace, so that the client's tests can use this module too.
const RIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../issuer-server/tests/it/aws/moto_rig.py"
);

/// A running moto server and the admin key it accepts.
pub(crate) struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT/`.
    pub(crate) endpoint: String,
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
}

/// Whether moto and boto3 are installed.
pub(crate) async fn installed() -> bool {
    let moto_server = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    let boto3 = Command::new("python3")
        .args(["-c", "import boto3, moto"])
        .status()
        .await
        .is_ok_and(|s| s.success());
    moto_server && boto3
}

impl Moto {
    /// Starts moto with the IAM users `users`; fails the test `test` when moto is not
    /// installed.
    pub(crate) async fn start(test: &str, users: &[&str]) -> Self {
        assert!(
            installed().await,
            "{test}: moto is not installed (python3 -m pip install \"moto[server]==5.2.5\")"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let endpoint = format!("http://127.0.0.1:{port}/");
        let mut up = false;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                up = true;
                break;
            }
            // Waits for the moto_server process to listen on its socket.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "moto_server did not start on port {port}");
        let mut args = vec!["bootstrap", endpoint.as_str()];
        args.extend_from_slice(users);
        let admin: Value = serde_json::from_str(&rig(&args, None).await.unwrap()).unwrap();
        Self {
            child,
            endpoint,
            access_key_id: admin["access_key_id"].as_str().unwrap().to_owned(),
            secret_access_key: admin["secret_access_key"].as_str().unwrap().to_owned(),
        }
    }

    /// The user's access keys as moto lists them: (id, status).
    pub(crate) async fn keys(&self, user: &str) -> Vec<(String, String)> {
        let out = rig(&["keys", &self.endpoint, user], Some(self))
            .await
            .unwrap();
        let keys: Vec<Value> = serde_json::from_str(&out).unwrap();
        keys.iter()
            .map(|k| {
                (
                    k["id"].as_str().unwrap().to_owned(),
                    k["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// The ids of the user's keys.
    pub(crate) async fn key_ids(&self, user: &str) -> Vec<String> {
        let mut ids: Vec<String> = self.keys(user).await.into_iter().map(|k| k.0).collect();
        ids.sort();
        ids
    }

    /// Makes a key for `user` as a person in the console would; its id.
    pub(crate) async fn create_key(&self, user: &str) -> String {
        rig(&["create-key", &self.endpoint, user], Some(self))
            .await
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Makes an IAM group.
    pub(crate) async fn create_group(&self, group: &str) {
        rig(&["create-group", &self.endpoint, group], Some(self))
            .await
            .unwrap();
    }

    /// The group's users and their access key ids.
    pub(crate) async fn group(&self, group: &str) -> BTreeMap<String, Vec<String>> {
        let out = rig(&["group", &self.endpoint, group], Some(self))
            .await
            .unwrap();
        serde_json::from_str(&out).unwrap()
    }

    /// Whether moto accepts requests signed with this key pair.
    pub(crate) async fn accepts(&self, access_key_id: &str, secret: &str) -> bool {
        rig(&["works", &self.endpoint, access_key_id, secret], None)
            .await
            .is_ok()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Runs `moto_rig.py args`, signed with `admin`'s key where given; its output, or its error.
async fn rig(args: &[&str], admin: Option<&Moto>) -> Result<String, String> {
    let mut command = Command::new("python3");
    command.arg(RIG).args(args);
    if let Some(admin) = admin {
        command
            .env("AWS_ACCESS_KEY_ID", &admin.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &admin.secret_access_key);
    }
    let out = command.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
    }
}
