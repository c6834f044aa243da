//! Tenxyte Core: authentication and authorization logic, once, for every host.
//!
//! Everything in this crate is pure: time comes in as a value (`now`, Unix seconds),
//! randomness through [`random`], and nothing here touches a clock, a file or a socket.
//! See `DESIGN.md` in the repository for the layering rules.
//!
//! Modules:
//! - [`agent`]: AI-agent tokens (AIRS): delegation, per-request decisions, budgets, approvals.
//! - [`jwt`]: strict JWS/JWT signing and verification, typed keys, key sets and JWKS.
//! - [`password`]: argon2id hashing, legacy (Django, Tenxyte, bcrypt) verification, policy,
//!   breach-check helpers, backup codes.
//! - [`otp`]: HOTP/TOTP, `otpauth://` URIs and QR codes, numeric email/SMS codes.
//! - [`secret`]: opaque random tokens with a kind prefix, hashed at rest.
//! - [`rbac`]: permission tree, roles with inheritance, compiled snapshots, guards.
//! - [`config`]: the settings struct, presets and overrides.
//! - [`org`]: organizations as pure decisions: tree, org roles, inherited permissions, members, invitations.
//! - [`store`]: the Store port (operations, results, the consistency contract) and
//!   [`store::keys`], the one place for namespaces and key layouts.
//! - [`drive`]: the resumable flow driver: `async fn` flows over the Store port, stepped
//!   by any host (`start` → `Need{seq, op}` → `resume(seq, result)` → `Done`).
//! - [`service`]: the auth, agent and organization flows over the Store port ([`service::Engine`]).
//! - [`http`]: the framework-agnostic HTTP API (`Request` → flow → `Response`), its route
//!   table and OpenAPI document.
//! - [`batch`]: the JSON request/response forms of the verifiers (CLI `--jsonl`, vectors).
#![forbid(unsafe_code)]
// The OpenAPI component table is one large `json!` literal.
#![recursion_limit = "512"]

pub mod agent;
pub mod batch;
pub mod config;
pub mod drive;
pub mod encoding;
pub mod error;
pub mod http;
pub mod json;
pub mod jwt;
pub mod org;
pub mod otp;
pub mod password;
pub mod random;
pub mod rbac;
pub mod secret;
pub mod service;
pub mod store;

mod ct;

pub use error::{Category, Error, ErrorCode, Result};
