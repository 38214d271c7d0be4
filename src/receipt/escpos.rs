//! ESC/POS rendering with the `escpos` crate (0.17).
//!
//! The stream: `ESC @` (init), `ESC t n` (code page: PC865 Nordic = 5 by default, or
//! WPC1252 = 16), the full 5-byte drawer pulse `ESC p 0 25 250` when cash was tendered, the
//! laid-out lines with bold / centre / reverse styles, a QR code (`GS ( k`, model 2) or a
//! CODE 128 barcode (`GS k 73`, code set B) of the receipt number, and a full cut (`GS V A 0`).
//!
//! Text is sent in the printer's code page: characters the page lacks are transliterated
//! (`€` → `EUR`, `–` → `-`, `“”` → `"`, anything else → `?`) so no UTF-8 bytes ever reach
//! the printer.

use crate::lang::Text;
use crate::receipt::layout::{Block, layout};
use crate::receipt::model::PrintableReceipt;
use crate::receipt::{CodePage, PaperCode, ReceiptSettings};
use escpos::driver::Driver;
use escpos::errors::PrinterError;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};
use std::sync::{Arc, Mutex};

/// Cash drawer kick: `ESC p m t1 t2` — pin 2 (m = 0), on 25 × 2 ms, off 250 × 2 ms.
pub const DRAWER_KICK: [u8; 5] = [0x1B, 0x70, 0x00, 0x19, 0xFA];

/// The stream for "open the drawer without a sale": `ESC @` then [`DRAWER_KICK`], nothing
/// printed, no cut.
pub fn drawer_pulse_only() -> Vec<u8> {
    let mut v = vec![0x1B, b'@'];
    v.extend_from_slice(&DRAWER_KICK);
    v
}

/// Options for the byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscPosOptions {
    /// Characters per line (48 for 80 mm, 32 for 58 mm).
    pub width: usize,
    pub code_page: CodePage,
    pub code: PaperCode,
    /// Send [`DRAWER_KICK`] when cash is among the tenders.
    pub drawer_kick: bool,
    pub footer: Vec<String>,
}

impl Default for EscPosOptions {
    fn default() -> Self {
        EscPosOptions::from_config(&ReceiptSettings::default())
    }
}

impl EscPosOptions {
    pub fn from_config(c: &ReceiptSettings) -> EscPosOptions {
        EscPosOptions {
            width: c.paper_width.columns(),
            code_page: c.code_page,
            code: c.paper_code,
            drawer_kick: c.drawer_kick,
            footer: c.footer.clone(),
        }
    }
}

/// The escpos crate refused to build the stream (a bug or unprintable data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Receipt printing: could not build the printer commands ({0}); print the text receipt instead and report this"
)]
pub struct EscPosError(pub String);

impl EscPosError {
    pub fn text(&self) -> Text {
        Text::new(
            format!(
                "Kvitteringsutskrift: klarte ikke å lage skriverkommandoene ({}); skriv ut tekstkvitteringen i stedet og meld fra om feilen",
                self.0
            ),
            self.to_string(),
        )
    }
}

impl From<PrinterError> for EscPosError {
    fn from(e: PrinterError) -> Self {
        EscPosError(e.to_string())
    }
}

/// A driver that only collects the bytes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Driver for Capture {
    fn name(&self) -> String {
        "capture".to_owned()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0
            .lock()
            .map_err(|_| PrinterError::Io("capture buffer poisoned".to_owned()))?
            .extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

fn page_code(cp: CodePage) -> PageCode {
    match cp {
        CodePage::Pc865 => PageCode::PC865,
        CodePage::Wpc1252 => PageCode::WPC1252,
    }
}

/// Non-ASCII characters PC865 has (checked against the crate's table in a test).
const PC865_EXTRA: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£ØƒáíóúñÑªº¿¬½¼¡«¤°·²";

/// Whether `c` prints as itself in code page `cp`.
pub fn encodable(c: char, cp: CodePage) -> bool {
    if (' '..='~').contains(&c) {
        return true;
    }
    match cp {
        CodePage::Pc865 => PC865_EXTRA.contains(c),
        CodePage::Wpc1252 => ('\u{A1}'..='\u{FF}').contains(&c) || "€‘’“”–—…".contains(c),
    }
}

/// Replace what code page `cp` cannot print.
pub fn to_code_page(s: &str, cp: CodePage) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if encodable(c, cp) {
            out.push(c);
            continue;
        }
        match c {
            '€' => out.push_str("EUR"),
            '–' | '—' | '‐' | '−' => out.push('-'),
            '“' | '”' | '„' | '»' | '«' => out.push('"'),
            '‘' | '’' | '‚' => out.push('\''),
            '…' => out.push_str("..."),
            '\u{A0}' | '\u{202F}' | '\t' => out.push(' '),
            'é' | 'è' | 'ê' => out.push('e'),
            _ => out.push('?'),
        }
    }
    out
}

/// CODE 128 (code set B) of `data` via `GS k 73`, human-readable text off (printed separately).
fn code128(data: &str) -> Vec<u8> {
    let printable: Vec<u8> = data
        .bytes()
        .filter(|b| (0x20..=0x7E).contains(b))
        .take(200)
        .collect();
    let mut cmd = vec![
        0x1D, b'H', 0, // HRI off
        0x1D, b'h', 80, // height 80 dots
        0x1D, b'w', 2, // module width 2
        0x1D, b'k', 73,
    ];
    cmd.push(u8::try_from(printable.len() + 2).unwrap_or(u8::MAX));
    cmd.extend_from_slice(b"{B");
    cmd.extend_from_slice(&printable);
    cmd
}

/// Render `receipt` to the ESC/POS byte stream.
pub fn render(receipt: &PrintableReceipt, opts: &EscPosOptions) -> Result<Vec<u8>, EscPosError> {
    let width = opts.width.max(16);
    let kick = opts.drawer_kick && receipt.has_cash();
    render_blocks(layout(receipt, width, opts.code, &opts.footer), opts, kick)
}

/// ESC/POS bytes for laid-out blocks (a receipt, or a report as a [`crate::receipt::document`]),
/// with the drawer pulse first when `kick`.
pub fn render_blocks(
    blocks: Vec<Block>,
    opts: &EscPosOptions,
    kick: bool,
) -> Result<Vec<u8>, EscPosError> {
    let capture = Capture::default();
    let pc = page_code(opts.code_page);
    let width = opts.width.max(16);
    let mut p = Printer::new(
        capture.clone(),
        Protocol::default(),
        Some(PrinterOptions::new(
            Some(pc),
            None,
            u8::try_from(width).unwrap_or(u8::MAX),
        )),
    );
    p.init()?;
    if kick {
        p.custom(&DRAWER_KICK)?;
    }
    for block in blocks {
        match block {
            Block::Line { text, style } => {
                if style.center {
                    p.justify(JustifyMode::CENTER)?;
                }
                if style.bold {
                    p.bold(true)?;
                }
                if style.inverse {
                    p.reverse(true)?;
                }
                p.write(&to_code_page(text.trim_end(), opts.code_page))?;
                if style.inverse {
                    p.reverse(false)?;
                }
                if style.bold {
                    p.bold(false)?;
                }
                p.feed()?;
                if style.center {
                    p.justify(JustifyMode::LEFT)?;
                }
            }
            Block::Rule => {
                p.writeln(&"-".repeat(width))?;
            }
            Block::Blank => {
                p.feed()?;
            }
            Block::Code { kind, data } => {
                p.justify(JustifyMode::CENTER)?;
                match kind {
                    PaperCode::Qr => {
                        p.qrcode_option(
                            &data,
                            QRCodeOption::new(QRCodeModel::Model2, 6, QRCodeCorrectionLevel::M),
                        )?;
                    }
                    PaperCode::Code128 => {
                        p.custom(&code128(&data))?;
                    }
                    PaperCode::None => {}
                }
                p.feed()?;
                p.justify(JustifyMode::LEFT)?;
            }
        }
    }
    p.feeds(3)?;
    p.print_cut()?;
    let bytes = capture
        .0
        .lock()
        .map_err(|_| EscPosError("capture buffer poisoned".to_owned()))?
        .clone();
    Ok(bytes)
}

/// Escaped, line-broken form of an ESC/POS stream for golden tests and debugging: printable
/// ASCII as is, every other byte as `<1B>`; a line break follows each `ESC d n` (print and
/// feed) and each `LF`, so one printed line is one line of the dump.
pub fn escaped(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0x1B && bytes.get(i + 1) == Some(&b'd') && i + 2 < bytes.len() {
            out.push_str(&format!("<1B>d<{:02X}>\n", bytes[i + 2]));
            i += 3;
            continue;
        }
        match b {
            b'\n' => out.push_str("<0A>\n"),
            0x20..=0x7E => out.push(char::from(b)),
            _ => out.push_str(&format!("<{b:02X}>")),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_one(c: char, cp: CodePage) -> Vec<u8> {
        let capture = Capture::default();
        let mut p = Printer::new(
            capture.clone(),
            Protocol::default(),
            Some(PrinterOptions::new(Some(page_code(cp)), None, 48)),
        );
        p.write(&c.to_string()).unwrap();
        p.print().unwrap();
        capture.0.lock().unwrap().clone()
    }

    #[test]
    fn allow_lists_match_the_crate_tables() {
        for cp in [CodePage::Pc865, CodePage::Wpc1252] {
            let all: Vec<char> = (' '..='~')
                .chain('\u{A1}'..='\u{FF}')
                .chain("€‘’“”–—…ƒ¤·²".chars())
                .collect();
            for c in all {
                if encodable(c, cp) {
                    let b = encode_one(c, cp);
                    assert_eq!(b.len(), 1, "{c:?} in {cp:?} encodes to {b:?}");
                }
            }
            for c in "æøåÆØÅ".chars() {
                assert!(encodable(c, cp), "{c} missing in {cp:?}");
            }
        }
        assert_eq!(encode_one('ø', CodePage::Pc865), vec![0x9B]);
        assert_eq!(encode_one('Å', CodePage::Pc865), vec![0x8F]);
        assert_eq!(encode_one('€', CodePage::Wpc1252), vec![0x80]);
    }

    #[test]
    fn transliteration_never_leaves_utf8() {
        let s = to_code_page("Kaffe – “stor” 5 € …", CodePage::Pc865);
        assert_eq!(s, "Kaffe - \"stor\" 5 EUR ...");
        assert!(s.chars().all(|c| encodable(c, CodePage::Pc865)));
        assert_eq!(to_code_page("5 €", CodePage::Wpc1252), "5 €");
    }

    #[test]
    fn code128_command_shape() {
        let c = code128("00000042");
        assert_eq!(&c[9..12], &[0x1D, b'k', 73]);
        assert_eq!(c[12], 10);
        assert_eq!(&c[13..], b"{B00000042");
    }
}
