//! Terminal QR rendering with Unicode half blocks (two modules per character cell).

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

/// Errors drawing a QR code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot draw the QR code ({0}); show the payment link instead")]
pub struct QrError(pub String);

/// Render `payload` for a terminal with a dark background: light modules are drawn as blocks,
/// with the 4-module quiet zone, so phone cameras see dark-on-light.
pub fn render_terminal(payload: &str) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| QrError(e.to_string()))?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_half_blocks_with_quiet_zone() {
        let s = render_terminal("https://qr.vipps.no/p/abc").unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines.len() > 10);
        // Quiet zone: the first line is all full blocks (light modules on a dark terminal).
        assert!(lines[0].chars().all(|c| c == '█'));
        assert!(s.contains('▀') || s.contains('▄'));
        let w = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == w));
    }
}
