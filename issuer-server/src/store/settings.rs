//! Which store a server opens: SQLite in the data directory (the default) or the PostgreSQL
//! database named by `--database-url`. The URL is parsed once into a [`DatabaseUrl`]; its
//! password never reaches a log line or an error message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use super::postgres::{PoolSettings, PostgresStore};
use super::sqlite::{DATABASE_FILE, SqliteStore};
use super::{Store, StoreError};

/// A database URL, parsed: which store, and where.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://` or `postgresql://`: a PostgreSQL database (the URL kept whole, password
    /// included, for connecting; `Debug` and `Display` redact the password).
    Postgres(url::Url),
    /// `sqlite://<path>`: an SQLite file elsewhere than in the data directory.
    Sqlite(PathBuf),
}

/// Why a database URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseUrlError {
    /// Not a URL at all.
    #[error("the database URL is not a URL")]
    NotAUrl,
    /// A scheme no store serves.
    #[error("unsupported database URL scheme {0:?} (use postgres:// or sqlite://)")]
    UnsupportedScheme(String),
    /// `sqlite://` without a path.
    #[error("a sqlite:// URL needs a file path")]
    NoPath,
}

impl FromStr for DatabaseUrl {
    type Err = DatabaseUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(text).map_err(|_| DatabaseUrlError::NotAUrl)?;
        match url.scheme() {
            "postgres" | "postgresql" => Ok(Self::Postgres(url)),
            "sqlite" => {
                let path = text
                    .strip_prefix("sqlite://")
                    .or_else(|| text.strip_prefix("sqlite:"))
                    .unwrap_or_default();
                if path.is_empty() {
                    Err(DatabaseUrlError::NoPath)
                } else {
                    Ok(Self::Sqlite(PathBuf::from(path)))
                }
            }
            other => Err(DatabaseUrlError::UnsupportedScheme(other.to_owned())),
        }
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = DatabaseUrlError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl<'de> serde::Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for DatabaseUrl {
    /// The whole URL, password included, for the configuration layers only: never log it.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.expose())
    }
}

impl DatabaseUrl {
    /// The URL with its password, for connecting only: never log or show it.
    fn expose(&self) -> String {
        match self {
            Self::Postgres(url) => url.as_str().to_owned(),
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    /// The URL with any password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(url) => {
                let mut shown = url.clone();
                if shown.password().is_some() {
                    // Setting a password fails only for URLs that cannot have one.
                    let _ = shown.set_password(Some("***"));
                }
                // Query parameters may carry a password too (`?password=`): leave them out.
                shown.set_query(None);
                f.write_str(shown.as_str())
            }
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Where the store is and how to connect to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSettings {
    /// The database; `None` for SQLite in the data directory.
    pub url: Option<DatabaseUrl>,
    /// Pool and session settings (PostgreSQL).
    pub pool: PoolSettings,
}

impl StoreSettings {
    /// Where the data lives, for a log line (no password).
    pub fn describe(&self, data_dir: &Path) -> String {
        match &self.url {
            Some(url) => url.to_string(),
            None => format!("sqlite://{}", data_dir.join(DATABASE_FILE).display()),
        }
    }
}

/// Opens the store `settings` name (SQLite in `data_dir` by default), applying its migrations.
pub async fn open(settings: &StoreSettings, data_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    match &settings.url {
        None => Ok(Arc::new(
            SqliteStore::open(&data_dir.join(DATABASE_FILE)).await?,
        )),
        Some(DatabaseUrl::Sqlite(path)) => Ok(Arc::new(SqliteStore::open(path).await?)),
        Some(url @ DatabaseUrl::Postgres(_)) => Ok(Arc::new(
            PostgresStore::open(&url.expose(), &settings.pool).await?,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{DatabaseUrl, DatabaseUrlError};

    #[test]
    fn the_password_is_never_shown() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.internal:5432/issuer?password=s3cret"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{url} {url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://app:***@db.internal:5432/issuer"),
            "{shown}"
        );
    }

    #[test]
    fn schemes_are_parsed_once_into_a_store() {
        assert!(matches!(
            "postgresql://localhost/x".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            "sqlite:///var/lib/issuer.db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Sqlite("/var/lib/issuer.db".into()))
        );
        assert_eq!(
            "mysql://localhost/x".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::UnsupportedScheme("mysql".into()))
        );
        assert_eq!(
            "nope".parse::<DatabaseUrl>(),
            Err(DatabaseUrlError::NotAUrl)
        );
    }
}
