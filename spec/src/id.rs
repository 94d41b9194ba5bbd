//! Opaque identifiers chosen by the issuer (spec §"Identifiers").

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The pattern every opaque identifier matches: safe in a URL path segment without escaping.
pub const OPAQUE_ID_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$";

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a valid identifier: 1 to 128 characters of [A-Za-z0-9_.-], starting with a letter or digit"
)]
pub struct IdError;

fn is_opaque_id(value: &str) -> bool {
    let mut chars = value.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && value.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

macro_rules! opaque_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The identifier as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if is_opaque_id(s) { Ok(Self(s.to_owned())) } else { Err(IdError) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Cow::<str>::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "pattern": OPAQUE_ID_PATTERN })
            }
        }
    };
}

opaque_id! {
    /// A credential's identifier, chosen by the issuer (a shim uses the vendor's key id).
    ///
    /// ```
    /// use credential_issuer_spec::CredentialId;
    /// assert!("cred_01jd5x".parse::<CredentialId>().is_ok());
    /// assert!("../etc".parse::<CredentialId>().is_err());
    /// ```
    CredentialId
}

opaque_id! {
    /// An access request's identifier.
    AccessRequestId
}

opaque_id! {
    /// An exposure report's identifier.
    ExposureId
}
