//! RBAC administration: the policy's roles and permissions, and a user's roles and direct
//! permissions, read and changed by holders of the `users.roles.*` and
//! `users.permissions.*` permissions (or a superuser).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{append, AuditEntry};
use super::auth::{authenticate, Principal};
use super::users::{load_user, subject, update_user};
use super::{Engine, RequestContext};
use crate::drive::{Flow, StorePort};
use crate::error::{err, ErrorCode, Result};

/// A user's grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGrants {
    /// The user.
    pub user_id: String,
    /// Global roles.
    pub roles: Vec<String>,
    /// Direct permissions.
    pub permissions: Vec<String>,
    /// Everything the user holds (roles, inheritance, direct grants).
    pub effective_permissions: Vec<String>,
}

/// What to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantChange {
    /// Add a role.
    AddRole,
    /// Remove a role.
    RemoveRole,
    /// Add a direct permission.
    AddPermission,
    /// Remove a direct permission.
    RemovePermission,
}

impl GrantChange {
    fn permission(self) -> &'static str {
        match self {
            GrantChange::AddRole => "users.roles.assign",
            GrantChange::RemoveRole => "users.roles.remove",
            GrantChange::AddPermission => "users.permissions.assign",
            GrantChange::RemovePermission => "users.permissions.remove",
        }
    }
}

impl Engine {
    /// The policy's roles: `[{code, name, permissions, inherits, is_default}]`
    /// (`roles.view`).
    pub fn list_roles(&self, access_token: String, ctx: RequestContext) -> Flow<serde_json::Value> {
        self.flow(move |e, port| async move {
            admin(&port, &e, &access_token, "roles.view", &ctx).await?;
            Ok(json!(e.policy_document().roles))
        })
    }

    /// The policy's permissions: `[{code, parent, description}]` (`permissions.view`).
    pub fn list_permissions(
        &self,
        access_token: String,
        ctx: RequestContext,
    ) -> Flow<serde_json::Value> {
        self.flow(move |e, port| async move {
            admin(&port, &e, &access_token, "permissions.view", &ctx).await?;
            Ok(json!(e.policy_document().permissions))
        })
    }

    /// A user's grants (`users.roles.view`).
    pub fn user_grants(
        &self,
        access_token: String,
        user_id: String,
        ctx: RequestContext,
    ) -> Flow<UserGrants> {
        self.flow(move |e, port| async move {
            admin(&port, &e, &access_token, "users.roles.view", &ctx).await?;
            let Some(u) = load_user(&port, &user_id).await? else {
                return Err(err(ErrorCode::UserNotFound, "no such user"));
            };
            Ok(grants(&e, &u.value))
        })
    }

    /// Adds or removes one role or direct permission of a user. The code must exist in
    /// the policy (`invalid_role` / `permission_required` name it otherwise).
    pub fn change_user_grant(
        &self,
        access_token: String,
        user_id: String,
        change: GrantChange,
        code: String,
        ctx: RequestContext,
    ) -> Flow<UserGrants> {
        self.flow(move |e, port| async move {
            let p = admin(&port, &e, &access_token, change.permission(), &ctx).await?;
            let known = match change {
                GrantChange::AddRole | GrantChange::RemoveRole => e.policy().role_exists(&code),
                GrantChange::AddPermission | GrantChange::RemovePermission => {
                    e.policy().permission_exists(code.trim_end_matches(".*")) || code == "*"
                }
            };
            if !known {
                return Err(err(
                    ErrorCode::InvalidInput,
                    format!("{code} is not in the policy"),
                )
                .with_details(json!({ "code": code })));
            }
            let user = update_user(&port, &user_id, |u| {
                let list = match change {
                    GrantChange::AddRole | GrantChange::RemoveRole => &mut u.roles,
                    GrantChange::AddPermission | GrantChange::RemovePermission => {
                        &mut u.permissions
                    }
                };
                match change {
                    GrantChange::AddRole | GrantChange::AddPermission => {
                        if !list.contains(&code) {
                            list.push(code.clone());
                        }
                    }
                    GrantChange::RemoveRole | GrantChange::RemovePermission => {
                        list.retain(|c| *c != code)
                    }
                }
                Ok(())
            })
            .await?;
            append(
                &port,
                &e,
                &ctx,
                AuditEntry::success("user_grants_changed", Some(&user_id))
                    .actor(Some(&p.user.id))
                    .details(json!({ "change": format!("{change:?}"), "code": code })),
            )
            .await?;
            Ok(grants(&e, &user))
        })
    }
}

fn grants(e: &Engine, u: &super::records::User) -> UserGrants {
    UserGrants {
        user_id: u.id.clone(),
        roles: u.roles.clone(),
        permissions: u.permissions.clone(),
        effective_permissions: e
            .policy()
            .effective_permissions(&subject(u))
            .into_iter()
            .map(str::to_owned)
            .collect(),
    }
}

/// Authenticates the caller and requires `permission` (a superuser always passes).
async fn admin(
    port: &StorePort,
    e: &Engine,
    token: &str,
    permission: &str,
    ctx: &RequestContext,
) -> Result<Principal> {
    let p = authenticate(port, e, token, ctx).await?;
    p.require_scope(&[])?;
    if !p.user.is_superuser {
        e.policy().require(&subject(&p.user), permission)?;
    }
    Ok(p)
}
