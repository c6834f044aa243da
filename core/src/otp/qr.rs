//! QR codes for provisioning URIs, as SVG text (no raster image libraries, so it builds for
//! wasm32 and a host can inline the result in HTML or serve it as `image/svg+xml`).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::error::{err, ErrorCode, Result};

/// Pixels per module in the SVG's coordinate space. The image scales freely; this only
/// sets the default `width`/`height` (a 41-module code plus its quiet zone is 392 px).
pub(crate) const MODULE_PX: u32 = 8;

/// The QR code of `data` as a standalone SVG document: error correction level M (15 %
/// of the symbol may be damaged, which covers glare on a phone screen), the standard
/// 4-module quiet zone, black modules on white. `invalid_input` when `data` does not fit
/// in a QR code (about 2.3 KB at level M).
pub fn qr_svg(data: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|e| {
        err(
            ErrorCode::InvalidInput,
            format!("cannot encode QR code: {e}"),
        )
    })?;
    Ok(code
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(MODULE_PX, MODULE_PX)
        .build())
}
