//! `sessions` and `devices` sections: concurrent-session and device limits.

use serde::{Deserialize, Serialize};

/// What happens when a login would exceed a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitAction {
    /// Refuse the new login.
    Deny,
    /// Admit it and revoke the oldest session (or forget the least recently used device).
    RevokeOldest,
}

/// Concurrent sessions (live refresh-token families) per user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Enforce `max_sessions`.
    pub limit_enabled: bool,
    /// Default per-user cap (a user record may carry its own); 0 means unlimited.
    pub max_sessions: u32,
    /// What a login over the cap does.
    pub limit_action: LimitAction,
}

/// Distinct devices (fingerprints) per user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSettings {
    /// Enforce `max_devices`.
    pub limit_enabled: bool,
    /// Default per-user cap (a user record may carry its own); 0 means unlimited.
    pub max_devices: u32,
    /// What a login from one device too many does.
    pub limit_action: LimitAction,
}
