//! Role-based access control as pure decisions.
//!
//! - Permissions form a tree (explicit `parent`); holding a permission grants every
//!   descendant. Checks for unregistered codes are denied.
//! - Roles carry grants (exact codes, `prefix.*`, `*`) and may inherit other roles
//!   (acyclic). Users hold roles and direct grants. A configurable super-admin role and
//!   superuser flag bypass checks (Tenxyte's `super_admin` / `is_superuser`).
//! - A [`PolicyDocument`] (JSON) compiles once into a [`Snapshot`]; a check is a hash
//!   lookup and a bit test, returns a [`Decision`] value and allocates nothing.
//! - Guards ([`Snapshot::require`] and friends) answer with Tenxyte's decorator failure
//!   codes: `permission_required`, `permissions_required`, `role_required`,
//!   `roles_required`.
//!
//! ```
//! use tenxyte_core::rbac::{PolicyDocument, Snapshot, Subject};
//! let snap = Snapshot::compile(&PolicyDocument::tenxyte_default())?;
//! let editor = Subject { roles: vec!["admin".into()], ..Subject::default() };
//! assert!(snap.has_permission(&editor, "content.publish")); // admin grants content.*
//! assert!(!snap.has_permission(&editor, "system.logs"));
//! # Ok::<(), tenxyte_core::Error>(())
//! ```

mod bits;
mod decision;
mod policy;
mod snapshot;

pub use decision::{Decision, Explanation, MatchedBy, Reason};
pub use policy::{PermissionDef, PolicyDocument, RoleDef, Subject};
pub use snapshot::Snapshot;
