//! `otpauth://` Key URIs (Google Authenticator's "Key Uri Format"), written byte for byte
//! as pyotp writes them and read back strictly.
//!
//! Writing follows pyotp's `build_uri`:
//! `otpauth://totp/<Issuer>:<account>?secret=<B32>&issuer=<Issuer>` then, only when they
//! differ from the defaults, `&algorithm=SHA256|SHA512`, `&digits=N`, `&period=N`; HOTP
//! puts `&counter=N` right after `issuer`. The label is percent-encoded like Python's
//! `urllib.parse.quote` (unreserved `A-Z a-z 0-9 _ . - ~` and `/` stay literal, a `:` in
//! the issuer or account becomes `%3A`); query values like `urlencode` with spaces as
//! `%20` (only the unreserved characters stay literal).
//!
//! Reading splits the label on its first literal `:` before percent-decoding, as pyotp
//! does since its issue #174, so an encoded `%3A` stays part of a name. Optional spaces
//! before the account name are dropped (Key Uri Format). Where pyotp is lenient we are
//! not: malformed percent escapes, invalid UTF-8, duplicate security parameters, signed
//! or non-ASCII numbers, an HOTP URI without `counter`, or a label issuer that disagrees
//! with the `issuer` parameter are all `invalid_input`; a bad secret is `invalid_secret`.

use std::fmt::Write as _;

use crate::error::{err, ErrorCode, Result};

use super::{Algorithm, Hotp, OtpSecret, Totp, DEFAULT_DIGITS, DEFAULT_PERIOD};

/// The longest URI [`parse_uri`] reads; real ones are around 100–200 bytes.
const MAX_URI_LEN: usize = 4096;

/// What an `otpauth://` URI describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OtpKind {
    /// `otpauth://totp/...`.
    Totp(Totp),
    /// `otpauth://hotp/...` with its initial counter.
    Hotp {
        /// Secret, hash and digits.
        hotp: Hotp,
        /// The `counter` parameter: the next counter the authenticator will use.
        counter: u64,
    },
}

/// A parsed `otpauth://` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUri {
    /// The generator it provisions.
    pub otp: OtpKind,
    /// The issuer, from the label prefix or the `issuer` parameter (they must agree).
    pub issuer: Option<String>,
    /// The account name (the label after the issuer prefix).
    pub account: String,
}

impl Totp {
    /// The `otpauth://totp/...` URI an authenticator app scans, identical to pyotp's
    /// `TOTP(secret, digest=..., digits=..., interval=...).provisioning_uri(name=account,
    /// issuer_name=issuer)`.
    ///
    /// `invalid_input` when `issuer` or `account` is empty, or `t0` is not 0 (the format
    /// has no field for it, so an app would compute different codes).
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> Result<String> {
        if self.t0() != 0 {
            return Err(err(
                ErrorCode::InvalidInput,
                "otpauth:// URIs cannot carry a TOTP epoch other than 0",
            ));
        }
        let mut uri = start_uri("totp", self.secret(), issuer, account)?;
        push_common(&mut uri, self.algorithm(), self.digits());
        if self.period() != DEFAULT_PERIOD {
            push_param(&mut uri, "period", &self.period().to_string());
        }
        Ok(uri)
    }
}

impl Hotp {
    /// The `otpauth://hotp/...` URI, identical to pyotp's
    /// `HOTP(...).provisioning_uri(name=account, issuer_name=issuer, initial_count=counter)`.
    /// `invalid_input` when `issuer` or `account` is empty.
    pub fn provisioning_uri(&self, issuer: &str, account: &str, counter: u64) -> Result<String> {
        let mut uri = start_uri("hotp", self.secret(), issuer, account)?;
        push_param(&mut uri, "counter", &counter.to_string());
        push_common(&mut uri, self.algorithm(), self.digits());
        Ok(uri)
    }
}

fn start_uri(kind: &str, secret: &OtpSecret, issuer: &str, account: &str) -> Result<String> {
    if issuer.is_empty() || account.is_empty() {
        return Err(err(
            ErrorCode::InvalidInput,
            "otpauth:// URIs need a non-empty issuer and account name",
        ));
    }
    let mut uri = format!("otpauth://{kind}/");
    percent_encode(&mut uri, issuer, b"/");
    uri.push(':');
    percent_encode(&mut uri, account, b"/");
    uri.push_str("?secret=");
    uri.push_str(&secret.to_base32());
    push_param(&mut uri, "issuer", issuer);
    Ok(uri)
}

fn push_common(uri: &mut String, algorithm: Algorithm, digits: u32) {
    if algorithm != Algorithm::Sha1 {
        push_param(uri, "algorithm", algorithm.as_str());
    }
    if digits != DEFAULT_DIGITS {
        push_param(uri, "digits", &digits.to_string());
    }
}

fn push_param(uri: &mut String, key: &str, value: &str) {
    uri.push('&');
    uri.push_str(key);
    uri.push('=');
    percent_encode(uri, value, b"");
}

/// Python's `urllib.parse.quote(text, safe=extra_safe)`: UTF-8 bytes, upper-case hex.
fn percent_encode(out: &mut String, text: &str, extra_safe: &[u8]) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) || extra_safe.contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Strict percent-decoding: every `%` must start two hex digits, the result must be UTF-8.
/// With `plus_is_space`, `+` means a space (query strings, as `parse_qsl` reads them).
fn percent_decode(text: &str, plus_is_space: bool) -> Result<String> {
    let bad = || {
        err(
            ErrorCode::InvalidInput,
            "malformed percent-encoding in otpauth:// URI",
        )
    };
    let mut bytes = Vec::with_capacity(text.len());
    let mut iter = text.bytes();
    while let Some(b) = iter.next() {
        match b {
            b'%' => {
                let hi = iter
                    .next()
                    .and_then(|c| char::from(c).to_digit(16))
                    .ok_or_else(bad)?;
                let lo = iter
                    .next()
                    .and_then(|c| char::from(c).to_digit(16))
                    .ok_or_else(bad)?;
                bytes.push(u8::try_from(hi * 16 + lo).map_err(|_| bad())?);
            }
            b'+' if plus_is_space => bytes.push(b' '),
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|_| bad())
}

/// A strict unsigned decimal: ASCII digits only, no sign, no spaces, no Unicode digits.
fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    let bad = || {
        err(
            ErrorCode::InvalidInput,
            format!("otpauth:// {name} must be a decimal number"),
        )
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    value.parse::<T>().map_err(|_| bad())
}

/// Reads an `otpauth://totp/...` or `otpauth://hotp/...` URI (see the module comment for
/// the rules). Parameters other than the six security ones (`secret`, `issuer`,
/// `algorithm`, `digits`, `period`, `counter`), such as `image`, are ignored.
pub fn parse_uri(uri: &str) -> Result<KeyUri> {
    let bad = |msg: &'static str| err(ErrorCode::InvalidInput, msg);
    if uri.len() > MAX_URI_LEN {
        return Err(bad("otpauth:// URI is too long"));
    }
    let scheme = uri
        .get(..10)
        .filter(|s| s.eq_ignore_ascii_case("otpauth://"));
    let rest = match (scheme, uri.get(10..)) {
        (Some(_), Some(rest)) => rest,
        _ => return Err(bad("not an otpauth:// URI")),
    };
    // A fragment is not part of the key, as for urllib.parse.urlparse.
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (kind, rest) = rest
        .split_once('/')
        .ok_or_else(|| bad("otpauth:// URI has no label"))?;
    let is_hotp = if kind.eq_ignore_ascii_case("totp") {
        false
    } else if kind.eq_ignore_ascii_case("hotp") {
        true
    } else {
        return Err(bad("otpauth:// type must be totp or hotp"));
    };
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));

    // An empty label issuer (`/:alice`) counts as absent, like an empty `issuer`
    // parameter: `Some("")` could never be written back (`provisioning_uri` needs a name).
    let (label_issuer, account) = match label.split_once(':') {
        Some((issuer, account)) => (
            Some(percent_decode(issuer, false)?).filter(|i| !i.is_empty()),
            percent_decode(account, false)?,
        ),
        None => (None, percent_decode(label, false)?),
    };
    let account = account.trim_start_matches(' ').to_owned();
    if account.is_empty() {
        return Err(bad("otpauth:// label has no account name"));
    }

    let mut secret = None;
    let mut issuer_param = None;
    let mut algorithm = None;
    let mut digits = None;
    let mut period = None;
    let mut counter = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key, true)?;
        let value = percent_decode(value, true)?;
        let slot = match key.as_str() {
            "secret" => &mut secret,
            "issuer" => &mut issuer_param,
            "algorithm" => &mut algorithm,
            "digits" => &mut digits,
            "period" => &mut period,
            "counter" => &mut counter,
            _ => continue,
        };
        if slot.is_some() {
            return Err(err(
                ErrorCode::InvalidInput,
                format!("otpauth:// URI repeats the {key} parameter"),
            ));
        }
        *slot = Some(value);
    }

    let issuer = match (label_issuer, issuer_param.filter(|i| !i.is_empty())) {
        (Some(a), Some(b)) if a != b => {
            return Err(bad("otpauth:// label issuer and issuer parameter differ"))
        }
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    let secret = match secret.filter(|s| !s.is_empty()) {
        Some(s) => OtpSecret::from_base32(&s)?,
        None => {
            return Err(err(
                ErrorCode::InvalidSecret,
                "otpauth:// URI has no secret",
            ))
        }
    };
    let algorithm = match algorithm {
        Some(a) => a.parse::<Algorithm>()?,
        None => Algorithm::Sha1,
    };
    let digits = match digits {
        Some(d) => parse_number::<u32>("digits", &d)?,
        None => DEFAULT_DIGITS,
    };

    let otp = if is_hotp {
        let counter = counter.ok_or_else(|| bad("otpauth://hotp URI has no counter"))?;
        OtpKind::Hotp {
            hotp: Hotp::with_params(secret, algorithm, digits)?,
            counter: parse_number::<u64>("counter", &counter)?,
        }
    } else {
        let period = match period {
            Some(p) => parse_number::<u32>("period", &p)?,
            None => DEFAULT_PERIOD,
        };
        OtpKind::Totp(Totp::with_params(secret, algorithm, digits, period, 0)?)
    };
    Ok(KeyUri {
        otp,
        issuer,
        account,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> OtpSecret {
        OtpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap()
    }

    #[test]
    fn google_key_uri_format_example() {
        // The Key Uri Format page's own example (secret there is 10 bytes, too short for
        // us, so only the shape is compared).
        let uri = Totp::new(secret())
            .provisioning_uri("Example", "alice@google.com")
            .unwrap();
        assert_eq!(
            uri,
            "otpauth://totp/Example:alice%40google.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example"
        );
    }

    #[test]
    fn label_encoding_matches_python_quote() {
        let uri = Totp::new(secret())
            .provisioning_uri("ACME Co: R&D/ü", "a b+c/d:é")
            .unwrap();
        // quote("ACME Co: R&D/ü") keeps "/", encodes ":" and "&"; the query value is
        // urlencode'd with %20 for spaces and "/" encoded.
        assert_eq!(
            uri,
            "otpauth://totp/ACME%20Co%3A%20R%26D/%C3%BC:a%20b%2Bc/d%3A%C3%A9?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=ACME%20Co%3A%20R%26D%2F%C3%BC"
        );
        let parsed = parse_uri(&uri).unwrap();
        assert_eq!(parsed.issuer.as_deref(), Some("ACME Co: R&D/ü"));
        assert_eq!(parsed.account, "a b+c/d:é");
    }

    #[test]
    fn non_default_parameters_and_round_trip() {
        let totp = Totp::with_params(secret(), Algorithm::Sha512, 8, 60, 0).unwrap();
        let uri = totp.provisioning_uri("Tenxyte", "bob").unwrap();
        assert!(
            uri.ends_with("&issuer=Tenxyte&algorithm=SHA512&digits=8&period=60"),
            "{uri}"
        );
        assert_eq!(parse_uri(&uri).unwrap().otp, OtpKind::Totp(totp));

        let hotp = Hotp::with_params(secret(), Algorithm::Sha256, 7).unwrap();
        let uri = hotp.provisioning_uri("Tenxyte", "bob", 42).unwrap();
        assert!(
            uri.ends_with("&issuer=Tenxyte&counter=42&algorithm=SHA256&digits=7"),
            "{uri}"
        );
        assert_eq!(
            parse_uri(&uri).unwrap().otp,
            OtpKind::Hotp { hotp, counter: 42 }
        );
    }

    #[test]
    fn t0_and_empty_names_refused() {
        let shifted = Totp::with_params(secret(), Algorithm::Sha1, 6, 30, 100).unwrap();
        assert_eq!(
            shifted.provisioning_uri("I", "a").unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        assert!(Totp::new(secret()).provisioning_uri("", "a").is_err());
        assert!(Totp::new(secret()).provisioning_uri("I", "").is_err());
    }

    #[test]
    fn lenient_where_the_format_is() {
        let s = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let p = parse_uri(&format!(
            "OTPAUTH://TOTP/Big%20Co:%20alice?secret={}&algorithm=sha256&image=https%3A%2F%2Fx",
            s.to_lowercase()
        ))
        .unwrap();
        assert_eq!(p.issuer.as_deref(), Some("Big Co"));
        assert_eq!(p.account, "alice");
        match p.otp {
            OtpKind::Totp(t) => {
                assert_eq!(t.algorithm(), Algorithm::Sha256);
                assert_eq!(t.secret(), &secret());
            }
            other => panic!("{other:?}"),
        }
        // No label issuer: the parameter supplies it; an encoded colon is not a separator.
        let p = parse_uri(&format!("otpauth://totp/Big%3Aalice?secret={s}&issuer=Big")).unwrap();
        assert_eq!(p.issuer.as_deref(), Some("Big"));
        assert_eq!(p.account, "Big:alice");
        let p = parse_uri(&format!("otpauth://totp/alice?secret={s}")).unwrap();
        assert_eq!(p.issuer, None);
        // An empty label issuer is no issuer (found by the otp_uri fuzz target: it parsed
        // as Some("") and could not be written back); the parameter may then supply one.
        let p = parse_uri(&format!("otpauth://totp/:A:a?secret={s}")).unwrap();
        assert_eq!((p.issuer, p.account.as_str()), (None, "A:a"));
        let p = parse_uri(&format!("otpauth://totp/:alice?secret={s}&issuer=Big")).unwrap();
        assert_eq!(p.issuer.as_deref(), Some("Big"));
        let uri = Totp::new(secret())
            .provisioning_uri("Big", "alice")
            .unwrap();
        assert_eq!(parse_uri(&uri).unwrap(), p);
    }

    #[test]
    fn strict_where_it_matters() {
        let s = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let cases: &[(String, ErrorCode)] = &[
            ("https://totp/a?secret=x".into(), ErrorCode::InvalidInput),
            (
                format!("otpauth://motp/a?secret={s}"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a?secret={s}&secret={s}"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/A:a?secret={s}&issuer=B"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a?secret={s}&digits=9"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a?secret={s}&digits=%2B6"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a?secret={s}&period=0"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a?secret={s}&period=-30"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a?secret={s}&algorithm=MD5"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a%zz?secret={s}"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/a%FF?secret={s}"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://totp/?secret={s}"),
                ErrorCode::InvalidInput,
            ),
            (
                format!("otpauth://hotp/a?secret={s}"),
                ErrorCode::InvalidInput,
            ),
            ("otpauth://totp/a?issuer=x".into(), ErrorCode::InvalidSecret),
            (
                "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP".into(),
                ErrorCode::InvalidSecret,
            ),
            (
                "otpauth://totp/a?secret=JBSW%20Y3DPEHPK3PXPJBSWY3DPEHPK3PXP".into(),
                ErrorCode::InvalidSecret,
            ),
            (
                format!("otpauth://totp/a?secret={s}{}", "&x=y".repeat(1100)),
                ErrorCode::InvalidInput,
            ),
        ];
        for (uri, code) in cases {
            assert_eq!(
                parse_uri(uri).map(|_| ()).unwrap_err().code(),
                *code,
                "{uri}"
            );
        }
    }
}
