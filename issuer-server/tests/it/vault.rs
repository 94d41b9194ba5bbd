//! A vendor admin credential given to the server is stored only as a JWE: no file of the data
//! directory holds it in plain text, and it opens only with the key-encryption key.

use std::process::Command;

use credential_issuer_server::crypto::vault::Vault;
use credential_issuer_server::store::StoreSettings;

use crate::harness::TestServer;

#[tokio::test]
async fn vendor_credentials_are_sealed_at_rest() {
    let server = TestServer::start().await;
    let data = server.data_dir();
    let plaintext = "sk-admin-0123456789abcdefghijklmnopqrstuvwxyz";
    let issuer = "https://gw.example.com/openai";
    let mut set = Command::new(env!("CARGO_BIN_EXE_credential-issuer-server"));
    if let Some(url) = server.database_url() {
        set.env("CREDENTIAL_ISSUER_DATABASE_URL", url);
    }
    let set = set
        .args([
            "vendor-credential",
            "set",
            "--issuer",
            issuer,
            "--name",
            "admin_key",
            "--from-env",
            "VENDOR_KEY",
            "--data-dir",
        ])
        .arg(&data)
        .env("VENDOR_KEY", plaintext)
        .env_remove("CREDENTIAL_ISSUER_KEK")
        .output()
        .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    assert!(!String::from_utf8_lossy(&set.stderr).contains(plaintext));

    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes
                .windows(plaintext.len())
                .any(|w| w == plaintext.as_bytes()),
            "{} holds the credential",
            path.display()
        );
    }

    let settings = StoreSettings {
        url: server.database_url().map(|url| url.parse().unwrap()),
        ..StoreSettings::default()
    };
    let store = credential_issuer_server::store::open(&settings, &data)
        .await
        .unwrap();
    let jwe = store
        .vendor_credential(issuer, "admin_key")
        .await
        .unwrap()
        .unwrap();
    let header: serde_json::Value = {
        use base64::Engine;
        let part = jwe.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["alg"], "dir");
    assert_eq!(header["enc"], "A256GCM");
    assert_eq!(
        Vault::load_or_create(&data)
            .unwrap()
            .open(issuer, "admin_key", &jwe)
            .unwrap(),
        plaintext
    );

    let mut list = Command::new(env!("CARGO_BIN_EXE_credential-issuer-server"));
    if let Some(url) = server.database_url() {
        list.env("CREDENTIAL_ISSUER_DATABASE_URL", url);
    }
    let list = list
        .args([
            "vendor-credential",
            "list",
            "--issuer",
            issuer,
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listed.trim(), "admin_key");
    assert!(!listed.contains(plaintext));
}
