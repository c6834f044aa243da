//! Version strings printed in the table. Cargo cannot hand a program its dependencies'
//! versions, so they are written here: keep them in sync with the `=` pins in
//! `bench/Cargo.toml` (the test below checks them against `Cargo.lock`).

/// Our implementation: this workspace's version and its crypto backends (ring for JWS
/// and PBKDF2; RustCrypto SHA-1/SHA-2 for HOTP/TOTP; RustCrypto argon2).
pub const TENXYTE_CORE: &str = concat!(
    "tenxyte-core ",
    env!("CARGO_PKG_VERSION"),
    " (ring 0.17.14; OTP: RustCrypto sha1/sha2 0.11)"
);
/// JWT anchor.
pub const JSONWEBTOKEN: &str = "jsonwebtoken 12.0.0 (aws-lc-rs 1.19.0, aws-lc-sys 0.47.0)";
/// Raw primitives for the "crypto only" rows.
pub const RING: &str = "ring 0.17.14";
/// Password-hashing anchor.
pub const ARGON2: &str = "argon2 0.6.0 (RustCrypto)";
/// TOTP anchor.
pub const TOTP_RS: &str = "totp-rs 6.0.0";
/// RustCrypto HMAC-SHA1, for the second crypto-only TOTP row.
pub const RUSTCRYPTO_HMAC_SHA1: &str = "hmac 0.13.0 + sha1 0.11.0 (RustCrypto)";

#[cfg(test)]
mod tests {
    /// Every "name version" pair named above must be what Cargo.lock resolved.
    #[test]
    fn versions_match_cargo_lock() {
        let lock = include_str!("../../Cargo.lock");
        let pairs = [
            ("ring", "0.17.14"),
            ("jsonwebtoken", "12.0.0"),
            ("aws-lc-rs", "1.19.0"),
            ("aws-lc-sys", "0.47.0"),
            ("argon2", "0.6.0"),
            ("totp-rs", "6.0.0"),
            ("hmac", "0.13.0"),
            ("sha1", "0.11.0"),
        ];
        for (name, version) in pairs {
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"\n");
            assert!(lock.contains(&entry), "Cargo.lock has no {name} {version}");
        }
        for s in [
            super::TENXYTE_CORE,
            super::JSONWEBTOKEN,
            super::RING,
            super::ARGON2,
            super::TOTP_RS,
            super::RUSTCRYPTO_HMAC_SHA1,
        ] {
            assert!(
                pairs.iter().any(|(n, v)| s.contains(&format!("{n} {v}"))),
                "{s}"
            );
        }
    }
}
