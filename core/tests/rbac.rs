//! RBAC rules, table-driven, plus a differential property test against a naive graph walk.
#![allow(
    clippy::type_complexity,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;
use serde_json::json;
use std::collections::HashSet;
use tenxyte_core::rbac::{PermissionDef, PolicyDocument, Reason, RoleDef, Snapshot, Subject};
use tenxyte_core::ErrorCode;

fn perm(code: &str, parent: Option<&str>) -> PermissionDef {
    PermissionDef {
        code: code.into(),
        parent: parent.map(Into::into),
        description: String::new(),
    }
}

fn role(code: &str, perms: &[&str], inherits: &[&str]) -> RoleDef {
    RoleDef {
        code: code.into(),
        permissions: perms.iter().map(|s| (*s).into()).collect(),
        inherits: inherits.iter().map(|s| (*s).into()).collect(),
        is_default: false,
        name: String::new(),
    }
}

fn doc() -> PolicyDocument {
    PolicyDocument {
        permissions: vec![
            perm("doc", None),
            perm("doc.read", Some("doc")),
            perm("doc.write", Some("doc")),
            perm("doc.write.publish", Some("doc.write")),
            perm("docx.read", None),
            perm("billing.refund", None),
        ],
        roles: vec![
            role("viewer", &["doc.read"], &[]),
            role("editor", &["doc.write"], &["viewer"]),
            role("admin", &[], &["editor"]),
            role("auditor", &["doc.*"], &[]),
            role("super_admin", &["*"], &[]),
        ],
        super_admin_roles: vec!["super_admin".into()],
        superuser_bypass: true,
    }
}

fn subject(roles: &[&str], perms: &[&str]) -> Subject {
    Subject {
        roles: roles.iter().map(|s| (*s).into()).collect(),
        permissions: perms.iter().map(|s| (*s).into()).collect(),
        is_superuser: false,
    }
}

#[test]
fn decision_table() {
    let snap = Snapshot::compile(&doc()).unwrap();
    let su = Subject {
        is_superuser: true,
        ..Subject::default()
    };
    let cases: Vec<(&str, Subject, &str, bool, Reason, Option<&str>)> = vec![
        (
            "direct role grant",
            subject(&["viewer"], &[]),
            "doc.read",
            true,
            Reason::Role,
            Some("viewer"),
        ),
        (
            "child does not grant parent",
            subject(&["viewer"], &[]),
            "doc",
            false,
            Reason::NotGranted,
            None,
        ),
        (
            "child does not grant sibling",
            subject(&["viewer"], &[]),
            "doc.write",
            false,
            Reason::NotGranted,
            None,
        ),
        (
            "parent grants descendants",
            subject(&["editor"], &[]),
            "doc.write.publish",
            true,
            Reason::Role,
            Some("editor"),
        ),
        (
            "3-level role inheritance",
            subject(&["admin"], &[]),
            "doc.read",
            true,
            Reason::Role,
            Some("admin"),
        ),
        (
            "inheritance is not upward",
            subject(&["viewer"], &[]),
            "doc.write.publish",
            false,
            Reason::NotGranted,
            None,
        ),
        (
            "wildcard covers prefix itself",
            subject(&["auditor"], &[]),
            "doc",
            true,
            Reason::Role,
            Some("auditor"),
        ),
        (
            "wildcard covers descendants",
            subject(&["auditor"], &[]),
            "doc.write.publish",
            true,
            Reason::Role,
            Some("auditor"),
        ),
        (
            "wildcard is not a string prefix",
            subject(&["auditor"], &[]),
            "docx.read",
            false,
            Reason::NotGranted,
            None,
        ),
        (
            "direct exact grant",
            subject(&[], &["billing.refund"]),
            "billing.refund",
            true,
            Reason::Direct,
            Some("billing.refund"),
        ),
        (
            "direct parent grant",
            subject(&[], &["doc"]),
            "doc.write.publish",
            true,
            Reason::Direct,
            Some("doc"),
        ),
        (
            "direct wildcard grant",
            subject(&[], &["doc.write.*"]),
            "doc.write.publish",
            true,
            Reason::Direct,
            Some("doc.write.*"),
        ),
        (
            "direct wildcard does not reach up",
            subject(&[], &["doc.write.*"]),
            "doc.read",
            false,
            Reason::NotGranted,
            None,
        ),
        (
            "unregistered direct grant gives nothing",
            subject(&[], &["ghost"]),
            "doc.read",
            false,
            Reason::NotGranted,
            None,
        ),
        (
            "unknown role gives nothing",
            subject(&["ghost"], &[]),
            "doc.read",
            false,
            Reason::NotGranted,
            None,
        ),
        (
            "unknown permission is denied",
            subject(&["auditor"], &["*"]),
            "doc.delete",
            false,
            Reason::UnknownPermission,
            None,
        ),
        (
            "super-admin role passes",
            subject(&["super_admin"], &[]),
            "billing.refund",
            true,
            Reason::SuperAdminRole,
            Some("super_admin"),
        ),
        (
            "superuser passes",
            su.clone(),
            "billing.refund",
            true,
            Reason::Superuser,
            None,
        ),
        (
            "superuser passes unknown codes too",
            su,
            "anything.at.all",
            true,
            Reason::Superuser,
            None,
        ),
        (
            "case-sensitive codes",
            subject(&["viewer"], &[]),
            "DOC.READ",
            false,
            Reason::UnknownPermission,
            None,
        ),
        (
            "no roles, no grants",
            Subject::default(),
            "doc.read",
            false,
            Reason::NotGranted,
            None,
        ),
    ];
    for (name, s, p, allowed, reason, matched) in cases {
        let d = snap.check(&s, p);
        assert_eq!(d.allowed, allowed, "{name}");
        assert_eq!(d.reason, reason, "{name}");
        assert_eq!(d.matched_by.map(|m| m.as_str()), matched, "{name}");
    }
}

#[test]
fn bypasses_are_configurable() {
    let mut d = doc();
    d.superuser_bypass = false;
    d.super_admin_roles = vec![];
    let snap = Snapshot::compile(&d).unwrap();
    let su = Subject {
        is_superuser: true,
        ..Subject::default()
    };
    assert!(!snap.has_permission(&su, "doc.read"));
    // Without the bypass, super_admin is just a role granting `*` (registered codes only).
    let s = subject(&["super_admin"], &[]);
    assert_eq!(snap.check(&s, "billing.refund").reason, Reason::Role);
    assert_eq!(snap.check(&s, "nope").reason, Reason::UnknownPermission);
    // A super-admin role name the policy does not define bypasses nothing.
    let mut d = doc();
    d.super_admin_roles = vec!["root".into()];
    let snap = Snapshot::compile(&d).unwrap();
    assert!(!snap.has_permission(&subject(&["root"], &[]), "doc.read"));
}

#[test]
fn invalid_policies_are_refused() {
    let cases: Vec<(&str, Box<dyn Fn(&mut PolicyDocument)>)> = vec![
        (
            "duplicate permission",
            Box::new(|d| d.permissions.push(perm("doc", None))),
        ),
        (
            "unknown parent",
            Box::new(|d| d.permissions.push(perm("x", Some("nope")))),
        ),
        (
            "permission cycle",
            Box::new(|d| {
                d.permissions = vec![perm("a", Some("b")), perm("b", Some("a"))];
                d.roles.clear();
            }),
        ),
        (
            "self parent",
            Box::new(|d| {
                d.permissions = vec![perm("a", Some("a"))];
                d.roles.clear();
            }),
        ),
        (
            "duplicate role",
            Box::new(|d| d.roles.push(role("viewer", &[], &[]))),
        ),
        (
            "unknown inherited role",
            Box::new(|d| d.roles.push(role("x", &[], &["nope"]))),
        ),
        (
            "role cycle",
            Box::new(|d| {
                d.roles.push(role("a", &[], &["b"]));
                d.roles.push(role("b", &[], &["a"]));
            }),
        ),
        (
            "role inherits itself",
            Box::new(|d| d.roles.push(role("a", &[], &["a"]))),
        ),
        (
            "role grants unknown permission",
            Box::new(|d| d.roles.push(role("x", &["doc.raed"], &[]))),
        ),
        (
            "double wildcard",
            Box::new(|d| d.roles.push(role("x", &["doc.**"], &[]))),
        ),
        (
            "leading wildcard",
            Box::new(|d| d.roles.push(role("x", &["*.read"], &[]))),
        ),
        (
            "empty grant",
            Box::new(|d| d.roles.push(role("x", &[""], &[]))),
        ),
        (
            "whitespace code",
            Box::new(|d| d.permissions.push(perm("a b", None))),
        ),
        (
            "empty role code",
            Box::new(|d| d.roles.push(role("", &[], &[]))),
        ),
    ];
    for (name, mutate) in cases {
        let mut d = doc();
        mutate(&mut d);
        let e = Snapshot::compile(&d).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPolicy, "{name}: {e}");
    }
}

#[test]
fn any_all_roles_and_guards() {
    let snap = Snapshot::compile(&doc()).unwrap();
    let s = subject(&["editor"], &[]);
    assert!(snap.any(&s, &["billing.refund", "doc.read"]));
    assert!(!snap.any(&s, &[]));
    assert!(snap.all(&s, &[]));
    assert!(!snap.all(&s, &["doc.read", "billing.refund"]));
    assert!(snap.has_role(&s, "editor"));
    assert!(
        !snap.has_role(&s, "viewer"),
        "has_role is exact, as in Tenxyte"
    );
    assert!(snap.has_role_inherited(&s, "viewer"));
    assert!(!snap.has_role_inherited(&s, "admin"));
    assert!(snap.has_any_role(&s, &["admin", "editor"]));
    assert!(!snap.has_all_roles(&s, &["admin", "editor"]));

    assert!(snap.require(&s, "doc.read").is_ok());
    let e = snap.require(&s, "billing.refund").unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionRequired);
    assert_eq!(
        e.details().unwrap()["required_permission"],
        "billing.refund"
    );
    assert_eq!(
        snap.require_any(&s, &["billing.refund"])
            .unwrap_err()
            .code(),
        ErrorCode::PermissionRequired
    );
    let e = snap
        .require_all(&s, &["doc.read", "billing.refund"])
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionsRequired);
    assert_eq!(
        e.details().unwrap()["missing_permissions"],
        json!(["billing.refund"])
    );
    assert_eq!(
        snap.require_role(&s, "admin").unwrap_err().code(),
        ErrorCode::RoleRequired
    );
    assert_eq!(
        snap.require_any_role(&s, &["admin"]).unwrap_err().code(),
        ErrorCode::RoleRequired
    );
    let e = snap
        .require_all_roles(&s, &["editor", "admin"])
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RolesRequired);
    assert_eq!(e.details().unwrap()["missing_roles"], json!(["admin"]));
}

#[test]
fn explain_names_the_chain() {
    let snap = Snapshot::compile(&doc()).unwrap();
    let x = snap.explain(&subject(&["admin"], &[]), "doc.read");
    assert!(x.allowed);
    assert_eq!(
        x.steps,
        vec![
            r#"the subject has role "admin""#,
            r#"role "admin" inherits role "editor""#,
            r#"role "editor" inherits role "viewer""#,
            r#"role "viewer" grants "doc.read""#,
        ]
    );
    let x = snap.explain(&subject(&["editor"], &[]), "doc.write.publish");
    assert_eq!(
        x.steps.last().unwrap(),
        r#""doc.write" is an ancestor of "doc.write.publish" in the permission tree"#
    );
    let x = snap.explain(&subject(&["viewer"], &[]), "doc.write");
    assert!(!x.allowed);
    assert_eq!(serde_json::to_value(&x).unwrap()["reason"], "not_granted");
}

#[test]
fn tenxyte_seed_roles() {
    let snap = Snapshot::compile(&PolicyDocument::tenxyte_default()).unwrap();
    assert_eq!(snap.default_roles(), ["viewer"]);
    let viewer = subject(&["viewer"], &[]);
    let admin = subject(&["admin"], &[]);
    assert_eq!(snap.effective_permissions(&viewer), vec!["content.view"]);
    assert!(snap.has_permission(&admin, "users.roles.assign"));
    assert!(snap.has_permission(&admin, "content.publish"));
    assert!(!snap.has_permission(&admin, "users.delete"));
    assert!(
        !snap.has_permission(&admin, "users"),
        "a child grant never grants the parent"
    );
    assert!(snap.has_permission(&subject(&["super_admin"], &[]), "system.audit"));
    assert_eq!(PolicyDocument::tenxyte_default().permissions.len(), 47);
}

/// The reference: a plain graph walk over hash sets, as a naive implementation would do.
fn naive(d: &PolicyDocument, s: &Subject, p: &str) -> bool {
    let codes: HashSet<&str> = d.permissions.iter().map(|x| x.code.as_str()).collect();
    if !codes.contains(p) {
        return false;
    }
    let parent = |c: &str| {
        d.permissions
            .iter()
            .find(|x| x.code == c)
            .and_then(|x| x.parent.clone())
    };
    let mut chain = vec![p.to_owned()];
    while let Some(up) = parent(chain.last().unwrap()) {
        chain.push(up);
    }
    let names = |entry: &str, c: &str| {
        entry == "*"
            || entry == c
            || entry
                .strip_suffix(".*")
                .is_some_and(|pre| c == pre || c.starts_with(&format!("{pre}.")))
    };
    let covers = |entry: &str| chain.iter().any(|c| names(entry, c));
    let mut stack: Vec<String> = s.roles.clone();
    let mut seen = HashSet::new();
    while let Some(r) = stack.pop() {
        if !seen.insert(r.clone()) {
            continue;
        }
        if let Some(def) = d.roles.iter().find(|x| x.code == r) {
            if def.permissions.iter().any(|e| covers(e)) {
                return true;
            }
            stack.extend(def.inherits.iter().cloned());
        }
    }
    s.permissions.iter().any(|e| covers(e))
}

fn arb_policy() -> impl Strategy<Value = (PolicyDocument, Subject, Vec<String>)> {
    (3usize..14, 1usize..6).prop_flat_map(|(np, nr)| {
        let parents = proptest::collection::vec(proptest::option::of(0usize..np), np);
        let grants =
            proptest::collection::vec(proptest::collection::vec((0usize..np, 0u8..4), 0..3), nr);
        let inherits = proptest::collection::vec(proptest::collection::vec(0usize..nr, 0..2), nr);
        let subj_roles = proptest::collection::vec(0usize..nr + 1, 0..3);
        let subj_perms = proptest::collection::vec((0usize..np + 1, 0u8..4), 0..2);
        (parents, grants, inherits, subj_roles, subj_perms).prop_map(
            move |(parents, grants, inherits, sr, sp)| {
                // Parents only point to lower indices: a forest, never a cycle.
                let code = |i: usize| format!("p{i}");
                let permissions = (0..np)
                    .map(|i| perm(&code(i), parents[i].filter(|p| *p < i).map(code).as_deref()))
                    .collect();
                let entry = |(i, kind): (usize, u8)| match kind {
                    0 => format!("p{i}.*"),
                    1 if i % 5 == 0 => "*".to_owned(),
                    _ => format!("p{i}"),
                };
                let roles = (0..nr)
                    .map(|r| RoleDef {
                        code: format!("r{r}"),
                        permissions: grants[r].iter().copied().map(entry).collect(),
                        // Inherit only lower-numbered roles: acyclic.
                        inherits: inherits[r]
                            .iter()
                            .filter(|x| **x < r)
                            .map(|x| format!("r{x}"))
                            .collect(),
                        is_default: false,
                        name: String::new(),
                    })
                    .collect();
                let subject = Subject {
                    roles: sr.iter().map(|r| format!("r{r}")).collect(),
                    permissions: sp
                        .iter()
                        .map(|(i, k)| {
                            if *i == np {
                                "ghost".into()
                            } else {
                                entry((*i, *k))
                            }
                        })
                        .collect(),
                    is_superuser: false,
                };
                let queries = (0..=np).map(code).collect();
                let doc = PolicyDocument {
                    permissions,
                    roles,
                    super_admin_roles: vec![],
                    superuser_bypass: true,
                };
                (doc, subject, queries)
            },
        )
    })
}

proptest! {
    /// The compiled snapshot answers exactly what a naive graph walk answers.
    #[test]
    fn snapshot_equals_naive_walk((doc, subject, queries) in arb_policy()) {
        let snap = Snapshot::compile(&doc).unwrap();
        for q in &queries {
            prop_assert_eq!(snap.has_permission(&subject, q), naive(&doc, &subject, q), "query {}", q);
        }
    }

    /// Holding a permission never grants its parent unless something else does.
    #[test]
    fn grants_never_flow_upward((doc, _s, _q) in arb_policy()) {
        let snap = Snapshot::compile(&doc).unwrap();
        for p in &doc.permissions {
            if let Some(parent) = &p.parent {
                let s = Subject { roles: vec![], permissions: vec![p.code.clone()], is_superuser: false };
                prop_assert!(!snap.has_permission(&s, parent));
            }
        }
    }
}
