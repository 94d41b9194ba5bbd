//! PostgreSQL for tests: a fresh database per test on the server named by
//! `CREDENTIAL_ISSUER_TEST_POSTGRES_URL` (default: the machine's server,
//! `postgres://postgres@127.0.0.1:5432/test`), created as `ci_<uuid>` and dropped afterwards.
//!
//! Tests that need PostgreSQL are `#[ignore]`d with the reason, so that `cargo test` reports
//! them as ignored; `cargo test -- --ignored` (as CI runs) runs them, and then a missing server
//! is a failure.

use std::str::FromStr;

use credential_issuer_server::store::DatabaseUrl;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The server to create test databases on.
pub(crate) fn server_url() -> String {
    std::env::var("CREDENTIAL_ISSUER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether the integration tests run their servers on PostgreSQL instead of SQLite
/// (`CREDENTIAL_ISSUER_TEST_STORE=postgres`).
pub(crate) fn servers_on_postgres() -> bool {
    std::env::var("CREDENTIAL_ISSUER_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// A database that exists for one test.
#[derive(Debug)]
pub(crate) struct TestDatabase {
    name: String,
    url: url::Url,
}

impl TestDatabase {
    /// Creates a fresh, empty database; fails the test when no server answers.
    pub(crate) async fn create() -> Self {
        let base = url::Url::parse(&server_url()).expect("CREDENTIAL_ISSUER_TEST_POSTGRES_URL");
        let shown = DatabaseUrl::from_str(base.as_str())
            .map(|u| u.to_string())
            .unwrap_or_default();
        let mut admin = PgConnection::connect(base.as_str())
            .await
            .unwrap_or_else(|error| panic!("no PostgreSQL at {shown}: {error}"));
        let name = format!("ci_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = admin.close().await;
        let mut url = base;
        url.set_path(&format!("/{name}"));
        Self { name, url }
    }

    /// The database's URL.
    pub(crate) fn url(&self) -> DatabaseUrl {
        DatabaseUrl::from_str(self.url.as_str()).expect("a postgres:// URL")
    }

    /// The database's URL, as text (for the command line of a server process).
    pub(crate) fn url_text(&self) -> String {
        self.url.as_str().to_owned()
    }

    /// A connection pool to the database, for tests that look at or change rows directly.
    pub(crate) async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(self.url.as_str()).await.unwrap()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let base = server_url();
        let name = self.name.clone();
        // Drop may run inside a runtime, which cannot block: drop the database from a thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&base)
                    .await
                    .map_err(std::io::Error::other)?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await
                .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}
