//! The Markdown output: machine facts, then one table with every row, grouped by
//! operation (ours first, then anchors fastest first, then the crypto-only ceiling).

use crate::harness::{Kind, Pace, Row};
use crate::{fixtures, jwt_rows, machine};
use tenxyte_core::jwt::Algorithm;

/// Thousands separators for rates of 100/s and more; three significant digits below.
pub fn format_rate(rate: f64) -> String {
    if rate >= 100.0 {
        let digits = format!("{:.0}", rate);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if rate >= 10.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.2}")
    }
}

/// Three significant digits.
pub fn format_ratio(ratio: f64) -> String {
    if ratio >= 100.0 {
        format!("{ratio:.0}")
    } else if ratio >= 10.0 {
        format!("{ratio:.1}")
    } else if ratio >= 1.0 {
        format!("{ratio:.2}")
    } else {
        format!("{ratio:.3}")
    }
}

fn describe(pace: Pace) -> String {
    let warm = if pace.warm_up_batch {
        " + 1 warm-up batch"
    } else {
        ""
    };
    format!(
        "calibration ≥ {:.2} s{warm}, then {} × ~{:.2} s",
        pace.calibrate.as_secs_f64(),
        pace.repeats,
        pace.batch.as_secs_f64()
    )
}

/// Machine facts and inputs, above the table.
pub fn header(fast: Pace, slow: Pace, iat: i64, load_start: &str) -> String {
    let claims_len = serde_json::to_vec(&fixtures::claims(iat))
        .map(|v| v.len())
        .unwrap_or(0);
    let tokens: Vec<String> = [
        Algorithm::HS256,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ]
    .iter()
    .map(|&alg| format!("{alg} {}", jwt_rows::token_length(alg, iat)))
    .collect();
    let profile = if cfg!(debug_assertions) {
        "DEBUG build (numbers meaningless)"
    } else {
        "release profile (workspace: thin LTO, codegen-units = 1, no target-cpu flags)"
    };
    format!(
        "## tenxyte-bench: ours beside the anchors, one process, one run\n\n\
         - CPU: {cpu}; available parallelism: {par}; {os}/{arch}; single-threaded rows\n\
         - {rustc}, {profile}\n\
         - load average (1/5/15 min) at start: {load_start}\n\
         - pace: {fast} (argon2: {slow}); value = median of the repeats, min – max over the repeats\n\
         - inputs: claims {{sub, iat, exp, jti, iss, aud, roles:[admin,editor,viewer]}} = {claims_len} bytes of JSON; \
         token chars: {tokens}; verify checks signature, exp (no leeway), iss, aud; \
         TOTP SHA-1/6 digits/30 s at a pinned time, window 1\n",
        cpu = machine::cpu_model(),
        par = machine::parallelism(),
        os = std::env::consts::OS,
        arch = std::env::consts::ARCH,
        rustc = env!("BENCH_RUSTC_VERSION"),
        fast = describe(fast),
        slow = describe(slow),
        tokens = tokens.join(", "),
    )
}

fn kind_rank(kind: Kind) -> u8 {
    match kind {
        Kind::Ours => 0,
        Kind::Anchor => 1,
        Kind::CryptoOnly => 2,
    }
}

/// The table: one line per row, grouped by operation in first-measured order.
pub fn render(rows: &[Row]) -> String {
    let mut operations: Vec<&str> = Vec::new();
    for row in rows {
        if !operations.contains(&row.operation.as_str()) {
            operations.push(&row.operation);
        }
    }
    let mut out = String::from(
        "| operation | implementation | ops/s (median) | min – max | × anchor | version |\n\
         |---|---|---:|---:|---:|---|\n",
    );
    for op in operations {
        let mut group: Vec<&Row> = rows.iter().filter(|r| r.operation == op).collect();
        group.sort_by(|a, b| {
            kind_rank(a.kind)
                .cmp(&kind_rank(b.kind))
                .then(b.stats.median.total_cmp(&a.stats.median))
        });
        let best_anchor = group
            .iter()
            .filter(|r| r.kind == Kind::Anchor)
            .map(|r| r.stats.median)
            .fold(None, |best: Option<f64>, m| {
                Some(best.map_or(m, |b| b.max(m)))
            });
        for row in group {
            let ratio = best_anchor
                .filter(|b| *b > 0.0)
                .map(|b| format_ratio(row.stats.median / b))
                .unwrap_or_else(|| "–".to_owned());
            let (name, ratio) = if row.kind == Kind::Ours {
                (
                    format!("**{}**", row.implementation),
                    format!("**{ratio}**"),
                )
            } else {
                (row.implementation.clone(), ratio)
            };
            out.push_str(&format!(
                "| {op} | {name} | {} | {} – {} | {ratio} | {} |\n",
                format_rate(row.stats.median),
                format_rate(row.stats.min),
                format_rate(row.stats.max),
                row.version,
            ));
        }
    }
    out.push_str(
        "\n× anchor = this row's median ÷ the fastest complete anchor's median for the same \
         operation (ours in bold). \"crypto only\" rows run the bare primitive over the same \
         input (no JSON, no base64, no claim checks); they show the ceiling and are never the \
         anchor.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::Stats;

    fn row(op: &str, imp: &str, kind: Kind, median: f64) -> Row {
        Row {
            operation: op.into(),
            implementation: imp.into(),
            kind,
            version: "v".into(),
            stats: Stats {
                median,
                min: median,
                max: median,
                batch_ops: 1,
            },
        }
    }

    #[test]
    fn rates_are_grouped_in_thousands() {
        assert_eq!(format_rate(1_234_567.4), "1,234,567");
        assert_eq!(format_rate(123.0), "123");
        assert_eq!(format_rate(52.94), "52.9");
        assert_eq!(format_rate(4.144), "4.14");
    }

    #[test]
    fn ratio_is_against_the_fastest_anchor_never_crypto_only() {
        let rows = [
            row("op", "ring", Kind::CryptoOnly, 1000.0),
            row("op", "slow anchor", Kind::Anchor, 100.0),
            row("op", "ours", Kind::Ours, 300.0),
            row("op", "fast anchor", Kind::Anchor, 200.0),
        ];
        let text = render(&rows);
        let lines: Vec<&str> = text.lines().skip(2).take(4).collect();
        assert!(
            lines[0].contains("**ours**") && lines[0].contains("| **1.50** |"),
            "{text}"
        );
        assert!(
            lines[1].contains("fast anchor") && lines[1].contains("| 1.00 |"),
            "{text}"
        );
        assert!(
            lines[2].contains("slow anchor") && lines[2].contains("| 0.500 |"),
            "{text}"
        );
        assert!(
            lines[3].contains("ring") && lines[3].contains("| 5.00 |"),
            "{text}"
        );
    }
}
