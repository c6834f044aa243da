#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Flow tests over a small in-crate store (the embedded stores live in another crate);
//! end-to-end tests on MemoryStore and SqliteStore are in `stores/tests`.

use super::Engine;
use crate::config::{Preset, Settings};
use crate::jwt::{Algorithm, Key, KeySet};
use crate::rbac::PolicyDocument;
use crate::ErrorCode;

#[test]
fn an_engine_refuses_keys_that_do_not_fit_the_configured_algorithm() {
    let settings = Settings::preset(Preset::Development); // HS256
    let policy = PolicyDocument::tenxyte_default();
    let (ed, _) = Key::generate(Algorithm::EdDSA).unwrap();
    let e = Engine::new(settings.clone(), KeySet::single(ed), &policy).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidKey);
    let e = Engine::new(settings.clone(), KeySet::new(), &policy).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidKey);
    let hs = Key::hmac(&[1u8; 32], Algorithm::HS256).unwrap();
    assert!(Engine::new(settings, KeySet::single(hs), &policy).is_ok());
}
