//! RBAC checks: ours (a compiled `Snapshot`) beside a naive graph walk over `HashMap` /
//! `HashSet` (what a hand-written checker does: follow role inheritance and the
//! permission tree on every check, one small allocation per check), in the same run.
//!
//! Policy (the perf reference's shape): alice → role admin → editor → viewer; `doc.read`
//! is granted at the third level; `doc.*` through a wildcard role; `billing.refund` is
//! denied. The naive walk is a baseline, not a ceiling.

use crate::harness::{Bench, Kind, Speed};
use crate::versions;
use std::collections::{HashMap, HashSet};
use std::hint::black_box;
use tenxyte_core::rbac::{PermissionDef, PolicyDocument, RoleDef, Snapshot, Subject};

fn policy() -> PolicyDocument {
    let perm = |code: &str, parent: Option<&str>| PermissionDef {
        code: code.into(),
        parent: parent.map(Into::into),
        description: String::new(),
    };
    let role = |code: &str, perms: &[&str], inherits: &[&str]| RoleDef {
        code: code.into(),
        permissions: perms.iter().map(|s| (*s).into()).collect(),
        inherits: inherits.iter().map(|s| (*s).into()).collect(),
        is_default: false,
        name: String::new(),
    };
    let mut permissions = vec![
        perm("doc", None),
        perm("doc.read", Some("doc")),
        perm("doc.write", Some("doc")),
        perm("doc.write.publish", Some("doc.write")),
        perm("billing", None),
        perm("billing.refund", Some("billing")),
    ];
    // Some bulk so lookups are not trivially small.
    for i in 0..40 {
        permissions.push(perm(&format!("res{i}"), None));
        permissions.push(perm(&format!("res{i}.view"), Some(&format!("res{i}"))));
    }
    PolicyDocument {
        permissions,
        roles: vec![
            role("viewer", &["doc.read", "res1.view", "res2.view"], &[]),
            role("editor", &["doc.write", "res3"], &["viewer"]),
            role("admin", &["res4", "res5"], &["editor"]),
            role("auditor", &["doc.*"], &[]),
        ],
        super_admin_roles: vec![],
        superuser_bypass: false,
    }
}

/// The naive checker: role inheritance and the permission tree walked on every check.
struct Naive {
    role_grants: HashMap<String, HashSet<String>>,
    role_parents: HashMap<String, Vec<String>>,
    perm_parent: HashMap<String, String>,
}

impl Naive {
    fn new(doc: &PolicyDocument) -> Naive {
        Naive {
            role_grants: doc
                .roles
                .iter()
                .map(|r| (r.code.clone(), r.permissions.iter().cloned().collect()))
                .collect(),
            role_parents: doc
                .roles
                .iter()
                .map(|r| (r.code.clone(), r.inherits.clone()))
                .collect(),
            perm_parent: doc
                .permissions
                .iter()
                .filter_map(|p| p.parent.clone().map(|parent| (p.code.clone(), parent)))
                .collect(),
        }
    }

    fn grants(set: &HashSet<String>, code: &str) -> bool {
        set.contains(code)
            || set.iter().any(|e| {
                e.strip_suffix(".*").is_some_and(|p| {
                    code == p || code.strip_prefix(p).is_some_and(|r| r.starts_with('.'))
                })
            })
    }

    fn check(&self, roles: &[String], permission: &str) -> bool {
        let mut chain = vec![permission];
        while let Some(parent) = chain.last().and_then(|c| self.perm_parent.get(*c)) {
            chain.push(parent);
        }
        let mut stack: Vec<&str> = roles.iter().map(String::as_str).collect();
        let mut seen = HashSet::new();
        while let Some(role) = stack.pop() {
            if !seen.insert(role) {
                continue;
            }
            if let Some(set) = self.role_grants.get(role) {
                if chain.iter().any(|c| Self::grants(set, c)) {
                    return true;
                }
            }
            if let Some(parents) = self.role_parents.get(role) {
                stack.extend(parents.iter().map(String::as_str));
            }
        }
        false
    }
}

/// The RBAC rows.
pub fn rows(b: &mut Bench) {
    let doc = policy();
    let snap = Snapshot::compile(&doc).expect("policy compiles");
    let naive = Naive::new(&doc);
    let subject = |roles: &[&str]| Subject {
        roles: roles.iter().map(|s| (*s).into()).collect(),
        permissions: vec![],
        is_superuser: false,
    };
    let cases = [
        (
            "RBAC check: direct role grant",
            subject(&["viewer"]),
            "doc.read",
            true,
        ),
        (
            "RBAC check: 3-level inherited",
            subject(&["admin"]),
            "doc.read",
            true,
        ),
        (
            "RBAC check: denied",
            subject(&["admin"]),
            "billing.refund",
            false,
        ),
        (
            "RBAC check: wildcard",
            subject(&["auditor"]),
            "doc.write.publish",
            true,
        ),
    ];
    for (op, s, permission, expected) in &cases {
        assert_eq!(snap.has_permission(s, permission), *expected, "ours: {op}");
        assert_eq!(naive.check(&s.roles, permission), *expected, "naive: {op}");
        b.measure(
            Speed::Fast,
            op,
            "tenxyte-core Snapshot (ours)",
            Kind::Ours,
            versions::TENXYTE_CORE,
            || snap.check(black_box(s), black_box(permission)).allowed,
        );
        b.measure(
            Speed::Fast,
            op,
            "naive HashMap/HashSet graph walk",
            Kind::Anchor,
            "rustc std (SipHash)",
            || naive.check(black_box(&s.roles), black_box(permission)),
        );
    }
}
