//! Every public flow of the core's `service::Engine`, by name.
//!
//! `Engine.flow(name, token=, request=, params=)` looks the name up in [`FLOWS`] and the
//! entry builds the core flow from [`Args`]: `token` (the access token, the refresh token
//! or the raw agent token, as the flow takes), `request` (the flow's request struct as a
//! dict, parsed by serde: unknown fields are refused) and `params` (the ids and slugs the
//! flow takes, in the order of the core method's arguments). Whatever an entry leaves
//! unused is refused too, so a mistyped call fails with `invalid_input` rather than run
//! half-read. The table is grouped by the shape of the call; the few flows of their own
//! shape are spelled out at the end.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use tenxyte_core::agent::Cost;
use tenxyte_core::service::auth::Principal;
use tenxyte_core::service::users::public_view;
use tenxyte_core::service::users_admin::GrantChange;
use tenxyte_core::service::{Engine as CoreEngine, RequestContext};
use tenxyte_core::Error;

use crate::engine::{encode, erase, parse_request, Erased, Out};
use crate::errors::invalid;

/// What a flow is called with. Each accessor takes its input once.
pub(crate) struct Args {
    name: &'static str,
    token: Option<String>,
    body: Option<Value>,
    params: std::vec::IntoIter<String>,
    taken: usize,
    ctx: RequestContext,
}

impl Args {
    fn token(&mut self) -> Result<String, Error> {
        self.token
            .take()
            .ok_or_else(|| invalid(format!("{} needs token=", self.name)))
    }

    fn req<T: DeserializeOwned>(&mut self) -> Result<T, Error> {
        parse_request(self.body.take(), self.name)
    }

    /// The next positional parameter; `what` names it in the error.
    fn param(&mut self, what: &str) -> Result<String, Error> {
        let p = self.opt_param().ok_or_else(|| {
            invalid(format!(
                "{} needs params[{}] ({what})",
                self.name, self.taken
            ))
        })?;
        Ok(p)
    }

    fn opt_param(&mut self) -> Option<String> {
        let p = self.params.next()?;
        self.taken += 1;
        Some(p)
    }

    fn ctx(&self) -> RequestContext {
        self.ctx.clone()
    }

    /// Refuses what the flow did not take.
    fn finish(mut self) -> Result<(), Error> {
        if self.token.is_some() {
            return Err(invalid(format!("{} takes no token", self.name)));
        }
        let empty = match &self.body {
            None | Some(Value::Null) => true,
            Some(Value::Object(m)) => m.is_empty(),
            Some(_) => false,
        };
        if !empty {
            return Err(invalid(format!("{} takes no request", self.name)));
        }
        if self.params.next().is_some() {
            return Err(invalid(format!(
                "{} takes {} params, got more",
                self.name, self.taken
            )));
        }
        Ok(())
    }
}

type Build = fn(&CoreEngine, &mut Args) -> Result<Box<dyn Erased>, Error>;

/// `(name, builder)` for each flow. Shapes: `token` = `(token, ctx)`; `token_request` =
/// `(token, request, ctx)`; `token_params` = `(token, params..., ctx)`; `request` =
/// `(request, ctx)`; `other` = written out.
macro_rules! flows {
    (
        token: [$($t:ident),* $(,)?],
        token_request: [$($tr:ident),* $(,)?],
        token_params: [$($tp:ident($($pn:ident),+)),* $(,)?],
        request: [$($r:ident),* $(,)?],
        other: [$($o:ident => |$e:ident, $a:ident| $body:expr),* $(,)?] $(,)?
    ) => {
        pub(crate) static FLOWS: &[(&str, Build)] = &[
            $((stringify!($t), |e, a| Ok(erase(e.$t(a.token()?, a.ctx()), encode))),)*
            $((stringify!($tr), |e, a| Ok(erase(e.$tr(a.token()?, a.req()?, a.ctx()), encode))),)*
            $((stringify!($tp), |e, a| {
                Ok(erase(e.$tp(a.token()?, $(a.param(stringify!($pn))?,)+ a.ctx()), encode))
            }),)*
            $((stringify!($r), |e, a| Ok(erase(e.$r(a.req()?, a.ctx()), encode))),)*
            $((stringify!($o), |$e, $a| $body),)*
        ];
    };
}

flows! {
    token: [
        refresh, me, logout_all,
        setup_2fa,
        request_email_verification, request_phone_verification,
        agent_heartbeat, revoke_all_agent_tokens, list_pending_actions,
        my_organizations, list_org_roles,
        list_applications,
        list_roles, list_permissions,
    ],
    token_request: [
        logout,
        confirm_2fa, disable_2fa, regenerate_backup_codes,
        change_password,
        confirm_email_verification, confirm_phone_verification,
        create_agent_token, create_agent_sub_token, authorize_agent,
        create_organization, invite_member,
        create_application,
    ],
    token_params: [
        get_agent_token(token_id),
        suspend_agent_token(token_id),
        reactivate_agent_token(token_id),
        revoke_agent_token(token_id),
        confirm_pending_action(pending_action_id),
        deny_pending_action(pending_action_id),
        organization_tree(org_id),
        organization_by_slug(slug),
        list_members(org_id),
        change_member_role(org_id, user_id, role),
        remove_member(org_id, user_id),
        leave_organization(org_id),
        accept_invitation(invitation_token),
        decline_invitation(invitation_token),
        revoke_invitation(org_id, invitation_id),
        list_invitations(org_id),
        regenerate_application_secret(app_id),
        disable_application(app_id),
        enable_application(app_id),
        get_application(app_id),
        user_grants(user_id),
    ],
    request: [
        register, login,
        request_password_reset, confirm_password_reset,
        request_magic_link, verify_magic_link,
        request_login_code, verify_login_code,
        audit_query, maintenance,
        bootstrap_application,
    ],
    other: [
        authenticate => |e, a| Ok(erase(e.authenticate(a.token()?, a.ctx()), principal_view)),
        create_child_organization => |e, a| {
            let (token, parent) = (a.token()?, a.param("parent_id")?);
            Ok(erase(e.create_child_organization(token, parent, a.req()?, a.ctx()), encode))
        },
        // The new parent is optional: none moves the organization to the root.
        move_organization => |e, a| {
            let (token, org) = (a.token()?, a.param("org_id")?);
            Ok(erase(e.move_organization(token, org, a.opt_param(), a.ctx()), encode))
        },
        retry_agent_action => |e, a| {
            let (token, req) = (a.token()?, a.req()?);
            Ok(erase(e.retry_agent_action(token, req, a.param("confirmation")?, a.ctx()), encode))
        },
        report_agent_usage => |e, a| {
            let (token, req) = (a.token()?, a.req::<UsageRequest>()?);
            Ok(erase(e.report_agent_usage(token, req.cost_usd, a.ctx()), encode))
        },
        list_agent_tokens => |e, a| {
            let (token, page) = (a.token()?, a.req::<PageRequest>()?);
            Ok(erase(e.list_agent_tokens(token, page.cursor, page.limit, a.ctx()), encode))
        },
        change_user_grant => |e, a| {
            let (token, user) = (a.token()?, a.param("user_id")?);
            let change = grant_change(&a.param("change")?)?;
            Ok(erase(e.change_user_grant(token, user, change, a.param("code")?, a.ctx()), encode))
        },
        verify_application => |e, a| {
            let (key, secret) = (a.param("access_key")?, a.param("access_secret")?);
            Ok(erase(e.verify_application(key, secret, a.ctx()), encode))
        },
        bootstrap_superuser => |e, a| {
            let req = a.req::<SuperuserRequest>()?;
            Ok(erase(e.bootstrap_superuser(req.email, req.password, a.ctx()), encode))
        },
        sweep_agents => |e, a| Ok(erase(e.sweep_agents(a.ctx()), encode)),
    ],
}

/// The flow called `name`, built from its inputs (`invalid_input` when the name is
/// unknown or the inputs do not fit).
pub(crate) fn build(
    engine: &CoreEngine,
    name: &str,
    token: Option<String>,
    body: Option<Value>,
    params: Vec<String>,
    ctx: RequestContext,
) -> Result<(Box<dyn Erased>, &'static str), Error> {
    let Some((name, make)) = FLOWS.iter().find(|(n, _)| *n == name) else {
        return Err(invalid(format!(
            "unknown flow {name:?} (tenxyte_core._native.FLOW_NAMES lists them)"
        )));
    };
    let mut args = Args {
        name,
        token,
        body,
        params: params.into_iter(),
        taken: 0,
        ctx,
    };
    let flow = make(engine, &mut args)?;
    args.finish()?;
    Ok((flow, name))
}

fn principal_view(p: Principal) -> Result<Out, Error> {
    Ok(Out::Json(json!({
        "user": public_view(&p.user),
        "session_id": p.session_id,
        "jti": p.jti,
        "expires_at": p.expires_at,
        "app_id": p.app_id,
        "scope": p.scope,
    })))
}

fn grant_change(change: &str) -> Result<GrantChange, Error> {
    Ok(match change {
        "add_role" => GrantChange::AddRole,
        "remove_role" => GrantChange::RemoveRole,
        "add_permission" => GrantChange::AddPermission,
        "remove_permission" => GrantChange::RemovePermission,
        other => {
            return Err(invalid(format!(
                "change_user_grant: change must be add_role, remove_role, add_permission or remove_permission, not {other:?}"
            )))
        }
    })
}

/// `bootstrap_superuser`'s request.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SuperuserRequest {
    email: String,
    password: String,
}

/// `report_agent_usage`'s request: the body of `POST /ai/tokens/<id>/usage`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageRequest {
    cost_usd: Cost,
}

/// `list_agent_tokens`' request: the query of `GET /ai/tokens`.
#[derive(serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
#[derive(Default)]
struct PageRequest {
    cursor: Option<String>,
    limit: Option<u32>,
}
