//! TOTP (RFC 6238): HOTP over the time step, with a bounded window and replay refusal.

use subtle::{ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};

use crate::error::{err, ErrorCode, Result};

use super::format::check_code_format;
use super::hotp::{check_digits, hotp_code};
use super::{Algorithm, OtpSecret, DEFAULT_DIGITS};

/// The step length used when none is given: 30 seconds (RFC 6238 §5.2, ASVS v5 6.5.5).
pub const DEFAULT_PERIOD: u32 = 30;

/// The window the project uses by default: one step either side (RFC 6238 §5.2; Tenxyte's
/// pyotp `valid_window=1`).
pub const DEFAULT_WINDOW: u32 = 1;

/// The largest window [`Totp::verify`] accepts, in steps either side of now. Every extra
/// step multiplies a guesser's odds, so wide windows are refused outright.
pub const MAX_WINDOW: u32 = 10;

/// A TOTP generator/verifier: secret, hash, digits, step length and epoch `t0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totp {
    secret: OtpSecret,
    algorithm: Algorithm,
    digits: u32,
    period: u32,
    t0: i64,
}

impl Totp {
    /// SHA-1, 6 digits, 30-second steps from the Unix epoch: what pyotp, Google
    /// Authenticator and Tenxyte use.
    pub fn new(secret: OtpSecret) -> Self {
        Totp {
            secret,
            algorithm: Algorithm::Sha1,
            digits: DEFAULT_DIGITS,
            period: DEFAULT_PERIOD,
            t0: 0,
        }
    }

    /// Explicit parameters; `invalid_input` when `digits` is outside 6..=8 or `period` is 0.
    pub fn with_params(
        secret: OtpSecret,
        algorithm: Algorithm,
        digits: u32,
        period: u32,
        t0: i64,
    ) -> Result<Self> {
        check_digits(digits)?;
        if period == 0 {
            return Err(err(ErrorCode::InvalidInput, "TOTP period must be positive"));
        }
        Ok(Totp {
            secret,
            algorithm,
            digits,
            period,
            t0,
        })
    }

    /// The shared secret.
    pub fn secret(&self) -> &OtpSecret {
        &self.secret
    }

    /// The HMAC hash.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits in a code.
    pub fn digits(&self) -> u32 {
        self.digits
    }

    /// The step length in seconds.
    pub fn period(&self) -> u32 {
        self.period
    }

    /// The Unix time at which step 0 starts.
    pub fn t0(&self) -> i64 {
        self.t0
    }

    /// The time step at `now`: floor((now − t0) / period). `invalid_input` before `t0`,
    /// where RFC 6238 defines no step.
    pub fn step_at(&self, now: i64) -> Result<u64> {
        let elapsed = now
            .checked_sub(self.t0)
            .filter(|e| *e >= 0)
            .ok_or_else(|| err(ErrorCode::InvalidInput, "time is before the TOTP epoch t0"))?;
        // elapsed >= 0, so the conversion cannot fail and integer division is the floor.
        let elapsed = u64::try_from(elapsed)
            .map_err(|_| err(ErrorCode::InvalidInput, "time is before the TOTP epoch t0"))?;
        Ok(elapsed / u64::from(self.period))
    }

    /// The code for time step `step`.
    pub fn code_at_step(&self, step: u64) -> Result<String> {
        hotp_code(&self.secret, step, self.algorithm, self.digits)
    }

    /// The code valid at `now`.
    pub fn code_at(&self, now: i64) -> Result<String> {
        self.code_at_step(self.step_at(now)?)
    }

    /// Verifies `code` at `now` and returns the matched time step, which the caller stores
    /// as the user's new `last_used_step`.
    ///
    /// 1. Format first: exactly `digits` ASCII digits, else `invalid_format`.
    /// 2. Every step in `[t − window, t + window]` (t = [`step_at`](Self::step_at)`(now)`,
    ///    clipped at step 0) is computed and compared in constant time, all of them, with no
    ///    early exit, so timing does not reveal which step matched.
    /// 3. Among matching steps, the newest one after `last_used_step` is returned. If the
    ///    code matches only at steps ≤ `last_used_step`, it is `replayed` (RFC 6238 §5.2:
    ///    the verifier MUST NOT accept the second attempt of the same OTP). No match at all
    ///    is `invalid_code`.
    ///
    /// `window` above [`MAX_WINDOW`] and `now` before `t0` are `invalid_input`.
    pub fn verify(
        &self,
        code: &str,
        now: i64,
        window: u32,
        last_used_step: Option<u64>,
    ) -> Result<u64> {
        check_code_format(code, usize::try_from(self.digits).unwrap_or(usize::MAX))?;
        if window > MAX_WINDOW {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("TOTP window must be at most {MAX_WINDOW} steps"),
            ));
        }
        let current = self.step_at(now)?;
        let first = current.saturating_sub(u64::from(window));
        let last = current.saturating_add(u64::from(window));

        let mut any_match = subtle::Choice::from(0);
        let mut fresh_match = subtle::Choice::from(0);
        let mut newest_fresh = 0u64;
        let mac = self.algorithm.keyed(self.secret.as_bytes());
        let modulus = 10u32.pow(self.digits);
        let wanted = super::hotp::code_value(code);
        for step in first..=last {
            let hit = (mac.truncated(step) % modulus).ct_eq(&wanted);
            // A step is fresh when no step at or after it has been accepted before.
            let fresh = match last_used_step {
                Some(used) => step.ct_gt(&used),
                None => subtle::Choice::from(1),
            };
            let accept = hit & fresh;
            // Steps ascend, so the last accepted assignment is the newest fresh match.
            newest_fresh = u64::conditional_select(&newest_fresh, &step, accept);
            fresh_match |= accept;
            any_match |= hit;
        }
        if bool::from(fresh_match) {
            Ok(newest_fresh)
        } else if bool::from(any_match) {
            Err(err(
                ErrorCode::Replayed,
                "TOTP code was already used: its step is at or before the last accepted one",
            ))
        } else {
            Err(err(ErrorCode::InvalidCode, "TOTP code does not match"))
        }
    }
}
