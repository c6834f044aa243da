//! The engine, its flows and the embedded stores.
//!
//! A [`Flow`] is one suspended core flow. Python drives it either
//! - in Rust, over an embedded store: `flow.run(store)` runs the whole loop with the
//!   interpreter detached (the store is a `MemoryStore` or `SqliteStore` wrapped in an
//!   `Outbox` whose message log the store object keeps), or
//! - step by step, over any Python store: `start()` / `resume(seq, result)` exchange the
//!   operation and result dicts of `docs/store.md`; `tenxyte_core._drive` is that loop.
//!
//! Every flow's output is converted to JSON-compatible Python values once it finishes;
//! `result()` returns it or raises the flow's error as a `TenxyteError` subclass.

use std::sync::{Mutex, TryLockError};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use serde::Serialize;
use serde_json::Value;

use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::drive::{Flow as CoreFlow, Step};
use tenxyte_core::http::guard::{GuardDecision, Requirement};
use tenxyte_core::http::Request;
use tenxyte_core::jwt::Key;
use tenxyte_core::rbac::PolicyDocument;
use tenxyte_core::service::{Engine as CoreEngine, RequestContext};
use tenxyte_core::store::{Op, OpResult, SyncStore};
use tenxyte_core::{http, Error, ErrorCode};
use tenxyte_stores::{ManualClock, MessageLog, Outbox};

use crate::clock::now_secs;
use crate::convert::{from_py, to_py, to_value};
use crate::errors::{guard, internal, invalid, to_pyerr, IntoPy};
use crate::flows;
use crate::primitives::KeySet;

fn protocol(message: &str) -> Error {
    Error::new(ErrorCode::FlowProtocol, message.to_owned())
}

pub(crate) fn encode<T: Serialize>(value: T) -> Result<Out, Error> {
    serde_json::to_value(value).map(Out::Json).map_err(internal)
}

// ----- erased flows ---------------------------------------------------------------------

/// A finished flow's output, before conversion to Python.
#[derive(Clone)]
pub(crate) enum Out {
    Json(Value),
    Response(http::Response),
    Guard(GuardDecision),
}

enum Stepped {
    Need(u32, Op),
    Done,
}

/// A core flow with its output type erased (a pyclass cannot be generic).
pub(crate) trait Erased: Send {
    fn start(&mut self) -> Result<Step<Out>, Error>;
    fn resume(&mut self, seq: u32, result: OpResult) -> Result<Step<Out>, Error>;
    fn run(&mut self, store: &mut dyn SyncStore) -> Result<Out, Error>;
    fn transcript(&self) -> Vec<(Op, OpResult)>;
}

struct Typed<T> {
    flow: CoreFlow<T>,
    convert: fn(T) -> Result<Out, Error>,
}

impl<T: 'static> Typed<T> {
    fn map(&self, step: Step<T>) -> Step<Out> {
        match step {
            Step::Need { seq, op } => Step::Need { seq, op },
            Step::Done(result) => Step::Done(result.and_then(self.convert)),
        }
    }
}

impl<T: 'static> Erased for Typed<T> {
    fn start(&mut self) -> Result<Step<Out>, Error> {
        let step = self.flow.start()?;
        Ok(self.map(step))
    }

    fn resume(&mut self, seq: u32, result: OpResult) -> Result<Step<Out>, Error> {
        let step = self.flow.resume(seq, result)?;
        Ok(self.map(step))
    }

    fn run(&mut self, mut store: &mut dyn SyncStore) -> Result<Out, Error> {
        self.flow.run(&mut store).and_then(self.convert)
    }

    fn transcript(&self) -> Vec<(Op, OpResult)> {
        self.flow.transcript().to_vec()
    }
}

pub(crate) fn erase<T: 'static>(
    flow: CoreFlow<T>,
    convert: fn(T) -> Result<Out, Error>,
) -> Box<dyn Erased> {
    Box::new(Typed { flow, convert })
}

struct FlowState {
    flow: Box<dyn Erased>,
    /// The output (or error) once the flow finished.
    outcome: Option<Result<Out, Error>>,
    started: bool,
}

impl FlowState {
    fn record(&mut self, step: Step<Out>) -> Stepped {
        match step {
            Step::Need { seq, op } => Stepped::Need(seq, op),
            Step::Done(result) => {
                self.outcome = Some(result);
                Stepped::Done
            }
        }
    }
}

/// One suspended flow. Drive it with `run(store)` (embedded store, in Rust) or with
/// `start()` / `resume(seq, result)` (any store, in Python), then read `result()`.
#[pyclass(frozen, module = "tenxyte_core._native")]
pub struct Flow {
    state: Mutex<FlowState>,
    /// The time the flow runs at (Unix seconds): embedded stores expire records by it.
    now: i64,
    name: &'static str,
}

impl Flow {
    fn new(flow: Box<dyn Erased>, now: i64, name: &'static str) -> Flow {
        Flow {
            state: Mutex::new(FlowState {
                flow,
                outcome: None,
                started: false,
            }),
            now,
            name,
        }
    }

    /// The state, or `flow_protocol` when another thread is driving this flow right now
    /// (waiting could deadlock against a thread that needs the interpreter).
    fn with_state<R>(
        &self,
        f: impl FnOnce(&mut FlowState) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mut guard_ = match self.state.try_lock() {
            Ok(g) => g,
            Err(TryLockError::WouldBlock) => {
                return Err(protocol("the flow is being driven by another call"))
            }
            // A panic while driving was already turned into an error by `guard`; the
            // state is whole (every mutation is a single assignment).
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
        };
        f(&mut guard_)
    }
}

fn op_to_py<'py>(py: Python<'py>, seq: u32, op: &Op) -> PyResult<Bound<'py, PyAny>> {
    let op = serde_json::to_value(op).map_err(internal).py_err(py)?;
    Ok(PyTuple::new(py, [seq.into_pyobject(py)?.into_any(), to_py(py, &op)?])?.into_any())
}

fn response_to_py<'py>(py: Python<'py>, r: &http::Response) -> PyResult<Bound<'py, PyAny>> {
    let headers = PyList::empty(py);
    for (k, v) in &r.headers {
        headers.append((k, v))?;
    }
    Ok(PyTuple::new(
        py,
        [
            r.status.into_pyobject(py)?.into_any(),
            headers.into_any(),
            PyBytes::new(py, &r.body).into_any(),
        ],
    )?
    .into_any())
}

fn out_to_py<'py>(py: Python<'py>, out: &Out) -> PyResult<Bound<'py, PyAny>> {
    match out {
        Out::Json(v) => to_py(py, v),
        Out::Response(r) => response_to_py(py, r),
        // `("allow", principal)` or `("respond", (status, headers, body))`.
        Out::Guard(GuardDecision::Allow { principal }) => {
            let v = serde_json::to_value(principal)
                .map_err(internal)
                .py_err(py)?;
            Ok(
                PyTuple::new(py, ["allow".into_pyobject(py)?.into_any(), to_py(py, &v)?])?
                    .into_any(),
            )
        }
        Out::Guard(GuardDecision::Respond { response }) => Ok(PyTuple::new(
            py,
            [
                "respond".into_pyobject(py)?.into_any(),
                response_to_py(py, response)?,
            ],
        )?
        .into_any()),
    }
}

#[pymethods]
impl Flow {
    /// Runs the flow to its first operation: `(seq, op)`, or `None` when it finished at
    /// once (read `result()`).
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let stepped = self
            .with_state(|s| {
                if s.started {
                    return Err(protocol("the flow was already started"));
                }
                let step = guard(|| s.flow.start())?;
                s.started = true;
                Ok(s.record(step))
            })
            .py_err(py)?;
        match stepped {
            Stepped::Need(seq, op) => op_to_py(py, seq, &op).map(Some),
            Stepped::Done => Ok(None),
        }
    }

    /// Hands in the result dict of operation `seq` (`{"got": ...}`, `{"put": ...}`, …,
    /// `{"failed": {"message": ...}}`); returns the next `(seq, op)` or `None` when the
    /// flow finished. A refused result (`flow_protocol`) leaves the flow unchanged.
    fn resume<'py>(
        &self,
        py: Python<'py>,
        seq: u32,
        result: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let result: OpResult = guard(|| {
            serde_json::from_value(to_value(result)?)
                .map_err(|e| protocol(&format!("not a store result (docs/store.md): {e}")))
        })
        .py_err(py)?;
        let stepped = self
            .with_state(|s| {
                if s.outcome.is_some() {
                    return Err(protocol("the flow has already finished"));
                }
                let step = guard(|| s.flow.resume(seq, result))?;
                Ok(s.record(step))
            })
            .py_err(py)?;
        match stepped {
            Stepped::Need(seq, op) => op_to_py(py, seq, &op).map(Some),
            Stepped::Done => Ok(None),
        }
    }

    /// The output of the finished flow; raises its error as a `TenxyteError` subclass.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let outcome = self
            .with_state(|s| {
                s.outcome
                    .clone()
                    .ok_or_else(|| protocol("the flow has not finished"))
            })
            .py_err(py)?;
        match outcome {
            Ok(out) => out_to_py(py, &out),
            Err(e) => Err(to_pyerr(py, &e)),
        }
    }

    /// Drives the whole flow over an embedded store (`MemoryStore` or `SqliteStore`) with
    /// the interpreter detached, and returns `result()`.
    fn run<'py>(&self, py: Python<'py>, store: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let mut host = EmbeddedHost::of(store)?;
        let now = self.now;
        let ran = py.detach(|| {
            self.with_state(|s| {
                if s.started {
                    return Err(protocol("the flow was already started"));
                }
                s.started = true;
                host.clock.set(now);
                let result = guard(|| host.run(s.flow.as_mut()));
                s.outcome = Some(result);
                Ok(())
            })
        });
        ran.py_err(py)?;
        self.result(py)
    }

    /// Every `[op, result]` pair answered so far (compare transcripts across bindings).
    fn transcript<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pairs = self.with_state(|s| Ok(s.flow.transcript())).py_err(py)?;
        let v = serde_json::to_value(pairs).map_err(internal).py_err(py)?;
        to_py(py, &v)
    }

    /// True once the flow finished (done or failed).
    #[getter]
    fn finished(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_state(|s| Ok(s.outcome.is_some())).py_err(py)
    }

    /// The time the flow runs at.
    #[getter]
    fn now(&self) -> i64 {
        self.now
    }

    fn __repr__(&self) -> String {
        format!("Flow({}, now={})", self.name, self.now)
    }
}

// ----- embedded stores ------------------------------------------------------------------

enum Backend {
    Memory(tenxyte_stores::MemoryStore),
    Sqlite(tenxyte_stores::SqliteStore),
}

/// An embedded store borrowed for one flow: its backend, message log and clock.
struct EmbeddedHost {
    backend: Backend,
    log: MessageLog,
    clock: ManualClock,
}

impl EmbeddedHost {
    fn of(store: &Bound<'_, PyAny>) -> PyResult<EmbeddedHost> {
        if let Ok(m) = store.cast::<MemoryStore>() {
            let m = m.get();
            return Ok(EmbeddedHost {
                backend: Backend::Memory(m.store.clone()),
                log: m.log.clone(),
                clock: m.clock.clone(),
            });
        }
        if let Ok(s) = store.cast::<SqliteStore>() {
            let s = s.get();
            return Ok(EmbeddedHost {
                backend: Backend::Sqlite(s.store.clone()),
                log: s.log.clone(),
                clock: s.clock.clone(),
            });
        }
        Err(pyo3::exceptions::PyTypeError::new_err(
            "Flow.run needs a MemoryStore or SqliteStore; drive other stores with tenxyte_core.drive(flow, store)",
        ))
    }

    fn run(&mut self, flow: &mut dyn Erased) -> Result<Out, Error> {
        match &self.backend {
            Backend::Memory(m) => flow.run(&mut Outbox::with_log(m.clone(), self.log.clone())),
            Backend::Sqlite(s) => flow.run(&mut Outbox::with_log(s.clone(), self.log.clone())),
        }
    }

    fn execute(&self, op: &Op) -> OpResult {
        match &self.backend {
            Backend::Memory(m) => Outbox::with_log(m.clone(), self.log.clone()).execute(op),
            Backend::Sqlite(s) => Outbox::with_log(s.clone(), self.log.clone()).execute(op),
        }
    }
}

fn messages_to_py<'py>(py: Python<'py>, log: &MessageLog) -> PyResult<Bound<'py, PyAny>> {
    let items: Vec<Value> = log
        .messages()
        .into_iter()
        .map(|m| {
            let mut v = serde_json::to_value(&m.message).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert("id".into(), m.id.into());
            }
            v
        })
        .collect();
    to_py(py, &Value::Array(items))
}

fn execute_to_py<'py>(
    py: Python<'py>,
    host: EmbeddedHost,
    op: &Bound<'py, PyAny>,
    now: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let op: Op = guard(|| {
        serde_json::from_value(to_value(op)?)
            .map_err(|e| invalid(format!("not a store operation (docs/store.md): {e}")))
    })
    .py_err(py)?;
    host.clock.set(now.unwrap_or_else(now_secs));
    let result = py.detach(|| host.execute(&op));
    let v = serde_json::to_value(result).map_err(internal).py_err(py)?;
    to_py(py, &v)
}

/// The in-process store (thread-safe; data lives as long as the object). Messages the
/// flows send (verification codes, links) are logged, not delivered: read `messages()`.
#[pyclass(frozen, module = "tenxyte_core._native")]
pub struct MemoryStore {
    store: tenxyte_stores::MemoryStore,
    log: MessageLog,
    clock: ManualClock,
}

#[pymethods]
impl MemoryStore {
    #[new]
    fn new() -> Self {
        let clock = ManualClock::at(now_secs());
        MemoryStore {
            store: tenxyte_stores::MemoryStore::with_manual_clock(&clock),
            log: MessageLog::new(),
            clock,
        }
    }

    /// Every message the flows sent through this store, oldest first (dicts with `id`,
    /// `channel`, `to`, `template`, `subject`, `text`, `data`).
    fn messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        messages_to_py(py, &self.log)
    }

    /// Runs one operation dict of `docs/store.md` and returns its result dict.
    #[pyo3(signature = (op, *, now=None))]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        op: &Bound<'py, PyAny>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let host = EmbeddedHost {
            backend: Backend::Memory(self.store.clone()),
            log: self.log.clone(),
            clock: self.clock.clone(),
        };
        execute_to_py(py, host, op, now)
    }

    /// Drops expired records; returns how many.
    fn purge_expired(&self) -> usize {
        self.store.purge_expired()
    }

    fn __len__(&self) -> usize {
        self.store.len()
    }

    fn __repr__(&self) -> String {
        format!("MemoryStore(records={})", self.store.len())
    }
}

/// One SQLite database file (WAL mode; safe across threads and processes), or a private
/// in-memory database for `":memory:"`. Messages are logged as in `MemoryStore`.
#[pyclass(frozen, module = "tenxyte_core._native")]
pub struct SqliteStore {
    store: tenxyte_stores::SqliteStore,
    log: MessageLog,
    clock: ManualClock,
}

#[pymethods]
impl SqliteStore {
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let clock = ManualClock::at(now_secs());
        let reader = clock.clone();
        let opened = py.detach(move || {
            guard(|| {
                if path.as_os_str() == ":memory:" {
                    tenxyte_stores::SqliteStore::open_in_memory(move || reader.now())
                } else {
                    tenxyte_stores::SqliteStore::open(&path, move || reader.now())
                }
            })
        });
        let store = opened.py_err(py)?;
        Ok(SqliteStore {
            store,
            log: MessageLog::new(),
            clock,
        })
    }

    /// Every message the flows sent through this store, oldest first.
    fn messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        messages_to_py(py, &self.log)
    }

    /// Runs one operation dict of `docs/store.md` and returns its result dict.
    #[pyo3(signature = (op, *, now=None))]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        op: &Bound<'py, PyAny>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let host = EmbeddedHost {
            backend: Backend::Sqlite(self.store.clone()),
            log: self.log.clone(),
            clock: self.clock.clone(),
        };
        execute_to_py(py, host, op, now)
    }

    /// Deletes expired rows; returns how many.
    fn purge_expired(&self, py: Python<'_>) -> PyResult<usize> {
        let store = self.store.clone();
        py.detach(move || guard(|| store.purge_expired()))
            .py_err(py)
    }

    fn __repr__(&self) -> String {
        "SqliteStore(...)".to_owned()
    }
}

// ----- the engine -----------------------------------------------------------------------

/// The configured core (settings, keys, RBAC policy). It holds no store: each method
/// returns a [`Flow`] for the caller to drive.
#[pyclass(frozen, module = "tenxyte_core._native")]
pub struct Engine {
    engine: CoreEngine,
}

fn settings_of(settings: Option<Value>, preset: Option<&str>) -> Result<Settings, Error> {
    let mut doc = match settings {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid("settings must be a dict")),
    };
    if let Some(p) = preset {
        if doc.contains_key("preset") {
            return Err(Error::new(
                ErrorCode::ConflictingSettings,
                "give the preset either as preset= or inside settings, not both",
            ));
        }
        doc.insert("preset".into(), p.into());
    }
    Settings::from_value(Value::Object(doc))
}

pub(crate) fn parse_request<T: serde::de::DeserializeOwned>(
    value: Option<Value>,
    what: &str,
) -> Result<T, Error> {
    let value = match value {
        None | Some(Value::Null) => Value::Object(serde_json::Map::new()),
        Some(v) => v,
    };
    serde_json::from_value(value).map_err(|e| invalid(format!("invalid {what} request: {e}")))
}

#[pymethods]
impl Engine {
    /// Builds the engine. `settings` overrides the preset's values (it may name the
    /// preset itself); `keys` must hold a signing key for `jwt.algorithm`; without
    /// `keys`, the development preset gets a fresh random key (tokens then die with the
    /// process) and every other preset is refused. `policy` is an RBAC policy document
    /// (default: Tenxyte's).
    #[new]
    #[pyo3(signature = (settings=None, *, preset=None, keys=None, policy=None))]
    fn new(
        py: Python<'_>,
        settings: Option<&Bound<'_, PyAny>>,
        preset: Option<&str>,
        keys: Option<&KeySet>,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Engine> {
        let settings =
            guard(|| settings_of(settings.map(to_value).transpose()?, preset)).py_err(py)?;
        let policy: PolicyDocument = match policy {
            None => PolicyDocument::tenxyte_default(),
            Some(p) => guard(|| parse_request(Some(to_value(p)?), "policy document")).py_err(py)?,
        };
        let keys =
            match keys {
                Some(k) => k.inner.clone(),
                None if settings.preset == Preset::Development => {
                    let (key, _) = guard(|| Key::generate(settings.jwt.algorithm)).py_err(py)?;
                    tenxyte_core::jwt::KeySet::single(key)
                }
                None => return Err(Error::new(
                    ErrorCode::InvalidKey,
                    "keys= is required (only the development preset generates an ephemeral key)",
                ))
                .py_err(py),
            };
        // Building hashes a dummy password (argon2): detach.
        let engine = py
            .detach(move || guard(|| CoreEngine::new(settings, keys, &policy)))
            .py_err(py)?;
        Ok(Engine { engine })
    }

    /// A flow by name: every public flow of the core's `service::Engine`
    /// (`FLOW_NAMES`). `token` is the bearer access token (the refresh token for
    /// `refresh`, the raw agent token for the agent-side flows); `request` is the flow's
    /// request dict; `params` are the ids and slugs it takes, in the order of the core
    /// method's arguments. A wrong name, a missing input or one the flow does not take
    /// is `invalid_input`.
    #[pyo3(signature = (name, *, now, token=None, request=None, params=None, ip=None,
                        user_agent=None, app_id=None, trace_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn flow(
        &self,
        py: Python<'_>,
        name: &str,
        now: i64,
        token: Option<String>,
        request: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
        ip: Option<String>,
        user_agent: Option<String>,
        app_id: Option<String>,
        trace_id: Option<String>,
    ) -> PyResult<Flow> {
        let ctx = RequestContext {
            now,
            ip,
            user_agent,
            app_id,
            trace_id,
        };
        let (flow, name) = guard(|| {
            let body = request.map(to_value).transpose()?;
            let params = match params.map(to_value).transpose()? {
                None | Some(Value::Null) => Vec::new(),
                Some(v) => serde_json::from_value(v)
                    .map_err(|_| invalid(format!("{name}: params must be a list of strings")))?,
            };
            flows::build(&self.engine, name, token, body, params, ctx)
        })
        .py_err(py)?;
        Ok(Flow::new(flow, now, name))
    }

    /// The HTTP API: one request as a flow whose result is `(status, headers, body)`.
    #[pyo3(signature = (method, path, *, now, query=String::new(), headers=Vec::new(),
                        body=None, client_ip=None))]
    #[allow(clippy::too_many_arguments)]
    fn http(
        &self,
        method: String,
        path: String,
        now: i64,
        query: String,
        headers: Vec<(String, String)>,
        body: Option<&[u8]>,
        client_ip: Option<String>,
    ) -> Flow {
        let req = Request {
            method,
            path,
            query,
            headers,
            body: body.map(<[u8]>::to_vec).unwrap_or_default(),
            client_ip,
        };
        let flow = self.engine.handle(req, now);
        Flow::new(erase(flow, |r| Ok(Out::Response(r))), now, "http")
    }

    /// The guard for a host's own routes (docs/http.md): one request and its
    /// requirements (dicts such as `{"type": "permission", "code": "content.edit"}`) as a
    /// flow whose result is `("allow", principal)` or `("respond", (status, headers,
    /// body))`, the response the API itself would give.
    #[pyo3(signature = (method, path, *, now, requirements, query=String::new(),
                        headers=Vec::new(), body=None, client_ip=None))]
    #[allow(clippy::too_many_arguments)]
    fn guard(
        &self,
        py: Python<'_>,
        method: String,
        path: String,
        now: i64,
        requirements: &Bound<'_, PyAny>,
        query: String,
        headers: Vec<(String, String)>,
        body: Option<&[u8]>,
        client_ip: Option<String>,
    ) -> PyResult<Flow> {
        let requirements: Vec<Requirement> =
            guard(|| from_py(requirements, "guard requirements")).py_err(py)?;
        let req = Request {
            method,
            path,
            query,
            headers,
            body: body.map(<[u8]>::to_vec).unwrap_or_default(),
            client_ip,
        };
        let flow = self.engine.guard(req, requirements, now);
        Ok(Flow::new(erase(flow, |d| Ok(Out::Guard(d))), now, "guard"))
    }

    /// The settings in force, every key present.
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = guard(|| self.engine.settings().to_value()).py_err(py)?;
        to_py(py, &v)
    }

    /// `value` as an agent may see it: the PII members redacted with
    /// `agents.redact_pii`, `None` when redaction is off (send the original).
    fn redact_for_agent<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let v = guard(|| to_value(value)).py_err(py)?;
        match self.engine.redact_for_agent(&v) {
            Some(out) => to_py(py, &out).map(Some),
            None => Ok(None),
        }
    }

    /// The public signing keys as a JWKS (what `/.well-known/jwks.json` serves).
    fn jwks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.engine.keys().to_jwks())
    }

    /// The OpenAPI 3 document of the HTTP API.
    fn openapi<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &http::openapi::document(&self.engine))
    }

    fn __repr__(&self) -> String {
        format!(
            "Engine(preset={:?})",
            self.engine.settings().preset.as_str()
        )
    }
}

/// Registers the engine classes on the module.
pub fn register(m: &Bound<'_, pyo3::types::PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<Flow>()?;
    m.add_class::<MemoryStore>()?;
    m.add_class::<SqliteStore>()?;
    let names: Vec<&str> = flows::FLOWS.iter().map(|(n, _)| *n).collect();
    m.add("FLOW_NAMES", PyTuple::new(m.py(), names)?)?;
    Ok(())
}
