//! Grants, scopes and scope containment (spec §"Scope containment").
//!
//! A scope is a list of grants; a grant names a permission and optionally one resource. With the
//! `implies` relation closed transitively, "scope A is within scope B" is decidable: that is how an
//! issuer refuses escalation and how a client spots an over-broad credential.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::permissions::{Access, PermissionId, PermissionSchema};

/// One grant: a permission, on one resource or (without `resource`) on every resource.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The permission granted.
    pub permission: PermissionId,
    /// The resource it is limited to; absent means every resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

impl Grant {
    /// A grant of `permission` on every resource.
    pub fn everywhere(permission: PermissionId) -> Self {
        Self {
            permission,
            resource: None,
        }
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.resource {
            Some(resource) => write!(f, "{}@{}", self.permission, resource),
            None => write!(f, "{}", self.permission),
        }
    }
}

/// Parses the `permission[@resource]` notation used by tools.
///
/// ```
/// use credential_issuer_spec::Grant;
/// let g: Grant = "events:read@project:web".parse().unwrap();
/// assert_eq!(g.resource.unwrap().as_str(), "project:web");
/// ```
impl std::str::FromStr for Grant {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (permission, resource) = match s.split_once('@') {
            Some((p, r)) => (p, Some(r.parse()?)),
            None => (s, None),
        };
        let permission = permission
            .parse()
            .map_err(|_| ScopeError::MalformedPermission(permission.to_owned()))?;
        Ok(Self {
            permission,
            resource,
        })
    }
}

/// A resource: `<resource type>:<name>`, where a name ending in `*` covers every name with
/// that prefix.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource(String);

/// The pattern of [`Resource`].
pub const RESOURCE_PATTERN: &str = r"^[a-z][a-z0-9_-]{0,63}:[!-)+-~]{0,447}\*?$";

impl Resource {
    /// The resource as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The resource type, the part before the first `:`.
    pub fn type_id(&self) -> &str {
        self.0.split_once(':').map_or("", |(t, _)| t)
    }

    /// The name, the part after the first `:` (with any trailing `*`).
    pub fn name(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, n)| n)
    }

    /// The prefix this resource covers when it ends in `*`.
    pub fn wildcard_prefix(&self) -> Option<&str> {
        self.0.strip_suffix('*')
    }

    /// Whether everything this resource names is also named by `outer`.
    pub fn is_within(&self, outer: &Resource) -> bool {
        match outer.wildcard_prefix() {
            Some(prefix) => self.0.starts_with(prefix),
            None => self == outer,
        }
    }
}

impl std::str::FromStr for Resource {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || ScopeError::MalformedResource(s.to_owned());
        let (type_id, name) = s.split_once(':').ok_or_else(malformed)?;
        let type_ok = matches!(type_id.chars().next(), Some('a'..='z'))
            && type_id.len() <= 64
            && type_id
                .chars()
                .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'));
        let body = name.strip_suffix('*').unwrap_or(name);
        let name_ok = body.len() <= 447 && body.chars().all(|c| c.is_ascii_graphic() && c != '*');
        if type_ok && name_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(malformed())
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<str>::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Resource {
    fn schema_name() -> Cow<'static, str> {
        "Resource".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": RESOURCE_PATTERN,
            "description": "<resource type>:<name>; a trailing * covers every name with that prefix."
        })
    }
}

/// Why a scope is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// A scope must hold at least one grant.
    #[error("a scope must hold at least one grant")]
    Empty,
    /// The permission is not a well-formed identifier.
    #[error("{0:?} is not a well-formed permission identifier")]
    MalformedPermission(String),
    /// The resource is not `<type>:<name>`.
    #[error("{0:?} is not a resource of the form <type>:<name>")]
    MalformedResource(String),
    /// The permission is not in the issuer's permission schema.
    #[error("unknown permission {0:?}")]
    UnknownPermission(String),
    /// The resource's type is not in the permission schema.
    #[error("unknown resource type {0:?}")]
    UnknownResourceType(String),
    /// The resource's name does not match its type's pattern.
    #[error("resource {0:?} does not match the pattern of its type")]
    InvalidResourceName(String),
}

/// Why a permission schema cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PermissionSchemaError {
    /// Two permissions share an id.
    #[error("permission {0:?} is defined twice")]
    DuplicatePermission(String),
    /// A permission implies one that is not defined.
    #[error("permission {from:?} implies undefined permission {to:?}")]
    DanglingImplies {
        /// The permission whose `implies` is wrong.
        from: String,
        /// The undefined permission it names.
        to: String,
    },
    /// A resource type's pattern is not a valid regular expression.
    #[error("resource type {0:?} has an invalid pattern")]
    InvalidPattern(String),
}

/// A permission schema prepared for containment checks: `implies` closed transitively and
/// resource patterns compiled. Build it once with [`PermissionSchema::index`].
#[derive(Debug, Clone)]
pub struct PermissionIndex {
    closure: BTreeMap<PermissionId, BTreeSet<PermissionId>>,
    access: BTreeMap<PermissionId, Access>,
    resource_patterns: BTreeMap<String, regex::Regex>,
}

impl PermissionSchema {
    /// Checks the schema and closes `implies` transitively.
    pub fn index(&self) -> Result<PermissionIndex, PermissionSchemaError> {
        let mut direct: BTreeMap<PermissionId, Vec<PermissionId>> = BTreeMap::new();
        let mut access = BTreeMap::new();
        for permission in &self.permissions {
            if direct
                .insert(permission.id.clone(), permission.implies.clone())
                .is_some()
            {
                return Err(PermissionSchemaError::DuplicatePermission(
                    permission.id.to_string(),
                ));
            }
            access.insert(permission.id.clone(), permission.access);
        }
        for permission in &self.permissions {
            if let Some(missing) = permission.implies.iter().find(|p| !direct.contains_key(*p)) {
                return Err(PermissionSchemaError::DanglingImplies {
                    from: permission.id.to_string(),
                    to: missing.to_string(),
                });
            }
        }
        let closure = direct
            .keys()
            .map(|start| {
                let mut seen = BTreeSet::from([start.clone()]);
                let mut stack = vec![start.clone()];
                while let Some(next) = stack.pop() {
                    for implied in direct.get(&next).into_iter().flatten() {
                        if seen.insert(implied.clone()) {
                            stack.push(implied.clone());
                        }
                    }
                }
                (start.clone(), seen)
            })
            .collect();
        let mut resource_patterns = BTreeMap::new();
        for resource_type in &self.resource_types {
            let anchored = format!("^(?:{})$", resource_type.pattern);
            let regex = regex::Regex::new(&anchored)
                .map_err(|_| PermissionSchemaError::InvalidPattern(resource_type.id.clone()))?;
            resource_patterns.insert(resource_type.id.clone(), regex);
        }
        Ok(PermissionIndex {
            closure,
            access,
            resource_patterns,
        })
    }
}

impl PermissionIndex {
    /// Whether holding `held` grants `wanted` (reflexive, transitive through `implies`).
    pub fn implies(&self, held: &PermissionId, wanted: &PermissionId) -> bool {
        held == wanted
            || self
                .closure
                .get(held)
                .is_some_and(|implied| implied.contains(wanted))
    }

    /// The access level of a permission, when the schema defines it.
    pub fn access(&self, permission: &PermissionId) -> Option<Access> {
        self.access.get(permission).copied()
    }

    /// Whether `inner` grants nothing that `outer` does not.
    pub fn grant_within(&self, inner: &Grant, outer: &Grant) -> bool {
        let resource_within = match (&inner.resource, &outer.resource) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(i), Some(o)) => i.is_within(o),
        };
        resource_within && self.implies(&outer.permission, &inner.permission)
    }

    /// Whether every grant of `inner` is within some grant of `outer`.
    ///
    /// ```
    /// use credential_issuer_spec::{Grant, PermissionSchema};
    /// let schema: PermissionSchema = serde_json::from_str(
    ///     include_str!("../examples/valid/permission-schema/native.json")).unwrap();
    /// let index = schema.index().unwrap();
    /// let admin: Vec<Grant> = vec!["credentials:admin".parse().unwrap()];
    /// let read: Vec<Grant> = vec!["credentials:read@project:web".parse().unwrap()];
    /// assert!(index.scope_within(&read, &admin));
    /// assert!(!index.scope_within(&admin, &read));
    /// ```
    pub fn scope_within(&self, inner: &[Grant], outer: &[Grant]) -> bool {
        inner
            .iter()
            .all(|g| outer.iter().any(|h| self.grant_within(g, h)))
    }

    /// The grants of `held` that go beyond `need`: what an over-broad credential should lose.
    pub fn broader_than<'a>(&self, held: &'a [Grant], need: &[Grant]) -> Vec<&'a Grant> {
        held.iter()
            .filter(|h| !need.iter().any(|n| self.grant_within(h, n)))
            .collect()
    }

    /// Checks that a scope is non-empty and names only known permissions and resources.
    pub fn check(&self, scope: &[Grant]) -> Result<(), ScopeError> {
        if scope.is_empty() {
            return Err(ScopeError::Empty);
        }
        for grant in scope {
            if !self.closure.contains_key(&grant.permission) {
                return Err(ScopeError::UnknownPermission(grant.permission.to_string()));
            }
            if let Some(resource) = &grant.resource {
                let pattern = self
                    .resource_patterns
                    .get(resource.type_id())
                    .ok_or_else(|| {
                        ScopeError::UnknownResourceType(resource.type_id().to_owned())
                    })?;
                let name = resource.name();
                let name_ok = match name.strip_suffix('*') {
                    Some(_) => true,
                    None => pattern.is_match(name),
                };
                if !name_ok {
                    return Err(ScopeError::InvalidResourceName(resource.to_string()));
                }
            }
        }
        Ok(())
    }
}
