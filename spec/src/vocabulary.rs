//! Open vocabularies of the manifest: credential types, operations and authentication methods.
//!
//! The spec lets issuers and later versions add values, so readers keep values they do not know
//! (REQ-MAN-* on unknown values) instead of failing; known values are typed variants.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an open vocabulary: known values as variants, anything else kept verbatim.
macro_rules! open_vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $schema_name:literal, $description:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept as it was received.
            Other(String),
        }

        impl $name {
            /// Every value this crate knows, in wire order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = Cow::<str>::deserialize(deserializer)?;
                if !is_vocabulary_token(&value) {
                    return Err(serde::de::Error::custom(format!(
                        "{:?} is not a valid {} (lowercase letters, digits and _)",
                        value, $schema_name
                    )));
                }
                Ok($name::from(value.as_ref()))
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                $schema_name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "pattern": VOCABULARY_PATTERN,
                    "description": $description,
                    "examples": [$($wire),+]
                })
            }
        }
    };
}

/// The shape of every vocabulary value: a lowercase token.
pub const VOCABULARY_PATTERN: &str = "^[a-z][a-z0-9_]{0,63}$";

fn is_vocabulary_token(value: &str) -> bool {
    let mut chars = value.chars();
    matches!(chars.next(), Some('a'..='z'))
        && value.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

open_vocabulary! {
    /// A kind of credential an issuer mints (`supported_credential_types`, `type` of a credential).
    CredentialType, "CredentialType",
    "A kind of credential. Open vocabulary: readers keep values they do not know." {
        /// `access_key`: a key pair identifier plus secret (AWS IAM style).
        AccessKey => "access_key",
        /// `api_key`: a bearer secret presented to an API.
        ApiKey => "api_key",
        /// `oauth_client`: an OAuth client secret.
        OauthClient => "oauth_client",
        /// `service_account`: a secret bound to a non-human account.
        ServiceAccount => "service_account",
        /// `webhook_secret`: a secret that signs or authenticates webhook deliveries.
        WebhookSecret => "webhook_secret",
    }
}

open_vocabulary! {
    /// An operation an issuer offers (`supported_operations`).
    Operation, "Operation",
    "An operation of the protocol. Open vocabulary: readers ignore values they do not know." {
        /// `approve`: decide access requests.
        Approve => "approve",
        /// `audit`: read the audit log and its checkpoint.
        Audit => "audit",
        /// `create`: mint a credential.
        Create => "create",
        /// `introspect`: map a secret to its credential.
        Introspect => "introspect",
        /// `list`: list and get credentials.
        List => "list",
        /// `report_exposure`: report leaked secrets.
        ReportExposure => "report_exposure",
        /// `request`: agent access requests.
        Request => "request",
        /// `revoke`: revoke a credential or a version.
        Revoke => "revoke",
        /// `rotate`: replace a credential's secret.
        Rotate => "rotate",
    }
}

open_vocabulary! {
    /// How a caller authenticates to the issuer's operations (`auth_methods`).
    AuthMethod, "AuthMethod",
    "A caller authentication method. Open vocabulary: readers ignore values they do not know." {
        /// `bearer`: an issuer-API bearer token (RFC 6750).
        Bearer => "bearer",
        /// `private_key_jwt`: an RFC 7523 client assertion signed with a registered key.
        PrivateKeyJwt => "private_key_jwt",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept() {
        let op: Operation = serde_json::from_str("\"teleport\"").unwrap();
        assert_eq!(op, Operation::Other("teleport".into()));
        assert_eq!(serde_json::to_string(&op).unwrap(), "\"teleport\"");
    }

    #[test]
    fn known_values_are_typed() {
        let op: Operation = serde_json::from_str("\"report_exposure\"").unwrap();
        assert_eq!(op, Operation::ReportExposure);
    }

    #[test]
    fn malformed_values_are_refused() {
        assert!(serde_json::from_str::<CredentialType>("\"API Key\"").is_err());
        assert!(serde_json::from_str::<CredentialType>("\"\"").is_err());
    }
}
