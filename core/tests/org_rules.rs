#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Organizations, rule by rule: tree structure and moves, inherited decisions (down only),
//! pending/suspended/inactive, owner/admin of descendants, member operations, invitations.

use tenxyte_core::config::Settings;
use tenxyte_core::org::{
    self, reason, InvitationStatus, InviteRequest, Membership, MembershipIndex, MembershipStatus,
    OrgAuthz, OrgMembers, OrgRole, OrgRoles, OrgTree, Organization,
};
use tenxyte_core::secret::{self, SecretKind};
use tenxyte_core::ErrorCode;

const NOW: i64 = 1_750_000_000;

fn org(id: &str, parent: Option<&str>) -> Organization {
    Organization {
        id: id.into(),
        slug: id.into(),
        name: id.to_uppercase(),
        parent_id: parent.map(Into::into),
        is_active: true,
        max_members: 0,
        created_by: "alice".into(),
        created_at: NOW - 1000,
        metadata: Default::default(),
    }
}

/// acme ─┬─ eu ── fr ── paris ── ops      (depths 0..4: full at max_depth 5)
///       └─ us
/// dormant (inactive) ── dormant-child
/// other
fn orgs() -> Vec<Organization> {
    let mut dormant = org("dormant", None);
    dormant.is_active = false;
    vec![
        org("acme", None),
        org("eu", Some("acme")),
        org("fr", Some("eu")),
        org("paris", Some("fr")),
        org("ops", Some("paris")),
        org("us", Some("acme")),
        dormant,
        org("dormant-child", Some("dormant")),
        org("other", None),
    ]
}

fn tree() -> OrgTree {
    OrgTree::new(orgs(), 5).unwrap()
}

fn m(user: &str, org: &str, role: &str, status: MembershipStatus) -> Membership {
    Membership {
        org_id: org.into(),
        user_id: user.into(),
        role: role.into(),
        status,
        invited_by: None,
        joined_at: NOW - 500,
    }
}

fn memberships() -> Vec<Membership> {
    use MembershipStatus::*;
    vec![
        m("alice", "acme", "owner", Active),
        m("bob", "eu", "admin", Active),
        m("carol", "fr", "member", Active),
        m("dave", "paris", "viewer", Active),
        m("dave", "acme", "member", Pending),
        m("erin", "eu", "admin", Suspended),
        m("erin", "fr", "viewer", Active),
        m("frank", "dormant", "owner", Active),
        m("gina", "us", "member", Active),
        m("hank", "acme", "ghost", Active),
        m("ivan", "eu", "admin", Pending),
        m("olga", "other", "owner", Active),
        m("olga", "acme", "viewer", Active),
    ]
}

fn ids(v: Vec<&Organization>) -> Vec<&str> {
    v.into_iter().map(|o| o.id.as_str()).collect()
}

// ---------------------------------------------------------------- tree

#[test]
fn depth_ancestors_descendants() {
    let t = tree();
    for (id, d) in [
        ("acme", 0),
        ("eu", 1),
        ("fr", 2),
        ("paris", 3),
        ("ops", 4),
        ("us", 1),
    ] {
        assert_eq!(t.depth(id).unwrap(), d, "{id}");
    }
    assert_eq!(ids(t.ancestors("paris").unwrap()), ["fr", "eu", "acme"]);
    assert!(t.ancestors("acme").unwrap().is_empty());
    assert_eq!(
        ids(t.descendants("acme").unwrap()),
        ["eu", "us", "fr", "paris", "ops"]
    );
    assert_eq!(ids(t.descendants("fr").unwrap()), ["paris", "ops"]);
    assert!(t.descendants("ops").unwrap().is_empty());
    assert_eq!(t.height("acme").unwrap(), 4);
    assert_eq!(t.height("fr").unwrap(), 2);
    assert_eq!(t.depth("nope").unwrap_err().code(), ErrorCode::OrgNotFound);
    assert_eq!(
        t.ancestors("nope").unwrap_err().code(),
        ErrorCode::OrgNotFound
    );
}

#[test]
fn can_add_child_boundaries() {
    let t = tree();
    // Default max_depth 5: depths 0..=4 exist, so only parents at depth <= 3 take a child.
    for (parent, ok) in [
        ("acme", true),
        ("fr", true),
        ("paris", true),
        ("ops", false),
    ] {
        assert_eq!(t.can_add_child(parent).unwrap(), ok, "{parent}");
    }
    let deeper = org("ops2", Some("ops"));
    assert_eq!(
        t.check_create(&deeper).unwrap_err().code(),
        ErrorCode::OrgDepthExceeded
    );
    assert!(t.check_create(&org("paris2", Some("paris"))).is_ok());
    // max_depth 1: roots only.
    let flat = OrgTree::new(vec![org("a", None)], 1).unwrap();
    assert!(!flat.can_add_child("a").unwrap());
    // The default settings give the same limit.
    let s = Settings::default();
    assert_eq!(
        OrgTree::from_settings(orgs(), &s.organizations)
            .unwrap()
            .max_depth(),
        5
    );
}

#[test]
fn create_refuses_taken_id_or_slug_and_missing_parent() {
    let t = tree();
    assert_eq!(
        t.check_create(&org("acme", None)).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    let mut same_slug = org("new", None);
    same_slug.slug = "eu".into();
    assert_eq!(
        t.check_create(&same_slug).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        t.check_create(&org("new", Some("ghost")))
            .unwrap_err()
            .code(),
        ErrorCode::OrgNotFound
    );
}

#[test]
fn build_refuses_cycles_dangling_parents_and_duplicates() {
    let cases: Vec<(&str, Vec<Organization>, ErrorCode)> = vec![
        (
            "self parent",
            vec![org("a", Some("a"))],
            ErrorCode::OrgCycle,
        ),
        (
            "two-cycle",
            vec![org("a", Some("b")), org("b", Some("a"))],
            ErrorCode::OrgCycle,
        ),
        (
            "cycle beside a valid root",
            vec![
                org("r", None),
                org("a", Some("c")),
                org("b", Some("a")),
                org("c", Some("b")),
            ],
            ErrorCode::OrgCycle,
        ),
        (
            "dangling parent",
            vec![org("a", Some("zzz"))],
            ErrorCode::OrgNotFound,
        ),
        (
            "duplicate id",
            vec![org("a", None), org("a", None)],
            ErrorCode::InvalidInput,
        ),
    ];
    for (name, orgs, code) in cases {
        assert_eq!(OrgTree::new(orgs, 5).unwrap_err().code(), code, "{name}");
    }
    assert_eq!(
        OrgTree::new(vec![], 0).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    // A tree already deeper than max_depth still builds (settings may have been lowered).
    assert!(OrgTree::new(orgs(), 2).is_ok());
}

#[test]
fn move_table() {
    let t = tree();
    let cases: [(&str, Option<&str>, Option<ErrorCode>); 12] = [
        ("eu", Some("eu"), Some(ErrorCode::OrgCycle)),
        ("eu", Some("fr"), Some(ErrorCode::OrgCycle)),
        ("eu", Some("ops"), Some(ErrorCode::OrgCycle)),
        ("acme", Some("ops"), Some(ErrorCode::OrgCycle)),
        // eu's subtree is 4 levels (eu, fr, paris, ops): under us (depth 1) it would reach depth 5.
        ("eu", Some("us"), Some(ErrorCode::OrgDepthExceeded)),
        // fr's subtree is 3 levels: under us it ends at depth 4, the last allowed.
        ("fr", Some("us"), None),
        // ...but under other's child it would not fit; under a root it fits.
        ("fr", Some("other"), None),
        ("paris", Some("ops"), Some(ErrorCode::OrgCycle)),
        ("us", Some("ops"), Some(ErrorCode::OrgDepthExceeded)),
        ("us", Some("paris"), None),
        ("eu", None, None),
        ("eu", Some("ghost"), Some(ErrorCode::OrgNotFound)),
    ];
    for (o, p, want) in cases {
        assert_eq!(
            t.check_move(o, p).err().map(|e| e.code()),
            want,
            "{o} -> {p:?}"
        );
    }
    let moved = t.move_org("fr", Some("us")).unwrap();
    assert_eq!(moved.parent_id.as_deref(), Some("us"));
    assert_eq!(
        t.move_org("ghost", None).unwrap_err().code(),
        ErrorCode::OrgNotFound
    );
}

// ---------------------------------------------------------------- decisions

#[derive(Clone, Copy)]
enum Q {
    Perm(&'static str),
    Role(&'static str),
    Member,
    Owner,
    Admin,
}

/// (user, org, query, inheritance, allowed, reason, via_org)
type DecisionRow = (
    &'static str,
    &'static str,
    Q,
    bool,
    bool,
    &'static str,
    Option<&'static str>,
);

#[test]
fn decision_table() {
    let t = tree();
    let roles = OrgRoles::system();
    let ms = memberships();
    use Q::*;
    // (user, org, query, inheritance, allowed, reason, via_org)
    let table: Vec<DecisionRow> = vec![
        // Direct grants.
        (
            "alice",
            "acme",
            Perm("org.settings.write"),
            true,
            true,
            reason::DIRECT_MEMBERSHIP,
            Some("acme"),
        ),
        (
            "alice",
            "acme",
            Perm("org"),
            true,
            true,
            reason::DIRECT_MEMBERSHIP,
            Some("acme"),
        ),
        (
            "alice",
            "acme",
            Perm("orga.x"),
            true,
            false,
            reason::PERMISSION_NOT_GRANTED,
            None,
        ),
        (
            "carol",
            "fr",
            Perm("org.read"),
            true,
            true,
            reason::DIRECT_MEMBERSHIP,
            Some("fr"),
        ),
        (
            "carol",
            "fr",
            Perm("org.members.invite"),
            true,
            false,
            reason::PERMISSION_NOT_GRANTED,
            None,
        ),
        // Inherited down to every depth.
        (
            "alice",
            "ops",
            Perm("org.members.remove"),
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("acme"),
        ),
        (
            "bob",
            "paris",
            Perm("org.members.invite"),
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("eu"),
        ),
        (
            "carol",
            "ops",
            Perm("org.members.read"),
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("fr"),
        ),
        // Nearest matching membership wins: dave is viewer at paris, nothing above.
        (
            "dave",
            "ops",
            Perm("org.read"),
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("paris"),
        ),
        // Never upward.
        (
            "carol",
            "eu",
            Perm("org.read"),
            true,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "bob",
            "acme",
            Perm("org.read"),
            true,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "gina",
            "acme",
            Perm("org.read"),
            true,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "gina",
            "eu",
            Perm("org.read"),
            true,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "dave",
            "fr",
            Perm("org.read"),
            true,
            false,
            reason::MEMBERSHIP_PENDING,
            None,
        ),
        // Inheritance off: only the queried organization's membership.
        (
            "alice",
            "ops",
            Perm("org.read"),
            false,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "bob",
            "fr",
            Perm("org.members.invite"),
            false,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "alice",
            "acme",
            Perm("org.read"),
            false,
            true,
            reason::DIRECT_MEMBERSHIP,
            Some("acme"),
        ),
        // Pending / suspended grant nothing; an active membership elsewhere still can.
        (
            "dave",
            "acme",
            Perm("org.read"),
            true,
            false,
            reason::MEMBERSHIP_PENDING,
            None,
        ),
        (
            "ivan",
            "fr",
            Perm("org.members.invite"),
            true,
            false,
            reason::MEMBERSHIP_PENDING,
            None,
        ),
        (
            "erin",
            "eu",
            Perm("org.members.invite"),
            true,
            false,
            reason::MEMBERSHIP_SUSPENDED,
            None,
        ),
        (
            "erin",
            "paris",
            Perm("org.members.invite"),
            true,
            false,
            reason::PERMISSION_NOT_GRANTED,
            None,
        ),
        (
            "erin",
            "paris",
            Perm("org.read"),
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("fr"),
        ),
        // Unknown role code grants nothing.
        (
            "hank",
            "acme",
            Perm("org.read"),
            true,
            false,
            reason::MEMBERSHIP_ROLE_UNKNOWN,
            None,
        ),
        // Inactive organization: blocks itself and its subtree, for its own owner too.
        (
            "frank",
            "dormant",
            Perm("org.read"),
            true,
            false,
            reason::ORG_INACTIVE,
            None,
        ),
        (
            "frank",
            "dormant-child",
            Perm("org.read"),
            true,
            false,
            reason::ORG_INACTIVE,
            None,
        ),
        (
            "frank",
            "dormant-child",
            Perm("org.read"),
            false,
            false,
            reason::ORG_INACTIVE,
            None,
        ),
        // Bad queries.
        (
            "alice",
            "ghost",
            Perm("org.read"),
            true,
            false,
            reason::ORG_NOT_FOUND,
            None,
        ),
        (
            "alice",
            "acme",
            Perm("org.*"),
            true,
            false,
            reason::INVALID_PERMISSION,
            None,
        ),
        (
            "alice",
            "acme",
            Perm(""),
            true,
            false,
            reason::INVALID_PERMISSION,
            None,
        ),
        (
            "alice",
            "acme",
            Perm(" org.read"),
            true,
            false,
            reason::INVALID_PERMISSION,
            None,
        ),
        (
            "alice",
            "acme",
            Role("ghost"),
            true,
            false,
            reason::UNKNOWN_ROLE,
            None,
        ),
        // Roles: exact, inherited, not upward.
        (
            "bob",
            "fr",
            Role("admin"),
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("eu"),
        ),
        (
            "bob",
            "fr",
            Role("admin"),
            false,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "bob",
            "eu",
            Role("member"),
            true,
            false,
            reason::ROLE_NOT_HELD,
            None,
        ),
        (
            "alice",
            "acme",
            Role("viewer"),
            true,
            false,
            reason::ROLE_NOT_HELD,
            None,
        ),
        // Owner of an ancestor is owner and admin of every descendant (inheritance on).
        (
            "alice",
            "ops",
            Owner,
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("acme"),
        ),
        (
            "alice",
            "ops",
            Admin,
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("acme"),
        ),
        (
            "alice",
            "ops",
            Owner,
            false,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "alice",
            "acme",
            Admin,
            true,
            true,
            reason::DIRECT_MEMBERSHIP,
            Some("acme"),
        ),
        (
            "bob",
            "eu",
            Admin,
            true,
            true,
            reason::DIRECT_MEMBERSHIP,
            Some("eu"),
        ),
        ("bob", "eu", Owner, true, false, reason::ROLE_NOT_HELD, None),
        (
            "carol",
            "fr",
            Admin,
            true,
            false,
            reason::ROLE_NOT_HELD,
            None,
        ),
        // olga owns a sibling root: nothing crosses roots; her acme viewer role applies.
        (
            "olga",
            "eu",
            Admin,
            true,
            false,
            reason::ROLE_NOT_HELD,
            None,
        ),
        (
            "olga",
            "eu",
            Perm("org.read"),
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("acme"),
        ),
        // Membership.
        (
            "carol",
            "ops",
            Member,
            true,
            true,
            reason::INHERITED_MEMBERSHIP,
            Some("fr"),
        ),
        (
            "carol",
            "ops",
            Member,
            false,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "gina",
            "acme",
            Member,
            true,
            false,
            reason::NOT_A_MEMBER,
            None,
        ),
        (
            "ivan",
            "eu",
            Member,
            true,
            false,
            reason::MEMBERSHIP_PENDING,
            None,
        ),
    ];
    let index = MembershipIndex::new(ms.clone()).unwrap();
    for (user, o, q, inherit, allowed, why, via) in table {
        let by_vec = OrgAuthz::new(&t, &roles, &ms).with_inheritance(inherit);
        let by_index = OrgAuthz::new(&t, &roles, &index).with_inheritance(inherit);
        let lookup = |u: &str, org_id: &str| {
            ms.iter()
                .find(|x| x.user_id == u && x.org_id == org_id)
                .cloned()
        };
        let by_closure = OrgAuthz::new(&t, &roles, &lookup).with_inheritance(inherit);
        let ask = |a: &dyn Fn(Q) -> org::OrgDecision| a(q);
        let d1 = ask(&|q| match q {
            Perm(c) => by_vec.has_org_permission(user, o, c),
            Role(r) => by_vec.has_org_role(user, o, r),
            Member => by_vec.is_member(user, o),
            Owner => by_vec.is_owner(user, o),
            Admin => by_vec.is_admin(user, o),
        });
        let d2 = ask(&|q| match q {
            Perm(c) => by_index.has_org_permission(user, o, c),
            Role(r) => by_index.has_org_role(user, o, r),
            Member => by_index.is_member(user, o),
            Owner => by_index.is_owner(user, o),
            Admin => by_index.is_admin(user, o),
        });
        let d3 = ask(&|q| match q {
            Perm(c) => by_closure.has_org_permission(user, o, c),
            Role(r) => by_closure.has_org_role(user, o, r),
            Member => by_closure.is_member(user, o),
            Owner => by_closure.is_owner(user, o),
            Admin => by_closure.is_admin(user, o),
        });
        let label = format!("{user} @ {o} inherit={inherit}");
        assert_eq!(
            (d1.allowed, d1.reason, d1.via_org.as_deref()),
            (allowed, why, via),
            "{label}"
        );
        assert_eq!(d1, d2, "{label}");
        assert_eq!(d1, d3, "{label}");
        if allowed {
            let role = ms
                .iter()
                .find(|x| x.user_id == user && Some(x.org_id.as_str()) == via)
                .unwrap()
                .role
                .clone();
            assert_eq!(d1.role, Some(role), "{label}");
        } else {
            assert_eq!(d1.role, None, "{label}");
        }
    }
}

#[test]
fn a_lookup_answering_for_someone_else_is_ignored() {
    let t = tree();
    let roles = OrgRoles::system();
    let wrong = |_: &str, _: &str| Some(m("alice", "acme", "owner", MembershipStatus::Active));
    let a = OrgAuthz::new(&t, &roles, &wrong);
    assert!(!a.has_org_permission("mallory", "acme", "org.read").allowed);
    // The answer for (alice, eu) names acme: ignored; the one for (alice, acme) is real.
    let d = a.has_org_permission("alice", "eu", "org.read");
    assert_eq!(
        (d.reason, d.via_org.as_deref()),
        (reason::INHERITED_MEMBERSHIP, Some("acme"))
    );
    let a = a.with_inheritance(false);
    assert!(!a.has_org_permission("alice", "eu", "org.read").allowed);
}

#[test]
fn guards_map_denials_to_error_codes() {
    let t = tree();
    let roles = OrgRoles::system();
    let ms = memberships();
    let a = OrgAuthz::new(&t, &roles, &ms);
    for (user, o, code, want) in [
        (
            "carol",
            "fr",
            "org.members.invite",
            ErrorCode::OrgPermissionDenied,
        ),
        ("carol", "ghost", "org.read", ErrorCode::OrgNotFound),
        ("frank", "dormant", "org.read", ErrorCode::OrgInactive),
        ("carol", "fr", "org.*", ErrorCode::InvalidInput),
    ] {
        let e = a.require_permission(user, o, code).unwrap_err();
        assert_eq!(e.code(), want, "{user} {o} {code}");
    }
    let e = a
        .require_permission("carol", "fr", "org.members.invite")
        .unwrap_err();
    assert_eq!(e.details().unwrap()["required"], "org.members.invite");
    assert_eq!(e.details().unwrap()["reason"], "permission_not_granted");
    assert!(a.require_permission("alice", "ops", "org.read").is_ok());
}

#[test]
fn settings_switch_the_feature_and_inheritance() {
    let t = tree();
    let roles = OrgRoles::system();
    let ms = memberships();
    let mut s = Settings::default().organizations;
    assert!(!s.enabled, "organizations are opt-in");
    let e = OrgAuthz::from_settings(&s, &t, &roles, &ms).err().unwrap();
    assert_eq!(e.code(), ErrorCode::OrgDisabled);
    s.enabled = true;
    let a = OrgAuthz::from_settings(&s, &t, &roles, &ms).unwrap();
    assert!(a.inheritance());
    assert!(a.has_org_permission("alice", "eu", "org.read").allowed);
    s.role_inheritance = false;
    let a = OrgAuthz::from_settings(&s, &t, &roles, &ms).unwrap();
    assert!(!a.has_org_permission("alice", "eu", "org.read").allowed);
}

#[test]
fn custom_wildcard_role_in_decisions() {
    let t = tree();
    let mut all = org::system_roles();
    all.push(OrgRole::new("billing", "Billing", &["org.billing.*", "org.read"]).unwrap());
    let roles = OrgRoles::new(all).unwrap();
    let ms = vec![m("zoe", "eu", "billing", MembershipStatus::Active)];
    let a = OrgAuthz::new(&t, &roles, &ms);
    for (code, ok) in [
        ("org.billing", true),
        ("org.billing.refund", true),
        ("org.billingx", false),
        ("org.bill", false),
        ("org.read", true),
        ("org.members.read", false),
    ] {
        assert_eq!(
            a.has_org_permission("zoe", "fr", code).allowed,
            ok,
            "{code}"
        );
    }
}

// ---------------------------------------------------------------- member operations

struct Fixture {
    tree: OrgTree,
    roles: OrgRoles,
    ms: Vec<Membership>,
}

impl Fixture {
    fn new(ms: Vec<Membership>, max_members: u32) -> Fixture {
        let mut os = orgs();
        for o in &mut os {
            o.max_members = max_members;
        }
        Fixture {
            tree: OrgTree::new(os, 5).unwrap(),
            roles: OrgRoles::system(),
            ms,
        }
    }
}

fn eu_members() -> Vec<Membership> {
    use MembershipStatus::*;
    vec![
        m("alice", "acme", "owner", Active),
        m("owen", "eu", "owner", Active),
        m("bob", "eu", "admin", Active),
        m("carol", "eu", "member", Active),
        m("ivan", "eu", "viewer", Pending),
        m("sam", "eu", "member", Suspended),
    ]
}

fn code<T: std::fmt::Debug>(r: tenxyte_core::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

#[test]
fn add_member_rules() {
    let f = Fixture::new(eu_members(), 0);
    let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
    let ops = OrgMembers::new(&a, "eu", &f.ms, &[]).unwrap();
    let new = ops.add_member("bob", "newbie", None, NOW).unwrap();
    assert_eq!(
        (
            new.org_id.as_str(),
            new.role.as_str(),
            new.status,
            new.invited_by.as_deref(),
            new.joined_at
        ),
        ("eu", "member", MembershipStatus::Active, Some("bob"), NOW)
    );
    assert_eq!(
        ops.add_member("bob", "newbie", Some("viewer"), NOW)
            .unwrap()
            .role,
        "viewer"
    );
    // Ancestor owner may add, through inheritance.
    assert!(ops
        .add_member("alice", "newbie", Some("owner"), NOW)
        .is_ok());
    assert_eq!(
        code(ops.add_member("carol", "newbie", None, NOW)),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(ops.add_member("bob", "newbie", Some("owner"), NOW)),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(ops.add_member("bob", "newbie", Some("ghost"), NOW)),
        ErrorCode::OrgRoleNotFound
    );
    for existing in ["carol", "ivan", "sam", "owen"] {
        assert_eq!(
            code(ops.add_member("bob", existing, None, NOW)),
            ErrorCode::AlreadyMember,
            "{existing}"
        );
    }
    assert_eq!(
        code(ops.add_member("bob", "", None, NOW)),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        OrgMembers::new(&a, "ghost", &f.ms, &[])
            .err()
            .unwrap()
            .code(),
        ErrorCode::OrgNotFound
    );
}

#[test]
fn member_limit_counts_active_pending_and_open_invitations() {
    // eu has owen, bob, carol (active), ivan (pending), sam (suspended): 4 seats taken.
    for (limit, invitations, ok) in [
        (0u32, 0usize, true),
        (5, 0, true),
        (4, 0, false),
        (6, 1, true),
        (6, 2, false),
    ] {
        let f = Fixture::new(eu_members(), limit);
        let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
        let invs: Vec<_> = (0..invitations)
            .map(|i| org::Invitation {
                id: format!("inv{i}"),
                org_id: "eu".into(),
                email: format!("x{i}@example.com"),
                role: "member".into(),
                token_hash: secret::hash("x"),
                invited_by: "bob".into(),
                status: InvitationStatus::Pending,
                created_at: NOW - 10,
                expires_at: NOW + 10,
                accepted_at: None,
            })
            .collect();
        let ops = OrgMembers::new(&a, "eu", &f.ms, &invs).unwrap();
        let r = ops.add_member("bob", "newbie", None, NOW);
        assert_eq!(r.is_ok(), ok, "limit {limit} invitations {invitations}");
        if !ok {
            assert_eq!(code(r), ErrorCode::OrgMemberLimit);
        }
        // Expired or accepted invitations free their seat.
        let freed: Vec<_> = invs
            .iter()
            .cloned()
            .map(|mut i| {
                i.expires_at = NOW;
                i
            })
            .collect();
        let ops = OrgMembers::new(&a, "eu", &f.ms, &freed).unwrap();
        assert_eq!(ops.seats_taken(NOW), 4);
    }
}

#[test]
fn change_role_rules() {
    let f = Fixture::new(eu_members(), 0);
    let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
    let ops = OrgMembers::new(&a, "eu", &f.ms, &[]).unwrap();
    assert_eq!(
        ops.change_role("bob", "carol", "viewer").unwrap().role,
        "viewer"
    );
    // The owner role cannot be granted or taken by a non-owner.
    assert_eq!(
        code(ops.change_role("bob", "carol", "owner")),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(ops.change_role("bob", "owen", "member")),
        ErrorCode::OrgPermissionDenied
    );
    // Owners can, and an ancestor owner counts as owner.
    assert_eq!(
        ops.change_role("owen", "carol", "owner").unwrap().role,
        "owner"
    );
    assert_eq!(
        ops.change_role("alice", "bob", "owner").unwrap().role,
        "owner"
    );
    // The last direct owner cannot be demoted, even by themselves or an ancestor owner.
    assert_eq!(
        code(ops.change_role("owen", "owen", "admin")),
        ErrorCode::OrgLastOwner
    );
    assert_eq!(
        code(ops.change_role("alice", "owen", "admin")),
        ErrorCode::OrgLastOwner
    );
    assert_eq!(
        code(ops.change_role("carol", "ivan", "member")),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(ops.change_role("bob", "nobody", "member")),
        ErrorCode::NotAMember
    );
    assert_eq!(
        code(ops.change_role("bob", "carol", "ghost")),
        ErrorCode::OrgRoleNotFound
    );
    // With a second owner, demotion is fine.
    let mut ms = eu_members();
    ms.push(m("otto", "eu", "owner", MembershipStatus::Active));
    let a = OrgAuthz::new(&f.tree, &f.roles, &ms);
    let ops = OrgMembers::new(&a, "eu", &ms, &[]).unwrap();
    assert_eq!(
        ops.change_role("owen", "owen", "admin").unwrap().role,
        "admin"
    );
    // A suspended second owner does not count.
    let mut ms = eu_members();
    ms.push(m("otto", "eu", "owner", MembershipStatus::Suspended));
    let a = OrgAuthz::new(&f.tree, &f.roles, &ms);
    let ops = OrgMembers::new(&a, "eu", &ms, &[]).unwrap();
    assert_eq!(
        code(ops.change_role("owen", "owen", "admin")),
        ErrorCode::OrgLastOwner
    );
}

#[test]
fn remove_and_leave_rules() {
    let f = Fixture::new(eu_members(), 0);
    let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
    let ops = OrgMembers::new(&a, "eu", &f.ms, &[]).unwrap();
    assert_eq!(ops.remove_member("bob", "carol").unwrap().user_id, "carol");
    assert_eq!(
        code(ops.remove_member("carol", "bob")),
        ErrorCode::OrgPermissionDenied
    );
    // Admin cannot remove the owner; the owner cannot be removed while the last one.
    assert_eq!(
        code(ops.remove_member("bob", "owen")),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(ops.remove_member("alice", "owen")),
        ErrorCode::OrgLastOwner
    );
    assert_eq!(
        code(ops.remove_member("bob", "ghost")),
        ErrorCode::NotAMember
    );
    // Anyone may leave, without any permission, pending and suspended included...
    for u in ["carol", "ivan", "sam", "bob"] {
        assert_eq!(ops.leave(u).unwrap().user_id, u);
        assert_eq!(ops.remove_member(u, u).unwrap().user_id, u);
    }
    // ...except the last owner.
    assert_eq!(code(ops.leave("owen")), ErrorCode::OrgLastOwner);
    assert_eq!(code(ops.leave("alice")), ErrorCode::NotAMember);
    let mut ms = eu_members();
    ms.push(m("otto", "eu", "owner", MembershipStatus::Active));
    let a = OrgAuthz::new(&f.tree, &f.roles, &ms);
    let ops = OrgMembers::new(&a, "eu", &ms, &[]).unwrap();
    assert!(ops.leave("owen").is_ok());
    assert!(ops.remove_member("otto", "owen").is_ok());
    assert_eq!(
        code(ops.remove_member("bob", "owen")),
        ErrorCode::OrgPermissionDenied
    );
}

#[test]
fn create_organization_rules() {
    let f = Fixture::new(eu_members(), 0);
    let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
    let c = org::create_organization(&a, "zed", org("zed-co", None), NOW).unwrap();
    assert_eq!(c.organization.created_by, "zed");
    assert_eq!(c.organization.created_at, NOW);
    assert_eq!(
        (c.owner.role.as_str(), c.owner.status),
        ("owner", MembershipStatus::Active)
    );
    assert!(org::create_organization(&a, "owen", org("eu-sub", Some("eu")), NOW).is_ok());
    assert!(org::create_organization(&a, "alice", org("eu-sub", Some("eu")), NOW).is_ok());
    assert_eq!(
        code(org::create_organization(
            &a,
            "bob",
            org("eu-sub", Some("eu")),
            NOW
        )),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(org::create_organization(
            &a,
            "alice",
            org("deep", Some("ops")),
            NOW
        )),
        ErrorCode::OrgDepthExceeded
    );
}

// ---------------------------------------------------------------- invitations

fn invite_ops_fixture() -> Fixture {
    Fixture::new(eu_members(), 0)
}

fn token(n: u8) -> String {
    secret::generate_with_random(SecretKind::Invitation, &[n; 32])
        .raw()
        .to_owned()
}

fn req(email: &str, role: Option<&str>) -> InviteRequest {
    InviteRequest {
        id: "inv-1".into(),
        email: email.into(),
        role: role.map(Into::into),
        lifetime_secs: 7 * 86_400,
    }
}

#[test]
fn invite_rules() {
    let f = invite_ops_fixture();
    let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
    let ops = OrgMembers::new(&a, "eu", &f.ms, &[]).unwrap();
    let issued = ops
        .invite("bob", &req(" New@Example.com ", None), NOW)
        .unwrap();
    assert_eq!(secret::kind_of(&issued.token), Some(SecretKind::Invitation));
    let inv = &issued.invitation;
    assert!(secret::verify(&issued.token, &inv.token_hash));
    assert_eq!(inv.email, "New@Example.com");
    assert_eq!(inv.role, "member");
    assert_eq!(inv.status, InvitationStatus::Pending);
    assert_eq!(inv.expires_at, NOW + 7 * 86_400);
    assert!(
        !format!("{inv:?}").contains(&issued.token),
        "the record never holds the raw token"
    );

    assert_eq!(
        code(ops.invite("carol", &req("x@example.com", None), NOW)),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(ops.invite("bob", &req("x@example.com", Some("owner")), NOW)),
        ErrorCode::OrgPermissionDenied
    );
    assert!(ops
        .invite("owen", &req("x@example.com", Some("owner")), NOW)
        .is_ok());
    assert_eq!(
        code(ops.invite("bob", &req("x@example.com", Some("ghost")), NOW)),
        ErrorCode::OrgRoleNotFound
    );
    for bad in [
        "",
        "no-at",
        "@example.com",
        "a@",
        "a@b@c",
        "a b@example.com",
        "a@exa\nmple.com",
    ] {
        assert_eq!(
            code(ops.invite("bob", &req(bad, None), NOW)),
            ErrorCode::InvalidInput,
            "{bad:?}"
        );
    }
    let mut zero = req("x@example.com", None);
    zero.lifetime_secs = 0;
    assert_eq!(code(ops.invite("bob", &zero, NOW)), ErrorCode::InvalidInput);
    // A token of another kind is refused.
    let refresh = secret::generate_with_random(SecretKind::Refresh, &[1; 32]);
    assert_eq!(
        code(ops.invite_with_token("bob", &req("x@example.com", None), refresh.raw(), NOW)),
        ErrorCode::InvalidInput
    );
    // A second open invitation for the same address (any case) is refused; an expired one is not.
    let open = [issued.invitation.clone()];
    let ops2 = OrgMembers::new(&a, "eu", &f.ms, &open).unwrap();
    assert_eq!(
        code(ops2.invite("bob", &req("new@EXAMPLE.com", None), NOW)),
        ErrorCode::AlreadyInvited
    );
    assert!(ops2
        .invite("bob", &req("new@example.com", None), inv.expires_at)
        .is_ok());
    // Limit: eu has 4 seats taken; with max 5 and one open invitation it is full.
    let f5 = Fixture::new(eu_members(), 5);
    let a5 = OrgAuthz::new(&f5.tree, &f5.roles, &f5.ms);
    let ops5 = OrgMembers::new(&a5, "eu", &f5.ms, &open).unwrap();
    assert_eq!(
        code(ops5.invite("bob", &req("y@example.com", None), NOW)),
        ErrorCode::OrgMemberLimit
    );
}

fn issued_invitation() -> (String, org::Invitation) {
    let f = invite_ops_fixture();
    let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
    let ops = OrgMembers::new(&a, "eu", &f.ms, &[]).unwrap();
    let raw = token(42);
    let inv = ops
        .invite_with_token(
            "bob",
            &req("New.User@Example.com", Some("viewer")),
            &raw,
            NOW,
        )
        .unwrap();
    (raw, inv)
}

/// (name, invitation, token, email, existing membership, now, expected error)
type AcceptRow<'a> = (
    &'a str,
    &'a org::Invitation,
    &'a str,
    &'a str,
    Option<&'a Membership>,
    i64,
    Option<ErrorCode>,
);

#[test]
fn accept_table() {
    let (raw, inv) = issued_invitation();
    let exp = inv.expires_at;
    let mut accepted = inv.clone();
    accepted.status = InvitationStatus::Accepted;
    let mut declined = inv.clone();
    declined.status = InvitationStatus::Declined;
    let mut revoked = inv.clone();
    revoked.status = InvitationStatus::Revoked;
    let mut expired = inv.clone();
    expired.status = InvitationStatus::Expired;
    let other_token = token(43);
    let refresh = secret::generate_with_random(SecretKind::Refresh, &[42; 32])
        .raw()
        .to_owned();
    let active = m("newbie", "eu", "member", MembershipStatus::Active);
    let suspended = m("newbie", "eu", "member", MembershipStatus::Suspended);
    let foreign = m("someone", "eu", "member", MembershipStatus::Pending);
    let cases: Vec<AcceptRow<'_>> = vec![
        (
            "valid",
            &inv,
            &raw,
            "New.User@Example.com",
            None,
            NOW + 1,
            None,
        ),
        (
            "email case-insensitive, trimmed",
            &inv,
            &raw,
            "  new.user@example.COM ",
            None,
            NOW,
            None,
        ),
        (
            "one second before expiry",
            &inv,
            &raw,
            "new.user@example.com",
            None,
            exp - 1,
            None,
        ),
        (
            "now == expires_at is expired",
            &inv,
            &raw,
            "new.user@example.com",
            None,
            exp,
            Some(ErrorCode::InvitationExpired),
        ),
        (
            "after expiry",
            &inv,
            &raw,
            "new.user@example.com",
            None,
            exp + 1,
            Some(ErrorCode::InvitationExpired),
        ),
        (
            "wrong token",
            &inv,
            &other_token,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationInvalid),
        ),
        (
            "same random, other kind",
            &inv,
            &refresh,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationInvalid),
        ),
        (
            "empty token",
            &inv,
            "",
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationInvalid),
        ),
        (
            "hash instead of token",
            &inv,
            &inv.token_hash,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationInvalid),
        ),
        (
            "wrong email",
            &inv,
            &raw,
            "attacker@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationEmailMismatch),
        ),
        (
            "other domain",
            &inv,
            &raw,
            "new.user@example.org",
            None,
            NOW,
            Some(ErrorCode::InvitationEmailMismatch),
        ),
        (
            "no Unicode folding",
            &inv,
            &raw,
            "new.user@exampLe.com\u{212A}",
            None,
            NOW,
            Some(ErrorCode::InvitationEmailMismatch),
        ),
        (
            "reuse",
            &accepted,
            &raw,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationUsed),
        ),
        (
            "declined",
            &declined,
            &raw,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationInvalid),
        ),
        (
            "revoked",
            &revoked,
            &raw,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationInvalid),
        ),
        (
            "marked expired",
            &expired,
            &raw,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationExpired),
        ),
        (
            "wrong token on used invitation says nothing about its state",
            &accepted,
            &other_token,
            "new.user@example.com",
            None,
            NOW,
            Some(ErrorCode::InvitationInvalid),
        ),
        (
            "already active",
            &inv,
            &raw,
            "new.user@example.com",
            Some(&active),
            NOW,
            Some(ErrorCode::AlreadyMember),
        ),
        (
            "suspension not lifted",
            &inv,
            &raw,
            "new.user@example.com",
            Some(&suspended),
            NOW,
            Some(ErrorCode::AlreadyMember),
        ),
        (
            "foreign existing record",
            &inv,
            &raw,
            "new.user@example.com",
            Some(&foreign),
            NOW,
            Some(ErrorCode::InvalidInput),
        ),
    ];
    for (name, i, t, email, existing, now, want) in cases {
        let r = org::accept(i, t, "newbie", email, existing, now);
        assert_eq!(r.as_ref().err().map(|e| e.code()), want, "{name}");
        if let Ok(ok) = r {
            assert_eq!(ok.invitation.status, InvitationStatus::Accepted);
            assert_eq!(ok.invitation.accepted_at, Some(now));
            assert_eq!(ok.membership.role, "viewer");
            assert_eq!(ok.membership.status, MembershipStatus::Active);
            assert_eq!(ok.membership.invited_by.as_deref(), Some("bob"));
            // Single use: accepting the result again fails.
            let again = org::accept(
                &ok.invitation,
                t,
                "newbie",
                email,
                Some(&ok.membership),
                now,
            );
            assert_eq!(
                again.unwrap_err().code(),
                ErrorCode::InvitationUsed,
                "{name}"
            );
        }
    }
}

#[test]
fn accept_activates_a_pending_membership_instead_of_duplicating() {
    let (raw, inv) = issued_invitation();
    let mut pending = m("newbie", "eu", "member", MembershipStatus::Pending);
    pending.joined_at = NOW - 5;
    let ok = org::accept(
        &inv,
        &raw,
        "newbie",
        "new.user@example.com",
        Some(&pending),
        NOW + 9,
    )
    .unwrap();
    assert_eq!(ok.membership.org_id, "eu");
    assert_eq!(ok.membership.user_id, "newbie");
    assert_eq!(
        ok.membership.role, "viewer",
        "the invitation's role applies"
    );
    assert_eq!(ok.membership.status, MembershipStatus::Active);
    assert_eq!(ok.membership.joined_at, NOW + 9);
}

#[test]
fn legacy_tenxyte_invitation_rows_still_accept() {
    // Tenxyte stored token_urlsafe(48) in clear; a migration stores its SHA-256 instead.
    let (_, mut inv) = issued_invitation();
    let legacy = "Qm9yaW5nLWxlZ2FjeS10b2tlbi0wMTIzNDU2Nzg5YWJjZGVmZ2hpamtsbW5vcHFy";
    inv.token_hash = secret::hash(legacy);
    assert!(org::accept(&inv, legacy, "newbie", "new.user@example.com", None, NOW).is_ok());
}

#[test]
fn decline_revoke_expire() {
    let (raw, inv) = issued_invitation();
    let d = org::decline(&inv, &raw, NOW).unwrap();
    assert_eq!(d.status, InvitationStatus::Declined);
    assert_eq!(
        code(org::decline(&inv, &token(1), NOW)),
        ErrorCode::InvitationInvalid
    );
    assert_eq!(
        code(org::decline(&d, &raw, NOW)),
        ErrorCode::InvitationInvalid
    );
    assert_eq!(
        code(org::decline(&inv, &raw, inv.expires_at)),
        ErrorCode::InvitationExpired
    );
    assert_eq!(
        code(org::accept(
            &d,
            &raw,
            "newbie",
            "new.user@example.com",
            None,
            NOW
        )),
        ErrorCode::InvitationInvalid
    );

    let f = invite_ops_fixture();
    let a = OrgAuthz::new(&f.tree, &f.roles, &f.ms);
    let ops = OrgMembers::new(&a, "eu", &f.ms, &[]).unwrap();
    assert_eq!(
        ops.revoke_invitation("bob", &inv).unwrap().status,
        InvitationStatus::Revoked
    );
    assert_eq!(
        code(ops.revoke_invitation("carol", &inv)),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(ops.revoke_invitation("bob", &d)),
        ErrorCode::InvitationInvalid
    );
    let us = OrgMembers::new(&a, "us", &f.ms, &[]).unwrap();
    assert_eq!(
        code(us.revoke_invitation("alice", &inv)),
        ErrorCode::InvitationInvalid
    );

    assert_eq!(org::expire_invitation(&inv, inv.expires_at - 1), None);
    assert_eq!(
        org::expire_invitation(&inv, inv.expires_at).unwrap().status,
        InvitationStatus::Expired
    );
    assert_eq!(org::expire_invitation(&d, inv.expires_at + 1), None);
}

#[test]
fn records_round_trip_and_refuse_unknown_fields() {
    let o = org("acme", None);
    let v = serde_json::to_value(&o).unwrap();
    assert_eq!(
        serde_json::from_value::<Organization>(v.clone()).unwrap(),
        o
    );
    let mut bad = v;
    bad["parnet_id"] = "x".into();
    assert!(serde_json::from_value::<Organization>(bad).is_err());
    let mem = m("a", "b", "owner", MembershipStatus::Suspended);
    let v = serde_json::to_value(&mem).unwrap();
    assert_eq!(v["status"], "suspended");
    assert_eq!(serde_json::from_value::<Membership>(v).unwrap(), mem);
    let (_, inv) = issued_invitation();
    let v = serde_json::to_value(&inv).unwrap();
    assert_eq!(v["status"], "pending");
    assert_eq!(serde_json::from_value::<org::Invitation>(v).unwrap(), inv);
    assert!(serde_json::from_str::<OrgRole>(
        r#"{"code":"x","name":"X","permissions":[],"is_system":false,"is_default":false,"extra":1}"#
    )
    .is_err());
}
