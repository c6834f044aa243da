//! Organization permission codes, role definitions and the wildcard rule.
//!
//! A permission code is a dot-separated path such as `org.members.invite`. A role lists
//! *entries*, each of which is one of:
//!
//! - an exact code: matches that code only (case-sensitive);
//! - `prefix.*`: matches `prefix` itself and every code starting with `prefix.` — so
//!   `org.*` matches `org` and `org.members.invite` but not `orga.x` (Tenxyte's rule);
//! - `*` alone: matches every code. Tenxyte has no such entry; it exists for a host's
//!   break-glass role and is never seeded.
//!
//! Entries are validated when a role is defined ([`validate_entry`]), so a malformed entry
//! (`org.**`, `org*`, `*.read`, `org..x`, whitespace) cannot sit in a role and match by
//! accident. Queried codes must be concrete ([`validate_code`]): asking whether a user
//! holds `org.*` is refused rather than compared textually.

use std::collections::BTreeMap;

use crate::error::{err, Error, ErrorCode, Result};
use crate::org::records::OrgRole;

/// Longest permission code or entry (Tenxyte's `Permission.code` column is 100 characters).
pub const MAX_CODE_LEN: usize = 100;
/// Longest role code (Tenxyte's `code` column is 50 characters).
pub const MAX_ROLE_CODE_LEN: usize = 50;

/// The owner role's code.
pub const OWNER: &str = "owner";
/// The admin role's code.
pub const ADMIN: &str = "admin";
/// The default member role's code.
pub const MEMBER: &str = "member";
/// The read-only role's code.
pub const VIEWER: &str = "viewer";

/// Permission needed to add or invite members (and to revoke invitations).
pub const MEMBERS_INVITE: &str = "org.members.invite";
/// Permission needed to change a member's role.
pub const MEMBERS_MANAGE: &str = "org.members.manage";
/// Permission needed to remove another member.
pub const MEMBERS_REMOVE: &str = "org.members.remove";

/// A path segment: printable ASCII other than the separator and the wildcard. Letters keep
/// their case; `read:reports`-style codes from Tenxyte's docs are accepted.
fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'.' && b != b'*')
}

fn invalid_role(message: String) -> Error {
    err(ErrorCode::InvalidRole, message)
}

/// `Ok` when `code` is a concrete permission code: 1 to [`MAX_CODE_LEN`] characters,
/// dot-separated non-empty segments of printable ASCII, no wildcard. `invalid_role` otherwise.
pub fn validate_code(code: &str) -> Result<()> {
    if code.len() > MAX_CODE_LEN || !code.split('.').all(valid_segment) {
        return Err(invalid_role(format!("invalid permission code {code:?}")));
    }
    Ok(())
}

/// `Ok` when `entry` may appear in a role: `*`, a concrete code, or a concrete code
/// followed by `.*`. Anything else (`**`, `org*`, `*.x`, `org.*.x`, empty segments,
/// whitespace, non-ASCII) is `invalid_role`.
pub fn validate_entry(entry: &str) -> Result<()> {
    if entry == "*" {
        return Ok(());
    }
    let code = entry.strip_suffix(".*").unwrap_or(entry);
    validate_code(code).map_err(|_| invalid_role(format!("invalid permission entry {entry:?}")))
}

/// True when the role entry `entry` grants `code` (module rule). A `code` that is not a
/// concrete code (empty, whitespace, a wildcard) is never granted.
pub fn entry_matches(entry: &str, code: &str) -> bool {
    if validate_code(code).is_err() {
        return false;
    }
    if entry == "*" {
        return true;
    }
    match entry.strip_suffix(".*") {
        Some(prefix) => {
            code == prefix
                || code
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        }
        None => entry == code,
    }
}

/// `Ok` when `code` is a valid role code: 1 to [`MAX_ROLE_CODE_LEN`] of `a-z 0-9 _ -`.
pub fn validate_role_code(code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= MAX_ROLE_CODE_LEN
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid_role(format!("invalid role code {code:?}")))
    }
}

impl OrgRole {
    /// A custom (non-system, non-default) role, validated.
    pub fn new(code: &str, name: &str, permissions: &[&str]) -> Result<OrgRole> {
        let role = OrgRole {
            code: code.to_owned(),
            name: name.to_owned(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            is_system: false,
            is_default: false,
        };
        role.validate()?;
        Ok(role)
    }

    /// Checks the code, a non-blank name and every permission entry (`invalid_role`).
    /// Duplicate entries are refused too: they are always a mistake.
    pub fn validate(&self) -> Result<()> {
        validate_role_code(&self.code)?;
        if self.name.trim().is_empty() {
            return Err(invalid_role(format!(
                "role {:?} has a blank name",
                self.code
            )));
        }
        for (i, entry) in self.permissions.iter().enumerate() {
            validate_entry(entry)?;
            if self.permissions.iter().take(i).any(|e| e == entry) {
                return Err(invalid_role(format!(
                    "role {:?} lists {entry:?} twice",
                    self.code
                )));
            }
        }
        Ok(())
    }

    /// True when one of the role's entries grants `code`.
    pub fn grants(&self, code: &str) -> bool {
        self.permissions.iter().any(|e| entry_matches(e, code))
    }
}

fn system(code: &str, name: &str, perms: &[&str], is_default: bool) -> OrgRole {
    OrgRole {
        code: code.to_owned(),
        name: name.to_owned(),
        permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
        is_system: true,
        is_default,
    }
}

/// The four roles Tenxyte seeds (`initialize_system_roles`), with the same codes and
/// permissions: `owner` (`org.*`), `admin` (member management and settings), `member`
/// (the default: `org.read`, `org.members.read`) and `viewer` (`org.read`).
pub fn system_roles() -> Vec<OrgRole> {
    vec![
        system(OWNER, "Owner", &["org.*"], false),
        system(
            ADMIN,
            "Administrator",
            &[
                MEMBERS_INVITE,
                MEMBERS_MANAGE,
                MEMBERS_REMOVE,
                "org.settings.read",
                "org.settings.write",
            ],
            false,
        ),
        system(MEMBER, "Member", &["org.read", "org.members.read"], true),
        system(VIEWER, "Viewer", &["org.read"], false),
    ]
}

/// A validated set of roles, keyed by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRoles {
    by_code: BTreeMap<String, OrgRole>,
}

impl OrgRoles {
    /// Validates every role and refuses duplicate codes or more than one default role
    /// (`invalid_role`).
    pub fn new(roles: Vec<OrgRole>) -> Result<OrgRoles> {
        let mut by_code = BTreeMap::new();
        for role in roles {
            role.validate()?;
            let code = role.code.clone();
            if by_code.insert(code.clone(), role).is_some() {
                return Err(invalid_role(format!("role {code:?} is defined twice")));
            }
        }
        if by_code.values().filter(|r| r.is_default).count() > 1 {
            return Err(invalid_role("more than one default role".to_owned()));
        }
        Ok(OrgRoles { by_code })
    }

    /// The system roles only ([`system_roles`]).
    pub fn system() -> OrgRoles {
        let by_code = system_roles()
            .into_iter()
            .map(|r| (r.code.clone(), r))
            .collect();
        OrgRoles { by_code }
    }

    /// The role with this code.
    pub fn get(&self, code: &str) -> Option<&OrgRole> {
        self.by_code.get(code)
    }

    /// The role with this code, or `org_role_not_found`.
    pub fn require(&self, code: &str) -> Result<&OrgRole> {
        self.get(code).ok_or_else(|| {
            err(
                ErrorCode::OrgRoleNotFound,
                format!("no organization role {code:?}"),
            )
        })
    }

    /// The default role, if one is marked.
    pub fn default_role(&self) -> Option<&OrgRole> {
        self.by_code.values().find(|r| r.is_default)
    }

    /// Every role, by code.
    pub fn iter(&self) -> impl Iterator<Item = &OrgRole> {
        self.by_code.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_table() {
        // (entry, code, granted)
        let table = [
            ("org.*", "org", true),
            ("org.*", "org.read", true),
            ("org.*", "org.members.invite", true),
            ("org.*", "orga.x", false),
            ("org.*", "orga", false),
            ("org.*", "or", false),
            ("org.*", "Org.read", false),
            ("org.members.*", "org.members", true),
            ("org.members.*", "org.members.invite", true),
            ("org.members.*", "org.membership", false),
            ("org.members.*", "org.read", false),
            ("org", "org", true),
            ("org", "org.read", false),
            ("org.read", "org.read", true),
            ("org.read", "org.READ", false),
            ("org.read", "org.read.x", false),
            ("*", "anything.at.all", true),
            ("*", "x", true),
            // Queried codes must be concrete: these never match, whatever the entry.
            ("*", "", false),
            ("*", " ", false),
            ("org.*", "org.*", false),
            ("org.*", "org.", false),
            ("org.*", " org.read", false),
            ("org.read", "org.read ", false),
        ];
        for (entry, code, want) in table {
            assert_eq!(entry_matches(entry, code), want, "{entry} vs {code:?}");
        }
    }

    #[test]
    fn entry_validation_table() {
        let good = [
            "*",
            "org",
            "org.*",
            "org.members.*",
            "read:reports",
            "a-b.c_d",
        ];
        for e in good {
            assert!(validate_entry(e).is_ok(), "{e}");
        }
        let bad = [
            "",
            " ",
            "**",
            "*.*",
            "org.**",
            "org*",
            "*.read",
            "org.*.read",
            "org..read",
            ".org",
            "org.",
            "org .read",
            "org.read\n",
            "orgé",
            "org.\t",
            ".*",
        ];
        for e in bad {
            let r = validate_entry(e);
            assert_eq!(
                r.map_err(|e| e.code()),
                Err(ErrorCode::InvalidRole),
                "{e:?}"
            );
        }
        assert!(validate_entry(&"a".repeat(MAX_CODE_LEN)).is_ok());
        assert!(validate_entry(&"a".repeat(MAX_CODE_LEN + 1)).is_err());
    }

    #[test]
    fn role_creation_validates() {
        assert!(OrgRole::new("billing", "Billing", &["org.billing.*"]).is_ok());
        for (code, name, perms) in [
            ("", "X", vec!["org.read"]),
            ("Billing", "X", vec!["org.read"]),
            ("bill ing", "X", vec!["org.read"]),
            ("billing", "  ", vec!["org.read"]),
            ("billing", "X", vec!["org.read", "org.read"]),
            ("billing", "X", vec!["org.**"]),
            ("billing", "X", vec![" "]),
        ] {
            let e = OrgRole::new(code, name, &perms).unwrap_err();
            assert_eq!(
                e.code(),
                ErrorCode::InvalidRole,
                "{code:?} {name:?} {perms:?}"
            );
        }
    }

    #[test]
    fn system_roles_are_tenxytes() {
        let roles = OrgRoles::system();
        let perms = |c: &str| roles.get(c).unwrap().permissions.clone();
        assert_eq!(perms("owner"), ["org.*"]);
        assert_eq!(
            perms("admin"),
            [
                "org.members.invite",
                "org.members.manage",
                "org.members.remove",
                "org.settings.read",
                "org.settings.write"
            ]
        );
        assert_eq!(perms("member"), ["org.read", "org.members.read"]);
        assert_eq!(perms("viewer"), ["org.read"]);
        assert_eq!(roles.default_role().unwrap().code, "member");
        assert!(roles.iter().all(|r| r.is_system && r.validate().is_ok()));
        assert_eq!(OrgRoles::new(system_roles()).unwrap(), roles);
        // The owner's wildcard covers everything under org, the admin's list does not.
        assert!(roles.get("owner").unwrap().grants("org.delete"));
        assert!(!roles.get("admin").unwrap().grants("org.delete"));
    }

    #[test]
    fn role_set_refuses_duplicates_and_two_defaults() {
        let mut roles = system_roles();
        roles.push(roles[0].clone());
        assert_eq!(
            OrgRoles::new(roles).unwrap_err().code(),
            ErrorCode::InvalidRole
        );
        let mut roles = system_roles();
        roles[3].is_default = true;
        assert_eq!(
            OrgRoles::new(roles).unwrap_err().code(),
            ErrorCode::InvalidRole
        );
        assert_eq!(
            OrgRoles::system().require("nope").unwrap_err().code(),
            ErrorCode::OrgRoleNotFound
        );
    }
}
