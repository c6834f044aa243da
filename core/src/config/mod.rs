//! Settings: one serde struct, built from a preset plus overrides.
//!
//! ```text
//! {"preset": "robust", "jwt": {"access_token_lifetime_secs": 600}, "webauthn": {"enabled": false}}
//! ```
//!
//! - [`Preset`] picks every value (`development`, `medium`, `robust`; Tenxyte's "Shortcut
//!   Secure Mode", as one system). A document without `preset` gets [`DEFAULT_PRESET`]
//!   (`medium`): `development` relaxes security and is only ever chosen explicitly.
//! - Overrides are partial nested objects merged onto the preset; arrays and scalars
//!   replace whole. Durations are integer seconds (`_secs`), money integer micro-USD.
//! - An unknown key is `unknown_setting` naming the full dotted path and the nearest valid
//!   key; a wrong type or range is `invalid_setting` naming the path; contradictions are
//!   `conflicting_settings` naming both keys. `details` carries `path`/`paths`,
//!   `suggestion` or `expected`, and `check` (the rule that fired).
//!
//! The constructors validate. `Deserialize` alone does not (it is what they use after
//! merging); call [`Settings::validate`] on settings obtained any other way.
//! `docs/settings.md` maps every field to its Tenxyte `TENXYTE_*` name.

mod agents;
mod errors;
mod http;
mod jwt;
mod lockout;
mod mfa;
mod overrides;
mod password;
mod preset;
mod sessions;
mod suggest;
mod validate;
mod wiring;

pub use agents::{AgentSettings, OrganizationSettings, RateLimitBreach};
pub use http::{
    ApiSettings, ApplicationAuthSettings, AuditSettings, CorsSettings, FrameOptions,
    SecurityHeadersSettings,
};
pub use jwt::{JwtAlgorithm, JwtSettings, RefreshCookieSettings, SameSite};
pub use lockout::{ClientIpSettings, LockoutSettings, PathRateRule, RateLimitSettings, RateWindow};
pub use mfa::{
    BackupCodeSettings, MagicLinkSettings, OtpSettings, TotpAlgorithm, TotpSettings,
    UserVerification, WebauthnSettings,
};
pub use password::{Argon2Settings, BreachCheckSettings, PasswordSettings};
pub use preset::Preset;
pub use sessions::{DeviceSettings, LimitAction, SessionSettings};

use crate::error::Result;
use errors::invalid;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The preset a settings document gets when it names none.
pub const DEFAULT_PRESET: Preset = Preset::Medium;

/// Every setting of the core, grouped by feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The preset these settings started from; later layers use it to know "development".
    pub preset: Preset,
    /// Access and refresh tokens.
    pub jwt: JwtSettings,
    /// Password policy, history and hashing cost.
    pub password: PasswordSettings,
    /// Breached-password check.
    pub breach_check: BreachCheckSettings,
    /// Account lockout.
    pub lockout: LockoutSettings,
    /// Per-endpoint rate limits.
    pub rate_limit: RateLimitSettings,
    /// Client-IP derivation behind proxies.
    pub client_ip: ClientIpSettings,
    /// Authenticator-app codes.
    pub totp: TotpSettings,
    /// E-mail and SMS codes.
    pub otp: OtpSettings,
    /// Recovery codes.
    pub backup_codes: BackupCodeSettings,
    /// Magic-link login.
    pub magic_link: MagicLinkSettings,
    /// Passkeys.
    pub webauthn: WebauthnSettings,
    /// Concurrent-session limit.
    pub sessions: SessionSettings,
    /// Device limit.
    pub devices: DeviceSettings,
    /// Audit trail.
    pub audit: AuditSettings,
    /// Response security headers.
    pub security_headers: SecurityHeadersSettings,
    /// CORS.
    pub cors: CorsSettings,
    /// Application (client) credentials.
    pub application_auth: ApplicationAuthSettings,
    /// The HTTP API layer.
    pub api: ApiSettings,
    /// AI-agent tokens (AIRS).
    pub agents: AgentSettings,
    /// Organizations.
    pub organizations: OrganizationSettings,
}

impl Default for Settings {
    /// The [`DEFAULT_PRESET`] settings.
    fn default() -> Self {
        Settings::preset(DEFAULT_PRESET)
    }
}

fn parse_preset(value: &Value) -> Result<Preset> {
    let names = || Preset::ALL.iter().map(|p| p.as_str());
    match value.as_str() {
        Some(name) => Preset::parse(name).ok_or_else(|| {
            let hint = suggest::nearest(name, names()).unwrap_or("medium");
            invalid(
                "preset",
                &format!("unknown preset \"{name}\"; expected one of development, medium, robust (did you mean \"{hint}\"?)"),
            )
        }),
        None => Err(invalid(
            "preset",
            "expected a string: one of development, medium, robust",
        )),
    }
}

fn as_object(doc: Value) -> Result<Map<String, Value>> {
    match doc {
        Value::Object(map) => Ok(map),
        _ => Err(invalid(".", "expected a JSON object at the top level")),
    }
}

impl Settings {
    /// The full settings of a preset (always valid; a test checks every preset).
    pub fn preset(preset: Preset) -> Settings {
        preset::settings_for(preset)
    }

    /// Parses a settings document (`{"preset": …, …overrides}`) strictly — duplicate keys
    /// are refused at any depth — and builds validated settings from it.
    pub fn from_json(text: &str) -> Result<Settings> {
        let doc = crate::json::parse_strict(text.as_bytes(), crate::json::DEFAULT_MAX_DEPTH)
            .map_err(|e| invalid(".", &format!("not a valid settings document: {e}")))?;
        Settings::from_value(doc)
    }

    /// Builds validated settings from an already parsed document. `preset` is optional
    /// ([`DEFAULT_PRESET`]); every other member overrides the preset's value.
    pub fn from_value(doc: Value) -> Result<Settings> {
        let mut doc = as_object(doc)?;
        let preset = match doc.remove("preset") {
            Some(v) => parse_preset(&v)?,
            None => DEFAULT_PRESET,
        };
        let settings = overrides::apply(&Settings::preset(preset), &doc)?;
        settings.validate()?;
        Ok(settings)
    }

    /// These settings with partial `overrides` merged in, validated. The preset cannot
    /// change here (it was chosen when the settings were built); a `preset` member is
    /// accepted only when it names the current one.
    pub fn with_overrides(self, overrides: Value) -> Result<Settings> {
        let mut doc = as_object(overrides)?;
        if let Some(v) = doc.remove("preset") {
            if parse_preset(&v)? != self.preset {
                return Err(invalid(
                    "preset",
                    &format!(
                        "the preset is chosen when settings are built (Settings::preset or from_json); these settings use \"{}\"",
                        self.preset.as_str()
                    ),
                ));
            }
        }
        let settings = overrides::apply(&self, &doc)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks ranges and contradictions (see `validate.rs` for the list of rules).
    pub fn validate(&self) -> Result<()> {
        validate::validate(self)
    }

    /// True when these settings come from the development preset.
    pub fn is_development(&self) -> bool {
        self.preset == Preset::Development
    }

    /// The settings as a JSON value (every key present; unset options are `null`).
    pub fn to_value(&self) -> Result<Value> {
        overrides::to_value(self)
    }

    /// Pretty-printed JSON for `tenxyte config show`; `from_json` reads it back unchanged.
    pub fn to_json_pretty(&self) -> Result<String> {
        let value = self.to_value()?;
        serde_json::to_string_pretty(&value).map_err(|e| {
            crate::error::err(
                crate::error::ErrorCode::Internal,
                format!("settings serialization failed: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests;
