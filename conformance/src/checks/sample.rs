//! What the credentials a run creates are made of: a permission of the issuer's schema, a
//! credential type it claims, grants.

use credential_issuer_spec::{Access, PermissionId, PermissionIndex};
use serde_json::{Value, json};

use crate::context::Context;
use crate::outcome::Verdict;

/// A permission to put in test credentials (the first read-only one), and the index.
pub(crate) fn test_permission(ctx: &Context) -> Result<(PermissionId, PermissionIndex), Verdict> {
    let schema = ctx
        .permissions
        .as_ref()
        .ok_or_else(|| Verdict::skip("no usable permission schema"))?;
    let index = schema
        .index()
        .map_err(|e| Verdict::fail(format!("the permission schema is inconsistent: {e}")))?;
    let permission = schema
        .permissions
        .iter()
        .find(|p| p.access == Access::Read)
        .or_else(|| schema.permissions.first())
        .map(|p| p.id.clone())
        .ok_or_else(|| Verdict::skip("the permission schema has no permissions"))?;
    Ok((permission, index))
}

/// The first credential type the issuer claims.
pub(crate) fn test_type(ctx: &Context) -> String {
    ctx.manifest
        .as_ref()
        .and_then(|m| m.supported_credential_types.first())
        .map_or_else(|| "api_key".to_owned(), ToString::to_string)
}

/// A grant without a resource, as JSON.
pub(crate) fn grant(permission: &PermissionId) -> Value {
    json!([{ "permission": permission.as_str() }])
}
