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

/// A 1-bit grayscale PNG QR code about `size` pixels wide (stored/uncompressed deflate).
pub fn png(data: &str, size: u32) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let w = code.width();
    let colors = code.to_colors();
    let quiet = 4usize;
    let modules = w + 2 * quiet;
    let scale = (size as usize / modules).max(1);
    let px = modules * scale;
    let row_bytes = px.div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * px);
    for y in 0..px {
        raw.push(0u8); // filter: none
        let my = y / scale;
        let mut byte = 0u8;
        for x in 0..px {
            let mx = x / scale;
            let dark = my >= quiet
                && my < quiet + w
                && mx >= quiet
                && mx < quiet + w
                && colors[(my - quiet) * w + (mx - quiet)] == qrcode::Color::Dark;
            byte <<= 1;
            if !dark {
                byte |= 1; // white
            }
            if x % 8 == 7 {
                raw.push(byte);
                byte = 0;
            }
        }
        if !px.is_multiple_of(8) {
            byte <<= 8 - (px % 8);
            byte |= (1u8 << (8 - (px % 8))) - 1;
            raw.push(byte);
        }
    }
    let dim = u32::try_from(px).ok()?;
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&dim.to_be_bytes());
    ihdr.extend_from_slice(&dim.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // bit depth 1, grayscale
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    Some(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (n, slot) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut c = 0xffff_ffffu32;
    for b in bytes {
        c = table[((c ^ u32::from(*b)) & 0xff) as usize] ^ (c >> 8);
    }
    c ^ 0xffff_ffff
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(65_535).collect()
    };
    let last = blocks.len() - 1;
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i == last));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for x in data {
        a = (a + u32::from(*x)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

#[cfg(test)]
mod png_tests {
    #[test]
    fn png_has_signature_and_crc_checked_chunks() {
        let p = super::png("http://127.0.0.1:1/sim/landing?token=abc", 300).unwrap_or_default();
        assert_eq!(&p[..8], &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]);
        assert_eq!(&p[12..16], b"IHDR");
        let w = u32::from_be_bytes([p[16], p[17], p[18], p[19]]);
        assert!((200..=300).contains(&w), "width {w}");
        assert_eq!(&p[p.len() - 8..p.len() - 4], b"IEND");
        // CRC of IEND is the well-known constant
        assert_eq!(&p[p.len() - 4..], &[0xae, 0x42, 0x60, 0x82]);
    }
}
