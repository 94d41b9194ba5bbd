//! The vendor admin credentials a shim drives its vendor with, by name.

use std::collections::BTreeMap;

use credential_issuer_spec::Secret;

use super::SetupError;

/// The vendor admin credentials of one backend, by name. `Debug` shows names only.
#[derive(Clone, Default)]
pub struct AdminCredentials {
    values: BTreeMap<String, Secret>,
}

impl std::fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("names", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AdminCredentials {
    /// Credentials given directly (for tests and embedding programs).
    ///
    /// ```
    /// use credential_issuer_server::backends::AdminCredentials;
    /// use credential_issuer_spec::Secret;
    /// let admin = AdminCredentials::new([("admin_key", Secret::new("sk-admin-x".into()))]);
    /// assert!(admin.require("admin_key").is_ok());
    /// assert!(admin.require("other").is_err());
    /// assert!(!format!("{admin:?}").contains("sk-admin-x"));
    /// ```
    pub fn new<'a>(values: impl IntoIterator<Item = (&'a str, Secret)>) -> Self {
        Self {
            values: values
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }
    }

    /// Adds (or replaces) the credential `name`.
    pub fn insert(&mut self, name: String, value: Secret) {
        self.values.insert(name, value);
    }

    /// The credential named `name`, or an error naming what is missing.
    pub fn require(&self, name: &str) -> Result<&Secret, SetupError> {
        self.values
            .get(name)
            .ok_or_else(|| SetupError::MissingCredential(name.to_owned()))
    }

    /// The credential named `name`, if given.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.values.get(name)
    }
}
