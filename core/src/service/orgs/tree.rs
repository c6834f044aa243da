//! Create (root or child), move, the subtree view and lookup by slug.

use std::collections::BTreeMap;

use serde_json::json;

use super::load::{
    context, load_chain, load_membership, load_org, not_found, org_by_slug, subtree, user_context,
    SlugEntry,
};
use super::{actor, CreateOrgRequest, OrgAccess, OrgNode};
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::org::permission::OWNER;
use crate::org::{create_organization, Organization};
use crate::service::audit::{append, AuditEntry};
use crate::service::users::{contention, load, new_id, store};
use crate::service::{Engine, RequestContext};
use crate::store::{keys, Expect};

/// Longest slug.
pub const MAX_SLUG_LEN: usize = 64;
/// Longest display name, in characters.
pub const MAX_NAME_LEN: usize = 200;

/// Trims and lower-cases a slug; `invalid_input` unless it is 1 to [`MAX_SLUG_LEN`] of
/// `a-z 0-9 -` without a leading or trailing `-`.
fn check_slug(raw: &str) -> Result<String> {
    let slug = raw.trim().to_ascii_lowercase();
    let ok = !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(slug)
    } else {
        Err(err(
            ErrorCode::InvalidInput,
            "slug must be 1 to 64 of a-z, 0-9 and '-', not starting or ending with '-'",
        )
        .with_details(json!({ "field": "slug" })))
    }
}

fn check_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control)
    {
        return Err(err(
            ErrorCode::InvalidInput,
            "name must be 1 to 200 characters without control characters",
        )
        .with_details(json!({ "field": "name" })));
    }
    Ok(name.to_owned())
}

fn slug_taken(slug: &str) -> crate::Error {
    err(
        ErrorCode::OrgSlugTaken,
        "another organization uses this slug",
    )
    .with_details(json!({ "slug": slug }))
}

/// Claims `slug` for `org_id` (create-once). A held entry whose organization does not
/// exist is left over from a create that stopped half-way and is taken over.
async fn claim_slug(port: &StorePort, slug: &str, org_id: &str) -> Result<bool> {
    let key = keys::org_slug(slug);
    let entry = SlugEntry {
        org_id: org_id.to_owned(),
    };
    if store(port, keys::ORG_SLUGS, &key, &entry, None, Expect::Absent).await? {
        return Ok(true);
    }
    match load::<SlugEntry>(port, keys::ORG_SLUGS, &key).await? {
        Some(held) if load_org(port, &held.value.org_id).await?.is_none() => Ok(store(
            port,
            keys::ORG_SLUGS,
            &key,
            &entry,
            None,
            Expect::Version(held.version),
        )
        .await?),
        Some(_) => Ok(false),
        // Gone between the two reads: try once more from scratch.
        None => Ok(store(port, keys::ORG_SLUGS, &key, &entry, None, Expect::Absent).await?),
    }
}

pub(super) async fn create(
    port: &StorePort,
    e: &Engine,
    token: &str,
    parent: Option<&str>,
    req: &CreateOrgRequest,
    ctx: &RequestContext,
) -> Result<Organization> {
    let p = actor(port, e, token, ctx).await?;
    let slug = check_slug(&req.slug)?;
    let name = check_name(&req.name)?;
    let org = Organization {
        id: new_id()?,
        slug: slug.clone(),
        name,
        parent_id: parent.map(str::to_owned),
        is_active: true,
        max_members: req
            .max_members
            .unwrap_or(e.settings().organizations.max_members),
        created_by: String::new(),
        created_at: 0,
        metadata: req.metadata.clone(),
    };
    let decision_ctx = match parent {
        Some(pid) => user_context(port, e, &p.user.id, pid).await?,
        None => context(e, Vec::new(), Vec::new())?,
    };
    let created = create_organization(&decision_ctx.authz(e)?, &p.user.id, org, ctx.now)?;
    let org = created.organization;
    // The slug first (create-once), so two creators of one slug cannot both get it.
    if !claim_slug(port, &slug, &org.id).await? {
        return Err(slug_taken(&slug));
    }
    // The child index before the record: a dangling entry is skipped by readers, while a
    // record without its entry would be missing from the parent's tree.
    if let Some(pid) = &org.parent_id {
        port.put(
            keys::ORG_CHILDREN,
            &keys::org_child(pid, &org.id),
            json!({}),
            None,
            Expect::Any,
        )
        .await?;
    }
    // The owner membership and its index before the organization record, which is the
    // commit point: a drop before it leaves a membership of an organization that does
    // not exist (grants nothing, skipped by readers) and a slug that is reclaimable; a
    // drop after it leaves a complete organization. (The other order could leave an
    // ownerless organization holding the slug for good.)
    let owner = created.owner;
    if !store(
        port,
        keys::ORG_MEMBERSHIPS,
        &keys::membership(&org.id, &owner.user_id),
        &owner,
        None,
        Expect::Absent,
    )
    .await?
    {
        return Err(err(
            ErrorCode::Internal,
            "a fresh organization had a member",
        ));
    }
    port.put(
        keys::USER_MEMBERSHIPS,
        &keys::user_membership(&owner.user_id, &org.id),
        json!({}),
        None,
        Expect::Any,
    )
    .await?;
    if !store(
        port,
        keys::ORGS,
        &keys::org(&org.id),
        &org,
        None,
        Expect::Absent,
    )
    .await?
    {
        return Err(err(ErrorCode::Internal, "a fresh organization id collided"));
    }
    // A concurrent create may have taken the slug over while it looked dangling (before
    // our record existed): then ours is withdrawn.
    let held = load::<SlugEntry>(port, keys::ORG_SLUGS, &keys::org_slug(&slug)).await?;
    if held.is_none_or(|h| h.value.org_id != org.id) {
        port.delete(keys::ORGS, &keys::org(&org.id)).await?;
        port.delete(
            keys::ORG_MEMBERSHIPS,
            &keys::membership(&org.id, &p.user.id),
        )
        .await?;
        return Err(slug_taken(&slug));
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("org_created", Some(&p.user.id))
            .org(Some(&org.id))
            .details(json!({ "slug": org.slug, "parent_id": org.parent_id })),
    )
    .await?;
    Ok(org)
}

pub(super) async fn move_org(
    port: &StorePort,
    e: &Engine,
    token: &str,
    org_id: &str,
    new_parent: Option<&str>,
    ctx: &RequestContext,
) -> Result<Organization> {
    let p = actor(port, e, token, ctx).await?;
    let Some(current) = load_org(port, org_id).await? else {
        return Err(not_found(org_id));
    };
    let old_parent = current.value.parent_id.clone();
    // Everything the structural check needs: the organization's chain, its subtree and
    // the new parent's chain; and the caller's memberships on both chains.
    let mut orgs: BTreeMap<String, Organization> = BTreeMap::new();
    let chain = load_chain(port, org_id).await?;
    let new_chain = match new_parent {
        Some(np) => load_chain(port, np).await?,
        None => Vec::new(),
    };
    let mut memberships = Vec::new();
    for o in chain.iter().chain(new_chain.iter()) {
        if !orgs.contains_key(&o.id) {
            if let Some(m) = load_membership(port, &o.id, &p.user.id).await? {
                memberships.push(m.value);
            }
        }
        orgs.insert(o.id.clone(), o.clone());
    }
    for o in subtree(port, &current.value).await? {
        orgs.insert(o.id.clone(), o);
    }
    let decision_ctx = context(e, orgs.into_values().collect(), memberships)?;
    let authz = decision_ctx.authz(e)?;
    authz.is_owner(&p.user.id, org_id).require(OWNER)?;
    let moved = authz.tree().move_org(org_id, new_parent)?;
    if let Some(np) = new_parent {
        authz.is_owner(&p.user.id, np).require(OWNER)?;
    }
    if old_parent.as_deref() == new_parent {
        return Ok(current.value);
    }
    // New index entry, then the record (compare-and-swap), then the old entry: every
    // prefix leaves at worst a stale entry, which readers skip (its child names another
    // parent).
    if let Some(np) = new_parent {
        port.put(
            keys::ORG_CHILDREN,
            &keys::org_child(np, org_id),
            json!({}),
            None,
            Expect::Any,
        )
        .await?;
    }
    if !store(
        port,
        keys::ORGS,
        &keys::org(org_id),
        &moved,
        None,
        Expect::Version(current.version),
    )
    .await?
    {
        return Err(contention("organization"));
    }
    if let Some(op) = &old_parent {
        port.delete(keys::ORG_CHILDREN, &keys::org_child(op, org_id))
            .await?;
    }
    append(
        port,
        e,
        ctx,
        AuditEntry::success("org_moved", Some(&p.user.id))
            .org(Some(org_id))
            .details(json!({ "from": old_parent, "to": new_parent })),
    )
    .await?;
    Ok(moved)
}

fn build(org: Organization, by_parent: &mut BTreeMap<String, Vec<Organization>>) -> OrgNode {
    let kids = by_parent.remove(&org.id).unwrap_or_default();
    OrgNode {
        children: kids.into_iter().map(|k| build(k, by_parent)).collect(),
        organization: org,
    }
}

pub(super) async fn subtree_of(
    port: &StorePort,
    e: &Engine,
    token: &str,
    org_id: &str,
    ctx: &RequestContext,
) -> Result<OrgNode> {
    let p = actor(port, e, token, ctx).await?;
    let decision_ctx = user_context(port, e, &p.user.id, org_id).await?;
    let root = decision_ctx.tree.require(org_id)?.clone();
    decision_ctx
        .authz(e)?
        .is_member(&p.user.id, org_id)
        .require("membership")?;
    let mut by_parent: BTreeMap<String, Vec<Organization>> = BTreeMap::new();
    for o in subtree(port, &root).await? {
        if o.id == root.id {
            continue;
        }
        if let Some(parent) = o.parent_id.clone() {
            by_parent.entry(parent).or_default().push(o);
        }
    }
    for kids in by_parent.values_mut() {
        kids.sort_by(|a, b| a.id.cmp(&b.id));
    }
    Ok(build(root, &mut by_parent))
}

pub(super) async fn by_slug(
    port: &StorePort,
    e: &Engine,
    token: &str,
    slug: &str,
    ctx: &RequestContext,
) -> Result<OrgAccess> {
    let p = actor(port, e, token, ctx).await?;
    let slug = slug.trim().to_ascii_lowercase();
    let Some(org) = org_by_slug(port, &slug).await? else {
        return Err(err(ErrorCode::OrgNotFound, "no organization has this slug")
            .with_details(json!({ "slug": slug })));
    };
    let decision_ctx = user_context(port, e, &p.user.id, &org.id).await?;
    let decision = decision_ctx
        .authz(e)?
        .is_member(&p.user.id, &org.id)
        .require("membership")?;
    Ok(OrgAccess {
        organization: org,
        role: decision.role.unwrap_or_default(),
        via_org: decision.via_org.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::check_slug;

    #[test]
    fn slugs_are_normalised_and_checked() {
        assert_eq!(check_slug(" Acme-EU ").unwrap(), "acme-eu");
        assert_eq!(check_slug(&"a".repeat(64)).unwrap().len(), 64);
        for bad in ["", "-a", "a-", "a b", "a/b", "a_b", "é", &"a".repeat(65)] {
            assert!(check_slug(bad).is_err(), "{bad:?}");
        }
    }
}
