//! QR rendering for `userFlow: QR` (SVG built from the module matrix).

/// An SVG QR code encoding `data`, or `None` if it cannot be encoded.
pub fn svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let w = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let size = w + 2 * quiet;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let x = i % w + quiet;
            let y = i / w + quiet;
            out.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    out.push_str("\"/></svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn svg_has_modules() {
        let s = super::svg("http://127.0.0.1:1/sim/landing?token=abc").unwrap_or_default();
        assert!(s.starts_with("<svg"));
        assert!(s.matches('M').count() > 50);
    }
}
