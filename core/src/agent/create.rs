//! Creating agent tokens (by a human) and sub-tokens (by delegation, which only narrows).

use ring::digest;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::decision::{AuditEvent, EventKind, RawSecret};
use super::money::{parse_usd, MAX_MICRO_USD};
use super::token::{effective_status, AgentToken, Effective, Limits, TokenStatus};
use super::{check_chain, HumanPermissions};
use crate::config::AgentSettings;
use crate::encoding;
use crate::error::{err, Error, ErrorCode, Result};
use crate::secret::{self, SecretKind, SECRET_BYTES};

/// The deepest a delegation chain may go: a human's token is depth 0, so a chain holds at
/// most four tokens.
pub const MAX_DELEGATION_DEPTH: u8 = 3;
/// The longest agent label.
pub const MAX_AGENT_ID_LEN: usize = 100;
/// The longest permission code.
pub const MAX_PERMISSION_LEN: usize = 100;
/// The most permissions one token may carry.
pub const MAX_PERMISSIONS: usize = 256;

/// Circuit-breaker parameters of a creation request. Absent or `null` takes the settings
/// default; `0` explicitly means no limit (Tenxyte's convention). Unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreakerParams {
    /// Requests per sliding minute.
    #[serde(default)]
    pub max_requests_per_minute: Option<u64>,
    /// Requests over the token's life.
    #[serde(default)]
    pub max_requests_total: Option<u64>,
    /// Denied requests tolerated.
    #[serde(default)]
    pub max_failed_requests: Option<u64>,
}

/// Dead man's switch parameters. Unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadMansSwitchParams {
    /// Heartbeat interval in seconds (Tenxyte's key `heartbeat_required_every` is accepted).
    #[serde(default, alias = "heartbeat_required_every")]
    pub heartbeat_every_secs: Option<u64>,
}

/// Budget parameters: exactly one of the two forms. Unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetParams {
    /// Limit in integer micro-USD.
    #[serde(default)]
    pub limit_micro_usd: Option<u64>,
    /// Limit as a USD decimal string (`"12.50"`), at most six decimals.
    #[serde(default)]
    pub limit_usd: Option<String>,
}

impl BudgetParams {
    fn limit(&self) -> Result<Option<u64>> {
        match (self.limit_micro_usd, &self.limit_usd) {
            (Some(_), Some(_)) => Err(err(
                ErrorCode::InvalidInput,
                "budget: give limit_micro_usd or limit_usd, not both",
            )),
            (Some(m), None) => Ok(Some(m)),
            (None, Some(s)) => parse_usd(s).map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// A human's request for a new agent token (`POST …/ai/tokens/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// Agent label; `"unknown"` when absent (as in Tenxyte).
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The delegating human's user id (the authenticated user, set by the host).
    pub delegated_by: String,
    /// The application the request came through (never a fallback "first application").
    pub application_id: String,
    /// Organization scope.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// Exact permission codes to delegate.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Requested lifetime in seconds; absent takes `agents.default_expiry_secs`.
    #[serde(default)]
    pub expires_in_secs: Option<i64>,
    /// Circuit-breaker limits.
    #[serde(default)]
    pub circuit_breaker: Option<CircuitBreakerParams>,
    /// Dead man's switch.
    #[serde(default)]
    pub dead_mans_switch: Option<DeadMansSwitchParams>,
    /// Budget.
    #[serde(default)]
    pub budget: Option<BudgetParams>,
}

/// An agent's request to delegate part of its token to a sub-agent. The human,
/// application and organization are the parent's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubTokenRequest {
    /// Sub-agent label; `"unknown"` when absent.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// Exact permission codes, a subset of the parent's.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Requested lifetime; never past the parent's expiry.
    #[serde(default)]
    pub expires_in_secs: Option<i64>,
    /// Limits; each at most the parent's (absent inherits the parent's).
    #[serde(default)]
    pub circuit_breaker: Option<CircuitBreakerParams>,
    /// Heartbeat; at most the parent's interval (absent inherits it).
    #[serde(default)]
    pub dead_mans_switch: Option<DeadMansSwitchParams>,
    /// Budget; at most the parent's remaining budget (absent takes all of it).
    #[serde(default)]
    pub budget: Option<BudgetParams>,
}

fn from_json<T: serde::de::DeserializeOwned>(value: &Value, what: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        err(
            ErrorCode::InvalidInput,
            format!("{what}: {path}: {}", e.inner()),
        )
        .with_details(json!({ "path": path }))
    })
}

impl CreateRequest {
    /// Parses a creation request from JSON; unknown keys anywhere are refused, naming them.
    pub fn from_json(value: &Value) -> Result<Self> {
        from_json(value, "agent token request")
    }
}

impl SubTokenRequest {
    /// Parses a sub-token request from JSON; unknown keys anywhere are refused.
    pub fn from_json(value: &Value) -> Result<Self> {
        from_json(value, "sub-token request")
    }
}

/// A freshly created token: the raw value (show it once) and the record to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Created {
    /// The raw `txa_…` token.
    pub raw_token: RawSecret,
    /// The record to store (keyed by `token_hash`).
    pub token: AgentToken,
    /// The `token_created` audit event.
    pub event: AuditEvent,
}

fn disabled() -> Error {
    err(ErrorCode::AirsDisabled, "AI-agent tokens are disabled")
}

fn label(agent_id: Option<&str>) -> Result<String> {
    let label = agent_id.unwrap_or("unknown");
    if label.is_empty()
        || label.chars().count() > MAX_AGENT_ID_LEN
        || label.chars().any(char::is_control)
    {
        return Err(err(
            ErrorCode::InvalidInput,
            format!(
                "agent_id must be 1..={MAX_AGENT_ID_LEN} characters without control characters"
            ),
        ));
    }
    Ok(label.to_owned())
}

/// Checks the shape of requested permission codes and removes duplicates (order kept).
fn clean_permissions(requested: &[String], require_explicit: bool) -> Result<Vec<String>> {
    if requested.is_empty() && require_explicit {
        return Err(err(
            ErrorCode::InvalidInput,
            "an agent token must list the permissions it carries",
        ));
    }
    if requested.len() > MAX_PERMISSIONS {
        return Err(err(
            ErrorCode::InvalidInput,
            format!("at most {MAX_PERMISSIONS} permissions per agent token"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(requested.len());
    for p in requested {
        if p.contains('*') {
            return Err(err(
                ErrorCode::InvalidInput,
                format!(
                    "permission {p:?}: wildcards are not allowed in agent grants; list exact codes"
                ),
            ));
        }
        if p.is_empty()
            || p.len() > MAX_PERMISSION_LEN
            || p.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("permission {p:?} is not a valid permission code"),
            ));
        }
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn not_held(codes: Vec<String>, by: &str) -> Error {
    err(
        ErrorCode::ScopeExceedsDelegator,
        format!("{by} does not hold: {}", codes.join(", ")),
    )
    .with_details(json!({ "permissions": codes }))
}

fn check_human_holds(
    perms: &[String],
    human: &dyn HumanPermissions,
    org: Option<&str>,
) -> Result<()> {
    let missing: Vec<String> = perms
        .iter()
        .filter(|p| !human.holds(p, org))
        .cloned()
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(not_held(missing, "the delegating user"))
    }
}

fn lifetime(requested: Option<i64>, settings: &AgentSettings) -> Result<i64> {
    let max = i64::try_from(settings.max_expiry_secs).unwrap_or(i64::MAX);
    match requested {
        None => Ok(i64::try_from(settings.default_expiry_secs)
            .unwrap_or(i64::MAX)
            .min(max)),
        Some(s) if s <= 0 => Err(err(
            ErrorCode::InvalidInput,
            "expires_in_secs must be a positive number of seconds",
        )),
        Some(s) if s > max => Err(err(
            ErrorCode::InvalidInput,
            format!("expires_in_secs {s} exceeds the maximum of {max} s (agents.max_expiry_secs)"),
        ))
        .map_err(|e: Error| e.with_details(json!({ "max": max }))),
        Some(s) => Ok(s),
    }
}

/// `None` for 0 (no limit), the value otherwise.
fn nonzero(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}

fn limits(params: Option<&CircuitBreakerParams>, settings: &AgentSettings) -> Limits {
    let p = params.cloned().unwrap_or_default();
    Limits {
        max_requests_per_minute: nonzero(
            p.max_requests_per_minute
                .unwrap_or(u64::from(settings.default_max_requests_per_minute)),
        ),
        max_requests_total: nonzero(
            p.max_requests_total
                .unwrap_or(settings.default_max_requests_total),
        ),
        max_failed_requests: nonzero(
            p.max_failed_requests
                .unwrap_or(u64::from(settings.default_max_failed_requests)),
        ),
    }
}

fn check_heartbeat(every: Option<u64>, settings: &AgentSettings) -> Result<Option<u64>> {
    match every {
        Some(e) if e < settings.min_heartbeat_interval_secs.max(1) => Err(err(
            ErrorCode::InvalidInput,
            format!(
                "heartbeat interval {e} s is below the minimum of {} s",
                settings.min_heartbeat_interval_secs.max(1)
            ),
        )),
        other => Ok(other),
    }
}

fn check_budget(limit: Option<u64>, settings: &AgentSettings) -> Result<Option<u64>> {
    match limit {
        Some(0) => Err(err(
            ErrorCode::InvalidInput,
            "a budget must be positive (leave it out for no budget)",
        )),
        Some(b) if b > MAX_MICRO_USD => Err(err(ErrorCode::InvalidInput, "budget is out of range")),
        Some(b) => match settings.max_budget_limit_micro_usd {
            Some(max) if b > max => Err(err(
                ErrorCode::InvalidInput,
                format!("budget {b} µUSD exceeds agents.max_budget_limit_micro_usd ({max})"),
            )),
            _ => Ok(Some(b)),
        },
        // A cap on budgets also caps tokens created without one.
        None => Ok(settings.max_budget_limit_micro_usd),
    }
}

fn token_id(random: &[u8; SECRET_BYTES]) -> String {
    let mut input = b"tenxyte agent token id\0".to_vec();
    input.extend_from_slice(random);
    let h = encoding::hex_encode(digest::digest(&digest::SHA256, &input).as_ref());
    format!("agt_{}", h.get(..24).unwrap_or(&h))
}

fn created(
    token: AgentToken,
    raw: String,
    ancestors: &[AgentToken],
    pii_keys: &[String],
    now: i64,
) -> Created {
    let event = AuditEvent::new(
        EventKind::TokenCreated,
        &token,
        now,
        &json!({
            "permissions": token.granted_permissions,
            "expires_at": token.expires_at,
            "organization_id": token.organization_id,
            "depth": token.depth,
        }),
        pii_keys,
    )
    .with_chain(ancestors)
    .with_actor(&token.delegated_by);
    Created {
        raw_token: RawSecret(raw),
        token,
        event,
    }
}

/// Creates an agent token for the human `human` (who must currently hold every requested
/// permission, in `request.organization_id` when set), with the 32 random bytes of the
/// token supplied (use [`crate::random::bytes`] in production, fixed bytes in vectors).
pub fn create(
    request: &CreateRequest,
    human: &dyn HumanPermissions,
    settings: &AgentSettings,
    pii_keys: &[String],
    now: i64,
    random: &[u8; SECRET_BYTES],
) -> Result<Created> {
    if !settings.enabled {
        return Err(disabled());
    }
    if request.delegated_by.is_empty() || request.application_id.is_empty() {
        return Err(err(
            ErrorCode::InvalidInput,
            "delegated_by and application_id are required",
        ));
    }
    let agent_id = label(request.agent_id.as_deref())?;
    let perms = clean_permissions(&request.permissions, settings.require_explicit_permissions)?;
    let org = request.organization_id.as_deref();
    check_human_holds(&perms, human, org)?;
    let life = lifetime(request.expires_in_secs, settings)?;
    let heartbeat = check_heartbeat(
        request
            .dead_mans_switch
            .as_ref()
            .and_then(|d| d.heartbeat_every_secs)
            .or(settings.default_heartbeat_interval_secs),
        settings,
    )?;
    let requested_budget = match &request.budget {
        Some(b) => b.limit()?,
        None => None,
    };
    let budget = check_budget(
        requested_budget.or(settings.default_budget_limit_micro_usd),
        settings,
    )?;
    let secret = secret::generate_with_random(SecretKind::Agent, random);
    let (raw, hash) = secret.into_parts();
    let token = AgentToken {
        id: token_id(random),
        token_hash: hash,
        agent_id,
        delegated_by: request.delegated_by.clone(),
        application_id: request.application_id.clone(),
        organization_id: request.organization_id.clone(),
        granted_permissions: perms,
        status: TokenStatus::Active,
        suspended_reason: None,
        created_at: now,
        expires_at: now.saturating_add(life),
        revoked_at: None,
        revoked_by: None,
        suspended_at: None,
        limits: limits(request.circuit_breaker.as_ref(), settings),
        heartbeat_every_secs: heartbeat,
        last_heartbeat_at: heartbeat.map(|_| now),
        budget_limit_micro_usd: budget,
        parent_token_id: None,
        depth: 0,
        last_used_at: None,
    };
    Ok(created(token, raw, &[], pii_keys, now))
}

/// `child ≤ parent` where `None` is unlimited; `field` names the limit in errors.
fn narrow(child: Option<u64>, parent: Option<u64>, field: &str) -> Result<Option<u64>> {
    match (child, parent) {
        (None, p) => Ok(p),
        (Some(c), None) => Ok(Some(c)),
        (Some(c), Some(p)) if c <= p => Ok(Some(c)),
        (Some(c), Some(p)) => Err(err(
            ErrorCode::ScopeExceedsDelegator,
            format!("{field} {c} exceeds the parent's {p}"),
        )),
    }
}

/// A requested limit: absent inherits, 0 means "no limit" (refused under a limited parent).
fn requested_limit(v: Option<u64>, parent: Option<u64>, field: &str) -> Result<Option<u64>> {
    match v {
        None => Ok(parent),
        Some(0) if parent.is_some() => Err(err(
            ErrorCode::ScopeExceedsDelegator,
            format!("{field}: a sub-token cannot lift its parent's limit"),
        )),
        Some(0) => Ok(None),
        Some(x) => narrow(Some(x), parent, field),
    }
}

/// Delegates part of `parent` to a sub-agent. The child only narrows: permissions ⊆ the
/// parent's (and still held by the human now), expiry ≤ the parent's, each limit ≤ the
/// parent's, heartbeat interval ≤ the parent's, budget ≤ the parent's remaining budget
/// (`parent_spend_micro_usd` is the parent's spend counter as just read), depth ≤
/// [`MAX_DELEGATION_DEPTH`]. `parent_ancestors` is the parent's chain, parent's parent
/// first; every token in it must be active.
#[allow(clippy::too_many_arguments)]
pub fn create_sub_token(
    parent: &AgentToken,
    parent_ancestors: &[AgentToken],
    request: &SubTokenRequest,
    human: &dyn HumanPermissions,
    settings: &AgentSettings,
    parent_spend_micro_usd: u64,
    pii_keys: &[String],
    now: i64,
    random: &[u8; SECRET_BYTES],
) -> Result<Created> {
    if !settings.enabled {
        return Err(disabled());
    }
    check_chain(parent, parent_ancestors)?;
    for t in std::iter::once(parent).chain(parent_ancestors) {
        if let Effective::Inactive { code, .. } = effective_status(t, now) {
            return Err(err(
                code,
                format!("cannot delegate from token {}: it is not active", t.id),
            ));
        }
    }
    let depth = parent.depth.saturating_add(1);
    if depth > MAX_DELEGATION_DEPTH {
        return Err(err(
            ErrorCode::DelegationTooDeep,
            format!("delegation chains stop at depth {MAX_DELEGATION_DEPTH}"),
        ));
    }
    let agent_id = label(request.agent_id.as_deref())?;
    let perms = clean_permissions(&request.permissions, true)?;
    let outside: Vec<String> = perms
        .iter()
        .filter(|p| !parent.granted_permissions.contains(p))
        .cloned()
        .collect();
    if !outside.is_empty() {
        return Err(not_held(outside, "the parent token"));
    }
    check_human_holds(&perms, human, parent.organization_id.as_deref())?;
    let remaining_life = parent.expires_at.saturating_sub(now);
    let expires_at = match request.expires_in_secs {
        None => now.saturating_add(lifetime(None, settings)?.min(remaining_life)),
        Some(s) => {
            let s = lifetime(Some(s), settings)?;
            if s > remaining_life {
                return Err(err(
                    ErrorCode::ScopeExceedsDelegator,
                    format!(
                        "expires_in_secs {s} outlives the parent token ({remaining_life} s left)"
                    ),
                ));
            }
            now.saturating_add(s)
        }
    };
    let cb = request.circuit_breaker.clone().unwrap_or_default();
    let pl = parent.limits;
    let limits = Limits {
        max_requests_per_minute: requested_limit(
            cb.max_requests_per_minute,
            pl.max_requests_per_minute,
            "max_requests_per_minute",
        )?,
        max_requests_total: requested_limit(
            cb.max_requests_total,
            pl.max_requests_total,
            "max_requests_total",
        )?,
        max_failed_requests: requested_limit(
            cb.max_failed_requests,
            pl.max_failed_requests,
            "max_failed_requests",
        )?,
    };
    let heartbeat = narrow(
        request
            .dead_mans_switch
            .as_ref()
            .and_then(|d| d.heartbeat_every_secs),
        parent.heartbeat_every_secs,
        "heartbeat interval",
    )?;
    let heartbeat = check_heartbeat(heartbeat, settings)?;
    let requested_budget = match &request.budget {
        Some(b) => b.limit()?,
        None => None,
    };
    let budget = match parent.budget_limit_micro_usd {
        Some(limit) => {
            let remaining = limit.saturating_sub(parent_spend_micro_usd);
            if remaining == 0 {
                return Err(err(
                    ErrorCode::BudgetExceeded,
                    "the parent token has no budget left to delegate",
                ));
            }
            match requested_budget {
                Some(b) if b > remaining => {
                    return Err(err(
                        ErrorCode::ScopeExceedsDelegator,
                        format!("budget {b} µUSD exceeds the parent's remaining {remaining} µUSD"),
                    ))
                }
                Some(b) => check_budget(Some(b), settings)?,
                None => Some(remaining),
            }
        }
        None => check_budget(requested_budget, settings)?,
    };
    let secret = secret::generate_with_random(SecretKind::Agent, random);
    let (raw, hash) = secret.into_parts();
    let token = AgentToken {
        id: token_id(random),
        token_hash: hash,
        agent_id,
        delegated_by: parent.delegated_by.clone(),
        application_id: parent.application_id.clone(),
        organization_id: parent.organization_id.clone(),
        granted_permissions: perms,
        status: TokenStatus::Active,
        suspended_reason: None,
        created_at: now,
        expires_at,
        revoked_at: None,
        revoked_by: None,
        suspended_at: None,
        limits,
        heartbeat_every_secs: heartbeat,
        last_heartbeat_at: heartbeat.map(|_| now),
        budget_limit_micro_usd: budget,
        parent_token_id: Some(parent.id.clone()),
        depth,
        last_used_at: None,
    };
    let mut chain = vec![parent.clone()];
    chain.extend_from_slice(parent_ancestors);
    Ok(created(token, raw, &chain, pii_keys, now))
}
