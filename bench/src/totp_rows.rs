//! TOTP verify (SHA-1, 6 digits, 30 s, window 1) at a pinned time: ours, `totp-rs`
//! (`check` with skew 1, never its clock-reading functions) and three bare HMACs.
//!
//! Two "crypto only" rows: ring's HMAC-SHA1 (the backend ours uses; its SHA-1 is
//! portable code) and RustCrypto's (which totp-rs uses; SHA-NI when the CPU has it).
//!
//! Only the invalid-code row is like for like: every implementation computes all three
//! steps. For a valid code totp-rs stops at the first match (t-1 first, so 2 HMACs),
//! while ours always computes the whole window so that timing hides which step matched.

use crate::fixtures::{TOTP_NOW, TOTP_SECRET};
use crate::harness::{Bench, Kind, Speed};
use crate::versions;
use std::hint::black_box;
use tenxyte_core::otp::{OtpSecret, Totp};

const WINDOW: u32 = 1;
const PERIOD: u64 = 30;

/// The "crypto only" loop: three HMAC-SHA1s with dynamic truncation, compared as numbers.
fn raw_check(key: &ring::hmac::Key, code: u32, now: u64) -> bool {
    let current = now / PERIOD;
    let mut hit = false;
    for step in current - 1..=current + 1 {
        let tag = ring::hmac::sign(key, &step.to_be_bytes());
        let mac = tag.as_ref();
        let offset = usize::from(mac[19] & 0x0f);
        let word = u32::from_be_bytes([
            mac[offset],
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        hit |= (word & 0x7fff_ffff) % 1_000_000 == code;
    }
    hit
}

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

/// The same loop on RustCrypto's HMAC-SHA1 (what totp-rs uses), keyed once.
fn rustcrypto_check(keyed: &HmacSha1, code: u32, now: u64) -> bool {
    use hmac::Mac as _;
    let current = now / PERIOD;
    let mut hit = false;
    for step in current - 1..=current + 1 {
        let mut mac = keyed.clone();
        mac.update(&step.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        let offset = usize::from(tag[19] & 0x0f);
        let word = u32::from_be_bytes([
            tag[offset],
            tag[offset + 1],
            tag[offset + 2],
            tag[offset + 3],
        ]);
        hit |= (word & 0x7fff_ffff) % 1_000_000 == code;
    }
    hit
}

/// The TOTP rows.
pub fn rows(b: &mut Bench) {
    let now = i64::try_from(TOTP_NOW).expect("fits");
    let ours = Totp::new(OtpSecret::from_bytes(TOTP_SECRET.to_vec()).expect("20-byte secret"));
    let theirs = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(PERIOD)
        .with_secret(*TOTP_SECRET)
        .build()
        .expect("totp-rs accepts the secret");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, TOTP_SECRET);
    let keyed = <HmacSha1 as hmac::KeyInit>::new_from_slice(TOTP_SECRET).expect("any key length");

    // RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082, whose last six digits are the code.
    assert_eq!(ours.code_at(59).expect("code"), "287082");
    assert_eq!(theirs.generate(59).to_string(), "287082");

    let valid = ours.code_at(now).expect("code");
    assert_eq!(theirs.generate(TOTP_NOW).to_string(), valid);
    let window: Vec<String> = (-1..=1)
        .map(|d| ours.code_at(now + d * 30).expect("code"))
        .collect();
    let invalid = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !window.contains(c))
        .expect("some code is outside the window");

    for (label, code, accepted) in [("valid", &valid, true), ("invalid", &invalid, false)] {
        let op = format!("TOTP verify {label} code (window 1)");
        assert_eq!(
            ours.verify(code, now, WINDOW, None).is_ok(),
            accepted,
            "ours {label}"
        );
        assert_eq!(
            theirs.check(code, TOTP_NOW).is_some(),
            accepted,
            "totp-rs {label}"
        );
        let number: u32 = code.parse().expect("digits");
        assert_eq!(raw_check(&key, number, TOTP_NOW), accepted, "ring {label}");
        assert_eq!(
            rustcrypto_check(&keyed, number, TOTP_NOW),
            accepted,
            "RustCrypto {label}"
        );

        b.measure(
            Speed::Fast,
            &op,
            "tenxyte-core (ours)",
            Kind::Ours,
            versions::TENXYTE_CORE,
            || ours.verify(black_box(code), black_box(now), WINDOW, None),
        );
        b.measure(
            Speed::Fast,
            &op,
            "totp-rs check",
            Kind::Anchor,
            versions::TOTP_RS,
            || theirs.check(black_box(code), black_box(TOTP_NOW)),
        );
        b.measure(
            Speed::Fast,
            &op,
            "ring raw 3× HMAC-SHA1 (crypto only)",
            Kind::CryptoOnly,
            versions::RING,
            || raw_check(&key, black_box(number), black_box(TOTP_NOW)),
        );
        b.measure(
            Speed::Fast,
            &op,
            "RustCrypto 3× HMAC-SHA1 (crypto only)",
            Kind::CryptoOnly,
            versions::RUSTCRYPTO_HMAC_SHA1,
            || rustcrypto_check(&keyed, black_box(number), black_box(TOTP_NOW)),
        );
    }
}
