//! Organizations (B2B tenancy) as pure decisions: records, the tree, org roles with
//! `prefix.*` wildcards, permission decisions inherited down the tree, member operations
//! and invitations.
//!
//! Nothing here loads or stores anything. Every function takes the records it needs (the
//! host reads them from its store) and returns a decision ([`OrgDecision`]) or the new and
//! changed records to persist; no hidden state changes.
//!
//! - [`records`]: [`Organization`], [`OrgRole`], [`Membership`], [`Invitation`] (serde,
//!   unknown fields refused).
//! - [`permission`]: the wildcard rule, entry validation, Tenxyte's four system roles.
//! - [`tree`]: [`OrgTree`] — depth, ancestors, descendants, create and move checks.
//! - [`authz`]: [`OrgAuthz`] — `has_org_permission`, `has_org_role`, `is_member`,
//!   `is_owner`, `is_admin`, inheritance down (never up), inactive subtrees blocked.
//! - [`members`]: [`OrgMembers`] — add, change role, remove, leave; last-owner and member
//!   limit rules; [`create_organization`].
//! - [`invitation`]: invite (a `txi_` secret, hashed at rest), [`accept`], [`decline`],
//!   revoke, [`expire_invitation`].

pub mod authz;
pub mod invitation;
pub mod members;
pub mod permission;
pub mod records;
pub mod tree;

pub use authz::{reason, MembershipIndex, MembershipLookup, OrgAuthz, OrgDecision};
pub use invitation::{
    accept, decline, emails_match, expire_invitation, Accepted, InviteRequest, IssuedInvitation,
};
pub use members::{create_organization, CreatedOrganization, OrgMembers};
pub use permission::{entry_matches, system_roles, OrgRoles};
pub use records::{
    Invitation, InvitationStatus, Membership, MembershipStatus, OrgRole, Organization,
};
pub use tree::OrgTree;
