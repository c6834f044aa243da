//! The one way the core draws randomness: the operating system's CSPRNG through
//! `getrandom` (its JavaScript backend is switched on by the `js` feature, which only
//! the wasm binding enables). Functions that need reproducible output for test vectors
//! take their random bytes as an argument instead of calling this module.
//!
//! One exception, forced by the crypto backend: `ring`'s `SecureRandom` trait is sealed,
//! so ECDSA nonces, RSA-PSS salts, P-256/P-384 key generation and the EC point check in
//! `jwt::Key` draw from `ring::rand::SystemRandom`, which reads the same OS source.

use crate::error::{err, ErrorCode, Result};

/// Fills `buf` from the system CSPRNG.
pub fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| {
        err(
            ErrorCode::Internal,
            format!("system random source unavailable: {e}"),
        )
    })
}

/// `N` random bytes from the system CSPRNG.
pub fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// A uniformly distributed integer in `0..bound` (rejection sampling, no modulo bias).
pub fn below(bound: u32) -> Result<u32> {
    if bound == 0 {
        return Err(err(
            ErrorCode::InvalidInput,
            "random bound must be positive",
        ));
    }
    // Largest multiple of `bound` that fits in u32; values at or above it are redrawn.
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let v = u32::from_le_bytes(bytes::<4>()?);
        if v < zone {
            return Ok(v % bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ_and_stay_in_range() {
        assert_ne!(bytes::<32>().unwrap(), bytes::<32>().unwrap());
        for _ in 0..1000 {
            assert!(below(10).unwrap() < 10);
        }
        assert!(below(0).is_err());
    }
}
