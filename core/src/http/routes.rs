//! The route table (the one list the router, the handlers and the OpenAPI document read)
//! and the dispatcher from a route to its flow.

use serde::Deserialize;
use serde_json::json;

use super::{into_reply, Call, Reply, Request};
use crate::drive::StorePort;
use crate::error::{err, ErrorCode, Result};
use crate::password::policy::{check, PolicyContext};
use crate::service::auth::{self, LoginRequest, LogoutRequest, RegisterRequest};
use crate::service::codes::{self, Target};
use crate::service::{magic_link, mfa, otp_login, password_flows, Engine};

/// How a route authenticates its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No credentials (application credentials may still apply).
    Public,
    /// `Authorization: Bearer <access token>`.
    Bearer,
    /// `Authorization: AgentBearer <agent token>`.
    Agent,
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: &'static str,
    /// Path relative to `api.prefix` (`login/email/`, `ai/tokens/{id}/`); a path starting
    /// with `/` is absolute (the JWKS document).
    pub path: &'static str,
    /// Stable operation id (OpenAPI `operationId`).
    pub name: &'static str,
    /// OpenAPI tag.
    pub tag: &'static str,
    /// One line for the documentation.
    pub summary: &'static str,
    /// Who may call it.
    pub auth: Auth,
    /// Request body schema (a name in the OpenAPI components), if any.
    pub request: Option<&'static str>,
    /// Success status.
    pub status: u16,
    /// Success body schema.
    pub response: &'static str,
}

macro_rules! route {
    ($m:literal, $p:literal, $name:literal, $tag:literal, $auth:ident, $req:expr, $status:literal, $resp:literal, $summary:literal) => {
        RouteSpec {
            method: $m,
            path: $p,
            name: $name,
            tag: $tag,
            summary: $summary,
            auth: Auth::$auth,
            request: $req,
            status: $status,
            response: $resp,
        }
    };
}

/// Every route of the API.
pub const ROUTES: &[RouteSpec] = &[
    route!(
        "POST",
        "register/",
        "register",
        "auth",
        Public,
        Some("RegisterRequest"),
        201,
        "Registered",
        "Create an account (optionally log in)"
    ),
    route!(
        "POST",
        "login/email/",
        "login_email",
        "auth",
        Public,
        Some("LoginEmailRequest"),
        200,
        "TokenResponse",
        "Log in with e-mail and password"
    ),
    route!(
        "POST",
        "login/phone/",
        "login_phone",
        "auth",
        Public,
        Some("LoginPhoneRequest"),
        200,
        "TokenResponse",
        "Log in with phone and password"
    ),
    route!(
        "POST",
        "refresh/",
        "refresh",
        "auth",
        Public,
        Some("RefreshRequest"),
        200,
        "TokenResponse",
        "Rotate a refresh token for new tokens"
    ),
    route!(
        "POST",
        "logout/",
        "logout",
        "auth",
        Bearer,
        Some("LogoutRequest"),
        200,
        "Message",
        "End this session and revoke the access token"
    ),
    route!(
        "POST",
        "logout/all/",
        "logout_all",
        "auth",
        Bearer,
        None,
        200,
        "LoggedOutAll",
        "End every session of the user"
    ),
    route!(
        "GET",
        "me/",
        "me",
        "profile",
        Bearer,
        None,
        200,
        "Me",
        "The current user"
    ),
    route!(
        "GET",
        "me/roles/",
        "me_roles",
        "profile",
        Bearer,
        None,
        200,
        "MeRoles",
        "The current user's roles and effective permissions"
    ),
    route!(
        "POST",
        "password/strength/",
        "password_strength",
        "password",
        Public,
        Some("PasswordStrengthRequest"),
        200,
        "PasswordReport",
        "Score a password against the policy"
    ),
    route!(
        "GET",
        "password/requirements/",
        "password_requirements",
        "password",
        Public,
        None,
        200,
        "PasswordRequirements",
        "The password policy in force"
    ),
    route!(
        "POST",
        "password/change/",
        "password_change",
        "password",
        Bearer,
        Some("ChangePassword"),
        200,
        "PasswordChanged",
        "Change the password (also with a password_change_only token); ends every session"
    ),
    route!(
        "POST",
        "password/reset/request/",
        "password_reset_request",
        "password",
        Public,
        Some("ResetRequest"),
        200,
        "CodeSent",
        "Send a reset code (same answer whether or not the account exists)"
    ),
    route!(
        "POST",
        "password/reset/confirm/",
        "password_reset_confirm",
        "password",
        Public,
        Some("ResetConfirm"),
        200,
        "PasswordReset",
        "Set a new password with the reset code"
    ),
    route!(
        "POST",
        "2fa/setup/",
        "2fa_setup",
        "2fa",
        Bearer,
        None,
        200,
        "TwoFactorSetup",
        "Start TOTP enrolment: secret, otpauth URI, QR code, backup codes (shown once)"
    ),
    route!(
        "POST",
        "2fa/confirm/",
        "2fa_confirm",
        "2fa",
        Bearer,
        Some("TotpCode"),
        200,
        "TwoFactorState",
        "Turn 2FA on with a first valid code"
    ),
    route!(
        "POST",
        "2fa/disable/",
        "2fa_disable",
        "2fa",
        Bearer,
        Some("DisableTwoFactor"),
        200,
        "TwoFactorState",
        "Turn 2FA off (password and a code)"
    ),
    route!(
        "POST",
        "2fa/backup-codes/",
        "2fa_backup_codes",
        "2fa",
        Bearer,
        Some("TotpCode"),
        200,
        "BackupCodes",
        "Replace the backup codes (needs a TOTP code)"
    ),
    route!(
        "POST",
        "magic-link/request/",
        "magic_link_request",
        "magic-link",
        Public,
        Some("MagicLinkRequest"),
        200,
        "Message",
        "E-mail a login link (same answer whether or not the account exists)"
    ),
    route!(
        "GET",
        "magic-link/verify/",
        "magic_link_verify_get",
        "magic-link",
        Public,
        None,
        200,
        "TokenResponse",
        "Log in with the link's token (?token=)"
    ),
    route!(
        "POST",
        "magic-link/verify/",
        "magic_link_verify",
        "magic-link",
        Public,
        Some("MagicLinkVerify"),
        200,
        "TokenResponse",
        "Log in with the link's token (and a 2FA code when on)"
    ),
    route!(
        "POST",
        "otp/request/",
        "otp_request",
        "otp",
        Bearer,
        Some("OtpRequest"),
        200,
        "CodeSent",
        "Send an e-mail or SMS verification code"
    ),
    route!(
        "POST",
        "otp/verify/email/",
        "otp_verify_email",
        "otp",
        Bearer,
        Some("CodeSubmission"),
        200,
        "Verified",
        "Prove the e-mail address"
    ),
    route!(
        "POST",
        "otp/verify/phone/",
        "otp_verify_phone",
        "otp",
        Bearer,
        Some("CodeSubmission"),
        200,
        "Verified",
        "Prove the phone number"
    ),
    route!(
        "POST",
        "login/otp/request/",
        "login_otp_request",
        "auth",
        Public,
        Some("LoginCodeRequest"),
        200,
        "CodeSent",
        "Send a passwordless login code by SMS"
    ),
    route!(
        "POST",
        "login/otp/verify/",
        "login_otp_verify",
        "auth",
        Public,
        Some("LoginCodeVerify"),
        200,
        "TokenResponse",
        "Log in with the SMS code"
    ),
    // RBAC administration.
    route!("GET", "roles/", "rbac_roles", "rbac", Bearer, None, 200, "Roles", "The roles of the policy (roles.view)"),
    route!("GET", "permissions/", "rbac_permissions", "rbac", Bearer, None, 200, "Permissions", "The permissions of the policy (permissions.view)"),
    route!("GET", "users/{id}/roles/", "rbac_user_roles", "rbac", Bearer, None, 200, "UserGrants", "A user's roles and permissions (users.roles.view)"),
    route!("POST", "users/{id}/roles/", "rbac_user_role_add", "rbac", Bearer, Some("RoleChange"), 200, "UserGrants", "Give a user a role (users.roles.assign)"),
    route!("DELETE", "users/{id}/roles/{role}/", "rbac_user_role_remove", "rbac", Bearer, None, 200, "UserGrants", "Take a role away (users.roles.remove)"),
    route!("GET", "users/{id}/permissions/", "rbac_user_permissions", "rbac", Bearer, None, 200, "UserGrants", "A user's roles and permissions (users.roles.view)"),
    route!("POST", "users/{id}/permissions/", "rbac_user_permission_add", "rbac", Bearer, Some("PermissionChange"), 200, "UserGrants", "Grant a permission directly (users.permissions.assign)"),
    route!("DELETE", "users/{id}/permissions/{permission}/", "rbac_user_permission_remove", "rbac", Bearer, None, 200, "UserGrants", "Revoke a direct permission (users.permissions.remove)"),
    // AIRS: the human manages agent tokens and approvals; the agent calls with AgentBearer.
    route!("POST", "ai/tokens/", "ai_token_create", "airs", Bearer, Some("CreateAgentToken"), 201, "CreatedAgentToken", "Delegate to an agent (double RBAC); the raw token is shown once"),
    route!("GET", "ai/tokens/", "ai_token_list", "airs", Bearer, None, 200, "AgentTokenPage", "The agent tokens you delegated (?cursor=&limit=)"),
    route!("POST", "ai/tokens/revoke-all/", "ai_token_revoke_all", "airs", Bearer, None, 200, "Count", "Revoke every agent token you delegated"),
    route!("POST", "ai/tokens/sub-tokens/", "ai_sub_token_create", "airs", Agent, Some("SubTokenRequest"), 201, "CreatedAgentToken", "An agent delegates a narrower token"),
    route!("GET", "ai/tokens/{id}/", "ai_token_get", "airs", Bearer, None, 200, "AgentToken", "One of your agent tokens"),
    route!("POST", "ai/tokens/{id}/heartbeat/", "ai_token_heartbeat", "airs", Agent, None, 200, "HeartbeatAck", "The agent's dead man's switch"),
    route!("POST", "ai/tokens/{id}/report-usage/", "ai_token_report_usage", "airs", Agent, Some("UsageReport"), 200, "AgentOutcome", "Charge a cost to the agent's budget"),
    route!("POST", "ai/tokens/{id}/suspend/", "ai_token_suspend", "airs", Bearer, None, 200, "AgentToken", "Suspend an agent token"),
    route!("POST", "ai/tokens/{id}/reactivate/", "ai_token_reactivate", "airs", Bearer, None, 200, "AgentToken", "Reactivate a suspended agent token"),
    route!("POST", "ai/tokens/{id}/revoke/", "ai_token_revoke", "airs", Bearer, None, 200, "AgentToken", "Revoke an agent token for good"),
    route!("POST", "ai/authorize/", "ai_authorize", "airs", Agent, Some("AgentRequest"), 200, "AgentOutcome", "The decision for one agent request (202 when a human must approve; retry with X-Action-Confirmation)"),
    route!("GET", "ai/pending-actions/", "ai_pending_list", "airs", Bearer, None, 200, "PendingActions", "Actions awaiting your approval"),
    route!("POST", "ai/pending-actions/{id}/confirm/", "ai_pending_confirm", "airs", Bearer, None, 200, "PendingAction", "Approve an agent's action (single use, bound to the request)"),
    route!("POST", "ai/pending-actions/{id}/deny/", "ai_pending_deny", "airs", Bearer, None, 200, "PendingAction", "Refuse an agent's action"),
    // Organizations (literal segments before parameters: the first match wins).
    route!("POST", "organizations/", "org_create", "organizations", Bearer, Some("CreateOrg"), 201, "Organization", "Create an organization (you become its owner)"),
    route!("GET", "organizations/", "org_mine", "organizations", Bearer, None, 200, "MyOrganizations", "Your organizations"),
    route!("GET", "organizations/roles/", "org_roles", "organizations", Bearer, None, 200, "OrgRoles", "The organization roles"),
    route!("POST", "organizations/invitations/accept/", "org_invitation_accept", "organizations", Bearer, Some("InvitationToken"), 200, "Membership", "Accept an invitation (your e-mail must match)"),
    route!("POST", "organizations/invitations/decline/", "org_invitation_decline", "organizations", Bearer, Some("InvitationToken"), 200, "Invitation", "Decline an invitation"),
    route!("GET", "organizations/by-slug/{slug}/", "org_by_slug", "organizations", Bearer, None, 200, "OrgAccess", "An organization by slug (X-Org-Slug), with your role in it"),
    route!("POST", "organizations/{id}/children/", "org_create_child", "organizations", Bearer, Some("CreateOrg"), 201, "Organization", "Create a child organization"),
    route!("POST", "organizations/{id}/move/", "org_move", "organizations", Bearer, Some("MoveOrg"), 200, "Organization", "Move an organization under another (or to the top)"),
    route!("GET", "organizations/{id}/tree/", "org_tree", "organizations", Bearer, None, 200, "OrgNode", "The organization and its descendants"),
    route!("GET", "organizations/{id}/members/", "org_members", "organizations", Bearer, None, 200, "Members", "The members"),
    route!("POST", "organizations/{id}/members/{user_id}/role/", "org_member_role", "organizations", Bearer, Some("RoleChange"), 200, "Membership", "Change a member's role"),
    route!("DELETE", "organizations/{id}/members/{user_id}/", "org_member_remove", "organizations", Bearer, None, 200, "Membership", "Remove a member"),
    route!("POST", "organizations/{id}/leave/", "org_leave", "organizations", Bearer, None, 200, "Membership", "Leave the organization (the last owner cannot)"),
    route!("POST", "organizations/{id}/invitations/", "org_invite", "organizations", Bearer, Some("Invite"), 201, "Invitation", "Invite by e-mail"),
    route!("GET", "organizations/{id}/invitations/", "org_invitations", "organizations", Bearer, None, 200, "Invitations", "The organization's invitations (every status)"),
    route!("DELETE", "organizations/{id}/invitations/{invitation_id}/", "org_invitation_revoke", "organizations", Bearer, None, 200, "Invitation", "Withdraw an invitation"),
    // Applications.
    route!("POST", "applications/", "app_create", "applications", Bearer, Some("CreateApplication"), 201, "ApplicationCredentials", "Create an application; the secret is shown once"),
    route!("GET", "applications/", "app_list", "applications", Bearer, None, 200, "Applications", "Every application"),
    route!("GET", "applications/{id}/", "app_get", "applications", Bearer, None, 200, "Application", "One application"),
    route!("POST", "applications/{id}/regenerate/", "app_regenerate", "applications", Bearer, None, 200, "ApplicationCredentials", "A new secret; the old one stops working at once"),
    route!("POST", "applications/{id}/disable/", "app_disable", "applications", Bearer, None, 200, "Application", "Deactivate an application"),
    route!("POST", "applications/{id}/enable/", "app_enable", "applications", Bearer, None, 200, "Application", "Reactivate an application"),
    // Audit.
    route!("GET", "audit/", "audit", "audit", Bearer, None, 200, "AuditPage", "The audit log: your own events, or everything with system.audit (?user_id=&org_id=&agent_id=&since=&until=&action=&limit=&cursor=)"),
    route!("GET", "health/", "health", "meta", Public, None, 200, "Message", "Liveness"),
    route!(
        "GET",
        "docs/schema/",
        "openapi",
        "meta",
        Public,
        None,
        200,
        "OpenApi",
        "This OpenAPI document"
    ),
    route!(
        "GET",
        "/.well-known/jwks.json",
        "jwks",
        "meta",
        Public,
        None,
        200,
        "Jwks",
        "The public keys that verify access tokens"
    ),
];

/// The full path of a route under the configured prefix.
pub(crate) fn full_path(prefix: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{prefix}{path}")
    }
}

/// Finds the route for a request: `route_not_found` when no path matches,
/// `method_not_allowed` when the path matches for other methods.
pub(crate) fn resolve(e: &Engine, req: &Request) -> Result<(&'static RouteSpec, Vec<String>)> {
    let prefix = &e.settings().api.prefix;
    let mut path_matched = false;
    for route in ROUTES {
        let Some(params) = match_path(&full_path(prefix, route.path), &req.path) else {
            continue;
        };
        path_matched = true;
        if route.method.eq_ignore_ascii_case(&req.method) {
            return Ok((route, params));
        }
    }
    if path_matched {
        Err(err(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed here", req.method),
        ))
    } else {
        Err(err(ErrorCode::RouteNotFound, "no such route"))
    }
}

/// Matches a pattern with `{name}` segments; a missing trailing slash is tolerated.
fn match_path(pattern: &str, path: &str) -> Option<Vec<String>> {
    let p = pattern.trim_end_matches('/');
    let q = path.trim_end_matches('/');
    let mut params = Vec::new();
    let mut ps = p.split('/');
    let mut qs = q.split('/');
    loop {
        match (ps.next(), qs.next()) {
            (None, None) => return Some(params),
            (Some(a), Some(b)) if a.starts_with('{') && a.ends_with('}') => {
                if b.is_empty() {
                    return None;
                }
                params.push(super::decode_component(b));
            }
            (Some(a), Some(b)) if a == b => {}
            _ => return None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OtpRequestBody {
    otp_type: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrengthBody {
    password: String,
    #[serde(default)]
    email: Option<String>,
}

/// Runs the flow behind a route.
pub(crate) async fn dispatch(
    route: &RouteSpec,
    port: &StorePort,
    e: &Engine,
    call: Call<'_>,
) -> Result<Reply> {
    let ctx = &call.ctx;
    match route.name {
        "register" => {
            let req: RegisterRequest = call.input()?;
            into_reply(201, &auth::register(port, e, &req, ctx).await?)
        }
        "login_email" | "login_phone" => {
            let req: LoginRequest = call.input()?;
            let wants_email = route.name == "login_email";
            if wants_email != req.email.is_some() || wants_email == req.phone.is_some() {
                let field = if wants_email { "email" } else { "phone" };
                return Err(err(
                    ErrorCode::InvalidInput,
                    format!("this route takes {field} (and not the other identifier)"),
                ));
            }
            into_reply(200, &auth::login(port, e, &req, ctx).await?)
        }
        "refresh" => {
            let body: RefreshBody = call.input()?;
            into_reply(
                200,
                &auth::refresh(port, e, &body.refresh_token, ctx).await?,
            )
        }
        "logout" => {
            let token = call.bearer()?;
            let req: LogoutRequest = call.input()?;
            Ok(Reply::ok(auth::logout(port, e, &token, &req, ctx).await?))
        }
        "logout_all" => Ok(Reply::ok(
            auth::logout_all(port, e, &call.bearer()?, ctx).await?,
        )),
        "me" => {
            let me = auth::me(port, e, &call.bearer()?, ctx).await?;
            Ok(Reply::ok(me.user))
        }
        "me_roles" => {
            let me = auth::me(port, e, &call.bearer()?, ctx).await?;
            Ok(Reply::ok(
                json!({ "roles": me.roles, "permissions": me.permissions }),
            ))
        }
        "password_strength" => {
            let body: StrengthBody = call.input()?;
            let policy = e.settings().password_policy(false);
            let report = check(
                &body.password,
                &policy,
                &PolicyContext {
                    email: body.email.as_deref(),
                    ..PolicyContext::default()
                },
            );
            into_reply(200, &report)
        }
        "password_requirements" => into_reply(200, &e.settings().password_policy(false)),
        "password_change" => into_reply(
            200,
            &password_flows::change(port, e, &call.bearer()?, &call.input()?, ctx).await?,
        ),
        "password_reset_request" => into_reply(
            200,
            &password_flows::request_reset(port, e, &call.input()?, ctx).await?,
        ),
        "password_reset_confirm" => Ok(Reply::ok(
            password_flows::confirm_reset(port, e, &call.input()?, ctx).await?,
        )),
        "2fa_setup" => into_reply(200, &mfa::setup(port, e, &call.bearer()?, ctx).await?),
        "2fa_confirm" => Ok(Reply::ok(
            mfa::confirm(port, e, &call.bearer()?, &call.input()?, ctx).await?,
        )),
        "2fa_disable" => Ok(Reply::ok(
            mfa::disable(port, e, &call.bearer()?, &call.input()?, ctx).await?,
        )),
        "2fa_backup_codes" => into_reply(
            200,
            &mfa::regenerate(port, e, &call.bearer()?, &call.input()?, ctx).await?,
        ),
        "magic_link_request" => Ok(Reply::ok(
            magic_link::request(port, e, &call.input()?, ctx).await?,
        )),
        "magic_link_verify_get" => {
            let token = call.req.query_param("token").unwrap_or_default();
            let req = magic_link::MagicLinkVerify {
                token,
                ..Default::default()
            };
            into_reply(200, &magic_link::verify(port, e, &req, ctx).await?)
        }
        "magic_link_verify" => into_reply(
            200,
            &magic_link::verify(port, e, &call.input()?, ctx).await?,
        ),
        "otp_request" => {
            let body: OtpRequestBody = call.input()?;
            let target = match body.otp_type.as_str() {
                "email" => Target::Email,
                "phone" => Target::Phone,
                _ => {
                    return Err(err(
                        ErrorCode::InvalidInput,
                        "otp_type must be email or phone",
                    ))
                }
            };
            into_reply(
                200,
                &codes::request_verification(port, e, &call.bearer()?, ctx, target).await?,
            )
        }
        "otp_verify_email" => Ok(Reply::ok(
            codes::confirm_verification(
                port,
                e,
                &call.bearer()?,
                &call.input()?,
                ctx,
                Target::Email,
            )
            .await?,
        )),
        "otp_verify_phone" => Ok(Reply::ok(
            codes::confirm_verification(
                port,
                e,
                &call.bearer()?,
                &call.input()?,
                ctx,
                Target::Phone,
            )
            .await?,
        )),
        "login_otp_request" => into_reply(
            200,
            &otp_login::request(port, e, &call.input()?, ctx).await?,
        ),
        "login_otp_verify" => {
            into_reply(200, &otp_login::verify(port, e, &call.input()?, ctx).await?)
        }
        name if name.starts_with("ai_") => super::resources::agents(name, port, e, &call).await,
        name if name.starts_with("org_") => super::resources::orgs(name, port, e, &call).await,
        name if name.starts_with("app_") => {
            super::resources::applications(name, port, e, &call).await
        }
        "audit" => super::resources::audit(port, e, &call).await,
        name if name.starts_with("rbac_") => super::resources::rbac(name, port, e, &call).await,
        "health" => Ok(Reply::ok(json!({ "message": "ok" }))),
        "openapi" => Ok(Reply::ok(super::openapi::document(e))),
        "jwks" => Ok(Reply::ok(e.keys().to_jwks())),
        other => Err(err(
            ErrorCode::Internal,
            format!("route {other} has no handler"),
        )),
    }
}
