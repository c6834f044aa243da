//! The delegating human as agent decisions see them.

use std::ops::Deref;

use super::HumanPermissions;
use crate::rbac::{Snapshot, Subject};

/// The human who delegated a token, judged by the RBAC policy *now*: nothing is held when
/// the user no longer exists or is inactive, and organization-scoped checks fail closed
/// (organizations are not yet wired into agent decisions). The Engine builds it from the
/// user record; a host that keeps its own records builds it from a subject, so both get
/// the same answer. `P` is the policy: borrowed (`&Snapshot`) or shared (`Arc<Snapshot>`).
pub struct DelegatingHuman<P> {
    policy: P,
    subject: Option<Subject>,
}

impl<P: Deref<Target = Snapshot>> DelegatingHuman<P> {
    /// `subject` is `None` for a user that no longer exists; an inactive user holds nothing.
    pub fn new(policy: P, subject: Option<Subject>, is_active: bool) -> Self {
        DelegatingHuman {
            policy,
            subject: subject.filter(|_| is_active),
        }
    }
}

impl<P: Deref<Target = Snapshot>> HumanPermissions for DelegatingHuman<P> {
    fn holds(&self, permission: &str, org_id: Option<&str>) -> bool {
        org_id.is_none()
            && self
                .subject
                .as_ref()
                .is_some_and(|s| self.policy.has_permission(s, permission))
    }
}
