//! The organization tree: depth, ancestors, descendants, and the structural checks for
//! creating and moving organizations.
//!
//! Depth counts from 0 at a root. `max_depth` is the number of levels (Tenxyte's
//! `ORG_MAX_DEPTH`, default 5), so depths `0..max_depth` exist and a child may be added
//! under a parent at depth `< max_depth - 1`.
//!
//! Building a tree checks that the records form a forest (unique ids and slugs, every
//! parent present, no cycle). It does not refuse a tree that is already deeper than
//! `max_depth` — the setting may have been lowered after the fact, and authorization must
//! keep working on existing data; only growth (create, move) is refused.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::config::OrganizationSettings;
use crate::error::{err, ErrorCode, Result};
use crate::org::records::Organization;

/// A validated forest of organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTree {
    orgs: BTreeMap<String, Organization>,
    children: BTreeMap<String, Vec<String>>,
    depth: BTreeMap<String, u32>,
    max_depth: u32,
}

fn not_found(id: &str) -> crate::Error {
    err(ErrorCode::OrgNotFound, format!("no organization {id:?}"))
}

impl OrgTree {
    /// Builds the tree. `invalid_input` for an empty or duplicate id or slug, or
    /// `max_depth` 0; `org_not_found` when a parent id names no organization; `org_cycle`
    /// when parent links loop (an organization its own parent included).
    pub fn new(orgs: Vec<Organization>, max_depth: u32) -> Result<OrgTree> {
        if max_depth == 0 {
            return Err(err(ErrorCode::InvalidInput, "max_depth must be at least 1"));
        }
        let mut by_id = BTreeMap::new();
        let mut slugs = BTreeSet::new();
        for org in orgs {
            if org.id.is_empty() || org.slug.is_empty() {
                return Err(err(
                    ErrorCode::InvalidInput,
                    "organization with an empty id or slug",
                ));
            }
            if !slugs.insert(org.slug.clone()) {
                return Err(err(
                    ErrorCode::InvalidInput,
                    format!("slug {:?} is used twice", org.slug),
                ));
            }
            let id = org.id.clone();
            if by_id.insert(id.clone(), org).is_some() {
                return Err(err(
                    ErrorCode::InvalidInput,
                    format!("id {id:?} is used twice"),
                ));
            }
        }
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut roots = Vec::new();
        for org in by_id.values() {
            match &org.parent_id {
                None => roots.push(org.id.clone()),
                Some(p) if p == &org.id => {
                    return Err(err(
                        ErrorCode::OrgCycle,
                        format!("organization {:?} is its own parent", org.id),
                    ))
                }
                Some(p) if !by_id.contains_key(p) => {
                    return Err(err(
                        ErrorCode::OrgNotFound,
                        format!("organization {:?} names a missing parent {p:?}", org.id),
                    ))
                }
                Some(p) => children.entry(p.clone()).or_default().push(org.id.clone()),
            }
        }
        // Breadth-first from the roots: with every parent present, whatever is not reached
        // sits on a cycle.
        let mut depth = BTreeMap::new();
        let mut queue: VecDeque<(String, u32)> = roots.into_iter().map(|r| (r, 0)).collect();
        while let Some((id, d)) = queue.pop_front() {
            for c in children.get(&id).into_iter().flatten() {
                queue.push_back((c.clone(), d.saturating_add(1)));
            }
            depth.insert(id, d);
        }
        if let Some(id) = by_id.keys().find(|id| !depth.contains_key(*id)) {
            return Err(err(
                ErrorCode::OrgCycle,
                format!("organization {id:?} is on a parent cycle"),
            ));
        }
        Ok(OrgTree {
            orgs: by_id,
            children,
            depth,
            max_depth,
        })
    }

    /// [`OrgTree::new`] with `organizations.max_depth`.
    pub fn from_settings(
        orgs: Vec<Organization>,
        settings: &OrganizationSettings,
    ) -> Result<OrgTree> {
        OrgTree::new(orgs, settings.max_depth)
    }

    /// The number of levels allowed.
    pub fn max_depth(&self) -> u32 {
        self.max_depth
    }

    /// The organization with this id.
    pub fn get(&self, id: &str) -> Option<&Organization> {
        self.orgs.get(id)
    }

    /// The organization with this id, or `org_not_found`.
    pub fn require(&self, id: &str) -> Result<&Organization> {
        self.get(id).ok_or_else(|| not_found(id))
    }

    /// Every organization, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Organization> {
        self.orgs.values()
    }

    /// Depth of `id` (0 for a root), or `org_not_found`.
    pub fn depth(&self, id: &str) -> Result<u32> {
        self.depth.get(id).copied().ok_or_else(|| not_found(id))
    }

    /// The direct children of `id`, by id.
    pub fn children(&self, id: &str) -> Result<Vec<&Organization>> {
        self.require(id)?;
        Ok(self
            .children
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|c| self.orgs.get(c))
            .collect())
    }

    /// The ancestors of `id`, nearest (the parent) first, the root last.
    pub fn ancestors(&self, id: &str) -> Result<Vec<&Organization>> {
        let mut out = Vec::new();
        let mut cur = self.require(id)?;
        // The tree is acyclic (checked at build), so this ends at a root.
        while let Some(p) = &cur.parent_id {
            cur = self.require(p)?;
            out.push(cur);
        }
        Ok(out)
    }

    /// Every organization below `id`, level by level (children before grandchildren),
    /// siblings by id. `id` itself is not included.
    pub fn descendants(&self, id: &str) -> Result<Vec<&Organization>> {
        self.require(id)?;
        let mut out = Vec::new();
        let mut queue: VecDeque<&str> = VecDeque::from([id]);
        while let Some(cur) = queue.pop_front() {
            for c in self.children.get(cur).into_iter().flatten() {
                if let Some(o) = self.orgs.get(c) {
                    out.push(o);
                    queue.push_back(c);
                }
            }
        }
        Ok(out)
    }

    /// True when `id` is `ancestor` or lies below it.
    pub fn is_in_subtree(&self, id: &str, ancestor: &str) -> Result<bool> {
        if id == ancestor {
            return self.require(id).map(|_| true);
        }
        Ok(self.ancestors(id)?.iter().any(|a| a.id == ancestor))
    }

    /// Levels below `id` in its subtree: 0 for a leaf.
    pub fn height(&self, id: &str) -> Result<u32> {
        let base = self.depth(id)?;
        let deepest = self
            .descendants(id)?
            .iter()
            .filter_map(|d| self.depth.get(&d.id).copied())
            .max()
            .unwrap_or(base);
        Ok(deepest.saturating_sub(base))
    }

    /// True when `id` and all its ancestors are active. An inactive organization blocks
    /// access to itself and its whole subtree.
    pub fn is_active_path(&self, id: &str) -> Result<bool> {
        Ok(self.require(id)?.is_active && self.ancestors(id)?.iter().all(|a| a.is_active))
    }

    /// True when a child may be created under `parent`: its depth is `< max_depth - 1`.
    pub fn can_add_child(&self, parent: &str) -> Result<bool> {
        Ok(self.depth(parent)?.saturating_add(1) < self.max_depth)
    }

    /// `Ok` when `org` may be created: fresh non-empty id and slug (`invalid_input`), an
    /// existing parent (`org_not_found`) that may take a child (`org_depth_exceeded`).
    pub fn check_create(&self, org: &Organization) -> Result<()> {
        if org.id.is_empty() || org.slug.is_empty() {
            return Err(err(
                ErrorCode::InvalidInput,
                "organization with an empty id or slug",
            ));
        }
        if self.orgs.contains_key(&org.id) {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("id {:?} is taken", org.id),
            ));
        }
        if self.orgs.values().any(|o| o.slug == org.slug) {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("slug {:?} is taken", org.slug),
            ));
        }
        if let Some(p) = &org.parent_id {
            if !self.can_add_child(p)? {
                return Err(depth_exceeded(self.max_depth));
            }
        }
        Ok(())
    }

    /// `Ok` when `org` may move under `new_parent` (`None`: become a root). Refuses the
    /// organization itself and any of its descendants as the new parent (`org_cycle`), and
    /// any move that would put a node of the moved subtree at depth `max_depth` or deeper
    /// (`org_depth_exceeded`).
    pub fn check_move(&self, org: &str, new_parent: Option<&str>) -> Result<()> {
        let height = self.height(org)?;
        let new_depth = match new_parent {
            None => 0,
            Some(p) => {
                self.require(p)?;
                if self.is_in_subtree(p, org)? {
                    return Err(err(
                        ErrorCode::OrgCycle,
                        format!("moving {org:?} under {p:?} would create a cycle"),
                    ));
                }
                self.depth(p)?.saturating_add(1)
            }
        };
        if new_depth.saturating_add(height) >= self.max_depth {
            return Err(depth_exceeded(self.max_depth));
        }
        Ok(())
    }

    /// [`check_move`](Self::check_move), then the moved record to persist.
    pub fn move_org(&self, org: &str, new_parent: Option<&str>) -> Result<Organization> {
        self.check_move(org, new_parent)?;
        let mut moved = self.require(org)?.clone();
        moved.parent_id = new_parent.map(str::to_owned);
        Ok(moved)
    }
}

fn depth_exceeded(max_depth: u32) -> crate::Error {
    err(
        ErrorCode::OrgDepthExceeded,
        format!("organizations may be at most {max_depth} levels deep"),
    )
    .with_details(serde_json::json!({ "max_depth": max_depth }))
}
