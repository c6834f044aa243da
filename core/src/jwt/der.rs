//! The little DER this crate needs: reading SubjectPublicKeyInfo, PKCS#8 and PKCS#1
//! structures to learn a key's type, and wrapping a SEC1 EC key as PKCS#8 for `ring`.
//! Strict: definite minimal lengths only, no trailing bytes.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
/// `[0]` constructed, context specific (SEC1 ECPrivateKey parameters).
pub(crate) const TAG_CONTEXT_0: u8 = 0xa0;

pub(crate) const OID_RSA_ENCRYPTION: &[u8] =
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub(crate) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
pub(crate) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// A cursor over DER bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Peeks at the next tag without consuming it.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV and returns its tag and value.
    pub(crate) fn any(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            // Indefinite (0x80) and absurd lengths are not DER.
            if n == 0 || n > 4 {
                return None;
            }
            let (len_bytes, after) = rest.split_at_checked(n)?;
            rest = after;
            if len_bytes.first() == Some(&0) {
                return None; // non-minimal
            }
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            if len < 0x80 {
                return None; // should have used the short form
            }
            len
        };
        let (value, after) = rest.split_at_checked(len)?;
        self.rest = after;
        Some((tag, value))
    }

    /// Reads one TLV with the expected tag.
    pub(crate) fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.any()? {
            (t, v) if t == tag => Some(v),
            _ => None,
        }
    }

    /// Reads a SEQUENCE and returns a reader over its contents.
    pub(crate) fn sequence(&mut self) -> Option<Reader<'a>> {
        self.expect(TAG_SEQUENCE).map(Reader::new)
    }

    /// Reads a non-negative INTEGER and returns its magnitude without leading zeros.
    pub(crate) fn positive_integer(&mut self) -> Option<&'a [u8]> {
        let v = self.expect(TAG_INTEGER)?;
        match v {
            [] => None,
            [first, ..] if *first & 0x80 != 0 => None, // negative
            [0, second, ..] if *second & 0x80 == 0 => None, // non-minimal
            [0, rest @ ..] => Some(rest),
            _ => Some(v),
        }
    }
}

/// The algorithm of a SubjectPublicKeyInfo or PKCS#8 structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAlgorithm {
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
}

/// Reads an AlgorithmIdentifier.
fn algorithm_identifier(r: &mut Reader<'_>) -> Option<KeyAlgorithm> {
    let mut seq = r.sequence()?;
    let oid = seq.expect(TAG_OID)?;
    let alg = if oid == OID_RSA_ENCRYPTION {
        // Parameters must be NULL (RFC 3279 §2.3.1).
        if !seq.is_empty() {
            seq.expect(TAG_NULL)?;
        }
        KeyAlgorithm::Rsa
    } else if oid == OID_EC_PUBLIC_KEY {
        let curve = seq.expect(TAG_OID)?;
        if curve == OID_P256 {
            KeyAlgorithm::EcP256
        } else if curve == OID_P384 {
            KeyAlgorithm::EcP384
        } else {
            return None;
        }
    } else if oid == OID_ED25519 {
        KeyAlgorithm::Ed25519 // RFC 8410: parameters absent
    } else {
        return None;
    };
    seq.is_empty().then_some(alg)
}

/// Parses a SubjectPublicKeyInfo: the algorithm and the subject public key bytes.
pub(crate) fn parse_spki(der: &[u8]) -> Option<(KeyAlgorithm, &[u8])> {
    let mut outer = Reader::new(der);
    let mut spki = outer.sequence()?;
    if !outer.is_empty() {
        return None;
    }
    let alg = algorithm_identifier(&mut spki)?;
    let bits = spki.expect(TAG_BIT_STRING)?;
    if !spki.is_empty() {
        return None;
    }
    // First byte of a BIT STRING counts unused bits; keys use whole bytes.
    match bits.split_first() {
        Some((0, key)) => Some((alg, key)),
        _ => None,
    }
}

/// Reads the algorithm of a PKCS#8 PrivateKeyInfo (the key itself is left to `ring`).
pub(crate) fn pkcs8_algorithm(der: &[u8]) -> Option<KeyAlgorithm> {
    let mut outer = Reader::new(der);
    let mut info = outer.sequence()?;
    if !outer.is_empty() {
        return None;
    }
    let _version = info.expect(TAG_INTEGER)?;
    algorithm_identifier(&mut info)
}

/// Parses a PKCS#1 RSAPublicKey into (modulus, exponent), both without leading zeros.
pub(crate) fn parse_rsa_public_key(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence()?;
    let n = seq.positive_integer()?;
    let e = seq.positive_integer()?;
    (outer.is_empty() && seq.is_empty()).then_some((n, e))
}

/// The curve named in a SEC1 ECPrivateKey's `[0]` parameters.
pub(crate) fn sec1_curve(der: &[u8]) -> Option<KeyAlgorithm> {
    let mut outer = Reader::new(der);
    let mut seq = outer.sequence()?;
    let _version = seq.expect(TAG_INTEGER)?;
    let _key = seq.expect(TAG_OCTET_STRING)?;
    if seq.peek_tag() != Some(TAG_CONTEXT_0) {
        return None;
    }
    let mut params = Reader::new(seq.expect(TAG_CONTEXT_0)?);
    let curve = params.expect(TAG_OID)?;
    if curve == OID_P256 {
        Some(KeyAlgorithm::EcP256)
    } else if curve == OID_P384 {
        Some(KeyAlgorithm::EcP384)
    } else {
        None
    }
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(value);
}

/// Wraps a SEC1 ECPrivateKey as a PKCS#8 PrivateKeyInfo (RFC 5915 §3 / RFC 5208).
pub(crate) fn sec1_to_pkcs8(sec1: &[u8], curve: KeyAlgorithm) -> Option<Vec<u8>> {
    let curve_oid = match curve {
        KeyAlgorithm::EcP256 => OID_P256,
        KeyAlgorithm::EcP384 => OID_P384,
        _ => return None,
    };
    let mut alg = Vec::new();
    push_tlv(&mut alg, TAG_OID, OID_EC_PUBLIC_KEY);
    push_tlv(&mut alg, TAG_OID, curve_oid);
    let mut body = Vec::new();
    push_tlv(&mut body, TAG_INTEGER, &[0]);
    push_tlv(&mut body, TAG_SEQUENCE, &alg);
    push_tlv(&mut body, TAG_OCTET_STRING, sec1);
    let mut out = Vec::new();
    push_tlv(&mut out, TAG_SEQUENCE, &body);
    Some(out)
}

/// Encodes a SubjectPublicKeyInfo (for exporting public keys as PEM).
pub(crate) fn encode_spki(alg: KeyAlgorithm, key: &[u8]) -> Vec<u8> {
    let mut ident = Vec::new();
    match alg {
        KeyAlgorithm::Rsa => {
            push_tlv(&mut ident, TAG_OID, OID_RSA_ENCRYPTION);
            push_tlv(&mut ident, TAG_NULL, &[]);
        }
        KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => {
            push_tlv(&mut ident, TAG_OID, OID_EC_PUBLIC_KEY);
            let curve = if alg == KeyAlgorithm::EcP256 {
                OID_P256
            } else {
                OID_P384
            };
            push_tlv(&mut ident, TAG_OID, curve);
        }
        KeyAlgorithm::Ed25519 => push_tlv(&mut ident, TAG_OID, OID_ED25519),
    }
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    let mut body = Vec::new();
    push_tlv(&mut body, TAG_SEQUENCE, &ident);
    push_tlv(&mut body, TAG_BIT_STRING, &bits);
    let mut out = Vec::new();
    push_tlv(&mut out, TAG_SEQUENCE, &body);
    out
}

/// Encodes a PKCS#1 RSAPublicKey from big-endian magnitudes.
pub(crate) fn encode_rsa_public_key(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn int(out: &mut Vec<u8>, magnitude: &[u8]) {
        let mut v = Vec::with_capacity(magnitude.len() + 1);
        if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
            v.push(0);
        }
        v.extend_from_slice(magnitude);
        push_tlv(out, TAG_INTEGER, &v);
    }
    let mut body = Vec::new();
    int(&mut body, n);
    int(&mut body, e);
    let mut out = Vec::new();
    push_tlv(&mut out, TAG_SEQUENCE, &body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_minimal_and_indefinite_lengths() {
        assert!(Reader::new(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5])
            .any()
            .is_none());
        assert!(Reader::new(&[0x04, 0x80, 0, 0]).any().is_none());
        assert!(Reader::new(&[0x04, 0x03, 1, 2]).any().is_none());
        assert_eq!(
            Reader::new(&[0x04, 0x02, 1, 2]).any(),
            Some((0x04, &[1u8, 2][..]))
        );
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(
            Reader::new(&[2, 2, 0, 0x80]).positive_integer(),
            Some(&[0x80u8][..])
        );
        assert!(Reader::new(&[2, 2, 0, 0x7f]).positive_integer().is_none());
        assert!(Reader::new(&[2, 1, 0x80]).positive_integer().is_none());
    }

    #[test]
    fn spki_round_trip() {
        let der = encode_spki(KeyAlgorithm::Ed25519, &[7u8; 32]);
        assert_eq!(
            parse_spki(&der),
            Some((KeyAlgorithm::Ed25519, &[7u8; 32][..]))
        );
        let rsa = encode_rsa_public_key(&[0xc0, 1, 2], &[1, 0, 1]);
        assert_eq!(
            parse_rsa_public_key(&rsa),
            Some((&[0xc0u8, 1, 2][..], &[1u8, 0, 1][..]))
        );
    }
}
