//! The RBAC policy document: what a host stores and edits (JSON), before compilation.

use serde::{Deserialize, Serialize};

/// A permission in the tree. Holding a permission grants every descendant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionDef {
    /// Unique, case-sensitive code, conventionally `resource.action[.sub]`.
    pub code: String,
    /// The parent permission's code (explicit; dots in names are only a convention).
    #[serde(default)]
    pub parent: Option<String>,
    /// Human-readable description.
    #[serde(default)]
    pub description: String,
}

/// A role: a set of permission grants, optionally inheriting other roles' grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    /// Unique, case-sensitive code.
    pub code: String,
    /// Granted permissions: exact codes, `prefix.*` (the prefix and everything under it
    /// by name), or `*` (everything).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Roles whose grants this role also has (acyclic).
    #[serde(default)]
    pub inherits: Vec<String>,
    /// Assigned to new users at registration.
    #[serde(default)]
    pub is_default: bool,
    /// Human-readable name.
    #[serde(default)]
    pub name: String,
}

/// A whole policy: the permission tree, the roles, and the bypass rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Every permission that exists. A check for an unregistered code is denied.
    pub permissions: Vec<PermissionDef>,
    /// Every role.
    pub roles: Vec<RoleDef>,
    /// Holders of these roles pass every permission check (Tenxyte: `super_admin`).
    #[serde(default = "default_super_admin_roles")]
    pub super_admin_roles: Vec<String>,
    /// Whether a subject flagged `is_superuser` passes every permission check.
    #[serde(default = "default_true")]
    pub superuser_bypass: bool,
}

fn default_super_admin_roles() -> Vec<String> {
    vec!["super_admin".to_owned()]
}

fn default_true() -> bool {
    true
}

/// Who is asking: a user's roles, direct permissions and superuser flag, as the host
/// loads them from its own tables (server-side data, never roles copied into tokens).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Role codes.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Directly granted permissions (exact codes, `prefix.*` or `*`).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The superuser flag (bypasses checks when the policy allows it).
    #[serde(default)]
    pub is_superuser: bool,
}

impl PolicyDocument {
    /// Tenxyte's seeded permissions and roles (`tenxyte_seed`): 47 codes under the parents
    /// `users`, `users.roles`, `users.permissions`, `roles`, `permissions`,
    /// `applications`, `content`, `system`, plus stand-alone codes; roles `viewer`
    /// (default), `editor`, `admin` and `super_admin`.
    pub fn tenxyte_default() -> PolicyDocument {
        let mut permissions = Vec::new();
        let mut tree = |parent: Option<&str>, code: &str| {
            permissions.push(PermissionDef {
                code: code.to_owned(),
                parent: parent.map(str::to_owned),
                description: String::new(),
            });
        };
        let families: [(&str, Option<&str>, &[&str]); 8] = [
            (
                "users",
                None,
                &["view", "create", "update", "delete", "ban", "lock"],
            ),
            ("users.roles", Some("users"), &["view", "assign", "remove"]),
            (
                "users.permissions",
                Some("users"),
                &["view", "assign", "remove"],
            ),
            (
                "roles",
                None,
                &["view", "create", "update", "delete", "manage_permissions"],
            ),
            ("permissions", None, &["view", "create", "update", "delete"]),
            (
                "applications",
                None,
                &["view", "create", "update", "delete", "regenerate"],
            ),
            (
                "content",
                None,
                &["view", "create", "edit", "delete", "publish"],
            ),
            ("system", None, &["admin", "settings", "logs", "audit"]),
        ];
        for (family, parent, actions) in families {
            tree(parent, family);
            for action in actions {
                tree(Some(family), &format!("{family}.{action}"));
            }
        }
        for code in [
            "dashboard.view",
            "security.view",
            "gdpr.admin",
            "gdpr.process",
        ] {
            tree(None, code);
        }
        let role = |code: &str, perms: &[&str], is_default: bool| RoleDef {
            code: code.to_owned(),
            permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
            inherits: Vec::new(),
            is_default,
            name: code.replace('_', " "),
        };
        PolicyDocument {
            permissions,
            roles: vec![
                role("viewer", &["content.view"], true),
                role(
                    "editor",
                    &["content.view", "content.create", "content.edit"],
                    false,
                ),
                role(
                    "admin",
                    &[
                        "content.*",
                        "users.view",
                        "users.create",
                        "users.update",
                        "users.roles.*",
                        "roles.view",
                        "permissions.view",
                    ],
                    false,
                ),
                role("super_admin", &["*"], false),
            ],
            super_admin_roles: default_super_admin_roles(),
            superuser_bypass: true,
        }
    }
}
