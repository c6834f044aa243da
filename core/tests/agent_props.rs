#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Properties of the agent decisions: no permission the human lacks is ever allowed, a
//! sub-token never exceeds its parent, and no interleaving of concurrent requests'
//! "increment, then decide" steps admits anything past a cap. The store's atomic counter
//! is a plain integer map; an interleaving is a random schedule of the requests' steps.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tenxyte_core::agent::{
    self, counters, AgentDecision, AgentRequest, AgentToken, AuthorizeContext, Begin, BudgetParams,
    ChargeBegin, CircuitBreakerParams, Cost, CounterIncrement, CounterValues, CreateRequest,
    DeadMansSwitchParams, Limits, StateChange, SubTokenRequest,
};
use tenxyte_core::config::{AgentSettings, Preset, Settings};

const NOW: i64 = 1_700_000_000;
const UNIVERSE: [&str; 6] = ["a.read", "a.write", "b.read", "b.write", "c.run", "d.admin"];

fn settings() -> AgentSettings {
    Settings::preset(Preset::Medium).agents
}

fn pick(mask: u8) -> Vec<String> {
    UNIVERSE
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, p)| (*p).to_owned())
        .collect()
}

fn everything(_: &str, _: Option<&str>) -> bool {
    true
}

fn root(perms: Vec<String>, f: impl FnOnce(&mut AgentToken)) -> AgentToken {
    let req = CreateRequest {
        delegated_by: "u1".into(),
        application_id: "app".into(),
        permissions: perms,
        ..CreateRequest::default()
    };
    let mut t = agent::create(&req, &everything, &settings(), &[], NOW - 10, &[7; 32])
        .unwrap()
        .token;
    f(&mut t);
    t
}

fn request(perm: &str) -> AgentRequest {
    AgentRequest {
        method: "GET".into(),
        path: "/x".into(),
        permission: Some(perm.to_owned()),
        ..AgentRequest::default()
    }
}

fn incr(store: &mut BTreeMap<String, i64>, op: &CounterIncrement) -> i64 {
    let v = store.entry(op.key.clone()).or_insert(0);
    *v += op.delta;
    *v
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(256) })]

    /// Double RBAC: an allow implies the agent was granted the permission AND the human
    /// holds it now in the token's scope; and with no limit in the way, both imply allow.
    #[test]
    fn never_allows_what_the_human_lacks(
        grant_mask in 1u8..64,
        global_mask in 0u8..64,
        org_mask in 0u8..64,
        with_org in any::<bool>(),
        perm_index in 0usize..6,
    ) {
        let grants = pick(grant_mask);
        let global = pick(global_mask);
        let in_org = pick(org_mask);
        let human = |p: &str, o: Option<&str>| {
            global.iter().any(|g| g == p) || (o == Some("acme") && in_org.iter().any(|g| g == p))
        };
        let token = root(grants.clone(), |t| {
            t.organization_id = with_org.then(|| "acme".to_owned());
        });
        let perm = UNIVERSE[perm_index];
        let s = settings();
        let req = request(perm);
        let ctx = AuthorizeContext {
            token: &token, ancestors: &[], human: &human, settings: &s, pii_keys: &[],
            request: &req, pending_action: None,
        };
        let mut store = BTreeMap::new();
        let d = agent::authorize(&ctx, NOW, |op| Ok(incr(&mut store, op)), &[1; 32]).unwrap();
        let held_now = human(perm, token.organization_id.as_deref());
        let granted = grants.iter().any(|g| g == perm);
        prop_assert_eq!(d.is_allow(), granted && held_now, "{:?}", d);
    }

    /// Delegation only narrows, at every depth.
    #[test]
    fn a_sub_token_never_exceeds_its_parent(
        depth in 0u8..4,
        parent_mask in 1u8..64,
        child_mask in 0u8..64,
        human_mask in 0u8..64,
        expires_in in proptest::option::of(-10i64..8000),
        rpm in proptest::option::of(0u64..100),
        total in proptest::option::of(0u64..2000),
        heartbeat in proptest::option::of(5u64..900),
        budget in proptest::option::of(0u64..60),
        parent_budget in proptest::option::of(1u64..50),
        parent_rpm in proptest::option::of(1u64..100),
        parent_hb in proptest::option::of(10u64..900),
        spend in 0u64..60,
        narrow in any::<bool>(),
    ) {
        let s = settings();
        // A chain of `depth` tokens above the parent, all with full scope.
        let mut chain = vec![root(UNIVERSE.iter().map(|p| (*p).to_owned()).collect(), |t| {
            t.budget_limit_micro_usd = None;
            t.limits = Limits::default();
        })];
        for d in 0..depth {
            let p = chain.last().unwrap().clone();
            let anc: Vec<AgentToken> = chain[..chain.len() - 1].iter().rev().cloned().collect();
            let req = SubTokenRequest { permissions: UNIVERSE.iter().map(|p| (*p).to_owned()).collect(), ..Default::default() };
            chain.push(agent::create_sub_token(&p, &anc, &req, &everything, &s, 0, &[], NOW - 5, &[d + 10; 32]).unwrap().token);
        }
        let mut parent = chain.pop().unwrap();
        let ancestors: Vec<AgentToken> = chain.iter().rev().cloned().collect();
        parent.granted_permissions = pick(parent_mask);
        parent.budget_limit_micro_usd = parent_budget;
        parent.limits.max_requests_per_minute = parent_rpm;
        parent.heartbeat_every_secs = parent_hb;
        parent.last_heartbeat_at = Some(NOW - 1);
        // Half the cases ask for a scope the parent and human can give, so the other
        // bounds (expiry, limits, budget) are exercised on successful creations too.
        let human_perms = pick(if narrow { human_mask | parent_mask } else { human_mask });
        let human = |p: &str, _: Option<&str>| human_perms.iter().any(|h| h == p);
        let req = SubTokenRequest {
            agent_id: None,
            permissions: pick(if narrow { child_mask & parent_mask } else { child_mask }),
            expires_in_secs: expires_in,
            circuit_breaker: Some(CircuitBreakerParams { max_requests_per_minute: rpm, max_requests_total: total, max_failed_requests: None }),
            dead_mans_switch: Some(DeadMansSwitchParams { heartbeat_every_secs: heartbeat }),
            budget: budget.map(|b| BudgetParams { limit_micro_usd: Some(b), limit_usd: None }),
        };
        let r = agent::create_sub_token(&parent, &ancestors, &req, &human, &s, spend, &[], NOW, &[99; 32]);
        if let Ok(created) = r {
            let c = created.token;
            prop_assert!(!c.granted_permissions.is_empty());
            for p in &c.granted_permissions {
                prop_assert!(parent.granted_permissions.contains(p));
                prop_assert!(human(p, None));
            }
            prop_assert!(c.expires_at <= parent.expires_at);
            prop_assert!(c.expires_at > NOW);
            prop_assert_eq!(c.depth, parent.depth + 1);
            prop_assert!(c.depth <= agent::MAX_DELEGATION_DEPTH);
            prop_assert_eq!(c.parent_token_id.as_deref(), Some(parent.id.as_str()));
            let le = |child: Option<u64>, parent: Option<u64>| match (child, parent) {
                (_, None) => true,
                (Some(c), Some(p)) => c <= p,
                (None, Some(_)) => false,
            };
            prop_assert!(le(c.limits.max_requests_per_minute, parent.limits.max_requests_per_minute));
            prop_assert!(le(c.limits.max_requests_total, parent.limits.max_requests_total));
            prop_assert!(le(c.heartbeat_every_secs, parent.heartbeat_every_secs));
            if let Some(pb) = parent.budget_limit_micro_usd {
                let remaining = pb.saturating_sub(spend);
                prop_assert!(matches!(c.budget_limit_micro_usd, Some(b) if b <= remaining && b > 0));
            }
        } else if depth == 3 {
            prop_assert_eq!(r.unwrap_err().code().as_str(), "delegation_too_deep");
        }
    }

    /// N concurrent requests, their `incr` steps interleaved at random: the admitted
    /// requests never exceed the lifetime cap nor the sliding-minute cap.
    #[test]
    fn rpm_and_total_caps_hold_for_any_interleaving(
        n in 1usize..40,
        rpm_limit in 1u64..20,
        total_limit in 1u64..40,
        prev in 0i64..30,
        elapsed in 0i64..60,
        schedule in proptest::collection::vec(any::<usize>(), 200),
    ) {
        let token = root(vec!["a.read".into()], |t| {
            t.limits = Limits { max_requests_per_minute: Some(rpm_limit), max_requests_total: Some(total_limit), max_failed_requests: None };
        });
        let now = (NOW / 60) * 60 + elapsed;
        let s = settings();
        let req = request("a.read");
        let ctx = AuthorizeContext {
            token: &token, ancestors: &[], human: &everything, settings: &s, pii_keys: &[],
            request: &req, pending_action: None,
        };
        let Begin::Count { plan } = agent::begin(&ctx, now).unwrap() else { panic!("expected a plan") };
        let mut store = BTreeMap::new();
        store.insert(counters::rpm_key(&token.id, now.div_euclid(60) - 1), prev);
        // Each request: its increments one by one, then its decision.
        let mut next_op = vec![0usize; n];
        let mut values: Vec<CounterValues> = vec![CounterValues::new(); n];
        let mut admitted = 0u64;
        let mut done = 0;
        let mut steps = schedule.into_iter().chain(std::iter::repeat(0));
        while done < n {
            let open: Vec<usize> = (0..n).filter(|i| next_op[*i] <= plan.increments.len()).collect();
            let i = open[steps.next().unwrap() % open.len()];
            if next_op[i] < plan.increments.len() {
                let op = &plan.increments[next_op[i]];
                values[i].insert(op.key.clone(), incr(&mut store, op));
            } else {
                let d = agent::decide(&ctx, &plan, &values[i], &[1; 32]).unwrap();
                if d.is_allow() { admitted += 1; }
                done += 1;
            }
            next_op[i] += 1;
        }
        let prev = prev as u64;
        let rest = (60 - elapsed) as u64;
        prop_assert!(admitted <= total_limit, "{} > total {}", admitted, total_limit);
        // Every admitted request saw its own distinct bucket value k with
        // prev·(60 − e) + 60k ≤ 60·limit, so the largest, ≥ admitted, bounds them all.
        prop_assert!(admitted == 0 || admitted * 60 + prev * rest <= rpm_limit * 60, "{} admitted, prev {}, limit {}", admitted, prev, rpm_limit);
        // And nothing is refused needlessly when every request fits.
        let fits = (n as u64) <= total_limit && (n as u64) * 60 + prev * rest <= rpm_limit * 60;
        if fits { prop_assert_eq!(admitted, n as u64); }
    }

    /// Concurrent usage reports from two sub-tokens of one parent, with increments,
    /// decisions and take-backs interleaved at random: no budget is ever overspent, and
    /// the counters end equal to the admitted spend.
    #[test]
    fn budgets_hold_for_any_interleaving(
        // Small amounts, so sums land exactly on and one past the caps often.
        costs in proptest::collection::vec((1u64..8, any::<bool>()), 1..30),
        parent_cap in 1u64..60,
        child_caps in (1u64..40, 1u64..40),
        schedule in proptest::collection::vec(any::<usize>(), 300),
    ) {
        let s = settings();
        let parent = root(vec!["a.read".into()], |t| { t.budget_limit_micro_usd = Some(parent_cap); t.limits = Limits::default(); });
        let mut kids = Vec::new();
        for (i, cap) in [child_caps.0, child_caps.1].into_iter().enumerate() {
            let req = SubTokenRequest { permissions: vec!["a.read".into()], ..Default::default() };
            let mut c = agent::create_sub_token(&parent, &[], &req, &everything, &s, 0, &[], NOW, &[i as u8 + 1; 32]).unwrap().token;
            c.budget_limit_micro_usd = Some(cap.min(parent_cap));
            kids.push(c);
        }
        let chain = [parent.clone()];
        let n = costs.len();
        // Steps per report: each planned increment, the decision, then each take-back.
        struct Report { kid: usize, ops: Vec<CounterIncrement>, plan: agent::ChargePlan, values: CounterValues, decided: bool, pending: Vec<CounterIncrement>, admitted: bool }
        let mut reports: Vec<Report> = costs.iter().map(|(cost, which)| {
            let kid = usize::from(*which);
            let ChargeBegin::Count { plan } = agent::charge_begin(&kids[kid], &chain, &Cost::Micro(*cost as i64), &s, NOW).unwrap() else { panic!() };
            Report { kid, ops: plan.increments.clone(), plan, values: CounterValues::new(), decided: false, pending: Vec::new(), admitted: false }
        }).collect();
        let mut store = BTreeMap::new();
        let mut steps = schedule.into_iter().chain(std::iter::repeat(0));
        loop {
            let open: Vec<usize> = (0..n).filter(|i| { let r = &reports[*i]; !r.ops.is_empty() || !r.decided || !r.pending.is_empty() }).collect();
            if open.is_empty() { break; }
            let i = open[steps.next().unwrap() % open.len()];
            let r = &mut reports[i];
            if !r.ops.is_empty() {
                let op = r.ops.remove(0);
                r.values.insert(op.key.clone(), incr(&mut store, &op));
            } else if !r.decided {
                let d = agent::charge_decide(&kids[r.kid], &chain, &r.plan, &r.values, &[]).unwrap();
                r.decided = true;
                r.admitted = d.is_allow();
                r.pending = d.changes().iter().filter_map(|c| match c { StateChange::Increment(op) => Some(op.clone()), _ => None }).collect();
                let suspended = matches!(d, AgentDecision::Suspend { .. });
                if !r.admitted { prop_assert!(suspended, "refusal must suspend"); }
            } else {
                let op = r.pending.remove(0);
                incr(&mut store, &op);
            }
        }
        let spent = |k: Option<usize>| -> u64 {
            reports.iter().zip(&costs).filter(|(r, _)| r.admitted && k.is_none_or(|k| r.kid == k)).map(|(_, (c, _))| *c).sum()
        };
        prop_assert!(spent(None) <= parent_cap);
        for (k, kid) in kids.iter().enumerate() {
            prop_assert!(spent(Some(k)) <= kid.budget_limit_micro_usd.unwrap());
            prop_assert_eq!(store.get(&counters::spend_key(&kid.id)).copied().unwrap_or(0) as u64, spent(Some(k)));
        }
        prop_assert_eq!(store.get(&counters::spend_key(&parent.id)).copied().unwrap_or(0) as u64, spent(None));
    }
}
