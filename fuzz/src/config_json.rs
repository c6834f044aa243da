//! `config_json`: `Settings::from_json` on arbitrary text.
//!
//! Oracles: never panics; errors are settings errors (`unknown_setting`,
//! `invalid_setting`, `conflicting_settings`) with documented codes; an `Ok` passes
//! `validate()`, and its `to_json_pretty()` output reads back to equal settings (the
//! `tenxyte config show` round trip).

use tenxyte_core::config::Settings;
use tenxyte_core::ErrorCode;

use crate::common::assert_code;

/// The libFuzzer entry point.
pub fn check(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = check_text(text);
    }
}

/// Parses `text` as a settings document, asserts the oracles and returns the settings.
pub fn check_text(text: &str) -> Option<Settings> {
    match Settings::from_json(text) {
        Ok(settings) => {
            settings
                .validate()
                .expect("from_json returned settings that do not validate");
            let shown = settings.to_json_pretty().expect("settings serialise");
            let back = Settings::from_json(&shown).expect("shown settings read back");
            assert_eq!(back, settings, "to_json_pretty does not round-trip");
            Some(settings)
        }
        Err(e) => {
            assert_code(
                &e,
                &[
                    ErrorCode::UnknownSetting,
                    ErrorCode::InvalidSetting,
                    ErrorCode::ConflictingSettings,
                ],
                "Settings::from_json",
            );
            None
        }
    }
}
