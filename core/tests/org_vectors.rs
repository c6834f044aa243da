#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Replays `tests/vectors/org.json` the way a binding does: records are parsed from the
//! file (so the serde forms, unknown fields refused, are part of the contract) and every
//! answer must equal the stored one.

use serde_json::{json, Value};
use tenxyte_core::org::{
    self, Invitation, Membership, OrgAuthz, OrgRole, OrgRoles, OrgTree, Organization,
};

fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

fn result<T>(r: tenxyte_core::Result<T>, ok: impl FnOnce(T) -> Value) -> Value {
    match r {
        Ok(v) => ok(v),
        Err(e) => json!({"ok": false, "code": e.code().as_str()}),
    }
}

#[test]
fn org_vectors_replay() {
    let doc: Value = serde_json::from_str(include_str!("../../tests/vectors/org.json")).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let kind = c["kind"].as_str().unwrap();
        kinds.insert(kind);
        match kind {
            "decisions" => {
                let orgs: Vec<Organization> = parse(&c["organizations"]);
                let roles: Vec<OrgRole> = parse(&c["roles"]);
                let ms: Vec<Membership> = parse(&c["memberships"]);
                let tree = OrgTree::new(orgs, c["max_depth"].as_u64().unwrap() as u32).unwrap();
                let roles = OrgRoles::new(roles).unwrap();
                let a = OrgAuthz::new(&tree, &roles, &ms)
                    .with_inheritance(c["role_inheritance"].as_bool().unwrap());
                for q in c["queries"].as_array().unwrap() {
                    let (u, o) = (q["user"].as_str().unwrap(), q["org"].as_str().unwrap());
                    let d = if let Some(p) = q["permission"].as_str() {
                        a.has_org_permission(u, o, p)
                    } else if let Some(r) = q["role"].as_str() {
                        a.has_org_role(u, o, r)
                    } else {
                        match q["check"].as_str().unwrap() {
                            "member" => a.is_member(u, o),
                            "owner" => a.is_owner(u, o),
                            "admin" => a.is_admin(u, o),
                            other => panic!("unknown check {other}"),
                        }
                    };
                    assert_eq!(
                        serde_json::to_value(&d).unwrap(),
                        q["expected"],
                        "{name}: {q}"
                    );
                }
            }
            "move" => {
                let orgs: Vec<Organization> = parse(&c["organizations"]);
                let tree = OrgTree::new(orgs, c["max_depth"].as_u64().unwrap() as u32).unwrap();
                let got = result(
                    tree.move_org(c["org"].as_str().unwrap(), c["new_parent"].as_str()),
                    |o| json!({"ok": true, "organization": o}),
                );
                assert_eq!(got, c["expected"], "{name}");
            }
            "accept" => {
                let inv: Invitation = parse(&c["invitation"]);
                let existing: Option<Membership> = parse(&c["existing"]);
                let got = result(
                    org::accept(
                        &inv,
                        c["token"].as_str().unwrap(),
                        c["user_id"].as_str().unwrap(),
                        c["user_email"].as_str().unwrap(),
                        existing.as_ref(),
                        c["now"].as_i64().unwrap(),
                    ),
                    |a| json!({"ok": true, "membership": a.membership, "invitation": a.invitation}),
                );
                assert_eq!(got, c["expected"], "{name}");
            }
            other => panic!("unknown kind {other}"),
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["accept", "decisions", "move"]
    );
}
