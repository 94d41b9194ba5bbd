//! Scope containment is a preorder that respects `implies` (REQ-SCOPE-*), checked on random
//! permission schemas and scopes.

use credential_issuer_spec::{Access, Grant, Permission, PermissionId, PermissionSchema, Resource};
use proptest::prelude::*;

const PERMISSIONS: usize = 6;
const RESOURCES: [Option<&str>; 6] = [
    None,
    Some("project:a"),
    Some("project:ab"),
    Some("project:a*"),
    Some("project:*"),
    Some("project:b"),
];

fn permission_id(i: usize) -> PermissionId {
    format!("p{i}:use")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn schema(edges: &[(usize, usize)]) -> PermissionSchema {
    let permissions = (0..PERMISSIONS)
        .map(|i| Permission {
            id: permission_id(i),
            title: format!("P{i}"),
            description: String::new(),
            access: Access::Read,
            implies: edges
                .iter()
                .filter(|(from, _)| *from == i)
                .map(|(_, to)| permission_id(*to))
                .collect(),
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "issuer": "https://api.example.com",
        "permissions": serde_json::to_value::<Vec<Permission>>(permissions).unwrap_or_default(),
        "resource_types": [{ "id": "project", "pattern": "[a-z]+", "description": "" }]
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn grant(permission: usize, resource: usize) -> Grant {
    Grant {
        permission: permission_id(permission),
        resource: RESOURCES[resource]
            .map(|r| r.parse::<Resource>().unwrap_or_else(|e| panic!("{e}"))),
    }
}

fn edges() -> impl Strategy<Value = Vec<(usize, usize)>> {
    prop::collection::vec((0..PERMISSIONS, 0..PERMISSIONS), 0..10)
}

fn scope() -> impl Strategy<Value = Vec<Grant>> {
    prop::collection::vec((0..PERMISSIONS, 0..RESOURCES.len()), 1..4)
        .prop_map(|pairs| pairs.into_iter().map(|(p, r)| grant(p, r)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn containment_is_reflexive(edges in edges(), a in scope()) {
        let index = schema(&edges).index().unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(index.scope_within(&a, &a));
    }

    #[test]
    fn containment_is_transitive(edges in edges(), a in scope(), b in scope(), c in scope()) {
        let index = schema(&edges).index().unwrap_or_else(|e| panic!("{e}"));
        if index.scope_within(&a, &b) && index.scope_within(&b, &c) {
            prop_assert!(index.scope_within(&a, &c));
        }
    }

    #[test]
    fn containment_follows_implies_transitively(
        edges in edges(), resource in 0..RESOURCES.len()
    ) {
        let index = schema(&edges).index().unwrap_or_else(|e| panic!("{e}"));
        // Every two-step path p -> q -> s makes s@r within p@r.
        for &(p, q) in &edges {
            prop_assert!(index.scope_within(&[grant(q, resource)], &[grant(p, resource)]));
            for &(q2, s) in &edges {
                if q2 == q {
                    prop_assert!(index.scope_within(&[grant(s, resource)], &[grant(p, resource)]));
                }
            }
        }
    }

    #[test]
    fn nothing_is_within_a_grant_that_does_not_imply_it(a in 0..PERMISSIONS, b in 0..PERMISSIONS) {
        // Without edges, distinct permissions are incomparable.
        let index = schema(&[]).index().unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(index.scope_within(&[grant(a, 0)], &[grant(b, 0)]), a == b);
    }

    #[test]
    fn broader_grants_are_exactly_what_escapes_the_need(
        edges in edges(), held in scope(), need in scope()
    ) {
        let index = schema(&edges).index().unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(index.broader_than(&held, &need).is_empty(), index.scope_within(&held, &need));
    }
}

#[test]
fn a_grant_on_one_resource_is_within_the_wildcard_but_not_the_reverse() {
    let index = schema(&[]).index().unwrap_or_else(|e| panic!("{e}"));
    assert!(index.grant_within(&grant(0, 1), &grant(0, 4)));
    assert!(index.grant_within(&grant(0, 2), &grant(0, 3)));
    assert!(!index.grant_within(&grant(0, 4), &grant(0, 3)));
    assert!(!index.grant_within(&grant(0, 0), &grant(0, 4)));
    assert!(!index.grant_within(&grant(0, 5), &grant(0, 3)));
}

#[test]
fn unknown_permissions_and_resources_are_refused() {
    use credential_issuer_spec::ScopeError;
    let index = schema(&[]).index().unwrap_or_else(|e| panic!("{e}"));
    let unknown: Grant = "nope:use".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        index.check(&[unknown]),
        Err(ScopeError::UnknownPermission("nope:use".into()))
    );
    let bad_type: Grant = "p0:use@team:x".parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        index.check(&[bad_type]),
        Err(ScopeError::UnknownResourceType("team".into()))
    );
    let bad_name: Grant = "p0:use@project:UPPER"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        index.check(&[bad_name]),
        Err(ScopeError::InvalidResourceName("project:UPPER".into()))
    );
    assert_eq!(index.check(&[]), Err(ScopeError::Empty));
    assert_eq!(index.check(&[grant(1, 3)]), Ok(()));
}

#[test]
fn dangling_implies_and_duplicates_are_refused() {
    let mut broken = schema(&[]);
    broken.permissions[0]
        .implies
        .push("ghost:use".parse().unwrap_or_else(|e| panic!("{e}")));
    assert!(broken.index().is_err());
    let mut duplicate = schema(&[]);
    let first = duplicate.permissions[0].clone();
    duplicate.permissions.push(first);
    assert!(duplicate.index().is_err());
}
