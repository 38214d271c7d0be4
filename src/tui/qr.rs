//! A terminal QR code: Unicode half blocks (`▀▄█`), two modules per cell vertically, a 4-module
//! quiet zone, and an explicit dark-on-light colour pair from the theme so it scans on dark
//! and light terminals.

use qrcode::{Color as Module, EcLevel, QrCode};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Widget;

/// Quiet zone in modules on every side (the QR standard asks for 4).
pub const QUIET_ZONE: usize = 4;

/// A QR matrix ready to draw (with quiet zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side, including the quiet zone.
    pub side: usize,
    /// Row-major, `true` = dark.
    dark: Vec<bool>,
    pub ec: EcLevel,
}

impl QrMatrix {
    /// Terminal cells needed: (columns, rows).
    pub fn cells(&self) -> (u16, u16) {
        let cols = u16::try_from(self.side).unwrap_or(u16::MAX);
        let rows = u16::try_from(self.side.div_ceil(2)).unwrap_or(u16::MAX);
        (cols, rows)
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.side && y < self.side && self.dark.get(y * self.side + x).copied().unwrap_or(false)
    }

    /// Encode `payload` with error correction `ec`.
    pub fn encode(payload: &str, ec: EcLevel) -> Option<QrMatrix> {
        let code = QrCode::with_error_correction_level(payload.as_bytes(), ec).ok()?;
        let w = code.width();
        let side = w + 2 * QUIET_ZONE;
        let colors = code.to_colors();
        let mut dark = vec![false; side * side];
        for y in 0..w {
            for x in 0..w {
                if colors.get(y * w + x) == Some(&Module::Dark)
                    && let Some(cell) = dark.get_mut((y + QUIET_ZONE) * side + x + QUIET_ZONE)
                {
                    *cell = true;
                }
            }
        }
        Some(QrMatrix { side, dark, ec })
    }

    /// The most robust encoding (highest error correction) that fits `cols`×`rows` cells,
    /// falling back towards `L`, the lowest level and the smallest code. `None` if even `L`
    /// does not fit.
    /// [`QrMatrix::fit`], memoised for the last (payload, cols, rows): the view draws the same
    /// QR on every frame while a payment waits, and encoding (up to four EC levels) is the
    /// costly part of such a frame. The result is identical to `fit`; only the work is saved.
    pub fn fit_cached(payload: &str, cols: u16, rows: u16) -> Option<QrMatrix> {
        type Memo = Option<((String, u16, u16), Option<QrMatrix>)>;
        thread_local! {
            static LAST: std::cell::RefCell<Memo> = const { std::cell::RefCell::new(None) };
        }
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if let Some(((p, c, r), m)) = last.as_ref()
                && p == payload
                && *c == cols
                && *r == rows
            {
                return m.clone();
            }
            let m = QrMatrix::fit(payload, cols, rows);
            *last = Some(((payload.to_owned(), cols, rows), m.clone()));
            m
        })
    }

    pub fn fit(payload: &str, cols: u16, rows: u16) -> Option<QrMatrix> {
        [EcLevel::H, EcLevel::Q, EcLevel::M, EcLevel::L]
            .into_iter()
            .filter_map(|ec| QrMatrix::encode(payload, ec))
            .find(|m| {
                let (c, r) = m.cells();
                c <= cols && r <= rows
            })
    }
}

/// Draws a [`QrMatrix`] centred in its area with explicit colours.
#[derive(Debug, Clone)]
pub struct QrWidget<'a> {
    pub matrix: &'a QrMatrix,
    /// Dark modules.
    pub fg: Color,
    /// Light modules and quiet zone.
    pub bg: Color,
}

impl Widget for QrWidget<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (cols, rows) = self.matrix.cells();
        if cols > area.width || rows > area.height {
            return;
        }
        let x0 = area.x + (area.width - cols) / 2;
        let y0 = area.y + (area.height - rows) / 2;
        let style = Style::default().fg(self.fg).bg(self.bg);
        for row in 0..rows {
            for col in 0..cols {
                let (x, y) = (usize::from(col), usize::from(row) * 2);
                let top = self.matrix.is_dark(x, y);
                let bottom = self.matrix.is_dark(x, y + 1);
                let symbol = match (top, bottom) {
                    (true, true) => "█",
                    (true, false) => "▀",
                    (false, true) => "▄",
                    (false, false) => " ",
                };
                if let Some(cell) = buf.cell_mut((x0 + col, y0 + row)) {
                    cell.set_symbol(symbol).set_style(style);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL_100: &str = "https://qr.vipps.no/28/2/01/031/4791234567?v=1&token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK";

    #[test]
    fn hundred_char_url_fits_an_80x24_payment_screen() {
        assert!(URL_100.len() >= 100, "{}", URL_100.len());
        // The payment screen gives the QR the left 48 columns and every row but the status
        // bar (23) at 80×24.
        let m = QrMatrix::fit(URL_100, 48, 23).unwrap();
        let (c, r) = m.cells();
        assert!(c <= 48 && r <= 23, "{c}x{r}");
        assert_eq!(m.ec, EcLevel::L);
    }

    #[test]
    fn larger_area_gets_stronger_error_correction() {
        let m = QrMatrix::fit("https://qr.vipps.no/x", 80, 40).unwrap();
        assert_eq!(m.ec, EcLevel::H);
        assert!(QrMatrix::fit(URL_100, 10, 5).is_none());
    }

    #[test]
    fn cached_fit_equals_fit_and_follows_every_argument() {
        let other = "https://qr.vipps.no/another-payment";
        for (p, c, r) in [
            (URL_100, 48, 23),
            (URL_100, 48, 23),
            (other, 48, 23),
            (URL_100, 80, 40),
            (URL_100, 10, 5),
            (URL_100, 48, 23),
        ] {
            assert_eq!(
                QrMatrix::fit_cached(p, c, r),
                QrMatrix::fit(p, c, r),
                "{p} {c}x{r}"
            );
        }
    }

    #[test]
    fn quiet_zone_is_light_and_colours_are_explicit() {
        let m = QrMatrix::encode("kasse", EcLevel::L).unwrap();
        let (cols, rows) = m.cells();
        let area = Rect::new(0, 0, cols, rows);
        let mut buf = Buffer::empty(area);
        QrWidget {
            matrix: &m,
            fg: Color::Black,
            bg: Color::White,
        }
        .render(area, &mut buf);
        // The first two rows (4 modules) and the first 4 columns are quiet zone: blank, light bg.
        for x in 0..cols {
            for y in 0..2 {
                let cell = &buf[(x, y)];
                assert_eq!(cell.symbol(), " ");
                assert_eq!(cell.bg, Color::White);
            }
        }
        for y in 0..rows {
            for x in 0..4 {
                assert_eq!(buf[(x, y)].symbol(), " ");
            }
        }
        // Top-left finder pattern starts at module (4,4): row 2, column 4 is dark on top and
        // bottom (modules (4,4) and (4,5)).
        assert_eq!(buf[(4, 2)].symbol(), "█");
        assert_eq!(buf[(4, 2)].fg, Color::Black);
    }

    #[test]
    fn too_small_area_draws_nothing() {
        let m = QrMatrix::encode("kasse", EcLevel::L).unwrap();
        let area = Rect::new(0, 0, 10, 5);
        let mut buf = Buffer::empty(area);
        QrWidget {
            matrix: &m,
            fg: Color::Black,
            bg: Color::White,
        }
        .render(area, &mut buf);
        assert_eq!(buf, Buffer::empty(area));
    }
}
