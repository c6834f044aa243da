//! Listing members, changing a role, removing a member, leaving.
//!
//! Last-owner protection must hold under concurrency too: two owners leaving at once must
//! not both succeed. The pure check runs first; then an owner who gives up ownership is
//! first written as non-owning (demoted, or suspended before deletion), and only then are
//! the remaining active owners counted again. Per-key linearizability means that of two
//! racing owners at least one sees the other's write, so at worst both are refused and
//! restored; never both pass.

use serde_json::json;

use super::load::{context, load_chain, load_membership, org_members};
use super::{actor, MemberView};
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::org::permission::OWNER;
use crate::org::{Membership, MembershipStatus, OrgMembers};
use crate::service::audit::{append, AuditEntry};
use crate::service::users::{contention, encode, load_user};
use crate::service::{Engine, RequestContext};
use crate::store::{keys, Expect, PutOutcome};

/// The organization's direct members (with versions) plus the actor's memberships in the
/// ancestors, and the decision context over the chain.
pub(super) struct Loaded {
    pub ctx: super::load::Context,
    pub versions: Vec<(String, u64)>,
}

impl Loaded {
    pub fn version_of(&self, user_id: &str) -> Option<u64> {
        self.versions
            .iter()
            .find(|(u, _)| u == user_id)
            .map(|(_, v)| *v)
    }
}

pub(super) async fn load_for(
    port: &StorePort,
    e: &Engine,
    actor_id: &str,
    org_id: &str,
) -> Result<Loaded> {
    let chain = load_chain(port, org_id).await?;
    let members = org_members(port, org_id).await?;
    let versions = members
        .iter()
        .map(|m| (m.value.user_id.clone(), m.version))
        .collect();
    let mut memberships: Vec<Membership> = members.into_iter().map(|m| m.value).collect();
    for o in chain.iter().skip(1) {
        if let Some(m) = load_membership(port, &o.id, actor_id).await? {
            memberships.push(m.value);
        }
    }
    Ok(Loaded {
        ctx: context(e, chain, memberships)?,
        versions,
    })
}

pub(super) async fn list(
    port: &StorePort,
    e: &Engine,
    token: &str,
    org_id: &str,
    ctx: &RequestContext,
) -> Result<Vec<MemberView>> {
    let p = actor(port, e, token, ctx).await?;
    let loaded = load_for(port, e, &p.user.id, org_id).await?;
    loaded
        .ctx
        .authz(e)?
        .is_member(&p.user.id, org_id)
        .require("membership")?;
    let mut out = Vec::new();
    for m in loaded.ctx.memberships.iter().filter(|m| m.org_id == org_id) {
        let email = load_user(port, &m.user_id)
            .await?
            .and_then(|u| u.value.email);
        out.push(MemberView {
            user_id: m.user_id.clone(),
            email,
            role: m.role.clone(),
            status: m.status,
            invited_by: m.invited_by.clone(),
            joined_at: m.joined_at,
        });
    }
    Ok(out)
}

/// Writes a membership under compare-and-swap; the new version, or `None` on a conflict.
async fn put_membership(port: &StorePort, m: &Membership, expect: Expect) -> Result<Option<u64>> {
    let key = keys::membership(&m.org_id, &m.user_id);
    match port
        .put(keys::ORG_MEMBERSHIPS, &key, encode(m)?, None, expect)
        .await?
    {
        PutOutcome::Written { version } => Ok(Some(version)),
        PutOutcome::Conflict { .. } => Ok(None),
    }
}

fn last_owner() -> crate::Error {
    err(
        ErrorCode::OrgLastOwner,
        "the organization would have no active owner",
    )
}

/// After `target` was written as non-owning (`written`, at `version`): `Ok` when another
/// active owner remains; otherwise `original` is put back and the answer is
/// `org_last_owner`.
async fn confirm_other_owner(port: &StorePort, original: &Membership, version: u64) -> Result<()> {
    let others = org_members(port, &original.org_id)
        .await?
        .into_iter()
        .filter(|m| {
            m.value.user_id != original.user_id
                && m.value.role == OWNER
                && m.value.status == MembershipStatus::Active
        })
        .count();
    if others > 0 {
        return Ok(());
    }
    // Put the owner back; a conflict means someone else changed it since, and theirs stands.
    put_membership(port, original, Expect::Version(version)).await?;
    Err(last_owner())
}

fn gives_up_ownership(before: &Membership, after_role: Option<&str>) -> bool {
    before.role == OWNER
        && before.status == MembershipStatus::Active
        && after_role.is_none_or(|r| r != OWNER)
}

pub(super) async fn change_role(
    port: &StorePort,
    e: &Engine,
    token: &str,
    org_id: &str,
    target: &str,
    role: &str,
    ctx: &RequestContext,
) -> Result<Membership> {
    let p = actor(port, e, token, ctx).await?;
    let loaded = load_for(port, e, &p.user.id, org_id).await?;
    let authz = loaded.ctx.authz(e)?;
    let ops = OrgMembers::new(&authz, org_id, &loaded.ctx.memberships, &[])?;
    let changed = ops.change_role(&p.user.id, target, role)?;
    let Some(before) = ops.membership(target).cloned() else {
        return Err(err(ErrorCode::NotAMember, "not a member"));
    };
    let version = loaded
        .version_of(target)
        .ok_or_else(|| err(ErrorCode::NotAMember, "not a member"))?;
    let Some(written) = put_membership(port, &changed, Expect::Version(version)).await? else {
        return Err(contention("membership"));
    };
    if gives_up_ownership(&before, Some(&changed.role)) {
        confirm_other_owner(port, &before, written).await?;
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("org_member_role_changed", Some(target))
            .actor(Some(&p.user.id))
            .org(Some(org_id))
            .details(json!({ "from": before.role, "to": changed.role })),
    )
    .await?;
    Ok(changed)
}

/// Removes `target`, or the caller when `target` is `None` (leave).
pub(super) async fn remove(
    port: &StorePort,
    e: &Engine,
    token: &str,
    org_id: &str,
    target: Option<&str>,
    ctx: &RequestContext,
) -> Result<Membership> {
    let p = actor(port, e, token, ctx).await?;
    let target = target.unwrap_or(&p.user.id);
    let leaving = target == p.user.id;
    let loaded = load_for(port, e, &p.user.id, org_id).await?;
    let authz = loaded.ctx.authz(e)?;
    let ops = OrgMembers::new(&authz, org_id, &loaded.ctx.memberships, &[])?;
    let removed = if leaving {
        ops.leave(target)?
    } else {
        ops.remove_member(&p.user.id, target)?
    };
    let version = loaded
        .version_of(target)
        .ok_or_else(|| err(ErrorCode::NotAMember, "not a member"))?;
    if gives_up_ownership(&removed, None) {
        // Suspend first (grants nothing), recount, then delete.
        let mut suspended = removed.clone();
        suspended.status = MembershipStatus::Suspended;
        let Some(written) = put_membership(port, &suspended, Expect::Version(version)).await?
        else {
            return Err(contention("membership"));
        };
        confirm_other_owner(port, &removed, written).await?;
    }
    port.delete(keys::ORG_MEMBERSHIPS, &keys::membership(org_id, target))
        .await?;
    port.delete(
        keys::USER_MEMBERSHIPS,
        &keys::user_membership(target, org_id),
    )
    .await?;
    let action = if leaving {
        "org_member_left"
    } else {
        "org_member_removed"
    };
    append(
        port,
        e,
        ctx,
        AuditEntry::success(action, Some(target))
            .actor(Some(&p.user.id))
            .org(Some(org_id))
            .details(json!({ "role": removed.role })),
    )
    .await?;
    Ok(removed)
}

/// The caller's own memberships, by the `user_memberships` index. Entries whose
/// membership or organization is gone are skipped (a removal that stopped half-way).
pub(super) async fn mine(
    port: &StorePort,
    e: &Engine,
    token: &str,
    ctx: &RequestContext,
) -> Result<Vec<super::MyOrganization>> {
    let p = actor(port, e, token, ctx).await?;
    let prefix = keys::owner_prefix(&p.user.id);
    let rows = super::load::list_all(port, keys::USER_MEMBERSHIPS, &prefix).await?;
    let mut out = Vec::new();
    for (key, _) in rows {
        let Some(org_key) = key.strip_prefix(&prefix) else {
            continue;
        };
        let Some(org) = super::load::load_org_by_key(port, org_key).await? else {
            continue;
        };
        let Some(m) = load_membership(port, &org.value.id, &p.user.id).await? else {
            continue;
        };
        out.push(super::MyOrganization {
            organization: org.value,
            role: m.value.role,
            status: m.value.status,
        });
    }
    Ok(out)
}
