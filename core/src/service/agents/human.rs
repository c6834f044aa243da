//! Human-side flows (bearer access token): create, lifecycle, lists, approvals.

use super::super::auth::{authenticate, Principal};
use super::super::users::{contention, decode, load, CAS_ATTEMPTS};
use super::super::{Engine, RequestContext};
use super::persist::{
    apply, audit_refusal, human_of, load_pending, load_token, persist_new_token, pii_keys, view,
    Applied, PendingIdEntry, Read, UserPendingEntry, UserTokenEntry,
};
use super::{AgentTokenPage, CreateAgentTokenRequest, CreatedAgentToken};
use crate::agent::{self, AgentToken, CreateRequest, PendingAction, TokenStatus};
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::secret::SECRET_BYTES;
use crate::store::keys;

/// Page size of internal index scans.
const SCAN_PAGE: u32 = 100;

async fn principal(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    ctx: &RequestContext,
) -> Result<Principal> {
    let p = authenticate(port, e, access_token, ctx).await?;
    p.require_scope(&[])?;
    Ok(p)
}

pub(super) async fn create(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    req: &CreateAgentTokenRequest,
    ctx: &RequestContext,
) -> Result<CreatedAgentToken> {
    let p = principal(port, e, access_token, ctx).await?;
    let request = CreateRequest {
        agent_id: req.agent_id.clone(),
        delegated_by: p.user.id.clone(),
        application_id: p.app_id.clone(),
        organization_id: req.organization_id.clone(),
        permissions: req.permissions.clone(),
        expires_in_secs: req.expires_in_secs,
        circuit_breaker: req.circuit_breaker.clone(),
        dead_mans_switch: req.dead_mans_switch.clone(),
        budget: req.budget.clone(),
    };
    let pii = pii_keys();
    let random = crate::random::bytes::<SECRET_BYTES>()?;
    let human = human_of(e.policy(), Some(&p.user));
    let created = match agent::create(
        &request,
        &human,
        &e.settings().agents,
        &pii,
        ctx.now,
        &random,
    ) {
        Ok(c) => c,
        Err(error) => {
            let user = Some(p.user.id.as_str());
            audit_refusal(
                port,
                e,
                ctx,
                "agent_token_create_refused",
                user,
                None,
                &error,
            )
            .await?;
            return Err(error);
        }
    };
    persist_new_token(port, e, ctx, &created.token, &created.event).await?;
    Ok(CreatedAgentToken {
        token: view(created.token),
        raw_token: created.raw_token,
    })
}

/// A human lifecycle operation on one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Life {
    Suspend,
    Reactivate,
    Revoke,
}

impl Life {
    fn refused(self) -> &'static str {
        match self {
            Life::Suspend => "agent_token_suspend_refused",
            Life::Reactivate => "agent_token_reactivate_refused",
            Life::Revoke => "agent_token_revoke_refused",
        }
    }
}

/// Load, decide (ownership first, in the engine), compare-and-swap; retried on conflict.
async fn change(
    port: &StorePort,
    e: &Engine,
    actor: &str,
    token_id: &str,
    op: Life,
    ctx: &RequestContext,
) -> Result<AgentToken> {
    let pii = pii_keys();
    for _ in 0..CAS_ATTEMPTS {
        let Some(current) = load_token(port, token_id).await? else {
            let error = err(ErrorCode::AgentTokenNotFound, "no such agent token");
            audit_refusal(port, e, ctx, op.refused(), Some(actor), None, &error).await?;
            return Err(error);
        };
        let t = &current.value;
        let transition = match op {
            Life::Suspend => agent::suspend(t, actor, ctx.now, &pii),
            Life::Reactivate => agent::reactivate(t, actor, ctx.now, &pii),
            Life::Revoke => agent::revoke(t, actor, ctx.now, &pii),
        };
        let transition = match transition {
            Ok(tr) => tr,
            Err(error) => {
                let id = Some(token_id);
                audit_refusal(port, e, ctx, op.refused(), Some(actor), id, &error).await?;
                return Err(error);
            }
        };
        let mut read = Read::default().token(&current);
        if apply(port, e, ctx, &transition.changes, &mut read).await? == Applied::Done {
            return Ok(view(transition.token));
        }
    }
    Err(contention("agent token"))
}

pub(super) async fn lifecycle(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    token_id: &str,
    op: Life,
    ctx: &RequestContext,
) -> Result<AgentToken> {
    let p = principal(port, e, access_token, ctx).await?;
    change(port, e, &p.user.id, token_id, op, ctx).await
}

/// Every index entry of `owner` in `ns`, all pages.
async fn scan<T: for<'de> serde::Deserialize<'de>>(
    port: &StorePort,
    ns: &str,
    owner: &str,
) -> Result<Vec<T>> {
    let prefix = keys::owner_prefix(owner);
    let mut cursor: Option<String> = None;
    let mut out = Vec::new();
    loop {
        let page = port.list(ns, &prefix, SCAN_PAGE, cursor.as_deref()).await?;
        for (_, record) in page.items {
            out.push(decode::<T>(ns, record)?.value);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

pub(super) async fn revoke_all(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    ctx: &RequestContext,
) -> Result<usize> {
    let p = principal(port, e, access_token, ctx).await?;
    let entries: Vec<UserTokenEntry> = scan(port, keys::AGENT_TOKENS_BY_USER, &p.user.id).await?;
    let mut revoked = 0;
    for entry in entries {
        let Some(t) = load_token(port, &entry.token_id).await? else {
            continue; // dangling index entry
        };
        if t.value.delegated_by != p.user.id || t.value.status == TokenStatus::Revoked {
            continue;
        }
        match change(port, e, &p.user.id, &entry.token_id, Life::Revoke, ctx).await {
            Ok(_) => revoked += 1,
            // Revoked concurrently between the check and the write: nothing to do.
            Err(error) if error.code() == ErrorCode::AgentTokenRevoked => {}
            Err(error) => return Err(error),
        }
    }
    Ok(revoked)
}

pub(super) async fn list_tokens(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    cursor: Option<&str>,
    limit: Option<u32>,
    ctx: &RequestContext,
) -> Result<AgentTokenPage> {
    let p = principal(port, e, access_token, ctx).await?;
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(err(ErrorCode::InvalidInput, "limit must lie in 1..=200"));
    }
    let prefix = keys::owner_prefix(&p.user.id);
    if cursor.is_some_and(|c| !c.starts_with(&prefix)) {
        return Err(err(
            ErrorCode::InvalidInput,
            "the cursor belongs to another list",
        ));
    }
    let page = port
        .list(keys::AGENT_TOKENS_BY_USER, &prefix, limit, cursor)
        .await?;
    let mut items = Vec::new();
    for (_, record) in page.items {
        let entry: UserTokenEntry = decode(keys::AGENT_TOKENS_BY_USER, record)?.value;
        if let Some(t) = load_token(port, &entry.token_id).await? {
            if t.value.delegated_by == p.user.id {
                items.push(view(t.value));
            }
        }
    }
    Ok(AgentTokenPage {
        items,
        next_cursor: page.next_cursor,
    })
}

pub(super) async fn get_token(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    token_id: &str,
    ctx: &RequestContext,
) -> Result<AgentToken> {
    let p = principal(port, e, access_token, ctx).await?;
    let Some(t) = load_token(port, token_id).await? else {
        return Err(err(ErrorCode::AgentTokenNotFound, "no such agent token"));
    };
    if t.value.delegated_by != p.user.id {
        return Err(err(
            ErrorCode::NotDelegatingUser,
            "only the human who delegated the agent token may see it",
        ));
    }
    Ok(view(t.value))
}

pub(super) async fn list_pending(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    ctx: &RequestContext,
) -> Result<Vec<PendingAction>> {
    let p = principal(port, e, access_token, ctx).await?;
    let entries: Vec<UserPendingEntry> =
        scan(port, keys::AGENT_PENDING_BY_USER, &p.user.id).await?;
    let mut out = Vec::new();
    for entry in entries {
        if let Some(a) = load_pending(port, &entry.confirmation_hash).await? {
            if a.value.delegated_by == p.user.id {
                let mut action = a.value;
                action.status = action.status_at(ctx.now);
                out.push(pending_view(action));
            }
        }
    }
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// Confirm (`approve`) or deny a pending action. The engine checks ownership before
/// anything else and nothing is written before it answers; the write is a
/// compare-and-swap, so two racing decisions cannot both land.
pub(super) async fn decide(
    port: &StorePort,
    e: &Engine,
    access_token: &str,
    action_id: &str,
    approve: bool,
    ctx: &RequestContext,
) -> Result<PendingAction> {
    let p = principal(port, e, access_token, ctx).await?;
    let actor = p.user.id.as_str();
    let refused = if approve {
        "agent_approval_confirm_refused"
    } else {
        "agent_approval_deny_refused"
    };
    let pii = pii_keys();
    for _ in 0..CAS_ATTEMPTS {
        let index = load::<PendingIdEntry>(
            port,
            keys::AGENT_PENDING_BY_ID,
            &keys::pending_action_by_id(action_id),
        )
        .await?;
        let action = match index {
            Some(i) => load_pending(port, &i.value.confirmation_hash).await?,
            None => None,
        };
        let Some(action) = action else {
            let error = err(ErrorCode::PendingActionNotFound, "no such pending action");
            audit_refusal(port, e, ctx, refused, Some(actor), None, &error).await?;
            return Err(error);
        };
        let agent_token_id = action.value.agent_token_id.clone();
        let Some(token) = load_token(port, &agent_token_id).await? else {
            let error = err(ErrorCode::AgentTokenNotFound, "the agent token is gone");
            audit_refusal(port, e, ctx, refused, Some(actor), None, &error).await?;
            return Err(error);
        };
        let transition = if approve {
            agent::confirm(&action.value, &token.value, actor, ctx.now, &pii)
        } else {
            agent::deny(&action.value, &token.value, actor, ctx.now, &pii)
        };
        let transition = match transition {
            Ok(tr) => tr,
            Err(error) => {
                let id = Some(agent_token_id.as_str());
                audit_refusal(port, e, ctx, refused, Some(actor), id, &error).await?;
                return Err(error);
            }
        };
        let mut read = Read::default().action(Some(&action));
        if apply(port, e, ctx, &transition.changes, &mut read).await? == Applied::Done {
            return Ok(pending_view(transition.action));
        }
    }
    Err(contention("pending action"))
}

/// A pending action as shown to its human: everything but the confirmation's lookup hash
/// (the agent holds the token; nobody else needs its hash).
fn pending_view(mut action: PendingAction) -> PendingAction {
    action.confirmation_hash = String::new();
    action
}
