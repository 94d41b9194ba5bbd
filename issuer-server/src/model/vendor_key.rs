//! The vendor's handle on one key: what a shim needs to find the key again at the vendor.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The vendor's handle on one version's key: what `Backend::retire` needs to find it again.
/// Stored with the version; never secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorKey {
    /// The vendor's identifier of the key (an AWS access key id, an OpenAI key id); served as
    /// the version's `key_id`.
    pub id: String,
    /// Whatever else the backend needs to address the key (the IAM user, the OpenAI project),
    /// by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

impl VendorKey {
    /// A key with only an id.
    ///
    /// ```
    /// use credential_issuer_server::model::VendorKey;
    /// let key = VendorKey::new("AKIAEXAMPLE").with("user_name", "ci");
    /// assert_eq!(key.attribute("user_name"), Some("ci"));
    /// ```
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            attributes: BTreeMap::new(),
        }
    }

    /// The key with one more attribute.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attributes.insert(name.to_owned(), value.into());
        self
    }

    /// One attribute.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }
}
