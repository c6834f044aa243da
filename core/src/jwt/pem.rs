//! PEM (RFC 7468) decoding for key files.

use crate::encoding;

/// One PEM block: its label (`PUBLIC KEY`, `PRIVATE KEY`, …) and DER contents.
pub(crate) struct Block {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// Decodes every block of a PEM text, in order. Text between blocks (OpenSSL writes
/// comments there) is ignored; a malformed block makes the whole text invalid.
pub(crate) fn decode_all(text: &str) -> Option<Vec<Block>> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r').trim());
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            if inner == end {
                closed = true;
                break;
            }
            if inner.contains(':') {
                return None; // RFC 1421 headers (encrypted keys) are not supported
            }
            body.push_str(inner);
        }
        if !closed {
            return None;
        }
        blocks.push(Block {
            label: label.to_owned(),
            der: encoding::b64_decode(&body)?,
        });
    }
    (!blocks.is_empty()).then_some(blocks)
}

/// Encodes DER as a PEM block with 64-character lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let b64 = encoding::b64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
