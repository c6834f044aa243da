//! Reading organizations, memberships and invitations from the store, and building the
//! pure decision context ([`OrgAuthz`]) over what was read.
//!
//! A decision about organization `o` needs `o`, its ancestors (by parent pointers) and the
//! user's membership in each of them: nothing else. Descendants never matter, which is
//! what makes inheritance go down and never up.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::org::{Invitation, Membership, OrgAuthz, OrgDecision, OrgRoles, OrgTree, Organization};
use crate::service::users::{decode, load, Versioned};
use crate::service::Engine;
use crate::store::{keys, Record};

/// Longest ancestor chain walked before the data is declared corrupt. Trees are at most
/// `organizations.max_depth` levels when grown through the flows; a lowered setting may
/// leave deeper ones, which still work up to this bound. Past it (a parent loop left by
/// concurrent moves, or corrupt records) decisions fail closed with `org_cycle`.
pub(crate) const MAX_CHAIN: usize = 64;

/// Page size of the prefix scans.
const PAGE: u32 = 200;

/// The slug index entry (namespace `org_slugs`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SlugEntry {
    pub org_id: String,
}

/// `org_disabled` when the feature is off.
pub(crate) fn require_enabled(e: &Engine) -> Result<()> {
    if e.settings().organizations.enabled {
        Ok(())
    } else {
        Err(err(ErrorCode::OrgDisabled, "organizations are disabled"))
    }
}

pub(crate) fn not_found(id: &str) -> crate::Error {
    err(ErrorCode::OrgNotFound, "no such organization").with_details(json!({ "org_id": id }))
}

/// Loads an organization by its (already escaped) key, as found in an index entry.
pub(crate) async fn load_org_by_key(
    port: &StorePort,
    key: &str,
) -> Result<Option<Versioned<Organization>>> {
    load(port, keys::ORGS, key).await
}

/// Loads one organization record.
pub(crate) async fn load_org(
    port: &StorePort,
    id: &str,
) -> Result<Option<Versioned<Organization>>> {
    load(port, keys::ORGS, &keys::org(id)).await
}

/// The organization with this slug, or `None` (a dangling slug entry counts as absent).
pub(crate) async fn org_by_slug(port: &StorePort, slug: &str) -> Result<Option<Organization>> {
    let Some(entry) = load::<SlugEntry>(port, keys::ORG_SLUGS, &keys::org_slug(slug)).await? else {
        return Ok(None);
    };
    Ok(load_org(port, &entry.value.org_id)
        .await?
        .map(|o| o.value)
        .filter(|o| o.slug == slug))
}

/// `id` then its ancestors, nearest first, the root last. `org_not_found` when `id` or a
/// parent is missing, `org_cycle` when the chain loops or passes [`MAX_CHAIN`].
pub(crate) async fn load_chain(port: &StorePort, id: &str) -> Result<Vec<Organization>> {
    let mut chain: Vec<Organization> = Vec::new();
    let mut next = Some(id.to_owned());
    while let Some(cur) = next {
        if chain.len() >= MAX_CHAIN || chain.iter().any(|o| o.id == cur) {
            return Err(err(
                ErrorCode::OrgCycle,
                "the organization's parent chain loops or is too long",
            ));
        }
        let Some(org) = load_org(port, &cur).await? else {
            return Err(not_found(&cur));
        };
        next = org.value.parent_id.clone();
        chain.push(org.value);
    }
    Ok(chain)
}

/// One membership record.
pub(crate) async fn load_membership(
    port: &StorePort,
    org_id: &str,
    user_id: &str,
) -> Result<Option<Versioned<Membership>>> {
    load(
        port,
        keys::ORG_MEMBERSHIPS,
        &keys::membership(org_id, user_id),
    )
    .await
}

/// Every live record under `prefix` in `ns`, all pages.
pub(crate) async fn list_all(
    port: &StorePort,
    ns: &str,
    prefix: &str,
) -> Result<Vec<(String, Record)>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = port.list(ns, prefix, PAGE, cursor.as_deref()).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Every membership of one organization, with versions.
pub(crate) async fn org_members(
    port: &StorePort,
    org_id: &str,
) -> Result<Vec<Versioned<Membership>>> {
    let rows = list_all(port, keys::ORG_MEMBERSHIPS, &keys::owner_prefix(org_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (_, record) in rows {
        let m: Versioned<Membership> = decode(keys::ORG_MEMBERSHIPS, record)?;
        // A record filed under another organization's prefix is ignored, never trusted.
        if m.value.org_id == org_id {
            out.push(m);
        }
    }
    Ok(out)
}

/// Every invitation of one organization still in the store (any status), with versions.
/// Index entries whose record is gone or names another organization are skipped.
pub(crate) async fn org_invitations(
    port: &StorePort,
    org_id: &str,
) -> Result<Vec<Versioned<Invitation>>> {
    let prefix = keys::owner_prefix(org_id);
    let rows = list_all(port, keys::ORG_INVITATIONS_BY_ORG, &prefix).await?;
    let mut out = Vec::new();
    for (key, _) in rows {
        // The key is `<org>/<hash>`; the hash segment is the record's key as written.
        let Some(hash_key) = key.strip_prefix(&prefix) else {
            continue;
        };
        if let Some(inv) = load::<Invitation>(port, keys::ORG_INVITATIONS, hash_key).await? {
            if inv.value.org_id == org_id {
                out.push(inv);
            }
        }
    }
    Ok(out)
}

/// Children of `parent` by the child index, each checked against its record's
/// `parent_id` (an entry left behind by a move is stale and skipped).
pub(crate) async fn children(port: &StorePort, parent: &str) -> Result<Vec<Organization>> {
    let prefix = keys::owner_prefix(parent);
    let rows = list_all(port, keys::ORG_CHILDREN, &prefix).await?;
    let mut out = Vec::new();
    for (key, _) in rows {
        let Some(child_key) = key.strip_prefix(&prefix) else {
            continue;
        };
        if let Some(child) = load::<Organization>(port, keys::ORGS, child_key).await? {
            if child.value.parent_id.as_deref() == Some(parent) {
                out.push(child.value);
            }
        }
    }
    Ok(out)
}

/// `root` and everything below it, level by level. `org_cycle` past [`MAX_CHAIN`]
/// levels or when a node comes back.
pub(crate) async fn subtree(port: &StorePort, root: &Organization) -> Result<Vec<Organization>> {
    let mut out = vec![root.clone()];
    let mut level = vec![root.id.clone()];
    for _ in 0..MAX_CHAIN {
        let mut next = Vec::new();
        for id in &level {
            for c in children(port, id).await? {
                if out.iter().any(|o| o.id == c.id) {
                    return Err(err(ErrorCode::OrgCycle, "the organization tree loops"));
                }
                next.push(c.id.clone());
                out.push(c);
            }
        }
        if next.is_empty() {
            return Ok(out);
        }
        level = next;
    }
    Err(err(
        ErrorCode::OrgCycle,
        "the organization tree is too deep",
    ))
}

/// What a decision about one organization needs: the chain as a tree, the role set and
/// the memberships that may apply.
pub(crate) struct Context {
    pub tree: OrgTree,
    pub roles: OrgRoles,
    pub memberships: Vec<Membership>,
}

impl Context {
    /// Decisions over this context with the engine's settings (`org_disabled` when off).
    pub fn authz<'a>(&'a self, e: &Engine) -> Result<OrgAuthz<'a, Vec<Membership>>> {
        OrgAuthz::from_settings(
            &e.settings().organizations,
            &self.tree,
            &self.roles,
            &self.memberships,
        )
    }
}

/// Builds a context from organizations and memberships already read.
pub(crate) fn context(
    e: &Engine,
    orgs: Vec<Organization>,
    memberships: Vec<Membership>,
) -> Result<Context> {
    Ok(Context {
        tree: OrgTree::from_settings(orgs, &e.settings().organizations)?,
        roles: OrgRoles::system(),
        memberships,
    })
}

/// Loads `org_id`'s chain and `user_id`'s membership in each organization on it.
pub(crate) async fn user_context(
    port: &StorePort,
    e: &Engine,
    user_id: &str,
    org_id: &str,
) -> Result<Context> {
    let chain = load_chain(port, org_id).await?;
    let mut memberships = Vec::new();
    for o in &chain {
        if let Some(m) = load_membership(port, &o.id, user_id).await? {
            memberships.push(m.value);
        }
    }
    context(e, chain, memberships)
}

/// Whether `user_id` holds organization permission `code` in `org_id`, for other flows
/// (an `X-Org-Slug` guard, an org-scoped API). Loads the organization's ancestor chain by
/// parent pointers and the user's memberships along it; inheritance goes down the tree
/// (an ancestor's role applies here when `organizations.role_inheritance` is on), never
/// up. An unknown organization is a denial with reason `org_not_found`; a loop in the
/// stored chain is the error `org_cycle`; a store failure is `store_unavailable`. Use
/// [`OrgDecision::require`] to turn a denial into an error.
pub async fn org_permission(
    port: &StorePort,
    engine: &Engine,
    user_id: &str,
    org_id: &str,
    code: &str,
) -> Result<OrgDecision> {
    let ctx = match decision_context(port, engine, user_id, org_id).await? {
        Ok(c) => c,
        Err(denied) => return Ok(denied),
    };
    Ok(ctx.authz(engine)?.has_org_permission(user_id, org_id, code))
}

/// The context a guard decision is taken in, or the denial an unknown organization (or a
/// missing ancestor) is, as in the pure decisions: the caller's `require` turns it into
/// `org_not_found`. Organizations must be enabled.
async fn decision_context(
    port: &StorePort,
    engine: &Engine,
    user_id: &str,
    org_id: &str,
) -> Result<std::result::Result<Context, OrgDecision>> {
    require_enabled(engine)?;
    match user_context(port, engine, user_id, org_id).await {
        Ok(c) => Ok(Ok(c)),
        Err(e) if e.code() == ErrorCode::OrgNotFound => Ok(Err(OrgDecision {
            allowed: false,
            reason: crate::org::reason::ORG_NOT_FOUND,
            via_org: None,
            role: None,
        })),
        Err(e) => Err(e),
    }
}

/// Whether `user_id` belongs to `org_id` as a guard asks it: `role` `None` is any active
/// membership (with a known role); `Some("admin")` is role `admin` or `owner` (the pure
/// `is_admin`); any other code is that exact role. Ancestors' memberships count when
/// `inherit` and `organizations.role_inheritance` are both on. An unknown organization is
/// a denial with reason `org_not_found`, as in [`org_permission`].
pub(crate) async fn org_membership(
    port: &StorePort,
    engine: &Engine,
    user_id: &str,
    org_id: &str,
    role: Option<&str>,
    inherit: bool,
) -> Result<OrgDecision> {
    let ctx = match decision_context(port, engine, user_id, org_id).await? {
        Ok(c) => c,
        Err(denied) => return Ok(denied),
    };
    let authz = ctx.authz(engine)?;
    let on = authz.inheritance() && inherit;
    let authz = authz.with_inheritance(on);
    Ok(match role {
        None => authz.is_member(user_id, org_id),
        Some(crate::org::permission::ADMIN) => authz.is_admin(user_id, org_id),
        Some(code) => authz.has_org_role(user_id, org_id, code),
    })
}
