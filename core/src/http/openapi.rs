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
        if r.name == "ai_authorize" {
            // A human must approve first: the agent retries with X-Action-Confirmation.
            responses.insert(
                "202".into(),
                json!({"description": "Pending approval", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AgentPendingApproval"}}}}),
            );
        }
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

// Schema builders. Every property a response always carries is `required` (serde writes
// `None` as `null`, so nullable fields are `["T", "null"]`, not optional); request
// schemas refuse unknown members (`additionalProperties: false`), as the API does.

fn string() -> Value {
    json!({"type": "string"})
}

fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}

fn int() -> Value {
    json!({"type": "integer"})
}

fn uint() -> Value {
    json!({"type": "integer", "minimum": 0})
}

fn nullable_int() -> Value {
    json!({"type": ["integer", "null"]})
}

fn nullable_uint() -> Value {
    json!({"type": ["integer", "null"], "minimum": 0})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn array_of(name: &str) -> Value {
    json!({"type": "array", "items": schema_ref(name)})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn nullable_ref(name: &str) -> Value {
    json!({"oneOf": [schema_ref(name), {"type": "null"}]})
}

/// A string enum (serde `rename_all = "snake_case"` values).
fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// A nullable string enum (`Option<Enum>`).
fn nullable_one_of(values: &[&str]) -> Value {
    let mut all: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    all.push(Value::Null);
    json!({"type": ["string", "null"], "enum": all})
}

/// Any JSON value (free-form data).
fn any() -> Value {
    json!({})
}

/// A response object.
fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

/// A request object: unknown members are refused (`invalid_input`).
fn input(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

const TOKEN_STATUS: &[&str] = &["active", "suspended", "revoked", "expired"];
const SUSPEND_REASON: &[&str] = &[
    "rate_limit",
    "total_limit",
    "failure_limit",
    "budget",
    "heartbeat_missing",
    "manual",
    "parent_revoked",
];
const ACTION_STATUS: &[&str] = &["pending", "confirmed", "denied", "consumed", "expired"];
const MEMBERSHIP_STATUS: &[&str] = &["pending", "active", "suspended"];
const INVITATION_STATUS: &[&str] = &["pending", "accepted", "declined", "expired", "revoked"];
const VIOLATION_CODE: &[&str] = &[
    "too_short",
    "too_long",
    "missing_uppercase",
    "missing_lowercase",
    "missing_digit",
    "missing_special",
    "too_few_unique_chars",
    "common_password",
    "contains_sequence",
    "contains_email",
    "contains_username",
    "contains_context_word",
    "repeated_characters",
];
const STRENGTH: &[&str] = &["weak", "fair", "good", "strong", "excellent"];

fn schemas() -> Value {
    let mut all = Map::new();
    for part in [
        account_schemas(),
        security_schemas(),
        agent_schemas(),
        org_schemas(),
        admin_schemas(),
    ] {
        if let Value::Object(m) = part {
            all.extend(m);
        }
    }
    Value::Object(all)
}

/// Accounts, sessions, tokens, the meta routes (`service::auth`, `sessions`, `users`).
fn account_schemas() -> Value {
    // `users::public_view`.
    let user = object(
        &[
            "id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "email_verified",
            "phone_verified",
            "roles",
            "mfa_enabled",
            "created_at",
            "last_login",
        ],
        json!({
            "id": string(), "email": nullable_string(), "phone": nullable_string(),
            "first_name": string(), "last_name": string(),
            "is_active": boolean(), "is_staff": boolean(), "is_superuser": boolean(),
            "email_verified": boolean(), "phone_verified": boolean(),
            "roles": strings(), "mfa_enabled": boolean(),
            "created_at": int(), "last_login": nullable_int()
        }),
    );
    // `sessions::TokenResponse`.
    let tokens = object(
        &[
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "refresh_expires_in",
            "session_id",
            "token_scope",
            "must_change_password",
            "user",
        ],
        json!({
            "access_token": string(), "token_type": {"const": "Bearer"}, "expires_in": uint(),
            "refresh_token": nullable_string(), "refresh_expires_in": nullable_uint(),
            "session_id": string(), "token_scope": nullable_string(),
            "must_change_password": boolean(), "user": schema_ref("User")
        }),
    );
    json!({
        "Error": object(&["error", "code", "details"], json!({
            "error": string(), "code": string(), "details": {"type": "object"}
        })),
        "Message": object(&["message"], json!({"message": string()})),
        "LoggedOutAll": object(&["message", "sessions_ended"], json!({
            "message": string(), "sessions_ended": uint()
        })),
        "User": user,
        "TokenResponse": tokens,
        "RegisterRequest": input(&["password"], json!({
            "email": nullable_string(), "phone": nullable_string(), "password": string(),
            "first_name": string(), "last_name": string(), "login": boolean(),
            "device_info": nullable_string()
        })),
        "Registered": object(&["user", "tokens"], json!({
            "user": schema_ref("User"), "tokens": nullable_ref("TokenResponse")
        })),
        "LoginEmailRequest": input(&["email", "password"], json!({
            "email": string(), "password": string(), "totp_code": nullable_string(),
            "device_info": nullable_string()
        })),
        "LoginPhoneRequest": input(&["phone", "password"], json!({
            "phone": string(), "password": string(), "totp_code": nullable_string(),
            "device_info": nullable_string()
        })),
        "RefreshRequest": input(&["refresh_token"], json!({"refresh_token": string()})),
        "LogoutRequest": input(&[], json!({"refresh_token": nullable_string()})),
        "Me": schema_ref("User"),
        "MeRoles": object(&["roles", "permissions"], json!({
            "roles": strings(), "permissions": strings()
        })),
        "OpenApi": object(&["openapi", "info", "paths", "components"], json!({
            "openapi": string(), "info": {"type": "object"}, "paths": {"type": "object"},
            "components": {"type": "object"}
        })),
        // `KeySet::to_jwks` (RFC 7517); symmetric keys are never published.
        "Jwks": object(&["keys"], json!({"keys": {"type": "array", "items": object(
            &["kty", "use", "alg"],
            json!({
                "kty": one_of(&["RSA", "EC", "OKP"]), "kid": string(), "use": {"const": "sig"},
                "alg": string(), "n": string(), "e": string(), "crv": string(),
                "x": string(), "y": string()
            })
        )}}))
    })
}

/// Passwords, 2FA, magic links and one-time codes.
fn security_schemas() -> Value {
    json!({
        "PasswordStrengthRequest": input(&["password"], json!({
            "password": string(), "email": nullable_string()
        })),
        // `password::policy::PolicyReport`.
        "PasswordReport": object(&["valid", "violations", "score", "strength"], json!({
            "valid": boolean(),
            "violations": {"type": "array", "items": object(&["code", "message"], json!({
                "code": one_of(VIOLATION_CODE), "message": string()
            }))},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "strength": one_of(STRENGTH)
        })),
        // `password::policy::PasswordPolicy`.
        "PasswordRequirements": object(
            &["min_length", "max_length", "require_uppercase", "require_lowercase",
              "require_digit", "require_special", "min_unique_chars", "check_common",
              "check_context_words", "reject_sequences", "reject_repetition"],
            json!({
                "min_length": uint(), "max_length": uint(),
                "require_uppercase": boolean(), "require_lowercase": boolean(),
                "require_digit": boolean(), "require_special": boolean(),
                "min_unique_chars": uint(), "check_common": boolean(),
                "check_context_words": boolean(), "reject_sequences": boolean(),
                "reject_repetition": boolean()
            }),
        ),
        "ChangePassword": input(&["old_password", "new_password"], json!({
            "old_password": string(), "new_password": string(), "device_info": nullable_string()
        })),
        "PasswordChanged": object(&["sessions_ended", "tokens"], json!({
            "sessions_ended": uint(), "tokens": schema_ref("TokenResponse")
        })),
        "ResetRequest": input(&[], json!({"email": nullable_string(), "phone": nullable_string(), "reset_url": nullable_string()})),
        "ResetConfirm": input(&["new_password"], json!({
            "challenge_id": string(), "code": string(), "token": nullable_string(), "new_password": string()
        })),
        "PasswordReset": object(&["message", "sessions_ended"], json!({
            "message": string(), "sessions_ended": uint()
        })),
        "CodeSent": object(&["challenge_id", "expires_in", "message"], json!({
            "challenge_id": string(), "expires_in": uint(), "message": string()
        })),
        "CodeSubmission": input(&["challenge_id", "code"], json!({
            "challenge_id": string(), "code": string()
        })),
        "Verified": object(&["message", "verified"], json!({
            "message": string(), "verified": {"const": true}
        })),
        "OtpRequest": input(&["otp_type"], json!({"otp_type": one_of(&["email", "phone"])})),
        "TotpCode": input(&["code"], json!({"code": string()})),
        "DisableTwoFactor": input(&["code"], json!({"password": string(), "code": string()})),
        "TwoFactorState": object(&["message", "enabled"], json!({
            "message": string(), "enabled": boolean()
        })),
        "TwoFactorSetup": object(&["secret", "otpauth_uri", "qr_svg", "backup_codes"], json!({
            "secret": string(), "otpauth_uri": string(), "qr_svg": string(),
            "backup_codes": strings()
        })),
        "BackupCodes": object(&["backup_codes"], json!({"backup_codes": strings()})),
        "MagicLinkRequest": input(&["email", "validation_url"], json!({
            "email": string(), "validation_url": string()
        })),
        "MagicLinkVerify": input(&["token"], json!({
            "token": string(), "totp_code": nullable_string(), "device_info": nullable_string()
        })),
        "LoginCodeRequest": input(&["phone"], json!({"phone": string()})),
        "LoginCodeVerify": input(&["challenge_id", "code"], json!({
            "challenge_id": string(), "code": string(), "totp_code": nullable_string(),
            "device_info": nullable_string()
        }))
    })
}

/// AIRS (`service::agents`, `agent::{token, hitl, create, authorize}`).
fn agent_schemas() -> Value {
    let circuit_breaker = input(
        &[],
        json!({
            "max_requests_per_minute": nullable_uint(), "max_requests_total": nullable_uint(),
            "max_failed_requests": nullable_uint()
        }),
    );
    let dead_mans_switch = input(
        &[],
        json!({"heartbeat_every_secs": nullable_uint(), "heartbeat_required_every": nullable_uint()}),
    );
    let budget = input(
        &[],
        json!({"limit_micro_usd": nullable_uint(), "limit_usd": nullable_string()}),
    );
    let token = object(
        &[
            "id",
            "token_hash",
            "agent_id",
            "delegated_by",
            "application_id",
            "organization_id",
            "granted_permissions",
            "status",
            "suspended_reason",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "suspended_at",
            "limits",
            "heartbeat_every_secs",
            "last_heartbeat_at",
            "budget_limit_micro_usd",
            "parent_token_id",
            "depth",
            "last_used_at",
        ],
        json!({
            "id": string(),
            "token_hash": {"type": "string", "description": "always empty in answers"},
            "agent_id": string(), "delegated_by": string(), "application_id": string(),
            "organization_id": nullable_string(), "granted_permissions": strings(),
            "status": one_of(TOKEN_STATUS), "suspended_reason": nullable_one_of(SUSPEND_REASON),
            "created_at": int(), "expires_at": int(), "revoked_at": nullable_int(),
            "revoked_by": nullable_string(), "suspended_at": nullable_int(),
            "limits": object(
                &["max_requests_per_minute", "max_requests_total", "max_failed_requests"],
                json!({
                    "max_requests_per_minute": nullable_uint(),
                    "max_requests_total": nullable_uint(),
                    "max_failed_requests": nullable_uint()
                }),
            ),
            "heartbeat_every_secs": nullable_uint(), "last_heartbeat_at": nullable_int(),
            "budget_limit_micro_usd": nullable_uint(), "parent_token_id": nullable_string(),
            "depth": {"type": "integer", "minimum": 0, "maximum": 255},
            "last_used_at": nullable_int()
        }),
    );
    let pending = object(
        &[
            "id",
            "confirmation_hash",
            "agent_token_id",
            "delegated_by",
            "permission",
            "method",
            "path",
            "body_sha256",
            "fingerprint",
            "payload",
            "status",
            "created_at",
            "expires_at",
            "decided_at",
            "decided_by",
            "consumed_at",
            "trace_id",
        ],
        json!({
            "id": string(), "confirmation_hash": string(), "agent_token_id": string(),
            "delegated_by": string(), "permission": nullable_string(), "method": string(),
            "path": string(), "body_sha256": string(), "fingerprint": string(),
            "payload": any(), "status": one_of(ACTION_STATUS), "created_at": int(),
            "expires_at": int(), "decided_at": nullable_int(), "decided_by": nullable_string(),
            "consumed_at": nullable_int(), "trace_id": nullable_string()
        }),
    );
    let allowed = object(
        &["outcome", "token_id", "agent_id", "user_id", "permission"],
        json!({
            "outcome": {"const": "allowed"}, "token_id": string(), "agent_id": string(),
            "user_id": string(), "permission": nullable_string()
        }),
    );
    let denied = object(
        &["outcome", "code", "reason", "retry_after", "suspended"],
        json!({
            "outcome": {"const": "denied"}, "code": string(), "reason": string(),
            "retry_after": nullable_uint(), "suspended": nullable_one_of(SUSPEND_REASON)
        }),
    );
    let pending_approval = object(
        &[
            "outcome",
            "pending_action_id",
            "confirmation_token",
            "expires_at",
        ],
        json!({
            "outcome": {"const": "pending_approval"}, "pending_action_id": string(),
            "confirmation_token": string(), "expires_at": int()
        }),
    );
    json!({
        "CircuitBreakerParams": circuit_breaker,
        "DeadMansSwitchParams": dead_mans_switch,
        "BudgetParams": budget,
        "CreateAgentToken": input(&[], json!({
            "agent_id": nullable_string(), "organization_id": nullable_string(),
            "permissions": strings(), "expires_in_secs": nullable_int(),
            "circuit_breaker": nullable_ref("CircuitBreakerParams"),
            "dead_mans_switch": nullable_ref("DeadMansSwitchParams"),
            "budget": nullable_ref("BudgetParams")
        })),
        "SubTokenRequest": input(&[], json!({
            "agent_id": nullable_string(), "permissions": strings(),
            "expires_in_secs": nullable_int(),
            "circuit_breaker": nullable_ref("CircuitBreakerParams"),
            "dead_mans_switch": nullable_ref("DeadMansSwitchParams"),
            "budget": nullable_ref("BudgetParams")
        })),
        "AgentToken": token,
        "CreatedAgentToken": object(&["token", "raw_token"], json!({
            "token": schema_ref("AgentToken"), "raw_token": string()
        })),
        "AgentTokenPage": object(&["items", "next_cursor"], json!({
            "items": array_of("AgentToken"), "next_cursor": nullable_string()
        })),
        "Count": object(&["count"], json!({"count": uint()})),
        "HeartbeatAck": object(&["token_id", "last_heartbeat_at", "next_due_at"], json!({
            "token_id": string(), "last_heartbeat_at": int(), "next_due_at": nullable_int()
        })),
        "UsageReport": input(&["cost_usd"], json!({
            "cost_usd": {"type": ["string", "number", "integer"], "description": "micro-USD integer, or USD as a decimal string or number"}
        })),
        "AgentRequest": input(&["method", "path"], json!({
            "method": string(), "path": string(), "body": string(),
            "body_b64": nullable_string(), "permission": nullable_string(),
            "requires_approval": boolean(), "trace_id": nullable_string(),
            "confirmation": nullable_string()
        })),
        "AgentAllowed": allowed,
        "AgentDenied": denied,
        "AgentPendingApproval": pending_approval,
        // Tagged by `outcome`; a denial is answered as an error with the outcome in `details`.
        "AgentOutcome": {"oneOf": [
            schema_ref("AgentAllowed"), schema_ref("AgentDenied"), schema_ref("AgentPendingApproval")
        ]},
        "PendingAction": pending,
        "PendingActions": array_of("PendingAction")
    })
}

/// Organizations (`org::records`, `service::orgs`).
fn org_schemas() -> Value {
    let organization = object(
        &[
            "id",
            "slug",
            "name",
            "parent_id",
            "is_active",
            "max_members",
            "created_by",
            "created_at",
            "metadata",
        ],
        json!({
            "id": string(), "slug": string(), "name": string(), "parent_id": nullable_string(),
            "is_active": boolean(), "max_members": uint(), "created_by": string(),
            "created_at": int(), "metadata": {"type": "object"}
        }),
    );
    let membership = object(
        &[
            "org_id",
            "user_id",
            "role",
            "status",
            "invited_by",
            "joined_at",
        ],
        json!({
            "org_id": string(), "user_id": string(), "role": string(),
            "status": one_of(MEMBERSHIP_STATUS), "invited_by": nullable_string(),
            "joined_at": int()
        }),
    );
    let invitation = object(
        &[
            "id",
            "org_id",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
        ],
        json!({
            "id": string(), "org_id": string(), "email": string(), "role": string(),
            "status": one_of(INVITATION_STATUS), "invited_by": string(),
            "created_at": int(), "expires_at": int()
        }),
    );
    let member = object(
        &[
            "user_id",
            "email",
            "role",
            "status",
            "invited_by",
            "joined_at",
        ],
        json!({
            "user_id": string(), "email": nullable_string(), "role": string(),
            "status": one_of(MEMBERSHIP_STATUS), "invited_by": nullable_string(),
            "joined_at": int()
        }),
    );
    json!({
        "CreateOrg": input(&["name", "slug"], json!({
            "name": string(), "slug": string(), "max_members": nullable_uint(),
            "metadata": {"type": "object"}
        })),
        "MoveOrg": input(&["parent_id"], json!({"parent_id": nullable_string()})),
        "RoleChange": input(&["role"], json!({"role": string()})),
        "Invite": input(&["email"], json!({
            "email": string(), "role": nullable_string(), "accept_url": nullable_string()
        })),
        "InvitationToken": input(&["token"], json!({"token": string()})),
        "Organization": organization,
        "OrgNode": object(&["organization", "children"], json!({
            "organization": schema_ref("Organization"), "children": array_of("OrgNode")
        })),
        "OrgAccess": object(&["organization", "role", "via_org"], json!({
            "organization": schema_ref("Organization"), "role": string(), "via_org": string()
        })),
        "MyOrganizations": {"type": "array", "items": object(&["organization", "role", "status"], json!({
            "organization": schema_ref("Organization"), "role": string(),
            "status": one_of(MEMBERSHIP_STATUS)
        }))},
        "OrgRoles": {"type": "array", "items": object(
            &["code", "name", "permissions", "is_system", "is_default"],
            json!({
                "code": string(), "name": string(), "permissions": strings(),
                "is_system": boolean(), "is_default": boolean()
            }),
        )},
        "Membership": membership,
        "Members": {"type": "array", "items": member},
        "Invitation": invitation,
        "Invitations": array_of("Invitation")
    })
}

/// RBAC administration, applications, audit.
fn admin_schemas() -> Value {
    let application = object(
        &[
            "id",
            "name",
            "description",
            "access_key",
            "is_active",
            "allowed_origins",
            "created_at",
            "secret_rotated_at",
        ],
        json!({
            "id": string(), "name": string(), "description": string(), "access_key": string(),
            "is_active": boolean(), "allowed_origins": strings(), "created_at": int(),
            "secret_rotated_at": nullable_int()
        }),
    );
    let entry = object(
        &[
            "id", "at", "action", "outcome", "user_id", "actor", "org_id", "agent_id", "ip",
            "app_id", "trace_id", "code", "details",
        ],
        json!({
            "id": string(), "at": int(), "action": string(),
            "outcome": one_of(&["success", "failure"]),
            "user_id": nullable_string(), "actor": nullable_string(), "org_id": nullable_string(),
            "agent_id": nullable_string(), "ip": nullable_string(), "app_id": nullable_string(),
            "trace_id": nullable_string(), "code": nullable_string(), "details": any()
        }),
    );
    json!({
        "PermissionChange": input(&["permission"], json!({"permission": string()})),
        // `rbac::RoleDef` / `PermissionDef` of the policy document.
        "Roles": {"type": "array", "items": object(
            &["code", "permissions", "inherits", "is_default", "name"],
            json!({
                "code": string(), "permissions": strings(), "inherits": strings(),
                "is_default": boolean(), "name": string()
            }),
        )},
        "Permissions": {"type": "array", "items": object(
            &["code", "parent", "description"],
            json!({"code": string(), "parent": nullable_string(), "description": string()}),
        )},
        "UserGrants": object(&["user_id", "roles", "permissions", "effective_permissions"], json!({
            "user_id": string(), "roles": strings(), "permissions": strings(),
            "effective_permissions": strings()
        })),
        "CreateApplication": input(&["name"], json!({
            "name": string(), "description": string(), "allowed_origins": strings()
        })),
        "Application": application,
        "Applications": array_of("Application"),
        "ApplicationCredentials": object(&["application", "access_secret"], json!({
            "application": schema_ref("Application"), "access_secret": string()
        })),
        "AuditEntry": entry,
        "AuditPage": object(&["items", "next_cursor"], json!({
            "items": array_of("AuditEntry"), "next_cursor": nullable_string()
        }))
    })
}
