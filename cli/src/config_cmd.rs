//! `tenxyte config`: show a preset with overrides, or check a settings file.

use crate::CliResult;
use tenxyte_core::config::{Preset, Settings};
use tenxyte_core::{Error, ErrorCode};

/// `tenxyte config show [--preset P] [--file F]`.
pub fn show(preset: Option<&str>, file: Option<&str>) -> CliResult<String> {
    let settings = match (preset, file) {
        (_, Some(path)) => Settings::from_json(&crate::read_text(path)?)?,
        (Some(name), None) => Settings::preset(Preset::parse(name).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidSetting,
                format!("unknown preset {name:?}; expected development, medium or robust"),
            )
        })?),
        (None, None) => Settings::default(),
    };
    Ok(settings.to_json_pretty()?)
}
