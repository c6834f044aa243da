//! Host-only operations: what an operator does before any user can act (the first
//! administrator, the first application). They take no token and are never routed over
//! HTTP; a host calls them from its own trusted code (a management command,
//! `tenxyte serve`'s first start).

use serde_json::json;

use super::applications::{insert, ApplicationCredentials, CreateApplicationRequest};
use super::audit::{append, AuditEntry};
use super::auth::{register, RegisterRequest};
use super::users::update_user;
use super::{Engine, RequestContext};
use crate::drive::Flow;

impl Engine {
    /// Creates an application without a caller (host bootstrap); the raw secret is in the
    /// answer and nowhere else.
    pub fn bootstrap_application(
        &self,
        req: CreateApplicationRequest,
        ctx: RequestContext,
    ) -> Flow<ApplicationCredentials> {
        self.flow(move |e, port| async move { insert(&port, &e, &req, None, &ctx).await })
    }

    /// Registers a superuser (host bootstrap): the registration rules all apply (policy,
    /// breach check, unique e-mail), then the account is flagged superuser and staff.
    /// Returns the user's id.
    pub fn bootstrap_superuser(
        &self,
        email: String,
        password: String,
        ctx: RequestContext,
    ) -> Flow<String> {
        self.flow(move |e, port| async move {
            let req = RegisterRequest {
                email: Some(email),
                password,
                ..RegisterRequest::default()
            };
            let done = register(&port, &e, &req, &ctx).await?;
            let id = done
                .user
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            update_user(&port, &id, |u| {
                u.is_superuser = true;
                u.is_staff = true;
                Ok(())
            })
            .await?;
            append(
                &port,
                &e,
                &ctx,
                AuditEntry::success("superuser_created", Some(&id))
                    .details(json!({ "by": "host" })),
            )
            .await?;
            Ok(id)
        })
    }
}
