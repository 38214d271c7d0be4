//! A plain document for the receipt printer — an X or Z report — laid out as receipt
//! [`Block`]s so it goes through the same ESC/POS and text renderers and the same durable
//! print queue as receipts.
//!
//! The document's lines are the report's text lines, each fitted to the paper width (a line
//! too long is wrapped at word boundaries, its continuation indented by two spaces). A COPY
//! (a Z report printed again from its stored snapshot) and TRAINING (`--demo`) are marked in
//! white on black at the top and bottom, like receipts.

use crate::receipt::layout::{Block, Style, width_of, wrap};

/// Marks shared with the receipt layout.
pub const TRAINING_MARK: &str = "*** TRENING / TRAINING ***";
pub const COPY_MARK: &str = "*** KOPI / COPY ***";

/// A text document for the receipt printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperDocument {
    /// What the print job log calls it (e.g. `X-2026-12-01`, `Z-3`); never a receipt number.
    pub id: String,
    /// The lines as the report renders them (without trailing newlines).
    pub lines: Vec<String>,
    /// Printed again (a stored Z report): marked COPY.
    pub copy: bool,
    /// Training (`--demo`): marked TRAINING.
    pub training: bool,
}

impl PaperDocument {
    /// A document from text (one line per `\n`).
    pub fn from_text(id: impl Into<String>, text: &str, copy: bool, training: bool) -> Self {
        PaperDocument {
            id: id.into(),
            lines: text.lines().map(str::to_owned).collect(),
            copy,
            training,
        }
    }

    fn marks(&self, out: &mut Vec<Block>) {
        let inverse = Style {
            bold: true,
            center: true,
            inverse: true,
        };
        if self.training {
            out.push(Block::Line {
                text: TRAINING_MARK.to_owned(),
                style: inverse,
            });
        }
        if self.copy {
            out.push(Block::Line {
                text: COPY_MARK.to_owned(),
                style: inverse,
            });
        }
    }

    /// The document as receipt blocks for a `width`-column printer.
    pub fn blocks(&self, width: usize) -> Vec<Block> {
        let width = width.max(16);
        let mut out = Vec::new();
        self.marks(&mut out);
        for line in &self.lines {
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                out.push(Block::Blank);
                continue;
            }
            // A rule of `=`/`-` as wide as the paper.
            if trimmed.chars().all(|c| c == '=' || c == '-') && width_of(trimmed) >= 8 {
                out.push(Block::Rule);
                continue;
            }
            if width_of(trimmed) <= width {
                out.push(Block::Line {
                    text: trimmed.to_owned(),
                    style: Style::default(),
                });
                continue;
            }
            let indent: String = trimmed.chars().take_while(|c| *c == ' ').collect();
            if let Some(line) = squeeze(trimmed, &indent, width) {
                out.push(Block::Line {
                    text: line,
                    style: Style::default(),
                });
                continue;
            }
            let mut first = true;
            for part in wrap(trimmed, width.saturating_sub(indent.len() + 2).max(8)) {
                let lead = if first {
                    indent.clone()
                } else {
                    format!("{indent}  ")
                };
                first = false;
                out.push(Block::Line {
                    text: format!("{lead}{part}"),
                    style: Style::default(),
                });
            }
        }
        if self.training || self.copy {
            out.push(Block::Blank);
            self.marks(&mut out);
        }
        out
    }

    /// The plain-text rendering (a text printer, `receipts.txt` in `--demo`).
    pub fn render_text(&self, width: usize) -> String {
        crate::receipt::text::render_blocks(self.blocks(width), width)
    }

    /// The ESC/POS bytes (never kicks the drawer).
    pub fn render_escpos(
        &self,
        opts: &crate::receipt::escpos::EscPosOptions,
    ) -> Result<Vec<u8>, crate::receipt::escpos::EscPosError> {
        crate::receipt::escpos::render_blocks(self.blocks(opts.width), opts, false)
    }
}

/// A column line too wide for the paper (`label      2      kr 174,80`, columns apart by two
/// or more spaces) with its columns moved closer: the label on the left, the rest
/// right-aligned. `None` when it does not fit even so (then it is wrapped).
fn squeeze(line: &str, indent: &str, width: usize) -> Option<String> {
    let cols: Vec<&str> = line
        .trim()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if cols.len() < 2 {
        return None;
    }
    let label = format!("{indent}{}", cols[0]);
    let rest = |sep: &str| cols[1..].join(sep);
    for sep in ["  ", " "] {
        let right = rest(sep);
        let used = width_of(&label) + width_of(&right);
        if used < width {
            return Some(format!("{label}{}{right}", " ".repeat(width - used)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fit_the_paper_and_marks_come_first_and_last() {
        let d = PaperDocument::from_text(
            "X-1",
            "================================================\nX REPORT (does not close the day)\nSales                           2      kr 174,80\n\nend",
            true,
            true,
        );
        let t = d.render_text(32);
        for l in t.lines() {
            assert!(l.chars().count() <= 32, "{l:?}");
        }
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].contains("TRAINING"), "{t}");
        assert!(lines[1].contains("COPY"), "{t}");
        assert!(lines.last().is_some_and(|l| l.contains("COPY")), "{t}");
        assert!(t.contains("kr 174,80"), "{t}");
        assert!(t.contains(&"-".repeat(32)), "{t}");
    }

    #[test]
    fn column_lines_are_squeezed_before_they_are_wrapped() {
        let d = PaperDocument::from_text(
            "X-1",
            "Sales                           2      kr 174,80\n  of which VAT                          kr 24,53",
            false,
            false,
        );
        let t = d.render_text(32);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], format!("Sales{}2  kr 174,80", " ".repeat(15)));
        assert_eq!(
            lines[1],
            format!("  of which VAT{}kr 24,53", " ".repeat(10))
        );
        assert!(lines.iter().all(|l| l.chars().count() == 32), "{t}");
    }

    #[test]
    fn an_original_has_no_marks() {
        let d = PaperDocument::from_text("X-1", "X REPORT", false, false);
        let t = d.render_text(48);
        assert!(!t.contains("COPY") && !t.contains("TRAINING"), "{t}");
    }
}
