#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! RFC 6238 known answers and the window / replay / format rules of `Totp::verify`.

use std::collections::HashMap;

use tenxyte_core::otp::{Algorithm, OtpSecret, Totp};
use tenxyte_core::ErrorCode;

/// RFC 6238 Appendix B seeds. The RFC's reference code uses these 20-, 32- and 64-byte
/// ASCII strings (errata 2866: the text wrongly says all three use the 20-byte one).
fn rfc_totp(alg: Algorithm) -> Totp {
    let seed: &[u8] = match alg {
        Algorithm::Sha1 => b"12345678901234567890",
        Algorithm::Sha256 => b"12345678901234567890123456789012",
        Algorithm::Sha512 => b"1234567890123456789012345678901234567890123456789012345678901234",
    };
    Totp::with_params(OtpSecret::from_bytes(seed.to_vec()).unwrap(), alg, 8, 30, 0).unwrap()
}

#[test]
fn rfc6238_appendix_b() {
    // (time, T, SHA1, SHA256, SHA512) exactly as in the RFC's table.
    let table: [(i64, u64, &str, &str, &str); 6] = [
        (59, 0x1, "94287082", "46119246", "90693936"),
        (1111111109, 0x23523EC, "07081804", "68084774", "25091201"),
        (1111111111, 0x23523ED, "14050471", "67062674", "99943326"),
        (1234567890, 0x273EF07, "89005924", "91819424", "93441116"),
        (2000000000, 0x3F940AA, "69279037", "90698825", "38618901"),
        (20000000000, 0x27BC86AA, "65353130", "77737706", "47863826"),
    ];
    for (time, step, sha1, sha256, sha512) in table {
        for (alg, want) in [
            (Algorithm::Sha1, sha1),
            (Algorithm::Sha256, sha256),
            (Algorithm::Sha512, sha512),
        ] {
            let totp = rfc_totp(alg);
            assert_eq!(totp.step_at(time).unwrap(), step, "T at {time}");
            assert_eq!(totp.code_at(time).unwrap(), want, "{alg} at {time}");
            assert_eq!(totp.verify(want, time, 1, None).unwrap(), step);
        }
    }
}

/// The RFC SHA-1 seed with 6 digits, at the RFC's time 1111111109 (step T = 0x23523EC).
fn six_digit() -> (Totp, i64, u64) {
    let seed = OtpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
    (Totp::new(seed), 1111111109, 0x23523EC)
}

#[test]
fn window_of_one_accepts_neighbours_only() {
    let (totp, now, t) = six_digit();
    let code = |s: u64| totp.code_at_step(s).unwrap();
    let codes: Vec<String> = (t - 2..=t + 2).map(code).collect();
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        5,
        "test needs five distinct codes: {codes:?}"
    );

    // (step offset, window, expected)
    let table: [(i64, u32, Result<i64, ErrorCode>); 10] = [
        (-1, 1, Ok(-1)),
        (0, 1, Ok(0)),
        (1, 1, Ok(1)),
        (-2, 1, Err(ErrorCode::InvalidCode)),
        (2, 1, Err(ErrorCode::InvalidCode)),
        (0, 0, Ok(0)),
        (-1, 0, Err(ErrorCode::InvalidCode)),
        (1, 0, Err(ErrorCode::InvalidCode)),
        (-2, 2, Ok(-2)),
        (2, 2, Ok(2)),
    ];
    for (offset, window, want) in table {
        let step = t.checked_add_signed(offset).unwrap();
        let got = totp.verify(&code(step), now, window, None);
        let want = want.map(|o| t.checked_add_signed(o).unwrap());
        assert_eq!(
            got.map_err(|e| e.code()),
            want,
            "offset {offset}, window {window}"
        );
    }
    // The window counts from the step of `now`, not from `now` itself: the last second of
    // step t still has t+1 in a window of 1, and the first second of step t+1 has t.
    let end_of_step = i64::try_from((t + 1) * 30 - 1).unwrap();
    assert_eq!(
        totp.verify(&code(t + 1), end_of_step, 1, None).unwrap(),
        t + 1
    );
    assert_eq!(
        totp.verify(&code(t + 2), end_of_step, 1, None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidCode
    );
}

#[test]
fn replays_are_refused() {
    let (totp, now, t) = six_digit();
    let code = |s: u64| totp.code_at_step(s).unwrap();
    // First use succeeds and returns the step to store.
    let stored = totp.verify(&code(t), now, 1, None).unwrap();
    assert_eq!(stored, t);
    // Same code again: replayed.
    assert_eq!(
        totp.verify(&code(t), now, 1, Some(stored))
            .unwrap_err()
            .code(),
        ErrorCode::Replayed
    );
    // An earlier step's code, still inside the window: replayed too (step <= last used).
    assert_eq!(
        totp.verify(&code(t - 1), now, 1, Some(stored))
            .unwrap_err()
            .code(),
        ErrorCode::Replayed
    );
    // A later code is fine and moves the stored step forward.
    assert_eq!(
        totp.verify(&code(t + 1), now, 1, Some(stored)).unwrap(),
        t + 1
    );
    // Once t+1 was used, the code of t is replayed even though it was never itself used.
    assert_eq!(
        totp.verify(&code(t), now, 1, Some(t + 1))
            .unwrap_err()
            .code(),
        ErrorCode::Replayed
    );
    // A wrong code stays invalid_code whatever the replay state.
    let wrong = if code(t) == "000000" {
        "000001"
    } else {
        "000000"
    };
    assert_eq!(
        totp.verify(wrong, now, 1, Some(t)).unwrap_err().code(),
        ErrorCode::InvalidCode
    );
}

#[test]
fn a_code_matching_several_steps_resolves_to_the_newest_fresh_one() {
    // Find two steps within 20 of each other whose 6-digit codes collide (deterministic:
    // the scan always finds the same pair for the RFC seed).
    let (totp, _, _) = six_digit();
    let mut last_seen: HashMap<String, u64> = HashMap::new();
    let mut pair = None;
    for step in 0..2_000_000u64 {
        let c = totp.code_at_step(step).unwrap();
        if let Some(&prev) = last_seen.get(&c) {
            if step - prev <= 20 {
                pair = Some((prev, step, c));
                break;
            }
        }
        last_seen.insert(c, step);
    }
    let (older, newer, code) = pair.expect("a collision within 20 steps");
    // Both steps inside a window of 10 around their midpoint.
    let mid = (older + newer) / 2;
    let now = i64::try_from(mid * 30).unwrap();
    let window = 10;
    assert_eq!(totp.verify(&code, now, window, None).unwrap(), newer);
    assert_eq!(
        totp.verify(&code, now, window, Some(older - 1)).unwrap(),
        newer
    );
    assert_eq!(totp.verify(&code, now, window, Some(older)).unwrap(), newer);
    assert_eq!(
        totp.verify(&code, now, window, Some(newer))
            .unwrap_err()
            .code(),
        ErrorCode::Replayed
    );
}

#[test]
fn format_is_checked_first() {
    let (totp, now, t) = six_digit();
    let good = totp.code_at_step(t).unwrap();
    for bad in [
        "12345",
        "1234567",
        " 123456",
        "123456 ",
        "\u{661}\u{662}\u{663}\u{664}\u{665}\u{666}", // Arabic-Indic digits
        "\u{ff11}\u{ff12}\u{ff13}\u{ff14}\u{ff15}\u{ff16}", // full-width digits
        "+12345",
        "-12345",
        "12345a",
        "12 456",
        "",
        "0x1234",
    ] {
        assert_eq!(
            totp.verify(bad, now, 1, None).unwrap_err().code(),
            ErrorCode::InvalidFormat,
            "{bad:?}"
        );
    }
    // Format wins over every other failure: a bad window or a time before t0.
    assert_eq!(
        totp.verify("12345", now, 99, None).unwrap_err().code(),
        ErrorCode::InvalidFormat
    );
    assert_eq!(
        totp.verify("12345", -1, 1, None).unwrap_err().code(),
        ErrorCode::InvalidFormat
    );
    // Leading zeros matter: the integer value of the code is not what is compared.
    let trimmed = good.trim_start_matches('0');
    if trimmed.len() < 6 {
        assert_eq!(
            totp.verify(trimmed, now, 1, None).unwrap_err().code(),
            ErrorCode::InvalidFormat
        );
    }
}

#[test]
fn steps_epochs_and_bounds() {
    let seed = OtpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
    let shifted = Totp::with_params(seed.clone(), Algorithm::Sha1, 6, 30, 100).unwrap();
    assert_eq!(shifted.step_at(100).unwrap(), 0);
    assert_eq!(shifted.step_at(129).unwrap(), 0);
    assert_eq!(shifted.step_at(130).unwrap(), 1);
    assert_eq!(
        shifted.step_at(99).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    assert_eq!(
        shifted.step_at(i64::MIN).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
    // With t0 = 100, time 130 is step 1: the same step, so the same code, as time 30 at t0 = 0.
    let plain = Totp::new(seed.clone());
    assert_eq!(shifted.code_at(130).unwrap(), plain.code_at(30).unwrap());
    let negative_epoch = Totp::with_params(seed.clone(), Algorithm::Sha1, 6, 7, -70).unwrap();
    assert_eq!(negative_epoch.step_at(0).unwrap(), 10);

    assert!(Totp::with_params(seed.clone(), Algorithm::Sha1, 6, 0, 0).is_err());
    assert!(Totp::with_params(seed.clone(), Algorithm::Sha1, 5, 30, 0).is_err());
    assert!(Totp::with_params(seed.clone(), Algorithm::Sha1, 9, 30, 0).is_err());

    // Near step 0 the window is clipped instead of wrapping.
    assert_eq!(
        plain
            .verify(&plain.code_at(0).unwrap(), 10, 1, None)
            .unwrap(),
        0
    );
    assert_eq!(
        plain.verify("123456", 0, 11, None).unwrap_err().code(),
        ErrorCode::InvalidInput
    );
}
