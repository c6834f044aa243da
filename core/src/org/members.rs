//! Member operations as checks: each takes the records it needs and returns the record
//! to persist (or to delete), never changing anything itself.
//!
//! Rules:
//! - adding needs `org.members.invite`, changing a role `org.members.manage`, removing
//!   another member `org.members.remove` (all inheritance-aware, via [`OrgAuthz`]);
//! - granting, changing or removing the `owner` role needs the actor to be an owner;
//! - an organization never loses its last active owner: the last owner cannot be demoted,
//!   removed, or leave. Only direct owners count — an ancestor's owner keeps control
//!   through inheritance, but inheritance can be switched off, so each organization keeps
//!   one of its own;
//! - a user may always leave (even without any permission), except the last owner;
//! - the member limit counts active and pending memberships plus open (pending, unexpired)
//!   invitations, because accepting an invitation does not re-check the limit: seats are
//!   reserved when the invitation is sent.

use crate::error::{err, ErrorCode, Result};
use crate::org::authz::{MembershipLookup, OrgAuthz};
use crate::org::permission::{MEMBERS_INVITE, MEMBERS_MANAGE, MEMBERS_REMOVE, OWNER};
use crate::org::records::{
    Invitation, InvitationStatus, Membership, MembershipStatus, Organization,
};

/// One organization's direct memberships and invitations, with the decisions that
/// authorize operations on them.
pub struct OrgMembers<'a, L: ?Sized> {
    pub(crate) authz: &'a OrgAuthz<'a, L>,
    pub(crate) org: &'a Organization,
    pub(crate) members: Vec<&'a Membership>,
    pub(crate) invitations: Vec<&'a Invitation>,
}

/// What [`create_organization`] returns: the two records to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedOrganization {
    /// The new organization.
    pub organization: Organization,
    /// The creator's active `owner` membership.
    pub owner: Membership,
}

/// Checks that `actor` may create `org` and returns it with the creator's owner
/// membership. Structure is checked by [`crate::org::OrgTree::check_create`] (fresh id and
/// slug, parent present, depth); a child organization additionally needs the actor to be
/// an owner of the parent (restructuring a tenant is an owner's act). `created_by` and
/// `created_at` are set to `actor` and `now`.
pub fn create_organization<L: MembershipLookup + ?Sized>(
    authz: &OrgAuthz<'_, L>,
    actor: &str,
    mut org: Organization,
    now: i64,
) -> Result<CreatedOrganization> {
    if actor.is_empty() {
        return Err(err(ErrorCode::InvalidInput, "empty actor id"));
    }
    authz.tree().check_create(&org)?;
    if let Some(parent) = &org.parent_id {
        authz.is_owner(actor, parent).require(OWNER)?;
    }
    org.created_by = actor.to_owned();
    org.created_at = now;
    let owner = Membership {
        org_id: org.id.clone(),
        user_id: actor.to_owned(),
        role: OWNER.to_owned(),
        status: MembershipStatus::Active,
        invited_by: None,
        joined_at: now,
    };
    Ok(CreatedOrganization {
        organization: org,
        owner,
    })
}

impl<'a, L: MembershipLookup + ?Sized> OrgMembers<'a, L> {
    /// The context for `org_id`: `members` and `invitations` may hold records of other
    /// organizations (they are ignored). `org_not_found` for an unknown organization,
    /// `invalid_input` when a user has two memberships in it.
    pub fn new(
        authz: &'a OrgAuthz<'a, L>,
        org_id: &str,
        members: &'a [Membership],
        invitations: &'a [Invitation],
    ) -> Result<Self> {
        let org = authz.tree().require(org_id)?;
        let members: Vec<&Membership> = members.iter().filter(|m| m.org_id == org_id).collect();
        for (i, m) in members.iter().enumerate() {
            if members.iter().take(i).any(|o| o.user_id == m.user_id) {
                return Err(err(
                    ErrorCode::InvalidInput,
                    format!("user {:?} has two memberships", m.user_id),
                ));
            }
        }
        let invitations = invitations.iter().filter(|i| i.org_id == org_id).collect();
        Ok(OrgMembers {
            authz,
            org,
            members,
            invitations,
        })
    }

    /// The organization.
    pub fn organization(&self) -> &'a Organization {
        self.org
    }

    /// The user's direct membership, in any status.
    pub fn membership(&self, user: &str) -> Option<&'a Membership> {
        self.members.iter().copied().find(|m| m.user_id == user)
    }

    /// Seats taken at `now`: active and pending memberships plus open invitations.
    pub fn seats_taken(&self, now: i64) -> u64 {
        let members = self
            .members
            .iter()
            .filter(|m| m.status != MembershipStatus::Suspended)
            .count();
        let open = self
            .invitations
            .iter()
            .filter(|i| i.status == InvitationStatus::Pending && now < i.expires_at)
            .count();
        u64::try_from(members.saturating_add(open)).unwrap_or(u64::MAX)
    }

    /// `org_member_limit` when one more seat would pass `max_members` (0: unlimited).
    pub(crate) fn check_seat(&self, now: i64) -> Result<()> {
        let max = self.org.max_members;
        if max != 0 && self.seats_taken(now) >= u64::from(max) {
            return Err(err(
                ErrorCode::OrgMemberLimit,
                format!("organization is at its limit of {max} members"),
            )
            .with_details(serde_json::json!({ "max_members": max })));
        }
        Ok(())
    }

    /// The actor must hold `code` here; granting or touching `owner` also needs an owner.
    pub(crate) fn authorize(&self, actor: &str, code: &str, touches_owner: bool) -> Result<()> {
        self.authz.require_permission(actor, &self.org.id, code)?;
        if touches_owner {
            self.authz.is_owner(actor, &self.org.id).require(OWNER)?;
        }
        Ok(())
    }

    fn other_active_owners(&self, except: &str) -> usize {
        self.members
            .iter()
            .filter(|m| {
                m.user_id != except && m.role == OWNER && m.status == MembershipStatus::Active
            })
            .count()
    }

    fn require_member(&self, user: &str) -> Result<&'a Membership> {
        self.membership(user).ok_or_else(|| {
            err(
                ErrorCode::NotAMember,
                format!("user {user:?} is not a member"),
            )
        })
    }

    fn check_not_last_owner(&self, m: &Membership) -> Result<()> {
        if m.role == OWNER
            && m.status == MembershipStatus::Active
            && self.other_active_owners(&m.user_id) == 0
        {
            return Err(err(
                ErrorCode::OrgLastOwner,
                "the organization would have no active owner",
            ));
        }
        Ok(())
    }

    /// Adds `user` with `role` (the role set's default when `None`) as an active member.
    /// Needs `org.members.invite` (plus owner for the `owner` role); refuses an existing
    /// membership in any status (`already_member`), an unknown role
    /// (`org_role_not_found`) and a full organization (`org_member_limit`).
    pub fn add_member(
        &self,
        actor: &str,
        user: &str,
        role: Option<&str>,
        now: i64,
    ) -> Result<Membership> {
        if user.is_empty() {
            return Err(err(ErrorCode::InvalidInput, "empty user id"));
        }
        let role = self.resolve_role(role)?;
        self.authorize(actor, MEMBERS_INVITE, role == OWNER)?;
        if self.membership(user).is_some() {
            return Err(err(
                ErrorCode::AlreadyMember,
                format!("user {user:?} is already a member"),
            ));
        }
        self.check_seat(now)?;
        Ok(Membership {
            org_id: self.org.id.clone(),
            user_id: user.to_owned(),
            role,
            status: MembershipStatus::Active,
            invited_by: Some(actor.to_owned()),
            joined_at: now,
        })
    }

    pub(crate) fn resolve_role(&self, role: Option<&str>) -> Result<String> {
        let roles = self.authz.roles();
        match role {
            Some(code) => roles.require(code).map(|r| r.code.clone()),
            None => roles.default_role().map(|r| r.code.clone()).ok_or_else(|| {
                err(
                    ErrorCode::OrgRoleNotFound,
                    "no role named and no default role",
                )
            }),
        }
    }

    /// Gives `target` the role `new_role`. Needs `org.members.manage`; the actor must be
    /// an owner when the old or the new role is `owner`; the last active owner cannot be
    /// demoted (`org_last_owner`).
    pub fn change_role(&self, actor: &str, target: &str, new_role: &str) -> Result<Membership> {
        let new_role = self.authz.roles().require(new_role)?.code.clone();
        let current = self.require_member(target)?;
        self.authorize(
            actor,
            MEMBERS_MANAGE,
            current.role == OWNER || new_role == OWNER,
        )?;
        if new_role != OWNER {
            self.check_not_last_owner(current)?;
        }
        let mut changed = current.clone();
        changed.role = new_role;
        Ok(changed)
    }

    /// Checks that `actor` may remove `target` and returns the membership to delete.
    /// Removing oneself is [`leave`](Self::leave). Removing another member needs
    /// `org.members.remove`; removing an owner also needs the actor to be an owner and
    /// another active owner to remain.
    pub fn remove_member(&self, actor: &str, target: &str) -> Result<Membership> {
        if actor == target {
            return self.leave(target);
        }
        let current = self.require_member(target)?;
        self.authorize(actor, MEMBERS_REMOVE, current.role == OWNER)?;
        self.check_not_last_owner(current)?;
        Ok(current.clone())
    }

    /// `user` leaves: always allowed for a member, except the last active owner
    /// (`org_last_owner`). Returns the membership to delete.
    pub fn leave(&self, user: &str) -> Result<Membership> {
        let current = self.require_member(user)?;
        self.check_not_last_owner(current)?;
        Ok(current.clone())
    }
}
