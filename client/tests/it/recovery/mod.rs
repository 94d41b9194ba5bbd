//! Recovery (issue 9): the inventory, scan, blast radius and `credctl recover`, run as the real
//! binary against the real server on 127.0.0.1 with SQLite stores. Two issuers: the native one
//! and the aws-iam shim over a real moto (each credential an IAM user of its own), hosted by the
//! same server's gateway.

mod crash;
mod e2e;
mod failing_check;
mod immediate;
mod inventory;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use credential_issuer_client::{Client, Issuer};
use credential_issuer_server::config::ServerConfig;
use credential_issuer_server::gateway::{CredentialSource, HostedIssuer};
use credential_issuer_spec::operations::create::CreateRequest;
use credential_issuer_spec::{AuditAction, CredentialId, Secret};
use futures_util::TryStreamExt;

use crate::server::Server;

#[path = "../../../../issuer-server/tests/it/aws/moto.rs"]
#[allow(
    dead_code,
    reason = "the server's moto harness, of which these tests use a part"
)]
mod moto;

use moto::Moto;

/// The IAM group whose users are the aws-iam issuer's credentials.
const GROUP: &str = "recovery";

/// The second issuer: the aws-iam shim over `moto`, in group mode (each credential an IAM user
/// of its own, so that 50 credentials do not meet IAM's two keys per user). Without moto (and
/// without `CREDENTIAL_ISSUER_REQUIRE_VENDOR_RIGS=1`, which makes that a failure) a native
/// backend stands in. Returns the path below the server's URL.
pub(crate) fn second_issuer(
    config: &mut ServerConfig,
    dir: &Path,
    moto: Option<&Moto>,
) -> &'static str {
    let Some(moto) = moto else {
        config.issuers.push(HostedIssuer {
            path: "second".into(),
            backend: "native".into(),
            settings: toml::from_str("secret_prefix = \"cis_\"").unwrap(),
            credentials: BTreeMap::new(),
        });
        return "second";
    };
    let (id_file, secret_file) = (dir.join("aws-key-id"), dir.join("aws-secret"));
    std::fs::write(&id_file, &moto.access_key_id).unwrap();
    std::fs::write(&secret_file, &moto.secret_access_key).unwrap();
    config.issuers.push(HostedIssuer {
        path: "aws-iam".into(),
        backend: "aws-iam".into(),
        settings: toml::from_str(&format!(
            "group_name = \"{GROUP}\"\nendpoint_url = \"{}\"",
            moto.endpoint
        ))
        .unwrap(),
        credentials: BTreeMap::from([
            ("access_key_id".into(), CredentialSource::File(id_file)),
            (
                "secret_access_key".into(),
                CredentialSource::File(secret_file),
            ),
        ]),
    });
    "aws-iam"
}

/// The server with both issuers, and a project directory.
pub(crate) struct Project {
    pub(crate) server: Server,
    pub(crate) issuers: Vec<Issuer>,
    pub(crate) dir: tempfile::TempDir,
    home: tempfile::TempDir,
    /// The AWS emulator behind the second issuer, when it is the aws-iam shim.
    pub(crate) moto: Option<Moto>,
}

/// One credential made for a test, with where it lives.
#[derive(Debug, Clone)]
pub(crate) struct Made {
    pub(crate) issuer: usize,
    pub(crate) id: CredentialId,
    pub(crate) env: String,
    pub(crate) env_file: String,
    pub(crate) secret: Secret,
}

impl Project {
    pub(crate) async fn start() -> Self {
        let moto = if moto::installed().await {
            Some(Moto::start("recovery", &[]).await)
        } else {
            // A degraded run, said on the test's output; CI requires moto.
            assert!(
                std::env::var("CREDENTIAL_ISSUER_REQUIRE_VENDOR_RIGS").as_deref() != Ok("1"),
                "moto is not installed and CREDENTIAL_ISSUER_REQUIRE_VENDOR_RIGS=1"
            );
            println!("moto is not installed: the second issuer is a native one, not aws-iam");
            None
        };
        if let Some(moto) = &moto {
            moto.create_group(GROUP).await;
        }
        let secrets = tempfile::tempdir().unwrap();
        let mut path = "";
        let server = Server::start_configured(|config| {
            path = second_issuer(config, secrets.path(), moto.as_ref());
        })
        .await;
        let urls = [server.issuer.clone(), format!("{}/{path}", server.issuer)];
        let mut issuers = Vec::new();
        for url in urls {
            let issuer = Client::new()
                .discover(&url)
                .await
                .unwrap()
                .with_token(Secret::new(server.token.clone()));
            issuers.push(issuer);
        }
        Self {
            server,
            issuers,
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            moto,
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn url(&self, issuer: usize) -> &str {
        self.issuers[issuer].manifest().issuer.as_str()
    }

    /// Makes `count` credentials alternating between the issuers, each in one of `env_files`
    /// and a command target, with a health check; writes the `.env` files and the inventory.
    /// `failing` credentials (by index) get a health check that fails.
    pub(crate) async fn make(
        &self,
        count: usize,
        env_files: usize,
        failing: &[usize],
    ) -> Vec<Made> {
        std::fs::create_dir_all(self.path("installed")).unwrap();
        let mut made = Vec::new();
        let mut inventory = String::new();
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        for n in 0..count {
            let issuer = n % self.issuers.len();
            let credential_type =
                self.issuers[issuer].manifest().supported_credential_types[0].clone();
            let request = CreateRequest::new(
                credential_type,
                format!("service {n}").parse().unwrap(),
                vec!["events:read".parse().unwrap()],
            );
            let issued = self.issuers[issuer].create(&request).await.unwrap();
            let env = format!("KEY_{n}");
            let env_file = format!(".env.{}", n % env_files);
            files
                .entry(env_file.clone())
                .or_default()
                .push_str(&format!("{env}={}\n", issued.secret.expose()));
            let check = if failing.contains(&n) {
                "exit 1".to_owned()
            } else {
                format!(
                    "grep -qx \"{env}=${env}\" {env_file} && test \"$(cat installed/{env})\" = \"${env}\""
                )
            };
            // The command target replaces its file in one step, as a real one must: a
            // `cat > file` killed with credctl would leave the file empty.
            inventory.push_str(&format!(
                r#"
[[credential]]
issuer = "{url}"
id = "{id}"
env = "{env}"
targets = [
  {{ kind = "env_file", path = "{env_file}" }},
  {{ kind = "command", command = "cat > installed/.$CREDCTL_SECRET_NAME.new && mv installed/.$CREDCTL_SECRET_NAME.new installed/$CREDCTL_SECRET_NAME" }},
]
health = [{{ kind = "command", command = '{check}' }}]
"#,
                url = self.url(issuer),
                id = issued.credential.id,
            ));
            std::fs::write(
                self.path(&format!("installed/{env}")),
                issued.secret.expose(),
            )
            .unwrap();
            made.push(Made {
                issuer,
                id: issued.credential.id.clone(),
                env,
                env_file,
                secret: issued.secret.clone(),
            });
        }
        let mut leak = String::new();
        for (name, text) in &files {
            std::fs::write(self.path(name), text).unwrap();
            leak.push_str(text);
        }
        std::fs::write(self.path("credentials.toml"), inventory).unwrap();
        std::fs::write(self.path("leak.txt"), leak).unwrap();
        made
    }

    /// `credctl ARGS` in the project directory with both issuers' token.
    pub(crate) fn credctl(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_credctl"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("NO_COLOR", "1")
            .env_remove("CREDCTL_CONFIG")
            .env("CREDCTL_ISSUER", &self.server.issuer)
            .env("CREDCTL_TOKEN", &self.server.token)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    }

    pub(crate) async fn run(&self, args: &[&str]) -> Output {
        self.credctl(args).output().await.unwrap()
    }

    /// What the `.env` file of `made` holds for it now.
    pub(crate) fn env_value(&self, made: &Made) -> String {
        let text = std::fs::read_to_string(self.path(&made.env_file)).unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{}=", made.env)))
            .unwrap()
            .to_owned()
    }

    /// What the command target received for it last.
    pub(crate) fn installed_value(&self, made: &Made) -> String {
        std::fs::read_to_string(self.path(&format!("installed/{}", made.env))).unwrap()
    }

    /// (active, version) of `secret` at the credential's issuer.
    pub(crate) async fn introspect(&self, made: &Made, secret: &str) -> (bool, Option<u32>) {
        let answer = self.issuers[made.issuer]
            .introspect(&Secret::new(secret.to_owned()))
            .await
            .unwrap();
        if answer.active {
            assert_eq!(answer.credential_id.as_ref(), Some(&made.id));
        }
        (answer.active, answer.version)
    }

    /// How many audit events of `action` each credential of issuer `issuer` has.
    pub(crate) async fn audit_counts(
        &self,
        issuer: usize,
        action: AuditAction,
    ) -> BTreeMap<CredentialId, usize> {
        let events: Vec<_> = self.issuers[issuer]
            .audit(Default::default())
            .try_collect()
            .await
            .unwrap();
        let mut counts = BTreeMap::new();
        for event in events {
            if event.action == action
                && let Some(id) = event.credential_id
            {
                *counts.entry(id).or_default() += 1;
            }
        }
        counts
    }
}

pub(crate) fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub(crate) fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("not JSON: {}", text(output)))
}

/// Every journal file's mode is 0600 and its directory's 0700.
pub(crate) fn assert_journal_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let journal = dir.join(".credctl/journal");
    assert_eq!(
        std::fs::metadata(&journal).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for entry in std::fs::read_dir(&journal).unwrap().flatten() {
        if entry.path().is_file() {
            assert_eq!(
                entry.metadata().unwrap().permissions().mode() & 0o777,
                0o600,
                "{}",
                entry.path().display()
            );
        }
    }
}
