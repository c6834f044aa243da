//! The one error type of the core.
//!
//! Every failure carries a stable snake_case [`ErrorCode`] (public contract: bindings,
//! the CLI's `--jsonl` output and the HTTP layer all expose the same strings) and a
//! [`Category`] that bindings map to their own exception hierarchy. This file is the one
//! place where the codes are listed; `docs/error-codes.md` mirrors it and a test keeps the
//! two in step.

use std::borrow::Cow;
use std::fmt;

/// What kind of failure an error is; bindings map categories to exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// A token (JWT) failed verification.
    Token,
    /// Key material is malformed, too weak, or does not fit the algorithm.
    Key,
    /// A stored password hash is malformed, unsupported or unsafe, or a password broke policy.
    Password,
    /// A one-time code was wrong, replayed, expired or malformed.
    Otp,
    /// Settings are unknown, invalid or contradictory.
    Config,
    /// An AI-agent token decision: denied, suspended, throttled, or awaiting human approval.
    Agent,
    /// The caller passed input of the wrong shape.
    Input,
    /// Something that should not fail did (e.g. the system random source).
    Internal,
    /// An authorization check denied access or a rule refused an operation (permissions,
    /// roles, organizations, memberships, invitations).
    Authz,
    /// The host could not perform an operation (its store, its mailer, an outbound HTTP
    /// call); the core failed closed.
    Store,
    /// An account-level flow refused: credentials, lockout, 2FA, sessions, refresh tokens,
    /// applications, rate limits.
    Auth,
}

impl Category {
    /// The stable snake_case name of the category.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Token => "token",
            Category::Key => "key",
            Category::Password => "password",
            Category::Otp => "otp",
            Category::Config => "config",
            Category::Agent => "agent",
            Category::Input => "input",
            Category::Internal => "internal",
            Category::Authz => "authz",
            Category::Store => "store",
            Category::Auth => "auth",
        }
    }
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $cat:ident; )*) => {
        /// Stable error codes. The string form (`as_str`) is public contract.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The stable snake_case string of this code.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $name, )* }
            }

            /// The category this code belongs to.
            pub fn category(self) -> Category {
                match self { $( ErrorCode::$variant => Category::$cat, )* }
            }

            /// Parses the string form back into a code.
            pub fn parse(name: &str) -> Option<ErrorCode> {
                match name { $( $name => Some(ErrorCode::$variant), )* _ => None }
            }
        }
    };
}

error_codes! {
    // --- tokens ---
    /// Not a well-formed compact JWS (segments, base64url, UTF-8, JSON, header fields).
    Malformed = "malformed", Token;
    /// The token is longer than the configured cap; nothing else was parsed.
    TokenTooLarge = "token_too_large", Token;
    /// The header's `alg` is not in the caller's allowlist (`none` never is).
    AlgNotAllowed = "alg_not_allowed", Token;
    /// No configured key matches the token's `kid` (or no key fits the algorithm).
    KeyNotFound = "key_not_found", Token;
    /// The signature does not verify.
    InvalidSignature = "invalid_signature", Token;
    /// The header lists a critical extension this library does not understand.
    UnsupportedCrit = "unsupported_crit", Token;
    /// `exp` has passed (leeway included).
    Expired = "expired", Token;
    /// `nbf` (or `iat`) lies in the future (leeway included).
    NotYetValid = "not_yet_valid", Token;
    /// `iss` differs from the configured issuer (absent: `missing_claim`).
    InvalidIssuer = "invalid_issuer", Token;
    /// `aud` does not contain the configured audience, or no audience was configured for a
    /// token that names one (absent: `missing_claim`).
    InvalidAudience = "invalid_audience", Token;
    /// A required claim is absent.
    MissingClaim = "missing_claim", Token;
    /// A claim has the wrong JSON type or a value out of range, or differs from the expected value.
    InvalidClaim = "invalid_claim", Token;
    /// The header's `typ` differs from the expected token type.
    InvalidType = "invalid_type", Token;

    // --- keys ---
    /// The key material cannot be parsed, or its type does not fit the algorithm.
    InvalidKey = "invalid_key", Key;
    /// The key is too weak for its algorithm (short HMAC secret, RSA under 2048 bits).
    WeakKey = "weak_key", Key;

    // --- passwords ---
    /// A stored password hash is malformed.
    InvalidHash = "invalid_hash", Password;
    /// A stored password hash is in a format this library does not verify.
    UnsupportedHash = "unsupported_hash", Password;
    /// A stored hash asks for parameters outside the safe bounds; no work was done.
    UnsafeHashParameters = "unsafe_hash_parameters", Password;
    /// The password is longer than the algorithm can take without truncation (bcrypt: 72 bytes).
    PasswordTooLong = "password_too_long", Password;
    /// The password breaks the password policy; `details.violations` lists the rules.
    WeakPassword = "weak_password", Password;
    /// The password equals one in the user's recent history.
    PasswordReused = "password_reused", Password;

    // --- one-time codes ---
    /// The one-time code is wrong.
    InvalidCode = "invalid_code", Otp;
    /// The code was already used (its time step is at or before the last accepted one).
    Replayed = "replayed", Otp;
    /// The code is not an ASCII digit string of the configured length.
    InvalidFormat = "invalid_format", Otp;
    /// The shared secret is malformed (bad base32) or too short.
    InvalidSecret = "invalid_secret", Otp;
    /// The code's lifetime is over.
    CodeExpired = "code_expired", Otp;
    /// The attempt limit for this code is used up.
    TooManyAttempts = "too_many_attempts", Otp;

    // --- settings ---
    /// A settings key does not exist; the message names the nearest valid key.
    UnknownSetting = "unknown_setting", Config;
    /// A settings value has the wrong type or is out of range.
    InvalidSetting = "invalid_setting", Config;
    /// Two or more settings contradict each other.
    ConflictingSettings = "conflicting_settings", Config;

    // --- rbac ---
    /// An RBAC policy document is inconsistent (unknown parent, cycle, duplicate code).
    InvalidPolicy = "invalid_policy", Config;
    /// The subject lacks the required permission.
    PermissionRequired = "permission_required", Authz;
    /// The subject lacks one or more of several required permissions.
    PermissionsRequired = "permissions_required", Authz;
    /// The subject lacks the required role (or every one of the accepted roles).
    RoleRequired = "role_required", Authz;
    /// The subject lacks one or more of several required roles.
    RolesRequired = "roles_required", Authz;
    // --- organizations ---
    /// Organizations are disabled in the settings (`organizations.enabled`).
    OrgDisabled = "org_disabled", Authz;
    /// No organization has this id (or a record names a parent that does not exist).
    OrgNotFound = "org_not_found", Authz;
    /// The organization, or one of its ancestors, is inactive.
    OrgInactive = "org_inactive", Authz;
    /// The operation would put an organization deeper than `organizations.max_depth` allows.
    OrgDepthExceeded = "org_depth_exceeded", Authz;
    /// The parent links form a cycle, or a move would create one.
    OrgCycle = "org_cycle", Authz;
    /// The organization is at its member limit (active and pending members, open invitations).
    OrgMemberLimit = "org_member_limit", Authz;
    /// The actor lacks the organization permission or role the operation needs.
    OrgPermissionDenied = "org_permission_denied", Authz;
    /// No organization role has this code.
    OrgRoleNotFound = "org_role_not_found", Authz;
    /// The operation would leave the organization without an active owner.
    OrgLastOwner = "org_last_owner", Authz;
    /// The user already has a membership in the organization.
    AlreadyMember = "already_member", Authz;
    /// A pending invitation for this email already exists in the organization.
    AlreadyInvited = "already_invited", Authz;
    /// The user has no membership in the organization.
    NotAMember = "not_a_member", Authz;
    /// The invitation token does not match, or the invitation was declined or revoked.
    InvitationInvalid = "invitation_invalid", Authz;
    /// The invitation's lifetime is over.
    InvitationExpired = "invitation_expired", Authz;
    /// The invitation was already accepted.
    InvitationUsed = "invitation_used", Authz;
    /// The accepting user's email is not the invited one.
    InvitationEmailMismatch = "invitation_email_mismatch", Authz;
    /// An organization role definition is malformed (code, name or a permission entry).
    InvalidRole = "invalid_role", Authz;
    /// Another organization already uses this slug.
    OrgSlugTaken = "org_slug_taken", Authz;
    /// The route works in an organization and the request names none (`X-Org-Slug`).
    OrgContextRequired = "org_context_required", Authz;
    // --- agents ---
    /// AI-agent tokens (AIRS) are switched off (`agents.enabled` is false).
    AirsDisabled = "airs_disabled", Agent;
    /// No agent token has the presented token's hash.
    AgentTokenNotFound = "agent_token_not_found", Agent;
    /// The agent token (or an ancestor in its delegation chain) is suspended.
    AgentTokenSuspended = "agent_token_suspended", Agent;
    /// The agent token (or an ancestor in its delegation chain) is revoked.
    AgentTokenRevoked = "agent_token_revoked", Agent;
    /// The agent token (or an ancestor in its delegation chain) has expired.
    AgentTokenExpired = "agent_token_expired", Agent;
    /// The dead man's switch fired: no heartbeat within the token's interval.
    HeartbeatMissing = "heartbeat_missing", Agent;
    /// Too many requests in the sliding minute; retry after `details.retry_after` seconds.
    RateLimited = "rate_limited", Agent;
    /// The token's lifetime request cap is used up.
    RequestLimitReached = "request_limit_reached", Agent;
    /// The token's denied-request cap is used up.
    FailureLimitReached = "failure_limit_reached", Agent;
    /// The token's (or an ancestor's) spend budget is used up or a charge would exceed it.
    BudgetExceeded = "budget_exceeded", Agent;
    /// The agent's grant, an ancestor's grant or the human's current permissions lack the permission.
    AgentPermissionDenied = "agent_permission_denied", Agent;
    /// A token would carry more than its delegator holds (permissions, lifetime, limits, budget).
    ScopeExceedsDelegator = "scope_exceeds_delegator", Agent;
    /// A sub-token would be deeper in its delegation chain than allowed.
    DelegationTooDeep = "delegation_too_deep", Agent;
    /// The action needs a human's approval first (a pending action was created).
    ApprovalRequired = "approval_required", Agent;
    /// The confirmation does not belong to this action, agent token or request.
    ConfirmationMismatch = "confirmation_mismatch", Agent;
    /// The confirmation was already used (or the action already decided).
    ConfirmationUsed = "confirmation_used", Agent;
    /// The human denied the action.
    ConfirmationDenied = "confirmation_denied", Agent;
    /// The pending action's lifetime is over.
    ConfirmationExpired = "confirmation_expired", Agent;
    /// Only the human who delegated the token may do this.
    NotDelegatingUser = "not_delegating_user", Agent;
    /// A reported cost is negative, malformed or out of range.
    InvalidCost = "invalid_cost", Agent;
    /// No pending action has this id (or it was purged after its retention).
    PendingActionNotFound = "pending_action_not_found", Agent;
    /// The presented agent token matches no agent token (or its delegation chain is broken):
    /// an authentication failure (401), unlike `agent_token_not_found` for a token id.
    AgentTokenInvalid = "agent_token_invalid", Agent;

    // --- breach check ---
    /// The password appears in a known data breach (Have I Been Pwned range query).
    PasswordBreached = "password_breached", Password;
    /// The breach check could not be completed and the settings say to refuse then.
    BreachCheckUnavailable = "breach_check_unavailable", Password;

    // --- store and flow driver ---
    /// The host's store reported a failure for an operation; the flow stopped and nothing
    /// was granted (fail closed).
    StoreUnavailable = "store_unavailable", Store;
    /// The host could not deliver an email or SMS; the flow reports it rather than pretend it was sent.
    DeliveryFailed = "delivery_failed", Store;
    /// An outbound HTTP request failed (transport error or timeout).
    UpstreamUnavailable = "upstream_unavailable", Store;

    // --- accounts and flows ---
    /// The identifier or password is wrong (never says which).
    InvalidCredentials = "invalid_credentials", Auth;
    /// Too many failed logins: the account is locked; `details.retry_after` says for how long.
    AccountLocked = "account_locked", Auth;
    /// The account is deactivated or not yet activated.
    AccountInactive = "account_inactive", Auth;
    /// The account has 2FA enabled and no code was given.
    MfaRequired = "mfa_required", Auth;
    /// 2FA is not enabled (or not set up) for this account.
    MfaNotEnabled = "mfa_not_enabled", Auth;
    /// 2FA is already enabled; disable it first.
    MfaAlreadyEnabled = "mfa_already_enabled", Auth;
    /// Another account uses this e-mail address.
    EmailTaken = "email_taken", Auth;
    /// Another account uses this phone number.
    PhoneTaken = "phone_taken", Auth;
    /// No such user (only where saying so leaks nothing).
    UserNotFound = "user_not_found", Auth;
    /// No credentials were presented.
    NotAuthenticated = "not_authenticated", Auth;
    /// The access token was revoked (logout, logout-all, refresh-token reuse, password change).
    TokenRevoked = "token_revoked", Auth;
    /// The session does not exist or has ended.
    SessionNotFound = "session_not_found", Auth;
    /// The refresh token is unknown, expired or revoked.
    RefreshTokenInvalid = "refresh_token_invalid", Auth;
    /// An already-rotated refresh token was presented: its whole family (session) was revoked.
    RefreshTokenReused = "refresh_token_reused", Auth;
    /// The user already has the maximum number of sessions and the limit action is `deny`.
    SessionLimitReached = "session_limit_reached", Auth;
    /// The user already uses the maximum number of devices and the limit action is `deny`.
    DeviceLimitReached = "device_limit_reached", Auth;
    /// A rate limit from the settings is exhausted; `details.retry_after` says when to try again.
    TooManyRequests = "too_many_requests", Auth;
    /// The feature is switched off in the settings.
    FeatureDisabled = "feature_disabled", Auth;
    /// The magic link is unknown, used, expired, or bound to another application or device.
    MagicLinkInvalid = "magic_link_invalid", Auth;
    /// The token only grants a restricted scope (`password_change_only`, `2fa_setup_only`).
    ScopeRestricted = "scope_restricted", Auth;
    /// The application key or secret is missing or wrong.
    ApplicationInvalid = "application_invalid", Auth;
    /// The application is deactivated.
    ApplicationDisabled = "application_disabled", Auth;
    /// No such application.
    ApplicationNotFound = "application_not_found", Auth;
    /// The one-time-code challenge is unknown, already used, or belongs to another purpose or user.
    ChallengeInvalid = "challenge_invalid", Auth;
    /// The route needs a verified e-mail address and the user's is not verified.
    EmailNotVerified = "email_not_verified", Auth;
    /// The route needs a verified phone number and the user's is not verified.
    PhoneNotVerified = "phone_not_verified", Auth;

    // --- input and internal ---
    /// An argument or input document has the wrong shape.
    InvalidInput = "invalid_input", Input;
    /// The flow driver was misused: a result of the wrong kind or for a stale sequence
    /// number, a resume before start or after the end, or a flow that stalled.
    FlowProtocol = "flow_protocol", Input;
    /// No route matches the request's path (HTTP 404).
    RouteNotFound = "route_not_found", Input;
    /// The path exists but not for this method (HTTP 405).
    MethodNotAllowed = "method_not_allowed", Input;
    /// The request body is larger than `api.max_body_bytes` (HTTP 413).
    BodyTooLarge = "body_too_large", Input;
    /// An internal failure, such as the system random source being unavailable.
    Internal = "internal", Internal;
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The core's error: a stable code, a human message, and optional structured details.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    code: ErrorCode,
    message: Cow<'static, str>,
    details: Option<serde_json::Value>,
}

impl Error {
    /// An error with a code and a message meant for a developer reading logs.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Attaches structured details (serialised as the `details` member in JSON bodies).
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The category of the code.
    pub fn category(&self) -> Category {
        self.code.category()
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Structured details, when the error has any.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.details.as_ref()
    }

    /// The error as the JSON object every binding and the CLI emit:
    /// `{"code", "category", "message"[, "details"]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("code".into(), self.code.as_str().into());
        map.insert("category".into(), self.category().as_str().into());
        map.insert("message".into(), self.message().into());
        if let Some(d) = &self.details {
            map.insert("details".into(), d.clone());
        }
        serde_json::Value::Object(map)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// Result with the core's error.
pub type Result<T> = std::result::Result<T, Error>;

/// Shorthand used throughout the crate.
pub(crate) fn err(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Error {
    Error::new(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert_eq!(ErrorCode::parse(s), Some(*code));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn docs_list_every_code() {
        let doc = include_str!("../../docs/error-codes.md");
        for code in ErrorCode::ALL {
            let needle = format!("`{}`", code.as_str());
            assert!(doc.contains(&needle), "docs/error-codes.md lacks {needle}");
        }
    }

    #[test]
    fn json_shape() {
        let e =
            err(ErrorCode::Expired, "token expired").with_details(serde_json::json!({"exp": 5}));
        let j = e.to_json();
        assert_eq!(j["code"], "expired");
        assert_eq!(j["category"], "token");
        assert_eq!(j["details"]["exp"], 5);
    }
}
