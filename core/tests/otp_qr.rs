#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The SVG from `qr_svg` is rasterised back to pixels and decoded by an independent QR
//! reader (rqrr), which must read back the exact URI, at the version the SVG's size implies.

use tenxyte_core::otp::{qr_svg, OtpSecret, Totp};
use tenxyte_core::ErrorCode;

const PX: usize = 8; // pixels per module in qr_svg's output
const QUIET: usize = 4; // modules of quiet zone on each side

/// Parses qr_svg's output: checks the document shape and returns the dark-pixel grid.
fn rasterise(svg: &str) -> (usize, Vec<Vec<bool>>) {
    let head_end = svg.find("<path").expect("path element");
    let head = &svg[..head_end];
    assert!(
        svg.starts_with(
            "<?xml version=\"1.0\" standalone=\"yes\"?><svg xmlns=\"http://www.w3.org/2000/svg\""
        ),
        "{head}"
    );
    assert!(svg.ends_with("\"/></svg>"));
    let size: usize = head
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(head.contains(&format!("width=\"{size}\" height=\"{size}\"")));
    assert!(head.contains("fill=\"#fff\""), "light background");
    let d = svg[head_end..]
        .split("d=\"")
        .nth(1)
        .unwrap()
        .trim_end_matches("\"/></svg>");
    let mut grid = vec![vec![false; size]; size];
    let mut rects = 0;
    for seg in d.split('M').filter(|s| !s.is_empty()) {
        // Each dark module is "M{left} {top}h{w}v{h}H{left}V{top}".
        let (left, rest) = seg.split_once(' ').unwrap();
        let (top, rest) = rest.split_once('h').unwrap();
        let (w, rest) = rest.split_once('v').unwrap();
        let (h, rest) = rest.split_once('H').unwrap();
        let (left2, top2) = rest.split_once('V').unwrap();
        let [left, top, w, h]: [usize; 4] = [left, top, w, h].map(|v| v.parse().unwrap());
        assert_eq!(
            (
                left2.parse::<usize>().unwrap(),
                top2.parse::<usize>().unwrap()
            ),
            (left, top)
        );
        assert_eq!((w, h), (PX, PX), "one rect per module");
        assert_eq!((left % PX, top % PX), (0, 0), "rects on the module grid");
        for row in grid.iter_mut().skip(top).take(h) {
            for px in row.iter_mut().skip(left).take(w) {
                *px = true;
            }
        }
        rects += 1;
    }
    assert!(rects > 0);
    (size, grid)
}

fn decode(svg: &str) -> (usize, rqrr::MetaData, String) {
    let (size, grid) = rasterise(svg);
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(
            size,
            size,
            |x, y| {
                if grid[y][x] {
                    0
                } else {
                    255
                }
            },
        );
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    let (meta, text) = grids[0].decode().unwrap();
    (size, meta, text)
}

#[test]
fn provisioning_uri_round_trips_through_a_qr_reader() {
    let secret = OtpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let uri = Totp::new(secret)
        .provisioning_uri("Tenxyte", "alice@example.com")
        .unwrap();
    let svg = qr_svg(&uri).unwrap();
    let (size, meta, text) = decode(&svg);
    assert_eq!(text, uri);
    // A version-v symbol is 17 + 4v modules wide (ISO/IEC 18004 §6.3.1), plus the quiet zone.
    let modules = 17 + 4 * meta.version.0;
    assert_eq!(size, (modules + 2 * QUIET) * PX);
    assert_eq!(
        meta.ecc_level, 0,
        "format bits 00 = error correction level M"
    );
    // Quiet zone is light all round.
    let (_, grid) = rasterise(&svg);
    let margin = QUIET * PX;
    let in_margin = |v: usize| v < margin || v >= size - margin;
    for (y, row) in grid.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if in_margin(x) || in_margin(y) {
                assert!(!dark, "dark pixel in the quiet zone at {x},{y}");
            }
        }
    }
}

#[test]
fn longer_and_non_ascii_data_still_decodes() {
    let secret = OtpSecret::from_bytes(vec![0xA5; 64]).unwrap();
    let uri = Totp::new(secret)
        .provisioning_uri("R&D:Lab/ü", "名前@例え.jp")
        .unwrap();
    let (_, meta, text) = decode(&qr_svg(&uri).unwrap());
    assert_eq!(text, uri);
    assert!(meta.version.0 > 5, "a 200-byte URI needs a larger symbol");
}

#[test]
fn oversized_data_is_an_error_not_a_panic() {
    let err = qr_svg(&"x".repeat(4000)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}
