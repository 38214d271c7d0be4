//! Plain-text rendering of a receipt for terminals without a printer (and for the screen).

use crate::receipt::PaperCode;
use crate::receipt::layout::{Block, layout, width_of};
use crate::receipt::model::PrintableReceipt;

/// Render `receipt` as text, `width` columns wide (48 for 80 mm, 32 for 58 mm). Every line is
/// at most `width` characters and ends with `\n`. The code of the receipt number is shown as
/// `[QR 00000042]`.
pub fn render(receipt: &PrintableReceipt, width: usize) -> String {
    render_with(receipt, width, PaperCode::Qr, &[])
}

/// [`render`] with the paper code kind and footer lines from the receipt config.
pub fn render_with(
    receipt: &PrintableReceipt,
    width: usize,
    code: PaperCode,
    footer: &[String],
) -> String {
    render_blocks(layout(receipt, width, code, footer), width)
}

/// Text for laid-out blocks (a receipt, or a report as a [`crate::receipt::document`]).
pub fn render_blocks(blocks: Vec<Block>, width: usize) -> String {
    let width = width.max(16);
    let mut out = String::new();
    for b in blocks {
        match b {
            Block::Line { text, style } => {
                if style.center {
                    out.push_str(&center(&text, width));
                } else {
                    out.push_str(text.trim_end());
                }
            }
            Block::Rule => out.push_str(&"-".repeat(width)),
            Block::Blank => {}
            Block::Code { kind, data } => {
                let label = match kind {
                    PaperCode::Qr => "QR",
                    PaperCode::Code128 => "CODE 128",
                    PaperCode::None => "",
                };
                out.push_str(&center(&format!("[{label} {data}]"), width));
            }
        }
        out.push('\n');
    }
    out
}

fn center(text: &str, width: usize) -> String {
    let w = width_of(text);
    if w >= width {
        return text.to_owned();
    }
    format!("{}{text}", " ".repeat((width - w) / 2))
}
