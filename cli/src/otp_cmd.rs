//! `tenxyte otp`: create secrets, codes, URIs and QR codes; `--jsonl` batch verification.

use crate::{jsonl, CliResult};
use serde_json::Value;
use tenxyte_core::otp::{self, Algorithm, OtpSecret, Totp};
use tenxyte_core::Error;

/// TOTP parameters shared by the one-shot commands.
pub struct TotpArgs {
    pub secret: String,
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u32,
}

impl TotpArgs {
    fn totp(&self) -> CliResult<Totp> {
        let secret = OtpSecret::from_base32(&self.secret)?;
        Ok(Totp::with_params(
            secret,
            self.algorithm,
            self.digits,
            self.period,
            0,
        )?)
    }
}

/// `tenxyte otp secret`: a fresh base32 secret (160 bits).
pub fn secret() -> CliResult<String> {
    Ok(OtpSecret::generate()?.to_base32())
}

/// `tenxyte otp code`: the current (or given-time) TOTP code.
pub fn code(args: &TotpArgs, now: i64) -> CliResult<String> {
    Ok(args.totp()?.code_at(now)?)
}

/// `tenxyte otp uri`: the `otpauth://` URI, and optionally its QR code as SVG.
pub fn uri(args: &TotpArgs, issuer: &str, account: &str, qr: bool) -> CliResult<String> {
    let uri = args.totp()?.provisioning_uri(issuer, account)?;
    if qr {
        return Ok(otp::qr_svg(&uri)?);
    }
    Ok(uri)
}

fn verify_line(line: Value) -> Result<Value, Error> {
    Ok(tenxyte_core::batch::otp_verify(&line, crate::now()))
}

/// `tenxyte otp verify --jsonl`.
pub fn verify_jsonl() -> CliResult<()> {
    jsonl::run_stdio(verify_line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc6238_through_a_batch_line() {
        // RFC 6238 Appendix B, SHA-1, T = 59 → 94287082.
        let secret = OtpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let b32 = secret.to_base32();
        let ok = verify_line(
            json!({"secret_base32": b32, "digits": 8, "now": 59, "window": 0, "code": "94287082"}),
        )
        .unwrap();
        assert_eq!(ok, json!({"valid": true, "step": 1}));
        let replay = verify_line(json!({"secret_base32": b32, "digits": 8, "now": 59, "window": 0, "last_used_step": 1, "code": "94287082"})).unwrap();
        assert_eq!(replay["code"], "replayed");
        let fmt = verify_line(json!({"secret_base32": b32, "now": 59, "code": "12 456"})).unwrap();
        assert_eq!(fmt["code"], "invalid_format");
        // RFC 4226 Appendix D, counter 0 → 755224; look-ahead finds counter 2 → 359152.
        let hotp = verify_line(
            json!({"secret_base32": b32, "counter": 0, "look_ahead": 3, "code": "359152"}),
        )
        .unwrap();
        assert_eq!(hotp, json!({"valid": true, "new_counter": 3}));
    }
}
