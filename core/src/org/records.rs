//! The records the host persists. Ids are strings the host chooses (UUIDs, database keys);
//! every record refuses unknown fields so a typo in a stored document is an error, not a
//! silently ignored setting.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An organization (tenant), possibly the child of another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Stable id.
    pub id: String,
    /// Unique URL-safe name, as sent in `X-Org-Slug`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The parent organization; `None` for a root.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// An inactive organization grants nothing, to anyone, in itself or its subtree.
    pub is_active: bool,
    /// Member cap (active plus pending members, plus open invitations); 0 means unlimited.
    pub max_members: u32,
    /// The user who created it (and became its first owner).
    pub created_by: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Free-form host data; the core never reads it.
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// An organization role. Roles are global (the same `admin` in every organization), as in
/// Tenxyte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgRole {
    /// Stable code (`owner`, `admin`, ...).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Permission entries: exact codes, `prefix.*` (the prefix and everything under it), or
    /// `*` (everything). See [`crate::org::permission`].
    pub permissions: Vec<String>,
    /// Seeded by the core; hosts should not delete or edit it.
    pub is_system: bool,
    /// The role given when none is named (one role at most).
    pub is_default: bool,
}

/// Lifecycle of a membership. Only `Active` grants anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// Created but not yet confirmed (e.g. awaiting an invitation's acceptance).
    Pending,
    /// In force.
    Active,
    /// Kept for the record, grants nothing.
    Suspended,
}

/// A user's membership in one organization (one per user and organization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// The organization.
    pub org_id: String,
    /// The member.
    pub user_id: String,
    /// An [`OrgRole`] code.
    pub role: String,
    /// Only `active` grants anything.
    pub status: MembershipStatus,
    /// Who added or invited the member.
    #[serde(default)]
    pub invited_by: Option<String>,
    /// When the membership was created or activated, Unix seconds.
    pub joined_at: i64,
}

/// Lifecycle of an invitation; only `Pending` can be accepted, declined or revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Open.
    Pending,
    /// Used once; any further accept fails with `invitation_used`.
    Accepted,
    /// Refused by the invitee.
    Declined,
    /// Past `expires_at` (set by [`crate::org::expire_invitation`] or on a late accept).
    Expired,
    /// Withdrawn by a member with `org.members.invite`.
    Revoked,
}

/// An invitation to join an organization with a role. The raw token is handed out once;
/// only its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// Stable id.
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// The invited address, trimmed.
    pub email: String,
    /// The [`OrgRole`] code the invitee receives.
    pub role: String,
    /// Lowercase hex SHA-256 of the raw token ([`crate::secret::hash`]).
    pub token_hash: String,
    /// The inviting user.
    pub invited_by: String,
    /// Lifecycle state.
    pub status: InvitationStatus,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// First second at which the invitation is expired.
    pub expires_at: i64,
    /// When it was accepted.
    #[serde(default)]
    pub accepted_at: Option<i64>,
}
