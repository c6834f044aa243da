#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Organization flows end to end on MemoryStore: create, children, move, tree, slug
//! lookup, members, last owner, invitations, inheritance, audit.

mod common;

use common::{login, register, Host};
use serde_json::{json, Value};
use tenxyte_core::drive::Flow;
use tenxyte_core::org::{InvitationStatus, MembershipStatus, OrgDecision, Organization};
use tenxyte_core::service::audit::{query, AuditQuery};
use tenxyte_core::service::orgs::{org_permission, CreateOrgRequest, InviteMemberRequest};
use tenxyte_core::store::{keys, Op, OpResult, SyncStore};
use tenxyte_core::ErrorCode;

struct User {
    id: String,
    email: String,
    token: String,
}

fn host(overrides: Value) -> Host {
    let base = json!({"organizations": {"enabled": true}, "audit": {"enabled": true}});
    let mut merged = base;
    if let (Some(m), Some(o)) = (merged.as_object_mut(), overrides.as_object()) {
        for (k, v) in o {
            let slot = m.entry(k.clone()).or_insert(json!({}));
            if let (Some(s), Some(v)) = (slot.as_object_mut(), v.as_object()) {
                s.extend(v.clone());
            } else {
                *slot = v.clone();
            }
        }
    }
    Host::new(merged)
}

fn user(host: &mut Host, email: &str) -> User {
    let id = register(host, email);
    let token = login(host, email).access_token;
    User {
        id,
        email: email.to_owned(),
        token,
    }
}

fn req(name: &str, slug: &str) -> CreateOrgRequest {
    CreateOrgRequest {
        name: name.into(),
        slug: slug.into(),
        ..CreateOrgRequest::default()
    }
}

fn create(host: &mut Host, who: &User, slug: &str) -> tenxyte_core::Result<Organization> {
    let flow = host
        .engine
        .create_organization(who.token.clone(), req(slug, slug), host.ctx());
    host.run(flow)
}

fn child(
    host: &mut Host,
    who: &User,
    parent: &str,
    slug: &str,
) -> tenxyte_core::Result<Organization> {
    let flow = host.engine.create_child_organization(
        who.token.clone(),
        parent.into(),
        req(slug, slug),
        host.ctx(),
    );
    host.run(flow)
}

fn invite(
    host: &mut Host,
    who: &User,
    org: &str,
    email: &str,
    role: Option<&str>,
) -> tenxyte_core::Result<String> {
    let flow = host.engine.invite_member(
        who.token.clone(),
        InviteMemberRequest {
            org_id: org.into(),
            email: email.into(),
            role: role.map(str::to_owned),
            accept_url: Some("https://app.example/join".into()),
        },
        host.ctx(),
    );
    let view = host.run(flow)?;
    assert_eq!(view.status, InvitationStatus::Pending);
    let sent = host.log().last_to(email).expect("invitation email");
    assert_eq!(sent.message.template, "organization_invitation");
    let token = sent.message.data["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("txi_"));
    assert_eq!(
        sent.message.data["link"],
        json!(format!("https://app.example/join?token={token}"))
    );
    Ok(token)
}

fn accept(host: &mut Host, who: &User, raw: &str) -> tenxyte_core::Result<()> {
    let flow = host
        .engine
        .accept_invitation(who.token.clone(), raw.into(), host.ctx());
    host.run(flow).map(|_| ())
}

/// Invites and accepts: `who` joins `org` with `role`.
fn join(host: &mut Host, by: &User, who: &User, org: &str, role: &str) {
    let raw = invite(host, by, org, &who.email, Some(role)).unwrap();
    accept(host, who, &raw).unwrap();
}

fn permission(host: &mut Host, user: &str, org: &str, code: &str) -> OrgDecision {
    let engine = host.engine.clone();
    let (user, org, code) = (user.to_owned(), org.to_owned(), code.to_owned());
    let flow =
        Flow::new(
            move |port| async move { org_permission(&port, &engine, &user, &org, &code).await },
        );
    host.run(flow).unwrap()
}

fn code<T: std::fmt::Debug>(r: tenxyte_core::Result<T>) -> ErrorCode {
    r.expect_err("expected an error").code()
}

fn list_ns(host: &mut Host, ns: &str) -> Vec<Value> {
    let op = Op::List {
        ns: ns.into(),
        prefix: String::new(),
        limit: 1000,
        cursor: None,
    };
    match host.store_mut().execute(&op) {
        OpResult::Listed { items, .. } => items.into_iter().map(|(_, r)| r.value).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn disabled_organizations_are_refused() {
    let mut h = Host::new(json!({}));
    let ann = user(&mut h, "ann@example.com");
    assert_eq!(code(create(&mut h, &ann, "acme")), ErrorCode::OrgDisabled);
}

#[test]
fn creator_becomes_owner_and_slugs_are_unique() {
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let acme = create(&mut h, &ann, "Acme").unwrap();
    assert_eq!(acme.slug, "acme");
    assert_eq!(acme.created_by, ann.id);
    let members = h
        .run(
            h.engine
                .list_members(ann.token.clone(), acme.id.clone(), h.ctx()),
        )
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].user_id.as_str(), members[0].role.as_str()),
        (ann.id.as_str(), "owner")
    );
    assert_eq!(members[0].email.as_deref(), Some("ann@example.com"));
    // Same slug, any case: taken.
    assert_eq!(
        code(create(&mut h, &bob, " ACME ")),
        ErrorCode::OrgSlugTaken
    );
    for bad in ["", "-x", "x-", "a b", "a/b", "ünï"] {
        assert_eq!(
            code(create(&mut h, &bob, bad)),
            ErrorCode::InvalidInput,
            "{bad:?}"
        );
    }
    // The slug resolves to the org for a member, and is refused to a non-member.
    let access = h
        .run(
            h.engine
                .organization_by_slug(ann.token.clone(), "acme".into(), h.ctx()),
        )
        .unwrap();
    assert_eq!(
        (access.role.as_str(), access.via_org.as_str()),
        ("owner", acme.id.as_str())
    );
    let e = h
        .run(
            h.engine
                .organization_by_slug(bob.token.clone(), "acme".into(), h.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::OrgPermissionDenied);
    let e = h
        .run(
            h.engine
                .organization_by_slug(bob.token.clone(), "nope".into(), h.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::OrgNotFound);
    // The audit trail has the creation under the org.
    let engine = h.engine.clone();
    let org_id = acme.id.clone();
    let page = h
        .run(Flow::new(move |port| async move {
            let _ = &engine;
            query(
                &port,
                &AuditQuery {
                    org_id: Some(org_id),
                    ..AuditQuery::default()
                },
            )
            .await
        }))
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].action, "org_created");
    assert_eq!(page.items[0].org_id.as_deref(), Some(acme.id.as_str()));
    let roles = h
        .run(h.engine.list_org_roles(bob.token.clone(), h.ctx()))
        .unwrap();
    let codes: Vec<&str> = roles.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["admin", "member", "owner", "viewer"]);
}

#[test]
fn children_need_a_parent_owner_and_respect_the_depth_limit() {
    let mut h = host(json!({"organizations": {"max_depth": 3}}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let root = create(&mut h, &ann, "root").unwrap();
    join(&mut h, &ann, &bob, &root.id, "admin");
    // An admin is not an owner: restructuring is an owner's act.
    assert_eq!(
        code(child(&mut h, &bob, &root.id, "x")),
        ErrorCode::OrgPermissionDenied
    );
    let a = child(&mut h, &ann, &root.id, "a").unwrap();
    let b = child(&mut h, &ann, &a.id, "b").unwrap();
    assert_eq!(b.parent_id.as_deref(), Some(a.id.as_str()));
    assert_eq!(
        code(child(&mut h, &ann, &b.id, "c")),
        ErrorCode::OrgDepthExceeded
    );
    assert_eq!(
        code(child(&mut h, &ann, "no-such-org", "d")),
        ErrorCode::OrgNotFound
    );
    let tree = h
        .run(
            h.engine
                .organization_tree(ann.token.clone(), root.id.clone(), h.ctx()),
        )
        .unwrap();
    assert_eq!(tree.organization.id, root.id);
    assert_eq!(tree.children.len(), 1);
    assert_eq!(tree.children[0].organization.id, a.id);
    assert_eq!(tree.children[0].children[0].organization.id, b.id);
}

#[test]
fn moves_refuse_cycles_and_depth_and_update_the_tree() {
    let mut h = host(json!({"organizations": {"max_depth": 3}}));
    let ann = user(&mut h, "ann@example.com");
    let root = create(&mut h, &ann, "root").unwrap();
    let a = child(&mut h, &ann, &root.id, "a").unwrap();
    let b = child(&mut h, &ann, &a.id, "b").unwrap();
    let other = create(&mut h, &ann, "other").unwrap();
    let mv = |h: &mut Host, org: &str, to: Option<&str>| {
        let flow = h.engine.move_organization(
            ann.token.clone(),
            org.into(),
            to.map(str::to_owned),
            h.ctx(),
        );
        h.run(flow)
    };
    assert_eq!(code(mv(&mut h, &a.id, Some(&b.id))), ErrorCode::OrgCycle);
    assert_eq!(code(mv(&mut h, &a.id, Some(&a.id))), ErrorCode::OrgCycle);
    // a has a child: under `other`'s child it would be 4 levels deep.
    let o1 = child(&mut h, &ann, &other.id, "o1").unwrap();
    assert_eq!(
        code(mv(&mut h, &a.id, Some(&o1.id))),
        ErrorCode::OrgDepthExceeded
    );
    let moved = mv(&mut h, &a.id, Some(&other.id)).unwrap();
    assert_eq!(moved.parent_id.as_deref(), Some(other.id.as_str()));
    let root_tree = h
        .run(
            h.engine
                .organization_tree(ann.token.clone(), root.id.clone(), h.ctx()),
        )
        .unwrap();
    assert!(root_tree.children.is_empty());
    let other_tree = h
        .run(
            h.engine
                .organization_tree(ann.token.clone(), other.id.clone(), h.ctx()),
        )
        .unwrap();
    let ids: Vec<&str> = other_tree
        .children
        .iter()
        .map(|c| c.organization.id.as_str())
        .collect();
    let mut want = vec![a.id.as_str(), o1.id.as_str()];
    want.sort();
    assert_eq!(ids, want);
    // To a root, then a's subtree is fine anywhere shallow enough.
    let moved = mv(&mut h, &a.id, None).unwrap();
    assert_eq!(moved.parent_id, None);
}

#[test]
fn moving_needs_ownership_of_both_ends() {
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let mine = create(&mut h, &ann, "mine").unwrap();
    let theirs = create(&mut h, &bob, "theirs").unwrap();
    let flow = h.engine.move_organization(
        ann.token.clone(),
        mine.id.clone(),
        Some(theirs.id.clone()),
        h.ctx(),
    );
    assert_eq!(code(h.run(flow)), ErrorCode::OrgPermissionDenied);
    let flow = h
        .engine
        .move_organization(bob.token.clone(), mine.id.clone(), None, h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::OrgPermissionDenied);
}

#[test]
fn inheritance_goes_down_never_up() {
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let cy = user(&mut h, "cy@example.com");
    let root = create(&mut h, &ann, "root").unwrap();
    let sub = child(&mut h, &ann, &root.id, "sub").unwrap();
    join(&mut h, &ann, &bob, &root.id, "admin");
    join(&mut h, &ann, &cy, &sub.id, "member");
    // Bob's admin role on the root applies in the child.
    let d = permission(&mut h, &bob.id, &sub.id, "org.members.invite");
    assert!(d.allowed, "{d:?}");
    assert_eq!(d.via_org.as_deref(), Some(root.id.as_str()));
    assert_eq!(d.reason, "inherited_membership");
    // Cy's membership in the child grants nothing in the root.
    let d = permission(&mut h, &cy.id, &root.id, "org.read");
    assert!(!d.allowed);
    assert_eq!(d.reason, "not_a_member");
    assert!(permission(&mut h, &cy.id, &sub.id, "org.read").allowed);
    assert!(!permission(&mut h, &cy.id, &sub.id, "org.members.invite").allowed);
    assert_eq!(
        permission(&mut h, &cy.id, "nope", "org.read").reason,
        "org_not_found"
    );
    // Bob can list the child's members (inherited membership), cy cannot list the root's.
    h.run(
        h.engine
            .list_members(bob.token.clone(), sub.id.clone(), h.ctx()),
    )
    .unwrap();
    let e = h
        .run(
            h.engine
                .list_members(cy.token.clone(), root.id.clone(), h.ctx()),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::OrgPermissionDenied);
    // Bob may invite into the child through the root.
    invite(&mut h, &bob, &sub.id, "dee@example.com", None).unwrap();
}

#[test]
fn without_inheritance_an_ancestor_role_does_not_apply() {
    let mut h = host(json!({"organizations": {"role_inheritance": false}}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let root = create(&mut h, &ann, "root").unwrap();
    let sub = child(&mut h, &ann, &root.id, "sub").unwrap();
    join(&mut h, &ann, &bob, &root.id, "admin");
    assert!(permission(&mut h, &bob.id, &root.id, "org.members.invite").allowed);
    let d = permission(&mut h, &bob.id, &sub.id, "org.members.invite");
    assert!(!d.allowed);
    assert_eq!(d.reason, "not_a_member");
    assert_eq!(
        code(invite(&mut h, &bob, &sub.id, "dee@example.com", None)),
        ErrorCode::OrgPermissionDenied
    );
}

#[test]
fn invitations_are_single_use_hashed_and_bound_to_the_email() {
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let eve = user(&mut h, "eve@example.com");
    let org = create(&mut h, &ann, "acme").unwrap();
    let raw = invite(&mut h, &ann, &org.id, "Bob@Example.com", Some("viewer")).unwrap();
    // At rest: the hash, never the raw token.
    let stored = list_ns(&mut h, keys::ORG_INVITATIONS);
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].to_string().contains(&raw));
    assert_eq!(
        stored[0]["token_hash"],
        json!(tenxyte_core::secret::hash(&raw))
    );
    // A second open invitation for the same address is refused.
    assert_eq!(
        code(invite(&mut h, &ann, &org.id, "bob@example.com", None)),
        ErrorCode::AlreadyInvited
    );
    assert_eq!(
        code(accept(&mut h, &eve, &raw)),
        ErrorCode::InvitationEmailMismatch
    );
    assert_eq!(
        code(accept(&mut h, &bob, "txi_not-a-real-token")),
        ErrorCode::InvitationInvalid
    );
    accept(&mut h, &bob, &raw).unwrap();
    assert_eq!(code(accept(&mut h, &bob, &raw)), ErrorCode::InvitationUsed);
    let members = h
        .run(
            h.engine
                .list_members(ann.token.clone(), org.id.clone(), h.ctx()),
        )
        .unwrap();
    let b = members.iter().find(|m| m.user_id == bob.id).unwrap();
    assert_eq!(
        (b.role.as_str(), b.status),
        ("viewer", MembershipStatus::Active)
    );
    // Already a member: no new invitation.
    assert_eq!(
        code(invite(&mut h, &ann, &org.id, "bob@example.com", None)),
        ErrorCode::AlreadyMember
    );
    // A viewer cannot invite.
    assert_eq!(
        code(invite(&mut h, &bob, &org.id, "cy@example.com", None)),
        ErrorCode::OrgPermissionDenied
    );
}

#[test]
fn expired_declined_and_revoked_invitations_cannot_be_accepted() {
    let mut h = host(json!({"organizations": {"invitation_lifetime_secs": 3600}}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let cy = user(&mut h, "cy@example.com");
    let dee = user(&mut h, "dee@example.com");
    let org = create(&mut h, &ann, "acme").unwrap();
    let for_bob = invite(&mut h, &ann, &org.id, &bob.email, None).unwrap();
    let for_cy = invite(&mut h, &ann, &org.id, &cy.email, None).unwrap();
    let for_dee = invite(&mut h, &ann, &org.id, &dee.email, None).unwrap();
    // Decline: only the invitee.
    let flow = h
        .engine
        .decline_invitation(bob.token.clone(), for_cy.clone(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::InvitationEmailMismatch);
    let flow = h
        .engine
        .decline_invitation(cy.token.clone(), for_cy.clone(), h.ctx());
    assert_eq!(h.run(flow).unwrap().status, InvitationStatus::Declined);
    assert_eq!(
        code(accept(&mut h, &cy, &for_cy)),
        ErrorCode::InvitationInvalid
    );
    // Revoke by id: then the token is dead.
    let listed = h
        .run(
            h.engine
                .list_invitations(ann.token.clone(), org.id.clone(), h.ctx()),
        )
        .unwrap();
    assert_eq!(listed.len(), 3);
    let dee_inv = listed.iter().find(|i| i.email == dee.email).unwrap();
    let flow = h.engine.revoke_invitation(
        ann.token.clone(),
        org.id.clone(),
        dee_inv.id.clone(),
        h.ctx(),
    );
    assert_eq!(h.run(flow).unwrap().status, InvitationStatus::Revoked);
    assert_eq!(
        code(accept(&mut h, &dee, &for_dee)),
        ErrorCode::InvitationInvalid
    );
    // Expiry: from expires_at on.
    h.advance(3600);
    // Tokens minted at login are short-lived; log in again.
    let bob = User {
        token: login(&mut h, &bob.email).access_token,
        ..bob
    };
    assert_eq!(
        code(accept(&mut h, &bob, &for_bob)),
        ErrorCode::InvitationExpired
    );
}

#[test]
fn member_limit_counts_members_and_open_invitations() {
    let mut h = host(json!({"organizations": {"max_members": 2}}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let org = create(&mut h, &ann, "acme").unwrap();
    assert_eq!(org.max_members, 2);
    let raw = invite(&mut h, &ann, &org.id, &bob.email, None).unwrap();
    let e = invite(&mut h, &ann, &org.id, "cy@example.com", None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::OrgMemberLimit);
    assert_eq!(e.details().unwrap()["max_members"], json!(2));
    accept(&mut h, &bob, &raw).unwrap();
    assert_eq!(
        code(invite(&mut h, &ann, &org.id, "cy@example.com", None)),
        ErrorCode::OrgMemberLimit
    );
    // A member leaving frees the seat.
    let flow = h
        .engine
        .leave_organization(bob.token.clone(), org.id.clone(), h.ctx());
    h.run(flow).unwrap();
    invite(&mut h, &ann, &org.id, "cy@example.com", None).unwrap();
}

#[test]
fn the_last_owner_cannot_leave_or_be_demoted_and_owners_are_owner_only() {
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let cy = user(&mut h, "cy@example.com");
    let org = create(&mut h, &ann, "acme").unwrap();
    let leave = |h: &mut Host, who: &User| {
        let flow = h
            .engine
            .leave_organization(who.token.clone(), org.id.clone(), h.ctx());
        h.run(flow)
    };
    let set_role = |h: &mut Host, by: &User, target: &str, role: &str| {
        let flow = h.engine.change_member_role(
            by.token.clone(),
            org.id.clone(),
            target.into(),
            role.into(),
            h.ctx(),
        );
        h.run(flow)
    };
    assert_eq!(code(leave(&mut h, &ann)), ErrorCode::OrgLastOwner);
    assert_eq!(
        code(set_role(&mut h, &ann, &ann.id, "admin")),
        ErrorCode::OrgLastOwner
    );
    join(&mut h, &ann, &bob, &org.id, "admin");
    join(&mut h, &ann, &cy, &org.id, "member");
    // An admin manages members but cannot grant, touch or remove ownership.
    assert_eq!(
        set_role(&mut h, &bob, &cy.id, "viewer").unwrap().role,
        "viewer"
    );
    assert_eq!(
        code(set_role(&mut h, &bob, &cy.id, "owner")),
        ErrorCode::OrgPermissionDenied
    );
    assert_eq!(
        code(set_role(&mut h, &bob, &ann.id, "member")),
        ErrorCode::OrgPermissionDenied
    );
    let flow = h
        .engine
        .remove_member(bob.token.clone(), org.id.clone(), ann.id.clone(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::OrgPermissionDenied);
    assert_eq!(
        code(set_role(&mut h, &ann, &cy.id, "boss")),
        ErrorCode::OrgRoleNotFound
    );
    // A member cannot remove anyone; an admin can remove a member.
    let flow = h
        .engine
        .remove_member(cy.token.clone(), org.id.clone(), bob.id.clone(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::OrgPermissionDenied);
    let flow = h
        .engine
        .remove_member(bob.token.clone(), org.id.clone(), cy.id.clone(), h.ctx());
    h.run(flow).unwrap();
    let flow = h
        .engine
        .remove_member(bob.token.clone(), org.id.clone(), cy.id.clone(), h.ctx());
    assert_eq!(code(h.run(flow)), ErrorCode::NotAMember);
    // With a second owner, the first may step down and leave.
    set_role(&mut h, &ann, &bob.id, "owner").unwrap();
    assert_eq!(
        set_role(&mut h, &ann, &ann.id, "admin").unwrap().role,
        "admin"
    );
    leave(&mut h, &ann).unwrap();
    assert_eq!(code(leave(&mut h, &bob)), ErrorCode::OrgLastOwner);
    let members = h
        .run(
            h.engine
                .list_members(bob.token.clone(), org.id.clone(), h.ctx()),
        )
        .unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].status, MembershipStatus::Active);
    // Audit: each change carries the org.
    let audited = list_ns(&mut h, keys::AUDIT);
    let org_events: Vec<&str> = audited
        .iter()
        .filter(|a| a["org_id"] == json!(org.id))
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for action in [
        "org_created",
        "org_invitation_sent",
        "org_invitation_accepted",
        "org_member_role_changed",
        "org_member_removed",
        "org_member_left",
    ] {
        assert!(org_events.contains(&action), "{action} in {org_events:?}");
    }
}

/// Drives a flow one store operation at a time, so two flows can be interleaved.
struct Stepper<T> {
    flow: Flow<T>,
    next: Option<(u32, Op)>,
    done: Option<tenxyte_core::Result<T>>,
}

impl<T: 'static> Stepper<T> {
    fn new(mut flow: Flow<T>) -> Self {
        let first = flow.start().unwrap();
        let mut s = Stepper {
            flow,
            next: None,
            done: None,
        };
        s.absorb(first);
        s
    }

    fn absorb(&mut self, step: tenxyte_core::drive::Step<T>) {
        match step {
            tenxyte_core::drive::Step::Need { seq, op } => self.next = Some((seq, op)),
            tenxyte_core::drive::Step::Done(r) => self.done = Some(r),
        }
    }

    fn step(&mut self, store: &mut impl SyncStore) {
        if let Some((seq, op)) = self.next.take() {
            let result = store.execute(&op);
            let step = self.flow.resume(seq, result).unwrap();
            self.absorb(step);
        }
    }
}

/// Runs `a` alone for `head_start` operations, then both in lockstep; both results.
fn race<A: 'static, B: 'static>(
    h: &mut Host,
    a: Flow<A>,
    b: Flow<B>,
    head_start: usize,
) -> (tenxyte_core::Result<A>, tenxyte_core::Result<B>) {
    let (mut a, mut b) = (Stepper::new(a), Stepper::new(b));
    for _ in 0..head_start {
        a.step(h.store_mut());
    }
    while a.done.is_none() || b.done.is_none() {
        a.step(h.store_mut());
        b.step(h.store_mut());
    }
    (a.done.unwrap(), b.done.unwrap())
}

#[test]
fn two_owners_leaving_at_once_never_leave_the_org_ownerless() {
    for head_start in 0..14 {
        let mut h = host(json!({}));
        let ann = user(&mut h, "ann@example.com");
        let bob = user(&mut h, "bob@example.com");
        let org = create(&mut h, &ann, "acme").unwrap();
        join(&mut h, &ann, &bob, &org.id, "owner");
        let a = h
            .engine
            .leave_organization(ann.token.clone(), org.id.clone(), h.ctx());
        let b = h
            .engine
            .leave_organization(bob.token.clone(), org.id.clone(), h.ctx());
        let (ra, rb) = race(&mut h, a, b, head_start);
        assert!(
            ra.is_err() || rb.is_err(),
            "head start {head_start}: both owners left"
        );
        for r in [ra.as_ref().err(), rb.as_ref().err()].into_iter().flatten() {
            assert_eq!(r.code(), ErrorCode::OrgLastOwner, "head start {head_start}");
        }
        let owners = list_ns(&mut h, keys::ORG_MEMBERSHIPS)
            .into_iter()
            .filter(|m| m["role"] == json!("owner") && m["status"] == json!("active"))
            .count();
        assert!(owners >= 1, "head start {head_start}: no active owner left");
    }
}

#[test]
fn racing_invitations_never_pass_the_member_limit() {
    for head_start in 0..14 {
        let mut h = host(json!({"organizations": {"max_members": 2}}));
        let ann = user(&mut h, "ann@example.com");
        let org = create(&mut h, &ann, "acme").unwrap();
        let inv = |h: &Host, email: &str| {
            h.engine.invite_member(
                ann.token.clone(),
                InviteMemberRequest {
                    org_id: org.id.clone(),
                    email: email.into(),
                    ..InviteMemberRequest::default()
                },
                h.ctx(),
            )
        };
        let (a, b) = (inv(&h, "bob@example.com"), inv(&h, "cy@example.com"));
        let (ra, rb) = race(&mut h, a, b, head_start);
        assert!(
            ra.is_err() || rb.is_err(),
            "head start {head_start}: both invited"
        );
        let open = list_ns(&mut h, keys::ORG_INVITATIONS).len();
        assert!(open <= 1, "head start {head_start}: {open} invitations");
    }
}

#[test]
fn a_store_failure_anywhere_in_a_permission_check_denies() {
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let root = create(&mut h, &ann, "root").unwrap();
    let sub = child(&mut h, &ann, &root.id, "sub").unwrap();
    let check = |h: &Host| {
        let engine = h.engine.clone();
        let (user, org) = (ann.id.clone(), sub.id.clone());
        Flow::new(move |port| async move {
            org_permission(&port, &engine, &user, &org, "org.members.invite").await
        })
    };
    let mut flow = check(&h);
    assert!(flow.run(h.store_mut()).unwrap().allowed);
    let ops = flow.transcript().len();
    assert!(ops >= 4, "chain of two orgs and two memberships: {ops} ops");
    for n in 0..ops {
        let mut faulty = tenxyte_stores::FaultStore::fail_nth(h.memory.clone(), n);
        let e = check(&h).run(&mut faulty).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StoreUnavailable, "failure at op {n}");
    }
}

#[test]
fn my_organizations_follow_joins_and_leaves() {
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let bob = user(&mut h, "bob@example.com");
    let a = create(&mut h, &ann, "a").unwrap();
    create(&mut h, &ann, "b").unwrap();
    join(&mut h, &ann, &bob, &a.id, "viewer");
    let mine = |h: &mut Host, who: &User| {
        let flow = h.engine.my_organizations(who.token.clone(), h.ctx());
        let mut v: Vec<(String, String)> = h
            .run(flow)
            .unwrap()
            .into_iter()
            .map(|m| (m.organization.slug, m.role))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        mine(&mut h, &ann),
        [
            ("a".to_owned(), "owner".to_owned()),
            ("b".to_owned(), "owner".to_owned())
        ]
    );
    assert_eq!(mine(&mut h, &bob), [("a".to_owned(), "viewer".to_owned())]);
    let flow = h
        .engine
        .leave_organization(bob.token.clone(), a.id.clone(), h.ctx());
    h.run(flow).unwrap();
    assert!(mine(&mut h, &bob).is_empty());
}

#[test]
fn a_create_dropped_at_any_point_never_strands_its_slug() {
    // How many operations a complete create takes.
    let mut h = host(json!({}));
    let ann = user(&mut h, "ann@example.com");
    let mut full = h
        .engine
        .create_organization(ann.token.clone(), req("acme", "acme"), h.ctx());
    full.run(h.store_mut()).unwrap();
    let ops = full.transcript().len();
    for n in 0..ops {
        for applied in [false, true] {
            let mut h = host(json!({}));
            let ann = user(&mut h, "ann@example.com");
            let flow =
                h.engine
                    .create_organization(ann.token.clone(), req("acme", "acme"), h.ctx());
            let fault = tenxyte_stores::FaultStore::fail_nth(h.store_mut(), n);
            let mut fault = if applied {
                fault.after_applying()
            } else {
                fault
            };
            let first = drive_on(flow, &mut fault);
            // Whatever happened, the slug is usable: either the first create completed
            // (and its creator owns it), or a second create gets it.
            let again = create(&mut h, &ann, "acme");
            let access = h
                .run(
                    h.engine
                        .organization_by_slug(ann.token.clone(), "acme".into(), h.ctx()),
                )
                .unwrap_or_else(|e| {
                    panic!("op {n} applied {applied}: {e} / {first:?} / {again:?}")
                });
            assert_eq!(access.role, "owner");
            assert!(
                first.is_ok() || again.is_ok() || access.organization.created_by == ann.id,
                "op {n}"
            );
        }
    }
}

fn drive_on<T: 'static>(mut flow: Flow<T>, store: &mut impl SyncStore) -> tenxyte_core::Result<T> {
    flow.run(store)
}
