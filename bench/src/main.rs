//! `cargo run -p tenxyte-bench --release [-- --quick] [-- --filter <substr>]`
//!
//! Times our JWT, TOTP and argon2id code beside the crates a Rust user would otherwise
//! pick, in one process and one run, and prints a Markdown table of operations per
//! second with the ratio "ours ÷ best complete anchor". See `bench/README.md`.

// Benchmark program, not library code: a broken fixture or a failed sanity check
// should stop the run loudly, so unwrap/expect/panic and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod agent_flow_rows;
mod agent_rows;
mod argon2_rows;
mod fixtures;
mod flow_rows;
mod harness;
mod jwt_rows;
mod machine;
mod rbac_rows;
mod table;
mod totp_rows;
mod versions;

use harness::{Bench, Pace};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const USAGE: &str = "usage: tenxyte-bench [--quick] [--filter <substr>]
  --quick            one ~20 ms repeat per row (CI smoke run; numbers are indicative only)
  --filter <substr>  only rows whose \"operation implementation\" contains <substr>
                     (case-insensitive), e.g. --filter verify, --filter \"ES256 sign\"";

struct Args {
    quick: bool,
    filter: Option<String>,
    raw: Vec<String>,
}

fn parse_args() -> Args {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let mut args = Args {
        quick: false,
        filter: None,
        raw: raw.clone(),
    };
    let mut it = raw.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--filter" => match it.next() {
                Some(f) => args.filter = Some(f),
                None => usage_error("--filter needs a value"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => usage_error(&format!("unknown argument {other:?}")),
        }
    }
    args
}

fn usage_error(msg: &str) -> ! {
    eprintln!("tenxyte-bench: {msg}\n{USAGE}");
    std::process::exit(2);
}

/// The command line that reproduces this run, printed under the table.
fn command_line(args: &Args) -> String {
    let mut cmd = String::from("cargo run -p tenxyte-bench");
    if !cfg!(debug_assertions) {
        cmd.push_str(" --release");
    }
    if !args.raw.is_empty() {
        cmd.push_str(" --");
        for a in &args.raw {
            if a.contains(' ') || a.is_empty() {
                cmd.push_str(&format!(" \"{a}\""));
            } else {
                cmd.push(' ');
                cmd.push_str(a);
            }
        }
    }
    cmd
}

fn main() {
    let args = parse_args();
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release for meaningful numbers");
    }
    let (fast, slow) = if args.quick {
        (Pace::QUICK, Pace::QUICK)
    } else {
        (Pace::FULL, Pace::FULL_SLOW)
    };
    let load_start = machine::load_average();
    // jsonwebtoken checks `exp` against the system clock, so the claims are issued now;
    // ours is handed the same instant as `now`.
    let iat = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs(),
    )
    .expect("fits i64");

    let started = Instant::now();
    let mut bench = Bench::new(fast, slow, args.filter.clone());
    eprintln!("tenxyte-bench: measuring (progress on stderr, table on stdout)");
    jwt_rows::rows(&mut bench, iat);
    totp_rows::rows(&mut bench);
    rbac_rows::rows(&mut bench);
    agent_rows::rows(&mut bench);
    flow_rows::rows(&mut bench);
    agent_flow_rows::rows(&mut bench);
    argon2_rows::rows(&mut bench);
    let elapsed = started.elapsed();

    let mut out = String::new();
    out.push_str(&table::header(fast, slow, iat, &load_start));
    out.push('\n');
    out.push_str(&table::render(&bench.rows));
    out.push('\n');
    out.push_str(&format!(
        "Produced by `{}` in {:.0} s; load average at end: {}.\n",
        command_line(&args),
        elapsed.as_secs_f64(),
        machine::load_average()
    ));
    print!("{out}");
    if bench.rows.is_empty() {
        eprintln!("tenxyte-bench: the filter matched no row");
        std::process::exit(1);
    }
}
