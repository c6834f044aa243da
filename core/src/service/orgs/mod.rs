//! Organization flows over the pure rules of [`crate::org`]: create (root or child), move,
//! the tree, lookup by slug (`X-Org-Slug`), members (list, change role, remove, leave),
//! org roles, invitations (invite by email, accept, decline, revoke, list), and
//! [`org_permission`] for other flows.
//!
//! Every flow authenticates the bearer access token, refuses restricted tokens, and answers
//! `org_disabled` when `organizations.enabled` is off. Decisions are the pure module's:
//! `org.members.invite` / `manage` / `remove`, owner-only for anything touching the `owner`
//! role, last-owner protection, inheritance down the tree and never up. What a decision
//! reads is loaded here: the organization's ancestor chain by parent pointers and the
//! memberships along it. See `docs/flows.md` § Organizations for the store writes in order.

mod invites;
mod load;
mod members;
mod tree;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::drive::{Flow, StorePort};
use crate::error::Result;
use crate::org::{InvitationStatus, Membership, MembershipStatus, OrgRole, OrgRoles, Organization};
use crate::service::auth::{authenticate, Principal};
use crate::service::{Engine, RequestContext};

pub use load::org_permission;
pub(crate) use load::{org_by_slug, org_membership, require_enabled};

/// `POST organizations/` (and a child under `parent_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreateOrgRequest {
    /// Display name (1 to 200 characters, no control characters).
    pub name: String,
    /// URL-safe unique name: 1 to 64 of `a-z 0-9 -`, not starting or ending with `-`
    /// (trimmed and lower-cased first).
    pub slug: String,
    /// Member cap; `None` takes `organizations.max_members` (0 means unlimited).
    pub max_members: Option<u32>,
    /// Free-form host data.
    pub metadata: Map<String, Value>,
}

/// A node of [`Engine::organization_tree`]: an organization and its children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgNode {
    /// The organization.
    pub organization: Organization,
    /// Its direct children, by id.
    pub children: Vec<OrgNode>,
}

/// The answer to [`Engine::organization_by_slug`]: the organization and how the caller
/// belongs to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccess {
    /// The organization.
    pub organization: Organization,
    /// The role that applies (direct, or inherited from `via_org`).
    pub role: String,
    /// The organization whose membership applies (this one, or an ancestor).
    pub via_org: String,
}

/// One of the caller's organizations ([`Engine::my_organizations`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyOrganization {
    /// The organization.
    pub organization: Organization,
    /// The caller's direct role in it.
    pub role: String,
    /// The membership's status.
    pub status: MembershipStatus,
}

/// One member as [`Engine::list_members`] shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// The user.
    pub user_id: String,
    /// The user's email, when the account still exists and has one.
    pub email: Option<String>,
    /// Org role code.
    pub role: String,
    /// Membership status.
    pub status: MembershipStatus,
    /// Who added or invited the member.
    pub invited_by: Option<String>,
    /// When the membership started.
    pub joined_at: i64,
}

/// `POST organizations/<id>/invitations/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InviteMemberRequest {
    /// The organization.
    pub org_id: String,
    /// The invitee's address.
    pub email: String,
    /// The org role to grant; `None` for the default role (`member`).
    pub role: Option<String>,
    /// The page that accepts invitations; the link is `<accept_url>?token=<txi_…>` (or
    /// `&token=` when the URL already has a query). `None`: the email carries the token only.
    pub accept_url: Option<String>,
}

/// An invitation as the API shows it: never the token or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    /// Invitation id.
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// The invited address.
    pub email: String,
    /// The role it grants.
    pub role: String,
    /// Lifecycle state.
    pub status: InvitationStatus,
    /// Who invited.
    pub invited_by: String,
    /// Creation time.
    pub created_at: i64,
    /// First second at which it is expired.
    pub expires_at: i64,
}

impl From<&crate::org::Invitation> for InvitationView {
    fn from(i: &crate::org::Invitation) -> Self {
        InvitationView {
            id: i.id.clone(),
            org_id: i.org_id.clone(),
            email: i.email.clone(),
            role: i.role.clone(),
            status: i.status,
            invited_by: i.invited_by.clone(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// The authenticated, unrestricted caller of an organization flow.
async fn actor(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
) -> Result<Principal> {
    load::require_enabled(e)?;
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    Ok(p)
}

impl Engine {
    /// Creates a root organization; the caller becomes its owner. `org_slug_taken` when
    /// the slug is in use.
    pub fn create_organization(
        &self,
        access_token: String,
        req: CreateOrgRequest,
        ctx: RequestContext,
    ) -> Flow<Organization> {
        self.flow(move |e, port| async move {
            tree::create(&port, &e, &access_token, None, &req, &ctx).await
        })
    }

    /// Creates a child of `parent_id`; the caller must be an owner of the parent (directly
    /// or inherited) and becomes the child's owner. `org_depth_exceeded` past `max_depth`.
    pub fn create_child_organization(
        &self,
        access_token: String,
        parent_id: String,
        req: CreateOrgRequest,
        ctx: RequestContext,
    ) -> Flow<Organization> {
        self.flow(move |e, port| async move {
            tree::create(&port, &e, &access_token, Some(&parent_id), &req, &ctx).await
        })
    }

    /// Moves `org_id` under `new_parent_id` (`None`: make it a root). The caller must own
    /// the organization and the new parent; `org_cycle` for a move into its own subtree,
    /// `org_depth_exceeded` when the subtree would grow too deep.
    pub fn move_organization(
        &self,
        access_token: String,
        org_id: String,
        new_parent_id: Option<String>,
        ctx: RequestContext,
    ) -> Flow<Organization> {
        self.flow(move |e, port| async move {
            tree::move_org(
                &port,
                &e,
                &access_token,
                &org_id,
                new_parent_id.as_deref(),
                &ctx,
            )
            .await
        })
    }

    /// The subtree rooted at `org_id`, for a member of it (directly or through an
    /// ancestor).
    pub fn organization_tree(
        &self,
        access_token: String,
        org_id: String,
        ctx: RequestContext,
    ) -> Flow<OrgNode> {
        self.flow(move |e, port| async move {
            tree::subtree_of(&port, &e, &access_token, &org_id, &ctx).await
        })
    }

    /// Resolves an `X-Org-Slug`: the organization and the caller's applicable role.
    /// `org_not_found` for an unknown slug, `org_permission_denied` for a non-member.
    pub fn organization_by_slug(
        &self,
        access_token: String,
        slug: String,
        ctx: RequestContext,
    ) -> Flow<OrgAccess> {
        self.flow(move |e, port| async move {
            tree::by_slug(&port, &e, &access_token, &slug, &ctx).await
        })
    }

    /// The direct members of `org_id`, for a member of it.
    pub fn list_members(
        &self,
        access_token: String,
        org_id: String,
        ctx: RequestContext,
    ) -> Flow<Vec<MemberView>> {
        self.flow(move |e, port| async move {
            members::list(&port, &e, &access_token, &org_id, &ctx).await
        })
    }

    /// Gives a member another role (`org.members.manage`; owner-only around `owner`; never
    /// the last owner's demotion).
    pub fn change_member_role(
        &self,
        access_token: String,
        org_id: String,
        user_id: String,
        role: String,
        ctx: RequestContext,
    ) -> Flow<Membership> {
        self.flow(move |e, port| async move {
            members::change_role(&port, &e, &access_token, &org_id, &user_id, &role, &ctx).await
        })
    }

    /// Removes another member (`org.members.remove`; owner-only for an owner; never the
    /// last owner). Removing oneself is [`leave_organization`](Self::leave_organization).
    pub fn remove_member(
        &self,
        access_token: String,
        org_id: String,
        user_id: String,
        ctx: RequestContext,
    ) -> Flow<Membership> {
        self.flow(move |e, port| async move {
            members::remove(&port, &e, &access_token, &org_id, Some(&user_id), &ctx).await
        })
    }

    /// The caller leaves `org_id` (always allowed, except for the last owner).
    pub fn leave_organization(
        &self,
        access_token: String,
        org_id: String,
        ctx: RequestContext,
    ) -> Flow<Membership> {
        self.flow(move |e, port| async move {
            members::remove(&port, &e, &access_token, &org_id, None, &ctx).await
        })
    }

    /// The organizations the caller is a direct member of (any status), by id.
    pub fn my_organizations(
        &self,
        access_token: String,
        ctx: RequestContext,
    ) -> Flow<Vec<MyOrganization>> {
        self.flow(move |e, port| async move { members::mine(&port, &e, &access_token, &ctx).await })
    }

    /// The organization roles (Tenxyte's system roles).
    pub fn list_org_roles(&self, access_token: String, ctx: RequestContext) -> Flow<Vec<OrgRole>> {
        self.flow(move |e, port| async move {
            actor(&port, &e, &access_token, &ctx).await?;
            Ok(OrgRoles::system().iter().cloned().collect())
        })
    }

    /// Invites an address (`org.members.invite`; owner-only for the `owner` role): sends
    /// an `organization_invitation` email carrying the raw `txi_` token, stores its hash.
    pub fn invite_member(
        &self,
        access_token: String,
        req: InviteMemberRequest,
        ctx: RequestContext,
    ) -> Flow<InvitationView> {
        self.flow(move |e, port| async move {
            invites::invite(&port, &e, &access_token, &req, &ctx).await
        })
    }

    /// Accepts an invitation for the signed-in user, whose email must be the invited one.
    pub fn accept_invitation(
        &self,
        access_token: String,
        invitation_token: String,
        ctx: RequestContext,
    ) -> Flow<Membership> {
        self.flow(move |e, port| async move {
            invites::accept(&port, &e, &access_token, &invitation_token, &ctx).await
        })
    }

    /// The signed-in invitee (same email rule as accepting) declines an invitation.
    pub fn decline_invitation(
        &self,
        access_token: String,
        invitation_token: String,
        ctx: RequestContext,
    ) -> Flow<InvitationView> {
        self.flow(move |e, port| async move {
            invites::decline(&port, &e, &access_token, &invitation_token, &ctx).await
        })
    }

    /// Withdraws a pending invitation by id (`org.members.invite`; owner-only for an
    /// owner invitation).
    pub fn revoke_invitation(
        &self,
        access_token: String,
        org_id: String,
        invitation_id: String,
        ctx: RequestContext,
    ) -> Flow<InvitationView> {
        self.flow(move |e, port| async move {
            invites::revoke(&port, &e, &access_token, &org_id, &invitation_id, &ctx).await
        })
    }

    /// The invitations of `org_id` still in the store, any status (`org.members.invite`).
    pub fn list_invitations(
        &self,
        access_token: String,
        org_id: String,
        ctx: RequestContext,
    ) -> Flow<Vec<InvitationView>> {
        self.flow(move |e, port| async move {
            invites::list(&port, &e, &access_token, &org_id, &ctx).await
        })
    }
}
