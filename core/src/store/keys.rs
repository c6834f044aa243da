//! Namespaces and key layouts: the one place the core decides where a record lives.
//!
//! A host store sees these strings as table names and keys, so they are public contract
//! (a host can read its own tables). Secondary indexes are separate namespaces whose keys
//! are `<owner>/<item>` so that `list(ns, "<owner>/")` finds an owner's items.
//!
//! Every caller-supplied component goes through [`segment`], which escapes `%` and `/`.
//! Without that, a user id `"u1/x"` would make `list("user_sessions", "u1/")` return
//! another user's index entries; with it, a segment can never contain the separator and
//! prefix scans stay exact. Escaping keeps byte-wise order within a segment for keys
//! without `%` or `/`, which is all the core generates itself.
//!
//! | namespace | key | value | ttl |
//! | --- | --- | --- | --- |
//! | `users` | user id | user record | none |
//! | `users_by_email` | normalised email | `{"user_id"}` | none |
//! | `sessions` | session id | session record | session lifetime |
//! | `user_sessions` | `<user id>/<session id>` | `{}` index entry | session lifetime |
//! | `refresh_tokens` | token hash | refresh-token record | token lifetime |
//! | `user_refresh_tokens` | `<user id>/<token hash>` | `{}` index entry | token lifetime |
//! | `jwt_blacklist` | `jti` | `{"exp"}` | until the token's `exp` |
//! | `login_failures` | `<user id>` | counter | lockout window |
//! | `agent_tokens` | agent-token id | agent-token record | none |
//! | `agent_tokens_by_hash` | token hash | `{"token_id"}` | none |
//! | `agent_counters` | `<token id>/requests` … (see [`crate::agent::counters`]) | counter | per counter |
//! | `agent_pending_actions` | confirmation hash | pending action | action lifetime + retention |
//! | `orgs` | organization id | organization record | none |
//! | `org_memberships` | `<org id>/<user id>` | membership record | none |
//! | `user_memberships` | `<user id>/<org id>` | `{}` index entry | none |
//! | `org_invitations` | invitation token hash | invitation record | invitation lifetime + 7 days |
//! | `org_invitations_by_org` | `<org id>/<token hash>` | `{}` index entry | invitation lifetime + 7 days |
//! | `audit` | `<time, 20 digits>/<event id>` | audit event | retention |
//! | `audit_by_user` / `audit_by_org` / `audit_by_agent` | `<owner>/<time>/<event id>` | `{}` index entry | retention |
//! | `users_by_phone` | E.164 phone | `{"user_id"}` | none |
//! | `applications` | application id | application record | none |
//! | `applications_by_key` | access key | `{"app_id"}` | none |
//! | `otp_challenges` | challenge id | numeric-code record | code lifetime |
//! | `magic_links` | token hash | magic-link record | link lifetime |
//! | `user_magic_links` | `<user id>/<token hash>` | `{}` index entry | link lifetime |
//! | `rate_limits` | `<scope>/<subject>/<window start>` | counter | window |
//! | `agent_tokens_by_user` | `<user id>/<token id>` | `{"token_id"}` index entry | none |
//! | `agent_pending_by_user` | `<user id>/<confirmation hash>` | `{"confirmation_hash", "action_id"}` index entry | action lifetime + retention |
//! | `org_slugs` | slug | `{"org_id"}` | none |
//! | `org_children` | `<parent id>/<child id>` | `{}` index entry | none |
//! | `agent_pending_by_id` | pending-action id | `{"confirmation_hash"}` | action lifetime + retention |

use std::fmt::Write as _;

/// The separator between key segments.
pub const SEP: char = '/';

/// User records, by user id.
pub const USERS: &str = "users";
/// Index: normalised email → user id.
pub const USERS_BY_EMAIL: &str = "users_by_email";
/// Session records, by session id.
pub const SESSIONS: &str = "sessions";
/// Index: a user's sessions.
pub const USER_SESSIONS: &str = "user_sessions";
/// Refresh-token records, by token hash (never the token itself).
pub const REFRESH_TOKENS: &str = "refresh_tokens";
/// Index: a user's refresh tokens.
pub const USER_REFRESH_TOKENS: &str = "user_refresh_tokens";
/// Revoked access tokens, by `jti`, kept until the token would have expired anyway.
pub const JWT_BLACKLIST: &str = "jwt_blacklist";
/// Failed-login counters (account lockout).
pub const LOGIN_FAILURES: &str = "login_failures";
/// Agent-token records, by id.
pub const AGENT_TOKENS: &str = "agent_tokens";
/// Index: agent-token hash → id (a presented token is looked up by its hash).
pub const AGENT_TOKENS_BY_HASH: &str = "agent_tokens_by_hash";
/// Agent counters; the key layout is written down in [`crate::agent::counters`].
pub const AGENT_COUNTERS: &str = crate::agent::counters::COUNTER_NS;
/// Pending (human-in-the-loop) agent actions, by confirmation hash.
pub const AGENT_PENDING_ACTIONS: &str = "agent_pending_actions";
/// Organization records, by id.
pub const ORGS: &str = "orgs";
/// Memberships, by `<org id>/<user id>` (an org's members are a prefix scan).
pub const ORG_MEMBERSHIPS: &str = "org_memberships";
/// Index: a user's memberships, by `<user id>/<org id>`.
pub const USER_MEMBERSHIPS: &str = "user_memberships";
/// Invitations, by token hash.
pub const ORG_INVITATIONS: &str = "org_invitations";
/// Index: an organization's invitations.
pub const ORG_INVITATIONS_BY_ORG: &str = "org_invitations_by_org";
/// Audit events, keyed so that key order is time order.
pub const AUDIT: &str = "audit";

/// Index: audit events by user (`<user id>/<time>/<event id>`).
pub const AUDIT_BY_USER: &str = "audit_by_user";
/// Index: audit events by organization.
pub const AUDIT_BY_ORG: &str = "audit_by_org";
/// Index: audit events by agent token.
pub const AUDIT_BY_AGENT: &str = "audit_by_agent";
/// Index: E.164 phone → user id.
pub const USERS_BY_PHONE: &str = "users_by_phone";
/// Application records, by id.
pub const APPLICATIONS: &str = "applications";
/// Index: application access key → id.
pub const APPLICATIONS_BY_KEY: &str = "applications_by_key";
/// One-time-code challenges (email/SMS verification, password reset, login codes).
pub const OTP_CHALLENGES: &str = "otp_challenges";
/// Magic links, by token hash.
pub const MAGIC_LINKS: &str = "magic_links";
/// Index: a user's outstanding magic links.
pub const USER_MAGIC_LINKS: &str = "user_magic_links";
/// Fixed-window rate-limit counters.
pub const RATE_LIMITS: &str = "rate_limits";
/// Index: the agent tokens a user delegated.
pub const AGENT_TOKENS_BY_USER: &str = "agent_tokens_by_user";
/// Index: the pending actions awaiting a user's decision.
pub const AGENT_PENDING_BY_USER: &str = "agent_pending_by_user";
/// Index: organization slug → id.
pub const ORG_SLUGS: &str = "org_slugs";
/// Index: an organization's direct children.
pub const ORG_CHILDREN: &str = "org_children";
/// Index: pending-action id → confirmation hash (the human decides by id).
pub const AGENT_PENDING_BY_ID: &str = "agent_pending_by_id";

/// Every namespace, for hosts that create one table per namespace up front.
pub const ALL_NAMESPACES: &[&str] = &[
    USERS,
    USERS_BY_EMAIL,
    SESSIONS,
    USER_SESSIONS,
    REFRESH_TOKENS,
    USER_REFRESH_TOKENS,
    JWT_BLACKLIST,
    LOGIN_FAILURES,
    AGENT_TOKENS,
    AGENT_TOKENS_BY_HASH,
    AGENT_COUNTERS,
    AGENT_PENDING_ACTIONS,
    ORGS,
    ORG_MEMBERSHIPS,
    USER_MEMBERSHIPS,
    ORG_INVITATIONS,
    ORG_INVITATIONS_BY_ORG,
    AUDIT,
    AUDIT_BY_USER,
    AUDIT_BY_ORG,
    AUDIT_BY_AGENT,
    USERS_BY_PHONE,
    APPLICATIONS,
    APPLICATIONS_BY_KEY,
    OTP_CHALLENGES,
    MAGIC_LINKS,
    USER_MAGIC_LINKS,
    RATE_LIMITS,
    AGENT_TOKENS_BY_USER,
    AGENT_PENDING_BY_USER,
    ORG_SLUGS,
    ORG_CHILDREN,
    AGENT_PENDING_BY_ID,
];

pub use crate::agent::counters::{failures_key, requests_key, rpm_key, spend_key};

/// One key segment: `%` becomes `%25` and `/` becomes `%2F`, so a segment never contains
/// the separator.
pub fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
    out
}

/// `<owner>/<item>`, both segments escaped: an index entry.
pub fn pair(owner: &str, item: &str) -> String {
    let mut out = segment(owner);
    out.push(SEP);
    out.push_str(&segment(item));
    out
}

/// `<owner>/`: the prefix that lists exactly `owner`'s index entries.
pub fn owner_prefix(owner: &str) -> String {
    let mut out = segment(owner);
    out.push(SEP);
    out
}

/// Key of a user record.
pub fn user(user_id: &str) -> String {
    segment(user_id)
}

/// Key of the email index entry (the caller normalises the email first).
pub fn user_by_email(normalised_email: &str) -> String {
    segment(normalised_email)
}

/// Key of a session record.
pub fn session(session_id: &str) -> String {
    segment(session_id)
}

/// Key of a user's session index entry (namespace [`USER_SESSIONS`]).
pub fn user_session(user_id: &str, session_id: &str) -> String {
    pair(user_id, session_id)
}

/// Key of a refresh-token record (by hash).
pub fn refresh_token(token_hash: &str) -> String {
    segment(token_hash)
}

/// Key of a user's refresh-token index entry (namespace [`USER_REFRESH_TOKENS`]).
pub fn user_refresh_token(user_id: &str, token_hash: &str) -> String {
    pair(user_id, token_hash)
}

/// Key of a blacklisted access token.
pub fn blacklisted_jti(jti: &str) -> String {
    segment(jti)
}

/// Key of a user's failed-login counter.
pub fn login_failures(user_id: &str) -> String {
    segment(user_id)
}

/// Key of an agent-token record.
pub fn agent_token(token_id: &str) -> String {
    segment(token_id)
}

/// Key of the agent-token hash index entry.
pub fn agent_token_by_hash(token_hash: &str) -> String {
    segment(token_hash)
}

/// Key of a pending agent action.
pub fn pending_action(confirmation_hash: &str) -> String {
    segment(confirmation_hash)
}

/// Key of an organization record.
pub fn org(org_id: &str) -> String {
    segment(org_id)
}

/// Key of a membership (namespace [`ORG_MEMBERSHIPS`]).
pub fn membership(org_id: &str, user_id: &str) -> String {
    pair(org_id, user_id)
}

/// Key of a user's membership index entry (namespace [`USER_MEMBERSHIPS`]).
pub fn user_membership(user_id: &str, org_id: &str) -> String {
    pair(user_id, org_id)
}

/// Key of an invitation record (by token hash).
pub fn invitation(token_hash: &str) -> String {
    segment(token_hash)
}

/// Key of an organization's invitation index entry (namespace [`ORG_INVITATIONS_BY_ORG`]).
pub fn org_invitation(org_id: &str, token_hash: &str) -> String {
    pair(org_id, token_hash)
}

/// Key of an audit event: the time as 20 zero-padded digits (times before 1970 count as
/// 0) so byte order is time order, then the event id.
pub fn audit_event(now: i64, event_id: &str) -> String {
    let mut out = String::with_capacity(21 + event_id.len());
    let _ = write!(out, "{:020}", now.max(0));
    out.push(SEP);
    out.push_str(&segment(event_id));
    out
}

/// Key of an audit index entry: `<owner>/<time>/<event id>`, so an owner's events list in
/// time order and a time range is a cursor.
pub fn audit_index(owner: &str, now: i64, event_id: &str) -> String {
    let mut out = owner_prefix(owner);
    out.push_str(&audit_event(now, event_id));
    out
}

/// The audit key prefix of events at or after `since` within `prefix` is not expressible as a
/// prefix; this is the cursor to start a scan from (everything strictly after it is at or
/// after `since`).
pub fn audit_cursor_before(prefix: &str, since: i64) -> Option<String> {
    if since <= 0 {
        return None;
    }
    // Time `since - 1` padded, then the byte after every id character ('/' + 0xFF-free):
    // "<prefix><since-1 padded>/\u{10FFFF}" sorts after all events at since-1.
    let mut out = prefix.to_owned();
    let _ = write!(out, "{:020}", since - 1);
    out.push(SEP);
    out.push(char::MAX);
    Some(out)
}

/// Key of the phone index entry (E.164, normalised by the caller).
pub fn user_by_phone(phone: &str) -> String {
    segment(phone)
}

/// Key of an application record.
pub fn application(app_id: &str) -> String {
    segment(app_id)
}

/// Key of the access-key index entry.
pub fn application_by_key(access_key: &str) -> String {
    segment(access_key)
}

/// Key of a one-time-code challenge.
pub fn otp_challenge(challenge_id: &str) -> String {
    segment(challenge_id)
}

/// Key of a magic link.
pub fn magic_link(token_hash: &str) -> String {
    segment(token_hash)
}

/// Key of a user's magic-link index entry.
pub fn user_magic_link(user_id: &str, token_hash: &str) -> String {
    pair(user_id, token_hash)
}

/// Key of a rate-limit counter: `<scope>/<subject>/<window start>`.
pub fn rate_limit(scope: &str, subject: &str, window_start: i64) -> String {
    let mut out = pair(scope, subject);
    let _ = write!(out, "{SEP}{window_start}");
    out
}

/// Key of a user's agent-token index entry.
pub fn user_agent_token(user_id: &str, token_id: &str) -> String {
    pair(user_id, token_id)
}

/// Key of a user's pending-action index entry.
pub fn user_pending_action(user_id: &str, confirmation_hash: &str) -> String {
    pair(user_id, confirmation_hash)
}

/// Key of the slug index entry.
pub fn org_slug(slug: &str) -> String {
    segment(slug)
}

/// Key of a child index entry.
pub fn org_child(parent_id: &str, child_id: &str) -> String {
    pair(parent_id, child_id)
}

/// Key of the pending-action id index entry (namespace [`AGENT_PENDING_BY_ID`]).
pub fn pending_action_by_id(action_id: &str) -> String {
    segment(action_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_cannot_smuggle_the_separator() {
        // "u1/x" must not fall under the prefix of user "u1".
        let evil = user_session("u1/x", "s");
        assert!(!evil.starts_with(&owner_prefix("u1")));
        assert!(user_session("u1", "s").starts_with(&owner_prefix("u1")));
        // Escaping is injective: "%2F" typed literally differs from "/".
        assert_ne!(segment("a/b"), segment("a%2Fb"));
        assert_eq!(segment("a%2Fb"), "a%252Fb");
    }

    #[test]
    fn audit_keys_sort_by_time() {
        let a = audit_event(999, "z");
        let b = audit_event(1_000, "a");
        assert!(a < b, "{a} < {b}");
        assert_eq!(audit_event(-5, "e"), "00000000000000000000/e");
    }

    #[test]
    fn audit_index_cursor_skips_exactly_the_earlier_events() {
        let p = owner_prefix("u1");
        let early = audit_index("u1", 99, "zzzz");
        let at = audit_index("u1", 100, "0");
        let cursor = audit_cursor_before(&p, 100).unwrap();
        assert!(early < cursor && cursor < at, "{early} < {cursor} < {at}");
        assert_eq!(audit_cursor_before(&p, 0), None);
        assert_eq!(rate_limit("login", "1.2.3.4", 60), "login/1.2.3.4/60");
    }

    #[test]
    fn namespaces_are_distinct_and_agent_counters_stay_where_they_were() {
        let set: std::collections::HashSet<_> = ALL_NAMESPACES.iter().collect();
        assert_eq!(set.len(), ALL_NAMESPACES.len());
        assert_eq!(AGENT_COUNTERS, "agent_counters");
        assert_eq!(requests_key("t1"), "t1/requests");
    }
}
