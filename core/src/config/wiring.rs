//! From settings to the parameters each module takes: the one place where a setting
//! becomes behaviour, so no flow or binding re-derives them.

use super::mfa::TotpAlgorithm;
use super::Settings;
use crate::jwt::{Algorithm, VerifyOptions};
use crate::otp;
use crate::password::{self, policy::PasswordPolicy, Argon2Params};

impl Settings {
    /// The argon2id parameters for new hashes (and the rehash target).
    pub fn argon2_params(&self) -> Argon2Params {
        let a = &self.password.argon2;
        Argon2Params {
            memory_kib: a.memory_kib,
            iterations: a.iterations,
            parallelism: a.parallelism,
        }
    }

    /// Options for verifying stored password hashes: rehash towards the current params.
    pub fn password_verify_options(&self) -> password::VerifyOptions {
        password::VerifyOptions {
            target: self.argon2_params(),
            ..password::VerifyOptions::default()
        }
    }

    /// The password policy. `has_mfa` selects `min_length_without_mfa` when the user has
    /// no second factor (Tenxyte's rule, which its serializers never applied).
    pub fn password_policy(&self, has_mfa: bool) -> PasswordPolicy {
        let p = &self.password;
        let min = match (has_mfa, p.min_length_without_mfa) {
            (false, Some(no_mfa)) => p.min_length.max(no_mfa),
            _ => p.min_length,
        };
        PasswordPolicy {
            min_length: usize::try_from(min).unwrap_or(usize::MAX),
            max_length: usize::try_from(p.max_length).unwrap_or(usize::MAX),
            require_uppercase: p.require_uppercase,
            require_lowercase: p.require_lowercase,
            require_digit: p.require_digit,
            require_special: p.require_special,
            min_unique_chars: usize::try_from(p.min_unique_chars).unwrap_or(usize::MAX),
            check_common: p.reject_common,
            check_context_words: p.reject_user_info,
            reject_sequences: p.reject_sequences,
            reject_repetition: p.reject_repetition,
        }
    }

    /// Verification options for this deployment's access tokens at time `now`: the one
    /// configured algorithm, issuer, audience, leeway, size cap and `typ: at+jwt`.
    pub fn access_token_verify_options(&self, now: i64) -> VerifyOptions {
        let j = &self.jwt;
        let algorithm: Algorithm = j.algorithm;
        let mut o = VerifyOptions::new(&[algorithm], now);
        o.leeway = j.leeway_secs;
        o.issuer = Some(j.issuer.clone());
        o.audience = j.audience.clone().map(|a| vec![a]);
        o.typ = Some(crate::jwt::profile::TokenKind::Access.typ());
        o.max_token_bytes = usize::try_from(j.max_token_bytes).unwrap_or(usize::MAX);
        o.require = ["exp", "iat", "jti", "user_id", "app_id"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        o
    }

    /// The TOTP algorithm of new enrolments.
    pub fn totp_algorithm(&self) -> otp::Algorithm {
        match self.totp.algorithm {
            TotpAlgorithm::SHA1 => otp::Algorithm::Sha1,
            TotpAlgorithm::SHA256 => otp::Algorithm::Sha256,
            TotpAlgorithm::SHA512 => otp::Algorithm::Sha512,
        }
    }

    /// A TOTP for `secret` with this deployment's algorithm, digits and period.
    pub fn totp(&self, secret: otp::OtpSecret) -> crate::Result<otp::Totp> {
        let period = u32::try_from(self.totp.period_secs).map_err(|_| {
            crate::error::err(
                crate::ErrorCode::InvalidSetting,
                "totp.period_secs is too large",
            )
        })?;
        otp::Totp::with_params(secret, self.totp_algorithm(), self.totp.digits, period, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;

    #[test]
    fn presets_become_module_parameters() {
        let robust = Settings::preset(Preset::Robust);
        assert_eq!(
            robust.access_token_verify_options(5).algorithms,
            vec![Algorithm::ES256]
        );
        assert_eq!(robust.argon2_params(), Argon2Params::default());
        let policy = robust.password_policy(true);
        assert_eq!(policy.min_length, robust.password.min_length as usize);
        let mut s = Settings::preset(Preset::Medium);
        s.password.min_length_without_mfa = Some(20);
        assert_eq!(s.password_policy(false).min_length, 20);
        assert_eq!(
            s.password_policy(true).min_length,
            s.password.min_length as usize
        );
        let totp = s
            .totp(otp::OtpSecret::from_bytes(vec![1u8; 20]).unwrap())
            .unwrap();
        assert_eq!(totp.digits(), 6);
        assert_eq!(totp.period(), 30);
    }
}
