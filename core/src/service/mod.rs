//! The auth flows over the Store port: register, login, refresh, logout, 2FA, password
//! reset, magic links, one-time codes, applications, agents, organizations, audit and
//! maintenance.
//!
//! An [`Engine`] holds what every flow reads and nobody writes at run time: the settings,
//! the signing keys and the compiled RBAC policy. Each flow is a method that takes its
//! input by value plus a [`RequestContext`] (the time, the client, the application, the
//! trace id) and returns a [`Flow`]; the host drives it over its store
//! ([`crate::drive`]). Nothing here reads a clock or a database: time is `ctx.now`, state
//! is what the store answers.
//!
//! Write order rule (the driver may drop a flow between any two operations): counters and
//! revocations first, then the record that grants, then indexes and audit. Every prefix
//! of a flow's writes leaves the store safe; at worst an index entry points at nothing,
//! and readers treat a dangling entry as absent.

pub mod agents;
pub mod applications;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod breach;
pub mod codes;
pub mod context;
pub mod limits;
pub mod magic_link;
pub mod maintenance;
pub mod mfa;
pub mod orgs;
pub mod otp_login;
pub mod password_flows;
pub mod records;
pub mod second_factor;
pub mod sessions;
pub mod users;
pub mod users_admin;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;

use crate::config::Settings;
use crate::drive::{Flow, StorePort};
use crate::error::Result;
use crate::jwt::KeySet;
use crate::password::{Argon2Params, VerifyOptions};
use crate::rbac::{PolicyDocument, Snapshot};

pub use context::RequestContext;

/// The configured core: settings, keys and the RBAC policy, shared by every flow.
/// Cloning is cheap (one `Arc`), and an engine is `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    keys: KeySet,
    policy: Snapshot,
    document: PolicyDocument,
    argon2: Argon2Params,
    verify: VerifyOptions,
    /// A real hash of a random password under the current parameters: verified against
    /// when the identifier is unknown, so an unknown user costs the same work as a known one.
    dummy_hash: String,
    /// Orders audit events written by this engine within one second (keys sort by time,
    /// then by this sequence). In-process state only; across servers the order within a
    /// second is unspecified.
    event_seq: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("preset", &self.inner.settings.preset)
            .field("keys", &self.inner.keys.keys().len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Validates the settings, compiles the policy and prepares the equal-work hash.
    pub fn new(settings: Settings, keys: KeySet, policy: &PolicyDocument) -> Result<Engine> {
        settings.validate()?;
        let configured = settings.jwt.algorithm;
        match keys.active() {
            None => {
                return Err(crate::error::err(
                    crate::ErrorCode::InvalidKey,
                    "the key set has no active signing key",
                ))
            }
            Some(k) if k.algorithm().is_some_and(|a| a != configured) => {
                return Err(crate::error::err(
                    crate::ErrorCode::InvalidKey,
                    format!(
                        "the active key is for {:?} but jwt.algorithm is {configured:?}",
                        k.algorithm()
                    ),
                ))
            }
            Some(_) => {}
        }
        let document = policy.clone();
        let policy = Snapshot::compile(policy)?;
        let argon2 = settings.argon2_params();
        let verify = settings.password_verify_options();
        let dummy = crate::secret::generate(crate::secret::SecretKind::Refresh)?;
        let dummy_hash = crate::password::hash(dummy.raw(), &argon2)?;
        Ok(Engine {
            inner: Arc::new(Inner {
                settings,
                keys,
                policy,
                document,
                argon2,
                verify,
                dummy_hash,
                event_seq: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// The settings the engine was built with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The signing and verification keys.
    pub fn keys(&self) -> &KeySet {
        &self.inner.keys
    }

    /// The compiled RBAC policy.
    pub fn policy(&self) -> &Snapshot {
        &self.inner.policy
    }

    /// The RBAC policy as it was given (for listing roles and permissions).
    pub fn policy_document(&self) -> &PolicyDocument {
        &self.inner.document
    }

    pub(crate) fn argon2(&self) -> &Argon2Params {
        &self.inner.argon2
    }

    pub(crate) fn verify_options(&self) -> &VerifyOptions {
        &self.inner.verify
    }

    /// A new audit event id: this engine's sequence number (so events of one process keep
    /// their order within a second), then 64 random bits (so ids of servers never collide).
    pub(crate) fn next_event_id(&self) -> Result<String> {
        let seq = self
            .inner
            .event_seq
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let noise = crate::random::bytes::<8>()?;
        Ok(format!("{seq:016x}{}", crate::encoding::hex_encode(&noise)))
    }

    pub(crate) fn dummy_hash(&self) -> &str {
        &self.inner.dummy_hash
    }

    /// Builds a flow from an `async` body that gets the engine and the store port.
    pub(crate) fn flow<T, F, Fut>(&self, body: F) -> Flow<T>
    where
        T: 'static,
        F: FnOnce(Engine, StorePort) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let engine = self.clone();
        Flow::new(move |port| body(engine, port))
    }
}
