//! Decision values of RBAC checks.

use serde::Serialize;

/// Why a check answered as it did (stable snake_case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The subject is a superuser and the policy lets superusers pass.
    Superuser,
    /// The subject holds a super-admin role.
    SuperAdminRole,
    /// A role (directly or by inheritance) grants the permission or an ancestor of it.
    Role,
    /// A direct grant covers the permission.
    Direct,
    /// Nothing grants it.
    NotGranted,
    /// The permission is not registered: denied (fail closed).
    UnknownPermission,
}

impl Reason {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Superuser => "superuser",
            Reason::SuperAdminRole => "super_admin_role",
            Reason::Role => "role",
            Reason::Direct => "direct",
            Reason::NotGranted => "not_granted",
            Reason::UnknownPermission => "unknown_permission",
        }
    }
}

/// What matched: the subject's role or direct grant entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy<'a> {
    /// One of the subject's roles.
    Role(&'a str),
    /// One of the subject's direct grant entries.
    Permission(&'a str),
}

impl<'a> MatchedBy<'a> {
    /// The role code or grant entry.
    pub fn as_str(&self) -> &'a str {
        match self {
            MatchedBy::Role(s) | MatchedBy::Permission(s) => s,
        }
    }
}

/// The answer to a permission check; borrows from the subject, allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// Whether access is granted.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// The role or grant entry that matched, when allowed through one.
    pub matched_by: Option<MatchedBy<'a>>,
}

impl<'a> Decision<'a> {
    pub(crate) fn allow(reason: Reason, matched_by: Option<MatchedBy<'a>>) -> Self {
        Decision {
            allowed: true,
            reason,
            matched_by,
        }
    }

    pub(crate) fn deny(reason: Reason) -> Self {
        Decision {
            allowed: false,
            reason,
            matched_by: None,
        }
    }

    /// The decision as JSON: `{"allowed", "reason", "matched_by"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "allowed": self.allowed,
            "reason": self.reason.as_str(),
            "matched_by": self.matched_by.map(|m| m.as_str()),
        })
    }
}

/// An explained decision (owned, serialisable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The permission asked about.
    pub permission: String,
    /// Whether access is granted.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// The role or grant entry that matched.
    pub matched_by: Option<String>,
    /// The facts behind the decision, in order.
    pub steps: Vec<String>,
}
