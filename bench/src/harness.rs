//! The one timing loop every row goes through, so that no implementation is measured
//! differently from another.
//!
//! Per row: a calibration run of at least `calibrate` (doubling the batch until it is
//! long enough) that also serves as warm-up, optionally one more full warm-up batch, then
//! `repeats` batches sized to last about `batch` each. Each repeat gives one rate
//! (operations per second); the row reports their median, minimum and maximum.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long and how often one row is timed.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The calibration run lasts at least this long (and warms caches and branch
    /// predictors up for free).
    pub calibrate: Duration,
    /// Run one extra full batch, untimed, before the repeats.
    pub warm_up_batch: bool,
    /// Target duration of one timed batch.
    pub batch: Duration,
    /// Number of timed batches.
    pub repeats: usize,
}

impl Pace {
    /// Microsecond-scale operations (JWT, TOTP): 7 repeats of about 0.25 s.
    pub const FULL: Pace = Pace {
        calibrate: Duration::from_millis(100),
        warm_up_batch: true,
        batch: Duration::from_millis(250),
        repeats: 7,
    };
    /// Operations of tens of milliseconds (argon2): 3 repeats of about 0.5 s.
    pub const FULL_SLOW: Pace = Pace {
        calibrate: Duration::from_millis(100),
        warm_up_batch: true,
        batch: Duration::from_millis(500),
        repeats: 3,
    };
    /// Smoke run for CI: proves every row runs, numbers are only indicative.
    pub const QUICK: Pace = Pace {
        calibrate: Duration::from_millis(10),
        warm_up_batch: false,
        batch: Duration::from_millis(20),
        repeats: 1,
    };
}

/// What a row's rate is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// This project's implementation.
    Ours,
    /// A complete implementation a user would otherwise pick.
    Anchor,
    /// Raw primitives only (no JSON, no base64, no claim checks): a ceiling shown for
    /// reference, never the comparison point.
    CryptoOnly,
}

/// The result of timing one row, in operations per second.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Median of the repeats' rates.
    pub median: f64,
    /// Slowest repeat.
    pub min: f64,
    /// Fastest repeat.
    pub max: f64,
    /// Operations per timed batch.
    pub batch_ops: u64,
}

/// One line of the result table.
#[derive(Debug, Clone)]
pub struct Row {
    /// The operation, e.g. "HS256 verify"; rows with equal operations are compared.
    pub operation: String,
    /// Who implements it.
    pub implementation: String,
    /// Ours, anchor or crypto only.
    pub kind: Kind,
    /// Version string of the implementation.
    pub version: String,
    /// The timing.
    pub stats: Stats,
}

/// Collects rows; owns the pace and the name filter.
pub struct Bench {
    /// Pace for microsecond-scale rows.
    pub fast: Pace,
    /// Pace for argon2 rows.
    pub slow: Pace,
    filter: Option<String>,
    /// The rows measured so far, in order.
    pub rows: Vec<Row>,
}

/// Which of the two paces a row uses.
#[derive(Debug, Clone, Copy)]
pub enum Speed {
    /// Microseconds per operation.
    Fast,
    /// Tens of milliseconds per operation.
    Slow,
}

impl Bench {
    /// A bench with the given paces; rows whose "operation implementation" does not
    /// contain `filter` (case-insensitively) are skipped.
    pub fn new(fast: Pace, slow: Pace, filter: Option<String>) -> Bench {
        Bench {
            fast,
            slow,
            filter: filter.map(|f| f.to_lowercase()),
            rows: Vec::new(),
        }
    }

    /// True when a row with this name would be measured.
    pub fn wants(&self, operation: &str, implementation: &str) -> bool {
        match &self.filter {
            None => true,
            Some(f) => format!("{operation} {implementation}")
                .to_lowercase()
                .contains(f.as_str()),
        }
    }

    /// Times `op` and records the row. The closure's output goes through `black_box` so
    /// the work cannot be optimised away; closures wrap their inputs in `black_box` too.
    pub fn measure<R>(
        &mut self,
        speed: Speed,
        operation: &str,
        implementation: &str,
        kind: Kind,
        version: &str,
        mut op: impl FnMut() -> R,
    ) {
        if !self.wants(operation, implementation) {
            return;
        }
        let pace = match speed {
            Speed::Fast => self.fast,
            Speed::Slow => self.slow,
        };
        eprint!("  {operation:<36} {implementation:<38}");
        let stats = time(pace, &mut op);
        eprintln!(
            " {:>12.0} ops/s  ({} × {} ops)",
            stats.median, pace.repeats, stats.batch_ops
        );
        self.rows.push(Row {
            operation: operation.to_owned(),
            implementation: implementation.to_owned(),
            kind,
            version: version.to_owned(),
            stats,
        });
    }
}

fn run_batch<R>(n: u64, op: &mut impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        black_box(op());
    }
    start.elapsed()
}

fn rate(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(1e-9)
}

fn time<R>(pace: Pace, op: &mut impl FnMut() -> R) -> Stats {
    // Calibration doubles as warm-up.
    let mut n = 1u64;
    let calibration_rate = loop {
        let elapsed = run_batch(n, op);
        if elapsed >= pace.calibrate {
            break rate(n, elapsed);
        }
        n = n.saturating_mul(2);
    };
    let batch_ops = ((calibration_rate * pace.batch.as_secs_f64()).round() as u64).max(1);
    if pace.warm_up_batch {
        run_batch(batch_ops, op);
    }
    let mut rates: Vec<f64> = (0..pace.repeats.max(1))
        .map(|_| rate(batch_ops, run_batch(batch_ops, op)))
        .collect();
    rates.sort_by(f64::total_cmp);
    Stats {
        median: median(&rates),
        min: rates.first().copied().unwrap_or(0.0),
        max: rates.last().copied().unwrap_or(0.0),
        batch_ops,
    }
}

/// Median of sorted values (mean of the middle two for an even count).
fn median(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else if sorted.is_empty() {
        0.0
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), 3.0);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn a_batch_runs_the_operation_exactly_n_times() {
        let mut calls = 0u64;
        run_batch(17, &mut || calls += 1);
        assert_eq!(calls, 17);
    }

    #[test]
    fn filter_matches_operation_and_implementation_case_insensitively() {
        let b = Bench::new(
            Pace::QUICK,
            Pace::QUICK,
            Some("HS256 VERIFY tenxyte".into()),
        );
        assert!(b.wants("HS256 verify", "tenxyte-core (ours)"));
        assert!(!b.wants("HS256 sign", "tenxyte-core (ours)"));
    }
}
