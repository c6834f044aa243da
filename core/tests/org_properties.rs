#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Properties of the organization rules over random forests and memberships:
//! (a) inheritance never grants upward or sideways; (b) turning inheritance off never
//! allows more; (c) moves `check_move` accepts never create a cycle or pass the depth
//! limit, and the moves it refuses really would.

use proptest::prelude::*;
use tenxyte_core::org::{
    Membership, MembershipStatus, OrgAuthz, OrgDecision, OrgRoles, OrgTree, Organization,
};
use tenxyte_core::ErrorCode;

const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];
const ROLES: [&str; 5] = ["owner", "admin", "member", "viewer", "ghost"];
const CODES: [&str; 8] = [
    "org",
    "org.read",
    "org.members.read",
    "org.members.invite",
    "org.settings.write",
    "org.x.y",
    "orga.x",
    "billing.refund",
];

#[derive(Debug, Clone)]
struct World {
    orgs: Vec<Organization>,
    memberships: Vec<Membership>,
    max_depth: u32,
}

fn org_id(i: usize) -> String {
    format!("o{i}")
}

/// A forest: org i's parent is an earlier org or none, so the input is always acyclic.
fn world() -> impl Strategy<Value = World> {
    (1usize..14).prop_flat_map(|n| {
        let parents = proptest::collection::vec(
            proptest::option::weighted(0.8, any::<prop::sample::Index>()),
            n,
        );
        let active = proptest::collection::vec(prop::bool::weighted(0.85), n);
        let status = prop_oneof![
            6 => Just(MembershipStatus::Active),
            1 => Just(MembershipStatus::Pending),
            1 => Just(MembershipStatus::Suspended),
        ];
        let membership = (0..USERS.len(), 0..n, 0..ROLES.len(), status);
        let memberships = proptest::collection::vec(membership, 0..12);
        (parents, active, memberships, 1u32..7).prop_map(move |(parents, active, ms, max_depth)| {
            let orgs = (0..n)
                .map(|i| Organization {
                    id: org_id(i),
                    slug: format!("s{i}"),
                    name: format!("Org {i}"),
                    parent_id: if i == 0 {
                        None
                    } else {
                        parents[i].map(|ix| org_id(ix.index(i)))
                    },
                    is_active: active[i],
                    max_members: 0,
                    created_by: "u0".into(),
                    created_at: 0,
                    metadata: Default::default(),
                })
                .collect();
            let mut memberships: Vec<Membership> = Vec::new();
            for (u, o, r, s) in ms {
                if memberships
                    .iter()
                    .any(|m| m.user_id == USERS[u] && m.org_id == org_id(o))
                {
                    continue;
                }
                memberships.push(Membership {
                    org_id: org_id(o),
                    user_id: USERS[u].into(),
                    role: ROLES[r].into(),
                    status: s,
                    invited_by: None,
                    joined_at: 0,
                });
            }
            World {
                orgs,
                memberships,
                max_depth,
            }
        })
    })
}

/// Every question, as (label, decision).
fn all_questions(
    a: &OrgAuthz<'_, Vec<Membership>>,
    user: &str,
    org: &str,
) -> Vec<(String, OrgDecision)> {
    let mut out: Vec<(String, OrgDecision)> = CODES
        .iter()
        .map(|c| (format!("perm {c}"), a.has_org_permission(user, org, c)))
        .collect();
    for r in ROLES {
        out.push((format!("role {r}"), a.has_org_role(user, org, r)));
    }
    out.push(("member".into(), a.is_member(user, org)));
    out.push(("owner".into(), a.is_owner(user, org)));
    out.push(("admin".into(), a.is_admin(user, org)));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn inheritance_never_grants_upward_and_off_never_allows_more(w in world()) {
        let tree = OrgTree::new(w.orgs.clone(), w.max_depth).unwrap();
        let roles = OrgRoles::system();
        let on = OrgAuthz::new(&tree, &roles, &w.memberships);
        let off = OrgAuthz::new(&tree, &roles, &w.memberships).with_inheritance(false);
        for o in &w.orgs {
            let ancestors: Vec<String> =
                tree.ancestors(&o.id).unwrap().iter().map(|a| a.id.clone()).collect();
            let path_active = tree.is_active_path(&o.id).unwrap();
            for user in USERS {
                let active_at = |org: &str| {
                    w.memberships.iter().any(|m| {
                        m.user_id == user && m.org_id == org && m.status == MembershipStatus::Active
                    })
                };
                let has_on_path = active_at(&o.id) || ancestors.iter().any(|a| active_at(a));
                let q_on = all_questions(&on, user, &o.id);
                let q_off = all_questions(&off, user, &o.id);
                for ((label, d_on), (_, d_off)) in q_on.iter().zip(&q_off) {
                    // (a) nothing without an active membership at X or above; the matching
                    // membership is always at X or an ancestor, never below or beside.
                    if !has_on_path || !path_active {
                        prop_assert!(!d_on.allowed, "{user} @ {} {label}: {d_on:?}", o.id);
                    }
                    if d_on.allowed {
                        let via = d_on.via_org.clone().unwrap();
                        prop_assert!(via == o.id || ancestors.contains(&via), "{via} for {}", o.id);
                        prop_assert!(active_at(&via));
                    }
                    // (b) off never allows more than on, and when off only X's own membership counts.
                    if d_off.allowed {
                        prop_assert!(d_on.allowed, "{user} @ {} {label}: off {d_off:?}, on {d_on:?}", o.id);
                        prop_assert_eq!(d_off.via_org.as_deref(), Some(o.id.as_str()));
                    }
                }
            }
        }
    }

    #[test]
    fn accepted_moves_keep_a_forest_within_depth_and_refusals_are_real(
        w in world(),
        pick in any::<prop::sample::Index>(),
        target in proptest::option::weighted(0.9, any::<prop::sample::Index>()),
    ) {
        let tree = OrgTree::new(w.orgs.clone(), w.max_depth).unwrap();
        let mover = org_id(pick.index(w.orgs.len()));
        let new_parent = target.map(|t| org_id(t.index(w.orgs.len())));
        let result = tree.check_move(&mover, new_parent.as_deref());
        let mut moved = w.orgs.clone();
        for o in &mut moved {
            if o.id == mover {
                o.parent_id = new_parent.clone();
            }
        }
        let rebuilt = OrgTree::new(moved, w.max_depth);
        match result {
            Ok(()) => {
                let rebuilt = rebuilt.unwrap();
                let subtree = std::iter::once(mover.clone())
                    .chain(rebuilt.descendants(&mover).unwrap().iter().map(|d| d.id.clone()))
                    .collect::<Vec<_>>();
                for id in subtree {
                    prop_assert!(rebuilt.depth(&id).unwrap() < w.max_depth, "{id} too deep");
                }
                prop_assert_eq!(tree.move_org(&mover, new_parent.as_deref()).unwrap().parent_id, new_parent);
            }
            Err(e) if e.code() == ErrorCode::OrgCycle => {
                prop_assert_eq!(rebuilt.unwrap_err().code(), ErrorCode::OrgCycle);
            }
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::OrgDepthExceeded);
                let rebuilt = rebuilt.unwrap();
                let deepest = std::iter::once(mover.clone())
                    .chain(rebuilt.descendants(&mover).unwrap().iter().map(|d| d.id.clone()))
                    .map(|id| rebuilt.depth(&id).unwrap())
                    .max()
                    .unwrap();
                prop_assert!(deepest >= w.max_depth);
            }
        }
    }
}
