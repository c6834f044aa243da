//! HOTP (RFC 4226): the counter-based code, and the truncation TOTP builds on.

use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::error::{err, ErrorCode, Result};

use super::format::check_code_format;
use super::{Algorithm, OtpSecret, DEFAULT_DIGITS, MAX_DIGITS, MIN_DIGITS};

/// The largest look-ahead [`Hotp::verify`] accepts. RFC 4226 §7.4 asks for a bounded
/// resynchronisation window; each extra counter checked adds one HMAC and one more chance
/// for a guess to land.
pub const MAX_LOOK_AHEAD: u32 = 100;

pub(crate) fn check_digits(digits: u32) -> Result<()> {
    if (MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
        Ok(())
    } else {
        Err(err(
            ErrorCode::InvalidInput,
            format!("OTP digits must be between {MIN_DIGITS} and {MAX_DIGITS}"),
        ))
    }
}

/// The HOTP value for `counter` (RFC 4226 §5.3): HMAC of the 8-byte big-endian counter,
/// dynamic truncation to 31 bits, the last `digits` decimal digits, zero-padded.
/// `invalid_input` when `digits` is outside 6..=8.
pub fn hotp_code(
    secret: &OtpSecret,
    counter: u64,
    algorithm: Algorithm,
    digits: u32,
) -> Result<String> {
    check_digits(digits)?;
    let value = algorithm.keyed(secret.as_bytes()).truncated(counter) % 10u32.pow(digits);
    Ok(format!(
        "{value:0width$}",
        width = usize::try_from(digits).unwrap_or(6)
    ))
}

/// The code as the integer it denotes (format already checked: exactly `digits` ASCII
/// digits, so it fits in a u32 and leading zeros are preserved by the length check).
pub(crate) fn code_value(code: &str) -> u32 {
    code.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(10)
            .wrapping_add(u32::from(b.wrapping_sub(b'0')))
    })
}

/// A HOTP generator/verifier: secret, hash and digit count. The counter is state the host
/// keeps per user; it is passed in and the new value handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hotp {
    secret: OtpSecret,
    algorithm: Algorithm,
    digits: u32,
}

impl Hotp {
    /// SHA-1 and 6 digits, the RFC 4226 defaults.
    pub fn new(secret: OtpSecret) -> Self {
        Hotp {
            secret,
            algorithm: Algorithm::Sha1,
            digits: DEFAULT_DIGITS,
        }
    }

    /// Explicit parameters; `invalid_input` when `digits` is outside 6..=8.
    pub fn with_params(secret: OtpSecret, algorithm: Algorithm, digits: u32) -> Result<Self> {
        check_digits(digits)?;
        Ok(Hotp {
            secret,
            algorithm,
            digits,
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

    /// The code for `counter`.
    pub fn code(&self, counter: u64) -> Result<String> {
        hotp_code(&self.secret, counter, self.algorithm, self.digits)
    }

    /// Checks `code` against counters `counter ..= counter + look_ahead` (RFC 4226 §7.4) and
    /// returns the counter to store next: the matched counter plus one. Every candidate is
    /// computed and compared, match or not, so the time taken does not tell where (or
    /// whether) the code matched; if several counters match, the lowest wins so the counter
    /// moves as little as possible.
    ///
    /// Errors: `invalid_format` (not exactly `digits` ASCII digits), `invalid_input`
    /// (`look_ahead` above [`MAX_LOOK_AHEAD`], or the counter would overflow),
    /// `invalid_code` (no counter in range matches).
    pub fn verify(&self, code: &str, counter: u64, look_ahead: u32) -> Result<u64> {
        check_code_format(code, self.digits_usize())?;
        if look_ahead > MAX_LOOK_AHEAD {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("HOTP look-ahead must be at most {MAX_LOOK_AHEAD}"),
            ));
        }
        let last = counter
            .checked_add(u64::from(look_ahead))
            .and_then(|c| c.checked_add(1))
            .ok_or_else(|| err(ErrorCode::InvalidInput, "HOTP counter overflow"))?;
        let mut found = subtle::Choice::from(0);
        let mut matched = 0u64;
        let mac = self.algorithm.keyed(self.secret.as_bytes());
        let modulus = 10u32.pow(self.digits);
        let wanted = code_value(code);
        // Walk downwards so the last assignment is the lowest matching counter.
        for candidate in (counter..last).rev() {
            let hit = (mac.truncated(candidate) % modulus).ct_eq(&wanted);
            matched = u64::conditional_select(&matched, &candidate, hit);
            found |= hit;
        }
        if bool::from(found) {
            Ok(matched + 1)
        } else {
            Err(err(ErrorCode::InvalidCode, "HOTP code does not match"))
        }
    }

    fn digits_usize(&self) -> usize {
        usize::try_from(self.digits).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> OtpSecret {
        OtpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn rfc4226_appendix_d() {
        // RFC 4226 Appendix D: secret "12345678901234567890", counters 0..9.
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        let hotp = Hotp::new(rfc_secret());
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(
                &hotp.code(counter as u64).unwrap(),
                want,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn rfc4226_appendix_d_truncation_intermediates() {
        // Appendix D also lists the 31-bit truncated values; the 8-digit codes are their
        // last 8 decimal digits (1284755224 -> 84755224, ...).
        let truncated: [u32; 10] = [
            1284755224, 1094287082, 137359152, 1726969429, 1640338314, 868254676, 1918287922,
            82162583, 673399871, 645520489,
        ];
        let secret = rfc_secret();
        for (counter, t) in truncated.iter().enumerate() {
            let want = format!("{:08}", t % 100_000_000);
            assert_eq!(
                hotp_code(&secret, counter as u64, Algorithm::Sha1, 8).unwrap(),
                want
            );
        }
    }

    #[test]
    fn digits_bounds() {
        let s = rfc_secret();
        assert_eq!(
            hotp_code(&s, 0, Algorithm::Sha1, 5).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        assert_eq!(
            hotp_code(&s, 0, Algorithm::Sha1, 9).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        assert_eq!(hotp_code(&s, 0, Algorithm::Sha1, 7).unwrap(), "4755224");
        assert!(Hotp::with_params(s, Algorithm::Sha1, 10).is_err());
    }

    #[test]
    fn look_ahead_resynchronises() {
        let hotp = Hotp::new(rfc_secret());
        // Counter 5's code "254676" is found from counter 3 with look-ahead 2, not 1.
        assert_eq!(hotp.verify("254676", 3, 2).unwrap(), 6);
        assert_eq!(
            hotp.verify("254676", 3, 1).unwrap_err().code(),
            ErrorCode::InvalidCode
        );
        // The stored counter has passed 5: the same code is now behind it and fails.
        assert_eq!(
            hotp.verify("254676", 6, 10).unwrap_err().code(),
            ErrorCode::InvalidCode
        );
        assert_eq!(hotp.verify("755224", 0, 0).unwrap(), 1);
        assert_eq!(
            hotp.verify("75522", 0, 0).unwrap_err().code(),
            ErrorCode::InvalidFormat
        );
        assert_eq!(
            hotp.verify("755224", 0, 101).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        assert_eq!(
            hotp.verify("755224", u64::MAX, 0).unwrap_err().code(),
            ErrorCode::InvalidInput
        );
    }
}
