//! The pure agent-token policy (`tenxyte_core::agent`), for hosts that keep their own
//! agent records and want the core's decision without the Engine's store.
//!
//! Records cross as the core's serde form (dicts); the decision comes back as the core's
//! JSON. The only state is the host's counters: [`agent_authorize`] calls a Python
//! callable for each planned `incr`, or the host drives [`agent_begin`] / [`agent_decide`]
//! itself. Everything here is cheap (no hashing beyond SHA-256), so the interpreter stays
//! attached, which the counter callback needs anyway.

use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use serde_json::{Map, Value};

use tenxyte_core::agent::{
    self, AgentRequest, AgentToken, AuthorizeContext, ChargeBegin, Cost, CounterIncrement,
    CounterValues, DelegatingHuman, Effective, PendingAction, RequestPlan,
};
use tenxyte_core::config::{AgentSettings, Settings};
use tenxyte_core::rbac::{PolicyDocument, Snapshot, Subject};
use tenxyte_core::secret::SECRET_BYTES;
use tenxyte_core::Error;

use crate::convert::{from_py, from_value, to_py, to_value};
use crate::errors::{guard, internal, invalid, IntoPy};
use crate::primitives::Policy;

/// Tenxyte's default policy, compiled once.
fn default_policy() -> Result<Arc<Snapshot>, Error> {
    static DEFAULT: OnceLock<Result<Arc<Snapshot>, Error>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Snapshot::compile(&PolicyDocument::tenxyte_default()).map(Arc::new))
        .clone()
}

/// The last settings built, by their inputs: building validates a whole settings
/// document (most of a call's cost), and a host passes the same section on every call.
type SettingsKey = (Option<String>, Option<Value>);
static LAST_SETTINGS: Mutex<Option<(SettingsKey, AgentSettings)>> = Mutex::new(None);

/// The preset's agent settings with `overrides` merged in, validated like the Engine's.
fn agent_settings(overrides: Option<Value>, preset: Option<&str>) -> Result<AgentSettings, Error> {
    let key: SettingsKey = (preset.map(str::to_owned), overrides);
    // A poisoned lock only loses the cache: build afresh.
    if let Ok(last) = LAST_SETTINGS.lock() {
        if let Some((k, s)) = last.as_ref() {
            if *k == key {
                return Ok(s.clone());
            }
        }
    }
    let built = build_settings(key.1.clone(), preset)?;
    if let Ok(mut last) = LAST_SETTINGS.lock() {
        *last = Some((key, built.clone()));
    }
    Ok(built)
}

fn build_settings(overrides: Option<Value>, preset: Option<&str>) -> Result<AgentSettings, Error> {
    let mut doc = Map::new();
    if let Some(p) = preset {
        doc.insert("preset".into(), p.into());
    }
    match overrides {
        None | Some(Value::Null) => {}
        Some(o @ Value::Object(_)) => {
            doc.insert("agents".into(), o);
        }
        Some(_) => return Err(invalid("settings must be a dict (the agents section)")),
    }
    Ok(Settings::from_value(Value::Object(doc))?.agents)
}

/// The delegating human: the core's own rule ([`DelegatingHuman`]) over a shared policy.
type HostHuman = DelegatingHuman<Arc<Snapshot>>;

/// `{"roles", "permissions", "is_superuser", "is_active"}` (`is_active` defaults to true,
/// the rest to empty/false), or `None` for a user that no longer exists.
fn parse_human(obj: &Bound<'_, PyAny>) -> Result<(Option<Subject>, bool), Error> {
    match to_value(obj)? {
        Value::Null => Ok((None, false)),
        Value::Object(mut map) => {
            let active = match map.remove("is_active") {
                None => true,
                Some(Value::Bool(b)) => b,
                Some(_) => return Err(invalid("human.is_active must be a bool")),
            };
            let subject: Subject = from_value(Value::Object(map), "human")?;
            Ok((Some(subject), active))
        }
        _ => Err(invalid(
            "human is a dict {\"roles\", \"permissions\", \"is_superuser\", \"is_active\"} or None",
        )),
    }
}

/// Every input of a decision, converted from Python.
struct Inputs {
    token: AgentToken,
    ancestors: Vec<AgentToken>,
    human: HostHuman,
    settings: AgentSettings,
    pii_keys: Vec<String>,
    request: AgentRequest,
    pending: Option<PendingAction>,
}

impl Inputs {
    fn context(&self) -> AuthorizeContext<'_> {
        AuthorizeContext {
            token: &self.token,
            ancestors: &self.ancestors,
            human: &self.human,
            settings: &self.settings,
            pii_keys: &self.pii_keys,
            request: &self.request,
            pending_action: self.pending.as_ref(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn inputs(
    token: &Bound<'_, PyAny>,
    request: &Bound<'_, PyAny>,
    human: &Bound<'_, PyAny>,
    ancestors: Option<&Bound<'_, PyAny>>,
    settings: Option<&Bound<'_, PyAny>>,
    preset: Option<&str>,
    policy: Option<&Bound<'_, Policy>>,
    pending_action: Option<&Bound<'_, PyAny>>,
) -> Result<Inputs, Error> {
    let ancestors = match ancestors {
        Some(a) => from_py(a, "ancestors (a list of agent-token records)")?,
        None => Vec::new(),
    };
    let pending = match pending_action {
        Some(p) if !p.is_none() => Some(from_py(p, "pending action")?),
        _ => None,
    };
    let policy = match policy {
        Some(p) => Arc::clone(&p.get().snapshot),
        None => default_policy()?,
    };
    Ok(Inputs {
        token: from_py(token, "agent token")?,
        ancestors,
        human: {
            let (subject, active) = parse_human(human)?;
            DelegatingHuman::new(policy, subject, active)
        },
        settings: agent_settings(settings.map(to_value).transpose()?, preset)?,
        pii_keys: agent::default_pii_keys(),
        request: from_py(request, "agent request")?,
        pending,
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(internal)
}

/// Phase one: `{"step": "decided", "decision"}` or `{"step": "count", "plan"}`.
#[pyfunction]
#[pyo3(signature = (token, request, *, human, now, ancestors=None, settings=None, preset=None,
    policy=None, pending_action=None))]
#[allow(clippy::too_many_arguments)]
pub fn agent_begin<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    request: &Bound<'py, PyAny>,
    human: &Bound<'py, PyAny>,
    now: i64,
    ancestors: Option<&Bound<'py, PyAny>>,
    settings: Option<&Bound<'py, PyAny>>,
    preset: Option<&str>,
    policy: Option<&Bound<'py, Policy>>,
    pending_action: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| {
        let i = inputs(
            token,
            request,
            human,
            ancestors,
            settings,
            preset,
            policy,
            pending_action,
        )?;
        json(&agent::begin(&i.context(), now)?)
    })
    .py_err(py)?;
    to_py(py, &v)
}

/// Phase two: the decision on the values the planned `incr`s returned (by key).
#[pyfunction]
#[pyo3(signature = (token, request, plan, values, *, human, ancestors=None, settings=None,
    preset=None, policy=None, pending_action=None))]
#[allow(clippy::too_many_arguments)]
pub fn agent_decide<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    request: &Bound<'py, PyAny>,
    plan: &Bound<'py, PyAny>,
    values: &Bound<'py, PyAny>,
    human: &Bound<'py, PyAny>,
    ancestors: Option<&Bound<'py, PyAny>>,
    settings: Option<&Bound<'py, PyAny>>,
    preset: Option<&str>,
    policy: Option<&Bound<'py, Policy>>,
    pending_action: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| {
        let i = inputs(
            token,
            request,
            human,
            ancestors,
            settings,
            preset,
            policy,
            pending_action,
        )?;
        let plan: RequestPlan = from_py(plan, "request plan")?;
        let values: CounterValues = from_py(values, "counter values (a dict of key to int)")?;
        let random = tenxyte_core::random::bytes::<SECRET_BYTES>()?;
        Ok(agent::decide(&i.context(), &plan, &values, &random)?.to_json())
    })
    .py_err(py)?;
    to_py(py, &v)
}

/// Both phases, calling `counters(ns, key, delta, ttl_secs) -> int` for each planned
/// increment. An exception raised by `counters` propagates unchanged.
#[pyfunction]
#[pyo3(signature = (token, request, *, human, counters, now, ancestors=None, settings=None,
    preset=None, policy=None, pending_action=None))]
#[allow(clippy::too_many_arguments)]
pub fn agent_authorize<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    request: &Bound<'py, PyAny>,
    human: &Bound<'py, PyAny>,
    counters: &Bound<'py, PyAny>,
    now: i64,
    ancestors: Option<&Bound<'py, PyAny>>,
    settings: Option<&Bound<'py, PyAny>>,
    preset: Option<&str>,
    policy: Option<&Bound<'py, Policy>>,
    pending_action: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut raised: Option<PyErr> = None;
    let result = guard(|| {
        let i = inputs(
            token,
            request,
            human,
            ancestors,
            settings,
            preset,
            policy,
            pending_action,
        )?;
        let random = tenxyte_core::random::bytes::<SECRET_BYTES>()?;
        let incr = |op: &CounterIncrement| -> Result<i64, Error> {
            call_counter(counters, op).map_err(|e| match e {
                CounterFailure::Raised(e) => {
                    raised = Some(e);
                    internal("the counters callable raised")
                }
                CounterFailure::NotInt(e) => e,
            })
        };
        Ok(agent::authorize(&i.context(), now, incr, &random)?.to_json())
    });
    if let Some(e) = raised {
        return Err(e);
    }
    to_py(py, &result.py_err(py)?)
}

/// A copy of `value` with the members named by `keys` (default: the core's PII list)
/// replaced by `"***REDACTED***"`, through nested dicts and lists.
#[pyfunction]
#[pyo3(signature = (value, keys=None))]
pub fn agent_redact<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyAny>,
    keys: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| {
        let keys = keys.unwrap_or_else(agent::default_pii_keys);
        Ok(agent::redact(&to_value(value)?, &keys))
    })
    .py_err(py)?;
    to_py(py, &v)
}

/// The core's default PII key list (what `agent_redact` uses without `keys`).
#[pyfunction]
pub fn agent_default_pii_keys() -> Vec<String> {
    agent::default_pii_keys()
}

/// The token's status at `now`: `{"active", "code", "update", "suspended"}` (`update` is
/// the record to persist when the status changed lazily at `now`).
#[pyfunction]
pub fn agent_effective_status<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    now: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| {
        let t: AgentToken = from_py(token, "agent token")?;
        Ok(match agent::effective_status(&t, now) {
            Effective::Active => serde_json::json!({
                "active": true, "code": null, "update": null, "suspended": null,
            }),
            Effective::Inactive {
                code,
                update,
                suspended,
            } => serde_json::json!({
                "active": false,
                "code": code.as_str(),
                "update": json(&update)?,
                "suspended": json(&suspended)?,
            }),
        })
    })
    .py_err(py)?;
    to_py(py, &v)
}

/// A usage report of `cost` (integer micro-USD, or USD as a decimal string or a float),
/// charged with `counters` to the token and every ancestor: the decision (`allow`, or
/// `deny` / `suspend` with the take-back increments among `changes`).
#[pyfunction]
#[pyo3(signature = (token, cost, *, counters, now, ancestors=None, settings=None, preset=None))]
#[allow(clippy::too_many_arguments)]
pub fn agent_charge<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    cost: &Bound<'py, PyAny>,
    counters: &Bound<'py, PyAny>,
    now: i64,
    ancestors: Option<&Bound<'py, PyAny>>,
    settings: Option<&Bound<'py, PyAny>>,
    preset: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut raised: Option<PyErr> = None;
    let result = guard(|| {
        let token: AgentToken = from_py(token, "agent token")?;
        let ancestors: Vec<AgentToken> = match ancestors {
            Some(a) => from_py(a, "ancestors (a list of agent-token records)")?,
            None => Vec::new(),
        };
        let cost: Cost = from_py(cost, "cost")?;
        let settings = agent_settings(settings.map(to_value).transpose()?, preset)?;
        let plan = match agent::charge_begin(&token, &ancestors, &cost, &settings, now)? {
            ChargeBegin::Decided { decision } => return Ok(decision.to_json()),
            ChargeBegin::Count { plan } => plan,
        };
        let mut values = CounterValues::new();
        for op in &plan.increments {
            let v = call_counter(counters, op).map_err(|e| match e {
                CounterFailure::Raised(e) => {
                    raised = Some(e);
                    internal("the counters callable raised")
                }
                CounterFailure::NotInt(e) => e,
            })?;
            values.insert(op.key.clone(), v);
        }
        let pii = agent::default_pii_keys();
        Ok(agent::charge_decide(&token, &ancestors, &plan, &values, &pii)?.to_json())
    });
    if let Some(e) = raised {
        return Err(e);
    }
    to_py(py, &result.py_err(py)?)
}

enum CounterFailure {
    Raised(PyErr),
    NotInt(Error),
}

fn call_counter(counters: &Bound<'_, PyAny>, op: &CounterIncrement) -> Result<i64, CounterFailure> {
    let returned = counters
        .call1((op.ns.as_str(), op.key.as_str(), op.delta, op.ttl_secs))
        .map_err(CounterFailure::Raised)?;
    returned.extract::<i64>().map_err(|_| {
        CounterFailure::NotInt(invalid(format!(
            "counters({:?}, {:?}, ...) must return an int",
            op.ns, op.key
        )))
    })
}

/// A human's lifecycle operation on a token they delegated: `suspend`, `reactivate` or
/// `revoke`; `{"token", "event", "changes"}`.
#[pyfunction]
pub fn agent_lifecycle<'py>(
    py: Python<'py>,
    op: &str,
    token: &Bound<'py, PyAny>,
    actor: &str,
    now: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| {
        let t: AgentToken = from_py(token, "agent token")?;
        let pii = agent::default_pii_keys();
        let tr = match op {
            "suspend" => agent::suspend(&t, actor, now, &pii)?,
            "reactivate" => agent::reactivate(&t, actor, now, &pii)?,
            "revoke" => agent::revoke(&t, actor, now, &pii)?,
            other => {
                return Err(invalid(format!(
                    "unknown lifecycle operation {other:?} (suspend, reactivate, revoke)"
                )))
            }
        };
        json(&tr)
    })
    .py_err(py)?;
    to_py(py, &v)
}

/// The agent's heartbeat (only an effectively active token may send one).
#[pyfunction]
pub fn agent_heartbeat<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    now: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| {
        let t: AgentToken = from_py(token, "agent token")?;
        json(&agent::heartbeat(&t, now, &agent::default_pii_keys())?)
    })
    .py_err(py)?;
    to_py(py, &v)
}

/// The delegating human's decision on a pending action: `confirm` or `deny`;
/// `{"action", "changes"}`.
#[pyfunction]
pub fn agent_decide_action<'py>(
    py: Python<'py>,
    op: &str,
    action: &Bound<'py, PyAny>,
    token: &Bound<'py, PyAny>,
    actor: &str,
    now: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let v = guard(|| {
        let a: PendingAction = from_py(action, "pending action")?;
        let t: AgentToken = from_py(token, "agent token")?;
        let pii = agent::default_pii_keys();
        let tr = match op {
            "confirm" => agent::confirm(&a, &t, actor, now, &pii)?,
            "deny" => agent::deny(&a, &t, actor, now, &pii)?,
            other => {
                return Err(invalid(format!(
                    "unknown action decision {other:?} (confirm, deny)"
                )))
            }
        };
        json(&tr)
    })
    .py_err(py)?;
    to_py(py, &v)
}

/// Registers the agent-policy functions on the module.
pub fn register(m: &Bound<'_, pyo3::types::PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(agent_begin, m)?)?;
    m.add_function(wrap_pyfunction!(agent_decide, m)?)?;
    m.add_function(wrap_pyfunction!(agent_authorize, m)?)?;
    m.add_function(wrap_pyfunction!(agent_redact, m)?)?;
    m.add_function(wrap_pyfunction!(agent_default_pii_keys, m)?)?;
    m.add_function(wrap_pyfunction!(agent_effective_status, m)?)?;
    m.add_function(wrap_pyfunction!(agent_charge, m)?)?;
    m.add_function(wrap_pyfunction!(agent_lifecycle, m)?)?;
    m.add_function(wrap_pyfunction!(agent_heartbeat, m)?)?;
    m.add_function(wrap_pyfunction!(agent_decide_action, m)?)?;
    Ok(())
}
