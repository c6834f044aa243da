//! The guard for a host's own routes: given a request and what the route requires, allow
//! it (with the principal), deny it (the response to send), or answer 202 while a human
//! approves an agent's action. Every adapter's decorators, dependencies and middleware
//! (Django, DRF, FastAPI, Express) are built on this one decision, so a protected route of
//! the host behaves exactly like the API's own.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{application, errors, headers, scheme_token, Request, Response};
use crate::agent::AgentRequest;
use crate::drive::{Flow, StorePort};
use crate::error::{err, Error, ErrorCode, Result};
use crate::service::agents::AgentOutcome;
use crate::service::auth::authenticate;
use crate::service::users::{public_view, subject};
use crate::service::{Engine, RequestContext};

/// One thing a route requires. All requirements of a guard must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Requirement {
    /// A valid user token (full scope).
    Authenticated,
    /// The user holds this RBAC permission (agents: it was delegated and the human still
    /// holds it).
    Permission {
        /// Permission code.
        code: String,
    },
    /// The user has this role (agents are refused: roles are not delegated).
    Role {
        /// Role code.
        code: String,
    },
    /// The user holds this permission in the organization named by `X-Org-Slug`
    /// (inherited down the tree).
    OrgPermission {
        /// Organization permission code.
        code: String,
    },
    /// The user's e-mail address is verified.
    VerifiedEmail,
    /// Agents may call the route (`Authorization: AgentBearer`), optionally needing a
    /// human's approval for each call (202 until `X-Action-Confirmation` carries it).
    AgentClearance {
        /// The permission the agent needs, if any.
        permission: Option<String>,
        /// Every call waits for the delegating human's approval.
        human_approval: bool,
    },
    /// The user holds at least one of these RBAC permissions (`permission_required`
    /// otherwise; an empty list is never met). Agents: met when the one permission the
    /// call checks (the clearance's, or the only code) is among them.
    AnyPermission {
        /// Permission codes.
        codes: Vec<String>,
    },
    /// The user has at least one of these roles (`role_required` otherwise; an empty list
    /// is never met). Agents are refused.
    AnyRole {
        /// Role codes.
        codes: Vec<String>,
    },
    /// The user's phone number is verified (`phone_not_verified` otherwise).
    VerifiedPhone,
    /// The user has an active membership (with a known role) in the organization named by
    /// `X-Org-Slug`, directly or inherited from an ancestor (`org_context_required`
    /// without the header, `org_not_found` for an unknown slug, `org_permission_denied`
    /// with `details.reason` otherwise). Agents are refused.
    OrgMember,
    /// The user has role `code` in the organization named by `X-Org-Slug`: that exact role,
    /// except `admin`, which `owner` also meets. With `inherit` (the default) a membership
    /// in an ancestor counts when `organizations.role_inheritance` is on; without it only
    /// the membership in that organization does. `OrgRole {code: "owner", inherit: false}`
    /// is Tenxyte's `require_org_owner`, `OrgRole {code: "admin", inherit: true}` its
    /// `require_org_admin` (an ancestor's owner is an admin too). Agents are refused.
    OrgRole {
        /// Organization role code (`org_role_not_found` when no role has it).
        code: String,
        /// Whether an ancestor's membership counts.
        #[serde(default = "yes")]
        inherit: bool,
    },
    /// At most `max_requests` calls per fixed window of `window_secs` seconds, counted per
    /// `scope` and caller: the user (an agent counts as its delegating user), or the client
    /// IP without a token. Refused with 429 `too_many_requests` and `Retry-After`. It applies
    /// whatever `rate_limit.enabled` says (the host asked for it on this route); a window of
    /// 0 seconds is `invalid_input`. Alone (or with `Application`s), a request without a
    /// token passes as [`Principal::Anonymous`], counted by IP.
    RateLimit {
        /// What is counted, e.g. the view's name; routes sharing a scope share the count.
        scope: String,
        /// Calls allowed in one window.
        max_requests: u32,
        /// The window's length in seconds.
        window_secs: u64,
    },
    /// Only the application credentials, as the API's own routes check them (what a
    /// middleware asks for every host route). Alone, or with other `Application`s and
    /// `RateLimit`s only:
    /// a request without a `Bearer`/`AgentBearer` token passes as
    /// [`Principal::Anonymous`]; a presented user token must be valid (full scope), and an
    /// agent token is authorized as for `AgentClearance` without a permission (it counts
    /// as one of the agent's calls). Next to other requirements it adds nothing.
    Application,
}

/// Who passed the guard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Principal {
    /// A user with a bearer token.
    User {
        /// The public view of the user.
        user: Value,
        /// The token's session.
        session_id: String,
        /// The token's application.
        app_id: String,
    },
    /// An agent acting for a user.
    Agent {
        /// The delegating user.
        user_id: String,
        /// The agent token.
        token_id: String,
        /// The agent's label.
        agent_id: String,
    },
    /// No token, on a guard of [`Requirement::Application`]s and
    /// [`Requirement::RateLimit`]s only.
    Anonymous {
        /// The application of the credentials, when they were checked.
        app_id: Option<String>,
    },
}

/// The guard's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GuardDecision {
    /// Run the route as this principal.
    Allow {
        /// Who.
        principal: Principal,
    },
    /// Send this response instead (401, 403, 423, 429, … or 202 for a pending approval).
    Respond {
        /// The response, as the API itself would give it.
        response: Response,
    },
}

impl Engine {
    /// Decides whether `req` may reach a host route that needs `requirements`.
    pub fn guard(
        &self,
        req: Request,
        requirements: Vec<Requirement>,
        now: i64,
    ) -> Flow<GuardDecision> {
        self.flow(move |e, port| async move {
            let outcome = decide(&port, &e, &req, &requirements, now).await;
            Ok(match outcome {
                Ok(GuardOutcome::Allow(principal)) => GuardDecision::Allow { principal },
                Ok(GuardOutcome::Pending(body)) => GuardDecision::Respond {
                    response: finished(&e, &req, Response::json(202, &body)),
                },
                Err(error) => GuardDecision::Respond {
                    response: finished(&e, &req, errors::error_response(&error, &req)),
                },
            })
        })
    }
}

impl Engine {
    /// What an adapter sends an agent instead of a JSON response body `value`: with
    /// `agents.redact_pii`, a copy whose PII members (the core's key list) are replaced by
    /// `***REDACTED***`; `None` when redaction is off (send the body unchanged).
    pub fn redact_for_agent(&self, value: &Value) -> Option<Value> {
        self.settings()
            .agents
            .redact_pii
            .then(|| crate::agent::redact(value, &crate::agent::default_pii_keys()))
    }
}

fn finished(e: &Engine, req: &Request, mut r: Response) -> Response {
    headers::finish(e, req, &mut r);
    r
}

enum GuardOutcome {
    Allow(Principal),
    Pending(Value),
}

async fn decide(
    port: &StorePort,
    e: &Engine,
    req: &Request,
    reqs: &[Requirement],
    now: i64,
) -> Result<GuardOutcome> {
    let mut ctx = super::request_context(req, now);
    ctx.app_id = application(port, e, req, &ctx).await?;
    if let Some(raw) = scheme_token(req, "AgentBearer") {
        return agent(port, e, req, reqs, raw, ctx).await;
    }
    let bearer = scheme_token(req, "Bearer");
    if bearer.is_none() && token_optional(reqs) {
        rate_limits(port, reqs, ctx.client_key(), now).await?;
        return Ok(GuardOutcome::Allow(Principal::Anonymous {
            app_id: ctx.app_id,
        }));
    }
    let token = bearer.ok_or_else(|| {
        err(
            ErrorCode::NotAuthenticated,
            "Authorization: Bearer <token> is required",
        )
    })?;
    let p = authenticate(port, e, &token, &ctx).await?;
    p.require_scope(&[])?;
    // Counted before the other checks: a refused call of a known user pays too.
    rate_limits(port, reqs, &user_key(&p.user.id), now).await?;
    let who = subject(&p.user);
    for r in reqs {
        match r {
            Requirement::Authenticated
            | Requirement::Application
            | Requirement::RateLimit { .. }
            | Requirement::AgentClearance {
                permission: None, ..
            } => {}
            Requirement::Permission { code }
            | Requirement::AgentClearance {
                permission: Some(code),
                ..
            } => {
                e.policy().require(&who, code)?;
            }
            Requirement::AnyPermission { codes } => {
                e.policy().require_any(&who, &strs(codes))?;
            }
            Requirement::Role { code } => e.policy().require_role(&who, code)?,
            Requirement::AnyRole { codes } => e.policy().require_any_role(&who, &strs(codes))?,
            Requirement::VerifiedEmail if !p.user.email_verified => {
                return Err(err(
                    ErrorCode::EmailNotVerified,
                    "this route needs a verified e-mail address",
                ));
            }
            Requirement::VerifiedPhone if !p.user.phone_verified => {
                return Err(err(
                    ErrorCode::PhoneNotVerified,
                    "this route needs a verified phone number",
                ));
            }
            Requirement::VerifiedEmail | Requirement::VerifiedPhone => {}
            Requirement::OrgPermission { code } => {
                let org = org_of(port, e, req).await?;
                crate::service::orgs::org_permission(port, e, &p.user.id, &org, code)
                    .await?
                    .require(code)?;
            }
            Requirement::OrgMember => {
                let org = org_of(port, e, req).await?;
                crate::service::orgs::org_membership(port, e, &p.user.id, &org, None, true)
                    .await?
                    .require("membership")?;
            }
            Requirement::OrgRole { code, inherit } => {
                let org = org_of(port, e, req).await?;
                crate::service::orgs::org_membership(
                    port,
                    e,
                    &p.user.id,
                    &org,
                    Some(code),
                    *inherit,
                )
                .await?
                .require(code)?;
            }
        }
    }
    Ok(GuardOutcome::Allow(Principal::User {
        user: public_view(&p.user),
        session_id: p.session_id,
        app_id: p.app_id,
    }))
}

fn yes() -> bool {
    true
}

fn strs(codes: &[String]) -> Vec<&str> {
    codes.iter().map(String::as_str).collect()
}

/// The rate-limit subject of a user (an agent counts as its delegating user).
fn user_key(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// The id of the organization named by `X-Org-Slug`: `org_disabled` when organizations
/// are off, `org_context_required` without the header, `org_not_found` for an unknown slug.
async fn org_of(port: &StorePort, e: &Engine, req: &Request) -> Result<String> {
    crate::service::orgs::require_enabled(e)?;
    let slug = req.header("X-Org-Slug").ok_or_else(|| {
        err(
            ErrorCode::OrgContextRequired,
            "this route needs an organization: send X-Org-Slug",
        )
    })?;
    match crate::service::orgs::org_by_slug(port, slug).await? {
        Some(org) => Ok(org.id),
        None => Err(err(ErrorCode::OrgNotFound, "no organization has this slug")),
    }
}

/// Counts one call of `subject` against every [`Requirement::RateLimit`]. Host scopes
/// live under `guard:` so they never share a count with the API's own limits.
async fn rate_limits(
    port: &StorePort,
    reqs: &[Requirement],
    subject: &str,
    now: i64,
) -> Result<()> {
    for r in reqs {
        if let Requirement::RateLimit {
            scope,
            max_requests,
            window_secs,
        } = r
        {
            if *window_secs == 0 {
                return Err(err(
                    ErrorCode::InvalidInput,
                    "a rate_limit requirement needs window_secs of at least 1",
                ));
            }
            let window = crate::config::RateWindow {
                max_requests: *max_requests,
                window_secs: *window_secs,
            };
            let key = format!("guard:{scope}");
            crate::service::limits::hit(port, true, &key, subject, &[window], now).await?;
        }
    }
    Ok(())
}

/// A guard of [`Requirement::Application`]s and [`Requirement::RateLimit`]s only: a token
/// is optional.
fn token_optional(reqs: &[Requirement]) -> bool {
    !reqs.is_empty()
        && reqs
            .iter()
            .all(|r| matches!(r, Requirement::Application | Requirement::RateLimit { .. }))
}

async fn agent(
    port: &StorePort,
    e: &Engine,
    req: &Request,
    reqs: &[Requirement],
    raw: String,
    ctx: RequestContext,
) -> Result<GuardOutcome> {
    let clearance = reqs.iter().find_map(|r| match r {
        Requirement::AgentClearance {
            permission,
            human_approval,
        } => Some((permission.clone(), *human_approval)),
        _ => None,
    });
    let Some((permission, human_approval)) =
        clearance.or_else(|| token_optional(reqs).then_some((None, false)))
    else {
        return Err(err(
            ErrorCode::AgentPermissionDenied,
            "agents may not call this route",
        ));
    };
    // Agents hold permissions, never roles, organizations, a mailbox or a phone.
    let mut needed = permission;
    for r in reqs {
        match r {
            Requirement::Permission { code } => match &needed {
                None => needed = Some(code.clone()),
                Some(n) if n == code => {}
                Some(_) => return Err(one_permission()),
            },
            Requirement::AnyPermission { codes } => match (&needed, codes.as_slice()) {
                (Some(n), _) if codes.contains(n) => {}
                (None, [only]) => needed = Some(only.clone()),
                _ => return Err(one_permission()),
            },
            Requirement::Role { .. }
            | Requirement::AnyRole { .. }
            | Requirement::OrgPermission { .. }
            | Requirement::OrgMember
            | Requirement::OrgRole { .. }
            | Requirement::VerifiedEmail
            | Requirement::VerifiedPhone => {
                return Err(err(
                    ErrorCode::AgentPermissionDenied,
                    "this route needs a human user",
                ));
            }
            Requirement::Authenticated
            | Requirement::Application
            | Requirement::RateLimit { .. }
            | Requirement::AgentClearance { .. } => {}
        }
    }
    let call = AgentRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        body: String::from_utf8(req.body.clone()).unwrap_or_default(),
        body_b64: (std::str::from_utf8(&req.body).is_err())
            .then(|| crate::encoding::b64url_encode(&req.body)),
        permission: needed,
        requires_approval: human_approval,
        trace_id: ctx.trace_id.clone(),
        confirmation: None,
    };
    let ctx_now = ctx.now;
    let flow = match req.header("X-Action-Confirmation") {
        Some(c) => e.retry_agent_action(raw, call, c.to_owned(), ctx),
        None => e.authorize_agent(raw, call, ctx),
    };
    match port.run_flow(flow).await? {
        AgentOutcome::Allowed {
            token_id,
            agent_id,
            user_id,
            ..
        } => {
            // The agent's call was counted by the agent flow; the route's own limits
            // count it against the delegating user.
            rate_limits(port, reqs, &user_key(&user_id), ctx_now).await?;
            Ok(GuardOutcome::Allow(Principal::Agent {
                user_id,
                token_id,
                agent_id,
            }))
        }
        pending @ AgentOutcome::PendingApproval { .. } => Ok(GuardOutcome::Pending(
            serde_json::to_value(&pending).unwrap_or_else(|_| json!({})),
        )),
        denied @ AgentOutcome::Denied { .. } => {
            let AgentOutcome::Denied {
                code,
                reason,
                retry_after,
                ..
            } = &denied
            else {
                return Err(err(ErrorCode::Internal, "unreachable"));
            };
            let mut details = serde_json::to_value(&denied).unwrap_or_default();
            if let (Some(wait), Some(map)) = (retry_after, details.as_object_mut()) {
                map.insert("retry_after".into(), json!(wait));
            }
            Err(Error::new(*code, reason.clone()).with_details(details))
        }
    }
}

fn one_permission() -> Error {
    err(
        ErrorCode::AgentPermissionDenied,
        "an agent call checks one permission",
    )
}
