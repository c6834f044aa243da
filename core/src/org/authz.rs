//! Organization permission and role decisions, with inheritance down the tree.
//!
//! Rules (each decision walks the queried organization, then — when inheritance is on —
//! its ancestors, nearest first):
//!
//! 1. An unknown organization is denied (`org_not_found`). An organization that is
//!    inactive, or has an inactive ancestor, is denied (`org_inactive`) whatever the
//!    inheritance setting: deactivating a tenant suspends its whole subtree, and a child
//!    does not stay reachable because its own flag is still set.
//! 2. Only `active` memberships count. Pending and suspended memberships grant nothing; a
//!    membership whose role code is not in the role set grants nothing either.
//! 3. Inheritance flows **down, never up**: an active membership in an ancestor grants its
//!    role in every descendant; a membership in a child grants nothing in the parent.
//!    With inheritance off, only the membership in the queried organization counts.
//! 4. `is_admin` is role `admin` **or** `owner`, and `is_owner` follows inheritance, so the
//!    owner of an ancestor is owner and admin of every descendant when inheritance is on
//!    (Tenxyte's `@require_org_admin` did not treat a parent owner as a child's admin while
//!    its `has_org_permission` let the same user do everything through `org.*`).
//! 5. `has_org_role` is an exact role match (an owner does not "have" role `viewer`); use
//!    `has_org_permission` for capability checks.
//!
//! A decision names the organization whose membership matched (`via_org`) and its role, so
//! a host can log why access was given.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::OrganizationSettings;
use crate::error::{err, ErrorCode, Result};
use crate::org::permission::{self, OrgRoles, ADMIN, OWNER};
use crate::org::records::{Membership, MembershipStatus, OrgRole};
use crate::org::tree::OrgTree;

/// The stable reasons an [`OrgDecision`] carries.
pub mod reason {
    /// Allowed through the user's membership in the queried organization.
    pub const DIRECT_MEMBERSHIP: &str = "direct_membership";
    /// Allowed through the user's membership in an ancestor.
    pub const INHERITED_MEMBERSHIP: &str = "inherited_membership";
    /// The organization does not exist.
    pub const ORG_NOT_FOUND: &str = "org_not_found";
    /// The organization or an ancestor is inactive.
    pub const ORG_INACTIVE: &str = "org_inactive";
    /// The queried permission code is not a concrete code.
    pub const INVALID_PERMISSION: &str = "invalid_permission";
    /// The queried role code is not in the role set.
    pub const UNKNOWN_ROLE: &str = "unknown_role";
    /// An active membership applies, but no applicable role grants the permission.
    pub const PERMISSION_NOT_GRANTED: &str = "permission_not_granted";
    /// An active membership applies, but with another role.
    pub const ROLE_NOT_HELD: &str = "role_not_held";
    /// The only active membership that applies has a role code missing from the role set.
    pub const MEMBERSHIP_ROLE_UNKNOWN: &str = "membership_role_unknown";
    /// The only memberships that apply are suspended.
    pub const MEMBERSHIP_SUSPENDED: &str = "membership_suspended";
    /// The only memberships that apply are pending.
    pub const MEMBERSHIP_PENDING: &str = "membership_pending";
    /// No membership applies.
    pub const NOT_A_MEMBER: &str = "not_a_member";
}

/// The answer to an organization authorization question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgDecision {
    /// Whether the user may proceed.
    pub allowed: bool,
    /// Why, as a stable snake_case string from [`reason`].
    pub reason: &'static str,
    /// When allowed: the organization whose membership matched.
    pub via_org: Option<String>,
    /// When allowed: the role of that membership.
    pub role: Option<String>,
}

impl OrgDecision {
    fn deny(reason: &'static str) -> OrgDecision {
        OrgDecision {
            allowed: false,
            reason,
            via_org: None,
            role: None,
        }
    }

    /// `Ok(self)` when allowed, otherwise the error a guard returns: `org_not_found`,
    /// `org_inactive`, `org_role_not_found` (unknown queried role), `invalid_input`
    /// (non-concrete permission), or `org_permission_denied` with `details.reason` and
    /// `details.required` (the permission or role asked for).
    pub fn require(self, required: &str) -> Result<OrgDecision> {
        if self.allowed {
            return Ok(self);
        }
        let code = match self.reason {
            reason::ORG_NOT_FOUND => ErrorCode::OrgNotFound,
            reason::ORG_INACTIVE => ErrorCode::OrgInactive,
            reason::UNKNOWN_ROLE => ErrorCode::OrgRoleNotFound,
            reason::INVALID_PERMISSION => ErrorCode::InvalidInput,
            _ => ErrorCode::OrgPermissionDenied,
        };
        Err(
            err(code, format!("organization access denied: {}", self.reason))
                .with_details(serde_json::json!({"reason": self.reason, "required": required})),
        )
    }
}

/// Where decisions find a user's membership in one organization.
pub trait MembershipLookup {
    /// The membership of `user_id` in `org_id`, if any (in any status).
    fn membership(&self, user_id: &str, org_id: &str) -> Option<Membership>;
}

impl<F> MembershipLookup for F
where
    F: Fn(&str, &str) -> Option<Membership>,
{
    fn membership(&self, user_id: &str, org_id: &str) -> Option<Membership> {
        self(user_id, org_id)
    }
}

impl MembershipLookup for [Membership] {
    fn membership(&self, user_id: &str, org_id: &str) -> Option<Membership> {
        self.iter()
            .find(|m| m.user_id == user_id && m.org_id == org_id)
            .cloned()
    }
}

impl MembershipLookup for Vec<Membership> {
    fn membership(&self, user_id: &str, org_id: &str) -> Option<Membership> {
        self.as_slice().membership(user_id, org_id)
    }
}

/// Memberships indexed by (organization, user); refuses two for the same pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipIndex {
    by_key: BTreeMap<(String, String), Membership>,
}

impl MembershipIndex {
    /// Indexes `memberships`; `invalid_input` when a user has two in one organization.
    pub fn new(memberships: Vec<Membership>) -> Result<MembershipIndex> {
        let mut by_key = BTreeMap::new();
        for m in memberships {
            let key = (m.org_id.clone(), m.user_id.clone());
            if by_key.insert(key, m).is_some() {
                return Err(err(
                    ErrorCode::InvalidInput,
                    "two memberships for one user in one organization",
                ));
            }
        }
        Ok(MembershipIndex { by_key })
    }

    /// The memberships of one organization, by user id.
    pub fn of_org(&self, org_id: &str) -> Vec<Membership> {
        self.by_key
            .values()
            .filter(|m| m.org_id == org_id)
            .cloned()
            .collect()
    }
}

impl MembershipLookup for MembershipIndex {
    fn membership(&self, user_id: &str, org_id: &str) -> Option<Membership> {
        self.by_key
            .get(&(org_id.to_owned(), user_id.to_owned()))
            .cloned()
    }
}

/// Answers organization authorization questions over a tree, a role set and memberships.
pub struct OrgAuthz<'a, L: ?Sized> {
    tree: &'a OrgTree,
    roles: &'a OrgRoles,
    memberships: &'a L,
    inheritance: bool,
}

impl<'a, L: MembershipLookup + ?Sized> OrgAuthz<'a, L> {
    /// Decisions with inheritance on (Tenxyte's default).
    pub fn new(tree: &'a OrgTree, roles: &'a OrgRoles, memberships: &'a L) -> Self {
        OrgAuthz {
            tree,
            roles,
            memberships,
            inheritance: true,
        }
    }

    /// Turns inheritance down the tree on or off.
    pub fn with_inheritance(mut self, on: bool) -> Self {
        self.inheritance = on;
        self
    }

    /// Decisions configured by the `organizations` settings: `org_disabled` when the
    /// feature is off, otherwise inheritance from `role_inheritance`.
    pub fn from_settings(
        settings: &OrganizationSettings,
        tree: &'a OrgTree,
        roles: &'a OrgRoles,
        memberships: &'a L,
    ) -> Result<Self> {
        if !settings.enabled {
            return Err(err(ErrorCode::OrgDisabled, "organizations are disabled"));
        }
        Ok(OrgAuthz::new(tree, roles, memberships).with_inheritance(settings.role_inheritance))
    }

    /// The tree decisions walk.
    pub fn tree(&self) -> &'a OrgTree {
        self.tree
    }

    /// The role set.
    pub fn roles(&self) -> &'a OrgRoles {
        self.roles
    }

    /// Whether inheritance is on.
    pub fn inheritance(&self) -> bool {
        self.inheritance
    }

    /// Whether `user` holds permission `code` in `org` (module rules).
    pub fn has_org_permission(&self, user: &str, org: &str, code: &str) -> OrgDecision {
        if permission::validate_code(code).is_err() {
            return OrgDecision::deny(reason::INVALID_PERMISSION);
        }
        self.evaluate(user, org, reason::PERMISSION_NOT_GRANTED, |r| {
            r.grants(code)
        })
    }

    /// Whether `user` holds exactly role `role` in `org`, directly or (inheritance on)
    /// through an ancestor.
    pub fn has_org_role(&self, user: &str, org: &str, role: &str) -> OrgDecision {
        if self.roles.get(role).is_none() {
            return OrgDecision::deny(reason::UNKNOWN_ROLE);
        }
        self.evaluate(user, org, reason::ROLE_NOT_HELD, |r| r.code == role)
    }

    /// Whether `user` has an active membership (with a known role) in `org`, or
    /// (inheritance on) in an ancestor.
    pub fn is_member(&self, user: &str, org: &str) -> OrgDecision {
        self.evaluate(user, org, reason::ROLE_NOT_HELD, |_| true)
    }

    /// Whether `user` is an owner of `org`, directly or through an ancestor.
    pub fn is_owner(&self, user: &str, org: &str) -> OrgDecision {
        self.has_org_role(user, org, OWNER)
    }

    /// Whether `user` is an admin of `org`: role `admin` or `owner`, directly or through
    /// an ancestor.
    pub fn is_admin(&self, user: &str, org: &str) -> OrgDecision {
        self.evaluate(user, org, reason::ROLE_NOT_HELD, |r| {
            r.code == ADMIN || r.code == OWNER
        })
    }

    /// [`has_org_permission`](Self::has_org_permission) as a guard: the decision, or the
    /// error of [`OrgDecision::require`].
    pub fn require_permission(&self, user: &str, org: &str, code: &str) -> Result<OrgDecision> {
        self.has_org_permission(user, org, code).require(code)
    }

    fn evaluate(
        &self,
        user: &str,
        org: &str,
        not_granted: &'static str,
        grants: impl Fn(&OrgRole) -> bool,
    ) -> OrgDecision {
        let Some(target) = self.tree.get(org) else {
            return OrgDecision::deny(reason::ORG_NOT_FOUND);
        };
        let Ok(ancestors) = self.tree.ancestors(org) else {
            return OrgDecision::deny(reason::ORG_NOT_FOUND);
        };
        if !target.is_active || ancestors.iter().any(|a| !a.is_active) {
            return OrgDecision::deny(reason::ORG_INACTIVE);
        }
        let inherited = if self.inheritance {
            ancestors.as_slice()
        } else {
            &[]
        };
        let (mut active, mut unknown_role, mut suspended, mut pending) =
            (false, false, false, false);
        for o in std::iter::once(target).chain(inherited.iter().copied()) {
            let Some(m) = self.memberships.membership(user, &o.id) else {
                continue;
            };
            // A lookup that answers for another user or organization is ignored.
            if m.user_id != user || m.org_id != o.id {
                continue;
            }
            match m.status {
                MembershipStatus::Pending => pending = true,
                MembershipStatus::Suspended => suspended = true,
                MembershipStatus::Active => match self.roles.get(&m.role) {
                    None => unknown_role = true,
                    Some(role) => {
                        active = true;
                        if grants(role) {
                            return OrgDecision {
                                allowed: true,
                                reason: if o.id == target.id {
                                    reason::DIRECT_MEMBERSHIP
                                } else {
                                    reason::INHERITED_MEMBERSHIP
                                },
                                via_org: Some(o.id.clone()),
                                role: Some(role.code.clone()),
                            };
                        }
                    }
                },
            }
        }
        OrgDecision::deny(if active {
            not_granted
        } else if unknown_role {
            reason::MEMBERSHIP_ROLE_UNKNOWN
        } else if suspended {
            reason::MEMBERSHIP_SUSPENDED
        } else if pending {
            reason::MEMBERSHIP_PENDING
        } else {
            reason::NOT_A_MEMBER
        })
    }
}
