//! Handlers of the resource routes (agents, organizations, applications, audit): each
//! builds the `Engine` flow and runs it inside the request's flow with
//! [`StorePort::run_flow`], so the HTTP layer adds no logic of its own.

use serde::Deserialize;
use serde_json::json;

use super::{into_reply, scheme_token, Call, Reply};
use crate::agent::{AgentRequest, Cost};
use crate::drive::{Flow, StorePort};
use crate::error::{err, ErrorCode, Result};
use crate::service::agents::AgentOutcome;
use crate::service::audit::AuditQuery;
use crate::service::{Engine, RequestContext};

impl Call<'_> {
    /// The agent token of `Authorization: AgentBearer …`.
    fn agent_token(&self) -> Result<String> {
        scheme_token(self.req, "AgentBearer").ok_or_else(|| {
            err(
                ErrorCode::NotAuthenticated,
                "Authorization: AgentBearer <agent token> is required",
            )
        })
    }
}

/// Runs an `Engine` flow inside the request's flow and answers its result with `status`.
async fn run<T: serde::Serialize + 'static>(
    port: &StorePort,
    status: u16,
    flow: crate::drive::Flow<T>,
) -> Result<Reply> {
    into_reply(status, &port.run_flow(flow).await?)
}

/// An agent outcome as HTTP: 200 allowed, 202 pending approval, or the denial's status.
fn outcome_reply(outcome: AgentOutcome) -> Result<Reply> {
    match &outcome {
        AgentOutcome::Allowed { .. } => into_reply(200, &outcome),
        AgentOutcome::PendingApproval { .. } => into_reply(202, &outcome),
        AgentOutcome::Denied {
            code,
            reason,
            retry_after,
            ..
        } => {
            let mut details = serde_json::to_value(&outcome).unwrap_or_default();
            if let (Some(wait), Some(map)) = (retry_after, details.as_object_mut()) {
                map.insert("retry_after".into(), json!(wait));
            }
            Err(err(*code, reason.clone()).with_details(details))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageBody {
    cost_usd: Cost,
}

/// An `Engine` method taking `(access token, id, context)`.
type TokenChange = fn(&Engine, String, String, RequestContext) -> Flow<crate::agent::AgentToken>;

pub(crate) async fn agents(
    name: &str,
    port: &StorePort,
    e: &Engine,
    call: &Call<'_>,
) -> Result<Reply> {
    let ctx = call.ctx.clone();
    match name {
        "ai_token_create" => {
            let flow = e.create_agent_token(call.bearer()?, call.input()?, ctx);
            run(port, 201, flow).await
        }
        "ai_token_list" => {
            let limit = call
                .req
                .query_param("limit")
                .map(|l| l.parse::<u32>())
                .transpose()
                .map_err(|_| err(ErrorCode::InvalidInput, "limit must be an integer"))?;
            let flow =
                e.list_agent_tokens(call.bearer()?, call.req.query_param("cursor"), limit, ctx);
            run(port, 200, flow).await
        }
        "ai_token_revoke_all" => {
            let n = port
                .run_flow(e.revoke_all_agent_tokens(call.bearer()?, ctx))
                .await?;
            Ok(Reply::ok(json!({ "count": n })))
        }
        "ai_sub_token_create" => {
            let flow = e.create_agent_sub_token(call.agent_token()?, call.input()?, ctx);
            run(port, 201, flow).await
        }
        "ai_token_get" => {
            run(
                port,
                200,
                e.get_agent_token(call.bearer()?, call.param(0)?.to_owned(), ctx),
            )
            .await
        }
        "ai_token_heartbeat" => {
            let ack = port
                .run_flow(e.agent_heartbeat(call.agent_token()?, ctx))
                .await?;
            if ack.token_id != call.param(0)? {
                return Err(err(
                    ErrorCode::AgentTokenNotFound,
                    "the path names another agent token",
                ));
            }
            into_reply(200, &ack)
        }
        "ai_token_report_usage" => {
            let body: UsageBody = call.input()?;
            outcome_reply(
                port.run_flow(e.report_agent_usage(call.agent_token()?, body.cost_usd, ctx))
                    .await?,
            )
        }
        // One shape: the human changes the state of one of their tokens.
        "ai_token_suspend" | "ai_token_reactivate" | "ai_token_revoke" => {
            let change: TokenChange = match name {
                "ai_token_suspend" => Engine::suspend_agent_token,
                "ai_token_reactivate" => Engine::reactivate_agent_token,
                _ => Engine::revoke_agent_token,
            };
            run(
                port,
                200,
                change(e, call.bearer()?, call.param(0)?.to_owned(), ctx),
            )
            .await
        }
        "ai_authorize" => {
            let mut req: AgentRequest = call.input()?;
            if req.trace_id.is_none() {
                req.trace_id = ctx.trace_id.clone();
            }
            let raw = call.agent_token()?;
            let flow = match call.req.header("X-Action-Confirmation") {
                Some(c) => e.retry_agent_action(raw, req, c.to_owned(), ctx),
                None => e.authorize_agent(raw, req, ctx),
            };
            outcome_reply(port.run_flow(flow).await?)
        }
        "ai_pending_list" => run(port, 200, e.list_pending_actions(call.bearer()?, ctx)).await,
        "ai_pending_confirm" => {
            run(
                port,
                200,
                e.confirm_pending_action(call.bearer()?, call.param(0)?.to_owned(), ctx),
            )
            .await
        }
        "ai_pending_deny" => {
            run(
                port,
                200,
                e.deny_pending_action(call.bearer()?, call.param(0)?.to_owned(), ctx),
            )
            .await
        }
        other => Err(err(
            ErrorCode::Internal,
            format!("route {other} has no handler"),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    parent_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    email: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    accept_url: Option<String>,
}

pub(crate) async fn orgs(
    name: &str,
    port: &StorePort,
    e: &Engine,
    call: &Call<'_>,
) -> Result<Reply> {
    let ctx = call.ctx.clone();
    let token = call.bearer()?;
    let p = |n: usize| call.param(n).map(str::to_owned);
    match name {
        "org_create" => run(port, 201, e.create_organization(token, call.input()?, ctx)).await,
        "org_mine" => run(port, 200, e.my_organizations(token, ctx)).await,
        "org_roles" => run(port, 200, e.list_org_roles(token, ctx)).await,
        "org_invitation_accept" => {
            let body: TokenBody = call.input()?;
            run(port, 200, e.accept_invitation(token, body.token, ctx)).await
        }
        "org_invitation_decline" => {
            let body: TokenBody = call.input()?;
            run(port, 200, e.decline_invitation(token, body.token, ctx)).await
        }
        "org_by_slug" => run(port, 200, e.organization_by_slug(token, p(0)?, ctx)).await,
        "org_create_child" => {
            run(
                port,
                201,
                e.create_child_organization(token, p(0)?, call.input()?, ctx),
            )
            .await
        }
        "org_move" => {
            let body: MoveBody = call.input()?;
            run(
                port,
                200,
                e.move_organization(token, p(0)?, body.parent_id, ctx),
            )
            .await
        }
        "org_tree" => run(port, 200, e.organization_tree(token, p(0)?, ctx)).await,
        "org_members" => run(port, 200, e.list_members(token, p(0)?, ctx)).await,
        "org_member_role" => {
            let body: RoleBody = call.input()?;
            run(
                port,
                200,
                e.change_member_role(token, p(0)?, p(1)?, body.role, ctx),
            )
            .await
        }
        "org_member_remove" => run(port, 200, e.remove_member(token, p(0)?, p(1)?, ctx)).await,
        "org_leave" => run(port, 200, e.leave_organization(token, p(0)?, ctx)).await,
        "org_invite" => {
            let body: InviteBody = call.input()?;
            let req = crate::service::orgs::InviteMemberRequest {
                org_id: p(0)?,
                email: body.email,
                role: body.role,
                accept_url: body.accept_url,
            };
            run(port, 201, e.invite_member(token, req, ctx)).await
        }
        "org_invitations" => run(port, 200, e.list_invitations(token, p(0)?, ctx)).await,
        "org_invitation_revoke" => {
            run(port, 200, e.revoke_invitation(token, p(0)?, p(1)?, ctx)).await
        }
        other => Err(err(
            ErrorCode::Internal,
            format!("route {other} has no handler"),
        )),
    }
}

pub(crate) async fn applications(
    name: &str,
    port: &StorePort,
    e: &Engine,
    call: &Call<'_>,
) -> Result<Reply> {
    let ctx = call.ctx.clone();
    let token = call.bearer()?;
    let p = |n: usize| call.param(n).map(str::to_owned);
    match name {
        "app_create" => run(port, 201, e.create_application(token, call.input()?, ctx)).await,
        "app_list" => run(port, 200, e.list_applications(token, ctx)).await,
        "app_get" => run(port, 200, e.get_application(token, p(0)?, ctx)).await,
        "app_regenerate" => {
            run(
                port,
                200,
                e.regenerate_application_secret(token, p(0)?, ctx),
            )
            .await
        }
        "app_disable" => run(port, 200, e.disable_application(token, p(0)?, ctx)).await,
        "app_enable" => run(port, 200, e.enable_application(token, p(0)?, ctx)).await,
        other => Err(err(
            ErrorCode::Internal,
            format!("route {other} has no handler"),
        )),
    }
}

/// The permission that lets a user read everybody's audit events.
pub const AUDIT_PERMISSION: &str = "system.audit";

/// `GET audit/`: users see their own events; holders of [`AUDIT_PERMISSION`] may filter
/// by any user, organization or agent, or read everything.
pub(crate) async fn audit(port: &StorePort, e: &Engine, call: &Call<'_>) -> Result<Reply> {
    let p = crate::service::auth::authenticate(port, e, &call.bearer()?, &call.ctx).await?;
    p.require_scope(&[])?;
    let q = |k: &str| call.req.query_param(k);
    let int = |k: &str| -> Result<Option<i64>> {
        q(k).map(|v| {
            v.parse::<i64>()
                .map_err(|_| err(ErrorCode::InvalidInput, format!("{k} must be an integer")))
        })
        .transpose()
    };
    let mut query = AuditQuery {
        user_id: q("user_id"),
        org_id: q("org_id"),
        agent_id: q("agent_id"),
        since: int("since")?,
        until: int("until")?,
        action: q("action"),
        limit: int("limit")?.map(|l| u32::try_from(l).unwrap_or(0)),
        cursor: q("cursor"),
    };
    let auditor = e
        .policy()
        .has_permission(&crate::service::users::subject(&p.user), AUDIT_PERMISSION);
    if !auditor {
        match &query.user_id {
            Some(u) if *u != p.user.id => {
                return Err(err(
                    ErrorCode::PermissionRequired,
                    format!("reading others' events needs {AUDIT_PERMISSION}"),
                )
                .with_details(json!({ "permission": AUDIT_PERMISSION })));
            }
            _ if query.org_id.is_some() || query.agent_id.is_some() => {
                return Err(err(
                    ErrorCode::PermissionRequired,
                    format!("filtering by organization or agent needs {AUDIT_PERMISSION}"),
                )
                .with_details(json!({ "permission": AUDIT_PERMISSION })));
            }
            _ => query.user_id = Some(p.user.id.clone()),
        }
    }
    into_reply(200, &crate::service::audit::query(port, &query).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionBody {
    permission: String,
}

pub(crate) async fn rbac(
    name: &str,
    port: &StorePort,
    e: &Engine,
    call: &Call<'_>,
) -> Result<Reply> {
    use crate::service::users_admin::GrantChange;
    let ctx = call.ctx.clone();
    let token = call.bearer()?;
    let p = |n: usize| call.param(n).map(str::to_owned);
    let change = |change: GrantChange, code: String| -> Result<Flow<_>> {
        Ok(e.change_user_grant(call.bearer()?, p(0)?, change, code, call.ctx.clone()))
    };
    match name {
        "rbac_roles" => Ok(Reply::ok(port.run_flow(e.list_roles(token, ctx)).await?)),
        "rbac_permissions" => Ok(Reply::ok(
            port.run_flow(e.list_permissions(token, ctx)).await?,
        )),
        "rbac_user_roles" | "rbac_user_permissions" => {
            run(port, 200, e.user_grants(token, p(0)?, ctx)).await
        }
        "rbac_user_role_add" => {
            let body: RoleBody = call.input()?;
            run(port, 200, change(GrantChange::AddRole, body.role)?).await
        }
        "rbac_user_role_remove" => run(port, 200, change(GrantChange::RemoveRole, p(1)?)?).await,
        "rbac_user_permission_add" => {
            let body: PermissionBody = call.input()?;
            run(
                port,
                200,
                change(GrantChange::AddPermission, body.permission)?,
            )
            .await
        }
        "rbac_user_permission_remove" => {
            run(port, 200, change(GrantChange::RemovePermission, p(1)?)?).await
        }
        other => Err(err(
            ErrorCode::Internal,
            format!("route {other} has no handler"),
        )),
    }
}
