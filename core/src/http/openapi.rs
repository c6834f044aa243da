//! The OpenAPI 3.1 document, generated from the route table: paths, operation ids,
//! request and response schemas, security schemes. Served at `{prefix}docs/schema/`.

use serde_json::{json, Map, Value};

use super::routes::{full_path, Auth, ROUTES};
use crate::service::Engine;

/// The document for this engine's prefix and settings.
pub fn document(e: &Engine) -> Value {
    let prefix = &e.settings().api.prefix;
    let app_auth = e.settings().application_auth.enabled;
    let mut paths = Map::new();
    for r in ROUTES {
        let path = full_path(prefix, r.path);
        let mut op = Map::new();
        op.insert("operationId".into(), r.name.into());
        op.insert("summary".into(), r.summary.into());
        op.insert("tags".into(), json!([r.tag]));
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(req) = r.request {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{req}")}}}}),
            );
        }
        let mut responses = Map::new();
        responses.insert(
            r.status.to_string(),
            json!({"description": "Success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", r.response)}}}}),
        );
        responses.insert(
            "default".into(),
            json!({"description": "An error: see the `code` (docs/error-codes.md)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
        );
        op.insert("responses".into(), Value::Object(responses));
        let exempt = e
            .settings()
            .application_auth
            .exempt_paths
            .iter()
            .any(|p| path.starts_with(p.as_str()));
        let mut requirement = Map::new();
        if app_auth && !exempt {
            requirement.insert("AccessKey".into(), json!([]));
            requirement.insert("AccessSecret".into(), json!([]));
        }
        match r.auth {
            Auth::Public => {}
            Auth::Bearer => {
                requirement.insert("Bearer".into(), json!([]));
            }
            Auth::Agent => {
                requirement.insert("AgentBearer".into(), json!([]));
            }
        }
        op.insert("security".into(), json!([Value::Object(requirement)]));
        let entry = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(r.method.to_ascii_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tenxyte Core API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Authentication and authorization: the same routes and answers on every host."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (at+jwt)"},
                "AgentBearer": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`AgentBearer <agent token>`"},
                "AccessKey": {"type": "apiKey", "in": "header", "name": "X-Access-Key"},
                "AccessSecret": {"type": "apiKey", "in": "header", "name": "X-Access-Secret"}
            },
            "schemas": schemas()
        }
    })
}

fn string() -> Value {
    json!({"type": "string"})
}

fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn schemas() -> Value {
    let user = object(
        &["id", "email", "is_active", "roles", "mfa_enabled"],
        json!({
            "id": string(), "email": nullable_string(), "phone": nullable_string(),
            "first_name": string(), "last_name": string(),
            "is_active": {"type": "boolean"}, "is_staff": {"type": "boolean"}, "is_superuser": {"type": "boolean"},
            "email_verified": {"type": "boolean"}, "phone_verified": {"type": "boolean"},
            "roles": {"type": "array", "items": string()}, "mfa_enabled": {"type": "boolean"},
            "created_at": {"type": "integer"}, "last_login": {"type": ["integer", "null"]}
        }),
    );
    let tokens = object(
        &[
            "access_token",
            "token_type",
            "expires_in",
            "session_id",
            "user",
        ],
        json!({
            "access_token": string(), "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"},
            "refresh_token": nullable_string(), "refresh_expires_in": {"type": ["integer", "null"]},
            "session_id": string(), "token_scope": nullable_string(),
            "must_change_password": {"type": "boolean"}, "user": {"$ref": "#/components/schemas/User"}
        }),
    );
    json!({
        "Error": object(&["error", "code", "details"], json!({
            "error": string(), "code": string(), "details": {"type": "object"}
        })),
        "Message": {"type": "object", "properties": {"message": string()}},
        "User": user,
        "TokenResponse": tokens,
        "RegisterRequest": object(&["password"], json!({
            "email": string(), "phone": string(), "password": string(),
            "first_name": string(), "last_name": string(), "login": {"type": "boolean"}, "device_info": string()
        })),
        "Registered": object(&["user"], json!({
            "user": {"$ref": "#/components/schemas/User"},
            "tokens": {"oneOf": [{"$ref": "#/components/schemas/TokenResponse"}, {"type": "null"}]}
        })),
        "LoginEmailRequest": object(&["email", "password"], json!({
            "email": string(), "password": string(), "totp_code": string(), "device_info": string()
        })),
        "LoginPhoneRequest": object(&["phone", "password"], json!({
            "phone": string(), "password": string(), "totp_code": string(), "device_info": string()
        })),
        "RefreshRequest": object(&["refresh_token"], json!({"refresh_token": string()})),
        "LogoutRequest": {"type": "object", "properties": {"refresh_token": string()}},
        "Me": {"$ref": "#/components/schemas/User"},
        "MeRoles": object(&["roles", "permissions"], json!({
            "roles": {"type": "array", "items": string()}, "permissions": {"type": "array", "items": string()}
        })),
        "PasswordStrengthRequest": object(&["password"], json!({"password": string(), "email": string()})),
        "PasswordReport": object(&["valid", "score", "strength", "violations"], json!({
            "valid": {"type": "boolean"}, "score": {"type": "integer"}, "strength": string(),
            "violations": {"type": "array", "items": {"type": "object"}}
        })),
        "PasswordRequirements": {"type": "object"},
        "Count": object(&["count"], json!({"count": {"type": "integer"}})),
        "UsageReport": object(&["cost_usd"], json!({"cost_usd": {"type": ["string", "number", "integer"]}})),
        "InvitationToken": object(&["token"], json!({"token": string()})),
        "MoveOrg": {"type": "object", "properties": {"parent_id": nullable_string()}},
        "RoleChange": object(&["role"], json!({"role": string()})),
        "PermissionChange": object(&["permission"], json!({"permission": string()})),
        "Roles": {"type": "array", "items": {"type": "object"}},
        "Permissions": {"type": "array", "items": {"type": "object"}},
        "UserGrants": object(&["user_id", "roles", "permissions", "effective_permissions"], json!({
            "user_id": string(), "roles": {"type": "array", "items": string()},
            "permissions": {"type": "array", "items": string()},
            "effective_permissions": {"type": "array", "items": string()}
        })),
        "Invite": object(&["email"], json!({"email": string(), "role": string(), "accept_url": string()})),
        "CreateAgentToken": {"type": "object"},
        "CreatedAgentToken": {"type": "object"},
        "AgentTokenPage": {"type": "object"},
        "SubTokenRequest": {"type": "object"},
        "AgentToken": {"type": "object"},
        "HeartbeatAck": {"type": "object"},
        "AgentOutcome": {"type": "object"},
        "AgentRequest": {"type": "object"},
        "PendingActions": {"type": "array"},
        "PendingAction": {"type": "object"},
        "CreateOrg": {"type": "object"},
        "Organization": {"type": "object"},
        "MyOrganizations": {"type": "array"},
        "OrgRoles": {"type": "array"},
        "Membership": {"type": "object"},
        "Invitation": {"type": "object"},
        "OrgAccess": {"type": "object"},
        "OrgNode": {"type": "object"},
        "Members": {"type": "array"},
        "Invitations": {"type": "array"},
        "CreateApplication": {"type": "object"},
        "ApplicationCredentials": {"type": "object"},
        "Applications": {"type": "array"},
        "Application": {"type": "object"},
        "AuditPage": {"type": "object"},
        "ChangePassword": object(&["old_password", "new_password"], json!({
            "old_password": string(), "new_password": string(), "device_info": string()
        })),
        "PasswordChanged": object(&["sessions_ended", "tokens"], json!({
            "sessions_ended": {"type": "integer"}, "tokens": {"$ref": "#/components/schemas/TokenResponse"}
        })),
        "ResetRequest": {"type": "object", "properties": {"email": string(), "phone": string(), "reset_url": string()}},
        "ResetConfirm": object(&["new_password"], json!({
            "challenge_id": string(), "code": string(), "token": string(), "new_password": string()
        })),
        "CodeSent": object(&["challenge_id", "expires_in", "message"], json!({
            "challenge_id": string(), "expires_in": {"type": "integer"}, "message": string()
        })),
        "CodeSubmission": object(&["challenge_id", "code"], json!({"challenge_id": string(), "code": string()})),
        "OtpRequest": object(&["otp_type"], json!({"otp_type": {"enum": ["email", "phone"]}})),
        "TotpCode": object(&["code"], json!({"code": string()})),
        "DisableTwoFactor": object(&["code"], json!({"password": string(), "code": string()})),
        "TwoFactorSetup": object(&["secret", "otpauth_uri", "qr_svg", "backup_codes"], json!({
            "secret": string(), "otpauth_uri": string(), "qr_svg": string(),
            "backup_codes": {"type": "array", "items": string()}
        })),
        "BackupCodes": object(&["backup_codes"], json!({"backup_codes": {"type": "array", "items": string()}})),
        "MagicLinkRequest": object(&["email", "validation_url"], json!({"email": string(), "validation_url": string()})),
        "MagicLinkVerify": object(&["token"], json!({"token": string(), "totp_code": string(), "device_info": string()})),
        "LoginCodeRequest": object(&["phone"], json!({"phone": string()})),
        "LoginCodeVerify": object(&["challenge_id", "code"], json!({
            "challenge_id": string(), "code": string(), "totp_code": string(), "device_info": string()
        })),
        "OpenApi": {"type": "object"},
        "Jwks": object(&["keys"], json!({"keys": {"type": "array", "items": {"type": "object"}}}))
    })
}
