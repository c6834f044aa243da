//! A policy compiled once into a fast snapshot: interned permission ids, each
//! permission's descendant closure and each role's inherited grants as bitsets, so a
//! check is a hash lookup and a bit test, with no allocation.

use super::bits::Bits;
use super::decision::{Decision, Explanation, MatchedBy, Reason};
use super::policy::{PolicyDocument, Subject};
use crate::error::{err, Error, ErrorCode, Result};
use std::collections::HashMap;

/// A compiled policy. Build once per policy version; share across requests.
#[derive(Debug, Clone)]
pub struct Snapshot {
    codes: Vec<String>,
    ids: HashMap<String, u32>,
    /// Parent id per permission.
    parent: Vec<Option<u32>>,
    /// Per permission: itself and every descendant (what holding it grants).
    closure: Vec<Bits>,
    role_ids: HashMap<String, u32>,
    role_codes: Vec<String>,
    /// Per role: everything it grants, inherited roles included.
    role_grants: Vec<Bits>,
    /// Per role: the roles it inherits from, transitively (itself excluded).
    role_ancestors: Vec<Vec<u32>>,
    /// Per role: its own entries (for explanations).
    role_entries: Vec<Vec<String>>,
    role_inherits: Vec<Vec<u32>>,
    default_roles: Vec<String>,
    super_admin_roles: Vec<String>,
    superuser_bypass: bool,
}

fn invalid(msg: String) -> Error {
    err(ErrorCode::InvalidPolicy, msg)
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 255
        && !code.chars().any(char::is_whitespace)
        && !code.contains('*')
}

/// A grant entry: exact code, `prefix.*` or `*`.
enum Pattern<'a> {
    All,
    Prefix(&'a str),
    Exact(&'a str),
}

fn pattern(entry: &str) -> Option<Pattern<'_>> {
    if entry == "*" {
        return Some(Pattern::All);
    }
    if let Some(prefix) = entry.strip_suffix(".*") {
        return valid_code(prefix).then_some(Pattern::Prefix(prefix));
    }
    valid_code(entry).then_some(Pattern::Exact(entry))
}

impl Pattern<'_> {
    /// Whether the pattern names `code` (by name, before the tree is applied).
    fn names(&self, code: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Exact(e) => *e == code,
            Pattern::Prefix(p) => {
                code == *p
                    || code
                        .strip_prefix(*p)
                        .is_some_and(|rest| rest.starts_with('.'))
            }
        }
    }
}

impl Snapshot {
    /// Compiles a policy. Refuses duplicate codes, unknown parents or inherited roles,
    /// cycles in the permission tree or the role graph, malformed wildcards, and roles
    /// granting unregistered permissions (typos fail loudly, not silently deny).
    pub fn compile(doc: &PolicyDocument) -> Result<Snapshot> {
        let n = doc.permissions.len();
        let mut ids = HashMap::with_capacity(n);
        let mut codes = Vec::with_capacity(n);
        for (i, p) in doc.permissions.iter().enumerate() {
            if !valid_code(&p.code) {
                return Err(invalid(format!("invalid permission code {:?}", p.code)));
            }
            let id = u32::try_from(i).map_err(|_| invalid("too many permissions".into()))?;
            if ids.insert(p.code.clone(), id).is_some() {
                return Err(invalid(format!("permission {:?} is defined twice", p.code)));
            }
            codes.push(p.code.clone());
        }
        let mut parent = Vec::with_capacity(n);
        for p in &doc.permissions {
            parent.push(match &p.parent {
                None => None,
                Some(code) => Some(*ids.get(code).ok_or_else(|| {
                    invalid(format!(
                        "permission {:?} has unknown parent {code:?}",
                        p.code
                    ))
                })?),
            });
        }
        // Cycle check: walking up from any node must end within n steps.
        for start in 0..n {
            let mut cur = parent.get(start).copied().flatten();
            let mut steps = 0usize;
            while let Some(p) = cur {
                steps += 1;
                if steps > n {
                    return Err(invalid(format!(
                        "the permission tree has a cycle through {:?}",
                        codes.get(start).cloned().unwrap_or_default()
                    )));
                }
                cur = parent.get(p as usize).copied().flatten();
            }
        }
        // Descendant closure: every node is added to itself and all of its ancestors.
        let mut closure = vec![Bits::new(n); n];
        for node in 0..n {
            let mut cur = Some(node as u32);
            while let Some(p) = cur {
                if let Some(b) = closure.get_mut(p as usize) {
                    b.set(node);
                }
                cur = parent.get(p as usize).copied().flatten();
            }
        }

        let mut snap = Snapshot {
            codes,
            ids,
            parent,
            closure,
            role_ids: HashMap::new(),
            role_codes: Vec::new(),
            role_grants: Vec::new(),
            role_ancestors: Vec::new(),
            role_entries: Vec::new(),
            role_inherits: Vec::new(),
            default_roles: Vec::new(),
            super_admin_roles: doc.super_admin_roles.clone(),
            superuser_bypass: doc.superuser_bypass,
        };

        let mut own = Vec::with_capacity(doc.roles.len());
        for (i, r) in doc.roles.iter().enumerate() {
            if !valid_code(&r.code) {
                return Err(invalid(format!("invalid role code {:?}", r.code)));
            }
            let id = u32::try_from(i).map_err(|_| invalid("too many roles".into()))?;
            if snap.role_ids.insert(r.code.clone(), id).is_some() {
                return Err(invalid(format!("role {:?} is defined twice", r.code)));
            }
            snap.role_codes.push(r.code.clone());
            let mut bits = Bits::new(n);
            for entry in &r.permissions {
                let granted = snap.expand(entry).map_err(|_| {
                    invalid(format!("role {:?} grants {entry:?}, which is not a registered permission or a valid wildcard", r.code))
                })?;
                bits.union_with(&granted);
            }
            own.push(bits);
            snap.role_entries.push(r.permissions.clone());
            if r.is_default {
                snap.default_roles.push(r.code.clone());
            }
        }
        for r in &doc.roles {
            let mut inherits = Vec::with_capacity(r.inherits.len());
            for code in &r.inherits {
                inherits.push(*snap.role_ids.get(code).ok_or_else(|| {
                    invalid(format!("role {:?} inherits unknown role {code:?}", r.code))
                })?);
            }
            snap.role_inherits.push(inherits);
        }
        // Transitive inheritance with cycle detection (iterative DFS per role).
        let roles = doc.roles.len();
        for start in 0..roles {
            let mut seen = vec![false; roles];
            let mut stack: Vec<u32> = snap.role_inherits.get(start).cloned().unwrap_or_default();
            let mut ancestors = Vec::new();
            while let Some(r) = stack.pop() {
                if r as usize == start {
                    return Err(invalid(format!(
                        "role {:?} inherits itself (cycle)",
                        snap.role_codes.get(start).cloned().unwrap_or_default()
                    )));
                }
                if std::mem::replace(
                    seen.get_mut(r as usize)
                        .ok_or_else(|| invalid("role index".into()))?,
                    true,
                ) {
                    continue;
                }
                ancestors.push(r);
                stack.extend(
                    snap.role_inherits
                        .get(r as usize)
                        .into_iter()
                        .flatten()
                        .copied(),
                );
            }
            let mut grants = own.get(start).cloned().unwrap_or_else(|| Bits::new(n));
            for a in &ancestors {
                if let Some(b) = own.get(*a as usize) {
                    grants.union_with(b);
                }
            }
            snap.role_grants.push(grants);
            snap.role_ancestors.push(ancestors);
        }
        Ok(snap)
    }

    /// What one grant entry gives, as a bitset (tree applied). Unregistered exact codes
    /// and malformed wildcards are errors.
    fn expand(&self, entry: &str) -> std::result::Result<Bits, ()> {
        let n = self.codes.len();
        let mut out = Bits::new(n);
        match pattern(entry).ok_or(())? {
            Pattern::Exact(code) => {
                let id = *self.ids.get(code).ok_or(())?;
                out.union_with(self.closure.get(id as usize).ok_or(())?);
            }
            p => {
                for (i, code) in self.codes.iter().enumerate() {
                    if p.names(code) {
                        if let Some(c) = self.closure.get(i) {
                            out.union_with(c);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Whether a direct grant entry covers permission `target` (allocation-free): the
    /// entry names the target or one of its ancestors.
    fn entry_grants(&self, entry: &str, target: u32) -> bool {
        let Some(p) = pattern(entry) else {
            return false;
        };
        let mut cur = Some(target);
        while let Some(id) = cur {
            if self.codes.get(id as usize).is_some_and(|c| p.names(c)) {
                return true;
            }
            cur = self.parent.get(id as usize).copied().flatten();
        }
        false
    }

    /// The permission id of a code, if registered.
    fn id(&self, code: &str) -> Option<u32> {
        self.ids.get(code).copied()
    }

    /// Checks one permission. Order: superuser bypass, super-admin role, unknown code
    /// (deny), roles (with inheritance and the tree), direct grants, deny.
    pub fn check<'a>(&'a self, subject: &'a Subject, permission: &str) -> Decision<'a> {
        if self.superuser_bypass && subject.is_superuser {
            return Decision::allow(Reason::Superuser, None);
        }
        if let Some(role) = subject.roles.iter().find(|r| {
            self.super_admin_roles.iter().any(|s| s == *r) && self.role_ids.contains_key(*r)
        }) {
            return Decision::allow(Reason::SuperAdminRole, Some(MatchedBy::Role(role)));
        }
        let Some(target) = self.id(permission) else {
            return Decision::deny(Reason::UnknownPermission);
        };
        for role in &subject.roles {
            if let Some(r) = self.role_ids.get(role) {
                if self
                    .role_grants
                    .get(*r as usize)
                    .is_some_and(|b| b.has(target as usize))
                {
                    return Decision::allow(Reason::Role, Some(MatchedBy::Role(role)));
                }
            }
        }
        for entry in &subject.permissions {
            if self.entry_grants(entry, target) {
                return Decision::allow(Reason::Direct, Some(MatchedBy::Permission(entry)));
            }
        }
        Decision::deny(Reason::NotGranted)
    }

    /// Whether the subject holds the permission.
    pub fn has_permission(&self, subject: &Subject, permission: &str) -> bool {
        self.check(subject, permission).allowed
    }

    /// True when any of the permissions is held (an empty list is false, as in Tenxyte).
    pub fn any(&self, subject: &Subject, permissions: &[&str]) -> bool {
        permissions.iter().any(|p| self.has_permission(subject, p))
    }

    /// True when all of the permissions are held (an empty list is true, as in Tenxyte).
    pub fn all(&self, subject: &Subject, permissions: &[&str]) -> bool {
        permissions.iter().all(|p| self.has_permission(subject, p))
    }

    /// Whether the subject holds this role by assignment (exact code, no inheritance:
    /// Tenxyte's `has_role`).
    pub fn has_role(&self, subject: &Subject, role: &str) -> bool {
        subject.roles.iter().any(|r| r == role)
    }

    /// Whether the subject holds this role by assignment or through inheritance.
    pub fn has_role_inherited(&self, subject: &Subject, role: &str) -> bool {
        let Some(target) = self.role_ids.get(role) else {
            return false;
        };
        subject.roles.iter().any(|r| {
            self.role_ids.get(r).is_some_and(|id| {
                id == target
                    || self
                        .role_ancestors
                        .get(*id as usize)
                        .is_some_and(|a| a.contains(target))
            })
        })
    }

    /// True when any of the roles is assigned.
    pub fn has_any_role(&self, subject: &Subject, roles: &[&str]) -> bool {
        roles.iter().any(|r| self.has_role(subject, r))
    }

    /// True when every one of the roles is assigned.
    pub fn has_all_roles(&self, subject: &Subject, roles: &[&str]) -> bool {
        roles.iter().all(|r| self.has_role(subject, r))
    }

    /// Every permission the subject holds, in policy order.
    pub fn effective_permissions(&self, subject: &Subject) -> Vec<&str> {
        self.codes
            .iter()
            .filter(|c| self.has_permission(subject, c))
            .map(String::as_str)
            .collect()
    }

    /// The roles new users get at registration.
    pub fn default_roles(&self) -> &[String] {
        &self.default_roles
    }

    /// Whether a role code exists.
    pub fn role_exists(&self, role: &str) -> bool {
        self.role_ids.contains_key(role)
    }

    /// Whether a permission code exists.
    pub fn permission_exists(&self, permission: &str) -> bool {
        self.ids.contains_key(permission)
    }

    /// Why a check answers what it answers: the decision and the chain of facts behind it
    /// (role inheritance, the granting entry, the tree path). Slower than [`check`]; for
    /// admin screens, logs and support.
    ///
    /// [`check`]: Snapshot::check
    pub fn explain(&self, subject: &Subject, permission: &str) -> Explanation {
        let decision = self.check(subject, permission);
        let mut steps = Vec::new();
        match decision.reason {
            Reason::Superuser => steps
                .push("the subject is a superuser and the policy lets superusers pass".to_owned()),
            Reason::SuperAdminRole => {
                if let Some(MatchedBy::Role(r)) = decision.matched_by {
                    steps.push(format!("role {r:?} is a super-admin role"));
                }
            }
            Reason::UnknownPermission => {
                steps.push(format!("{permission:?} is not a registered permission"))
            }
            Reason::NotGranted => steps.push(format!(
                "no role or direct grant of the subject covers {permission:?}"
            )),
            Reason::Role => {
                if let (Some(MatchedBy::Role(role)), Some(target)) =
                    (decision.matched_by, self.id(permission))
                {
                    steps.extend(self.role_path(role, target));
                }
            }
            Reason::Direct => {
                if let (Some(MatchedBy::Permission(entry)), Some(target)) =
                    (decision.matched_by, self.id(permission))
                {
                    steps.push(format!("granted directly: {entry:?}"));
                    steps.extend(self.tree_path(entry, target));
                }
            }
        }
        Explanation {
            permission: permission.to_owned(),
            allowed: decision.allowed,
            reason: decision.reason,
            matched_by: decision.matched_by.map(|m| m.as_str().to_owned()),
            steps,
        }
    }

    /// The inheritance path from `role` to a role whose own entry grants `target`.
    fn role_path(&self, role: &str, target: u32) -> Vec<String> {
        let Some(&start) = self.role_ids.get(role) else {
            return Vec::new();
        };
        // Breadth-first over inheritance, remembering how each role was reached.
        let mut prev: HashMap<u32, u32> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut seen = vec![start];
        while let Some(r) = queue.pop_front() {
            let entries = self
                .role_entries
                .get(r as usize)
                .cloned()
                .unwrap_or_default();
            if let Some(entry) = entries.iter().find(|e| self.entry_grants(e, target)) {
                let mut chain = vec![r];
                let mut cur = r;
                while let Some(p) = prev.get(&cur) {
                    chain.push(*p);
                    cur = *p;
                }
                chain.reverse();
                let name = |id: &u32| {
                    self.role_codes
                        .get(*id as usize)
                        .cloned()
                        .unwrap_or_default()
                };
                let mut steps = vec![format!("the subject has role {:?}", name(&start))];
                for pair in chain.windows(2) {
                    if let [a, b] = pair {
                        steps.push(format!("role {:?} inherits role {:?}", name(a), name(b)));
                    }
                }
                steps.push(format!("role {:?} grants {entry:?}", name(&r)));
                steps.extend(self.tree_path(entry, target));
                return steps;
            }
            for next in self.role_inherits.get(r as usize).into_iter().flatten() {
                if !seen.contains(next) {
                    seen.push(*next);
                    prev.insert(*next, r);
                    queue.push_back(*next);
                }
            }
        }
        Vec::new()
    }

    /// How an entry reaches `target` through the permission tree.
    fn tree_path(&self, entry: &str, target: u32) -> Vec<String> {
        let Some(p) = pattern(entry) else {
            return Vec::new();
        };
        let mut cur = Some(target);
        let mut path = Vec::new();
        while let Some(id) = cur {
            let code = self.codes.get(id as usize).cloned().unwrap_or_default();
            path.push(code.clone());
            if p.names(&code) {
                break;
            }
            cur = self.parent.get(id as usize).copied().flatten();
        }
        match path.as_slice() {
            [] | [_] => Vec::new(),
            [first, .., last] => vec![format!(
                "{last:?} is an ancestor of {first:?} in the permission tree"
            )],
        }
    }

    /// Like [`Snapshot::has_permission`], as a guard: `permission_required` when denied.
    pub fn require(&self, subject: &Subject, permission: &str) -> Result<()> {
        if self.has_permission(subject, permission) {
            return Ok(());
        }
        Err(err(ErrorCode::PermissionRequired, "permission denied")
            .with_details(serde_json::json!({ "required_permission": permission })))
    }

    /// Guard for any of several permissions: `permission_required` when none is held.
    pub fn require_any(&self, subject: &Subject, permissions: &[&str]) -> Result<()> {
        if self.any(subject, permissions) {
            return Ok(());
        }
        Err(err(ErrorCode::PermissionRequired, "permission denied")
            .with_details(serde_json::json!({ "required_any": permissions })))
    }

    /// Guard for all of several permissions: `permissions_required` naming the missing ones.
    pub fn require_all(&self, subject: &Subject, permissions: &[&str]) -> Result<()> {
        let missing: Vec<&str> = permissions
            .iter()
            .copied()
            .filter(|p| !self.has_permission(subject, p))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(err(ErrorCode::PermissionsRequired, "permissions denied")
            .with_details(serde_json::json!({ "missing_permissions": missing })))
    }

    /// Guard for a role: `role_required`.
    pub fn require_role(&self, subject: &Subject, role: &str) -> Result<()> {
        if self.has_role(subject, role) {
            return Ok(());
        }
        Err(err(ErrorCode::RoleRequired, "role required")
            .with_details(serde_json::json!({ "required_role": role })))
    }

    /// Guard for any of several roles: `role_required`.
    pub fn require_any_role(&self, subject: &Subject, roles: &[&str]) -> Result<()> {
        if self.has_any_role(subject, roles) {
            return Ok(());
        }
        Err(err(ErrorCode::RoleRequired, "role required")
            .with_details(serde_json::json!({ "required_any_role": roles })))
    }

    /// Guard for all of several roles: `roles_required` naming the missing ones.
    pub fn require_all_roles(&self, subject: &Subject, roles: &[&str]) -> Result<()> {
        let missing: Vec<&str> = roles
            .iter()
            .copied()
            .filter(|r| !self.has_role(subject, r))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(err(ErrorCode::RolesRequired, "roles required")
            .with_details(serde_json::json!({ "missing_roles": missing })))
    }
}
