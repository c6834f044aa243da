//! USD amounts as integer micro-USD (1 USD = 1 000 000 µUSD).
//!
//! Integers make the budget counter an atomic `incr` in any store and rule out the float
//! drift and NaN poisoning a `Decimal(str(float))` path invites. Parsing is strict: plain
//! decimal notation only, at most six decimals, no sign, no exponent, no NaN or infinity.

use crate::error::{err, ErrorCode, Result};

/// Micro-USD in one USD.
pub const MICRO_PER_USD: u64 = 1_000_000;

/// The largest amount accepted anywhere (10^15 µUSD = 1 000 000 000 USD): far above any
/// real budget, far below `i64::MAX`, so sums of a few thousand charges cannot overflow.
pub const MAX_MICRO_USD: u64 = 1_000_000_000_000_000;

fn invalid(msg: impl Into<String>) -> crate::error::Error {
    err(ErrorCode::InvalidCost, msg.into())
}

/// Parses a USD decimal string (`"0.0123"` → 12 300 µUSD). Accepts `D+`, `D+.D{1,6}`
/// and `.D{1,6}`; refuses empty input, signs (a negative cost would lower the spend),
/// exponents, more than six decimals, whitespace, NaN/infinity and amounts over
/// [`MAX_MICRO_USD`].
pub fn parse_usd(text: &str) -> Result<u64> {
    if text.is_empty() {
        return Err(invalid("empty amount"));
    }
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) {
        return Err(invalid(format!(
            "amount {text:?} is not a plain non-negative decimal (no sign, exponent or NaN)"
        )));
    }
    let frac = frac_part.unwrap_or("");
    if frac_part.is_some() && (frac.is_empty() || !all_digits(frac)) {
        return Err(invalid(format!("amount {text:?} has a malformed fraction")));
    }
    if int_part.is_empty() && frac.is_empty() {
        return Err(invalid("amount has no digits"));
    }
    if frac.len() > 6 {
        return Err(invalid(format!(
            "amount {text:?} has more than 6 decimals (micro-USD precision)"
        )));
    }
    let int_digits = int_part.trim_start_matches('0');
    if int_digits.len() > 10 {
        return Err(invalid(format!("amount {text:?} is out of range")));
    }
    let whole: u64 = if int_digits.is_empty() {
        0
    } else {
        int_digits
            .parse()
            .map_err(|_| invalid(format!("amount {text:?} is out of range")))?
    };
    let mut micro_frac: u64 = 0;
    for b in frac.bytes().chain(std::iter::repeat(b'0')).take(6) {
        micro_frac = micro_frac * 10 + u64::from(b - b'0');
    }
    let total = whole
        .checked_mul(MICRO_PER_USD)
        .and_then(|w| w.checked_add(micro_frac))
        .filter(|t| *t <= MAX_MICRO_USD)
        .ok_or_else(|| invalid(format!("amount {text:?} is out of range")))?;
    Ok(total)
}

/// Converts a JSON/float USD amount through its shortest decimal form (`0.1` → 100 000),
/// with the rules of [`parse_usd`]; NaN, infinities and negatives are refused.
pub fn usd_from_f64(value: f64) -> Result<u64> {
    if !value.is_finite() {
        return Err(invalid("amount is not a finite number"));
    }
    if value < 0.0 || (value == 0.0 && value.is_sign_negative()) {
        return Err(invalid("amount is negative"));
    }
    // Rust's `Display` for f64 prints the shortest round-trip decimal and never uses an
    // exponent, so `1e-7` becomes "0.0000001" (7 decimals, refused).
    parse_usd(&format!("{value}"))
}

/// A micro-USD amount as a USD decimal string with six decimals (`12300` → `"0.012300"`).
pub fn format_usd(micro: u64) -> String {
    format!("{}.{:06}", micro / MICRO_PER_USD, micro % MICRO_PER_USD)
}

/// A reported cost: integer micro-USD, or a USD amount as a decimal string or number.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Cost {
    /// Integer micro-USD (may be negative here; [`Cost::micro_usd`] refuses it).
    Micro(i64),
    /// A USD decimal string, parsed by [`parse_usd`].
    Usd(String),
    /// A USD float (JSON number with a fraction), parsed by [`usd_from_f64`].
    Float(f64),
}

impl Cost {
    /// The cost in micro-USD, validated (non-negative, in range, well-formed).
    pub fn micro_usd(&self) -> Result<u64> {
        match self {
            Cost::Micro(m) => {
                let m = u64::try_from(*m).map_err(|_| invalid("cost is negative"))?;
                if m > MAX_MICRO_USD {
                    return Err(invalid("cost is out of range"));
                }
                Ok(m)
            }
            Cost::Usd(s) => parse_usd(s),
            Cost::Float(f) => usd_from_f64(*f),
        }
    }
}
