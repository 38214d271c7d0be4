//! The receipt laid out for a paper width: a list of [`Block`]s of at most `width` characters
//! each. [`crate::receipt::text`] joins them; [`crate::receipt::escpos`] adds styles, the code
//! and the cut. One layout for both means the screen and the paper never disagree.

use crate::domain::money::Money;
use crate::lang::Lang;
use crate::receipt::PaperCode;
use crate::receipt::model::{PrintableReceipt, TenderKind};

/// Text style of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub bold: bool,
    pub center: bool,
    /// White on black (for COPY / TRAINING / REFUND marks).
    pub inverse: bool,
}

/// One element of the laid-out receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// One line of text (already fitted to the width, not padded for centring).
    Line { text: String, style: Style },
    /// A full-width rule.
    Rule,
    /// An empty line.
    Blank,
    /// A QR code or barcode with this data (the text under it is a separate line).
    Code { kind: PaperCode, data: String },
}

/// Amount without currency symbol: `1 234,50`, `-5,00`.
pub fn amount(m: Money) -> String {
    let s = m.to_string();
    // Money displays as `kr 1 234,50` / `-kr 5,00` / `€ 3,10`: drop the symbol.
    let neg = m.is_negative();
    let body = s
        .trim_start_matches('-')
        .split_once(' ')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default();
    if neg { format!("-{body}") } else { body }
}

/// Number of characters (what a printer counts), not bytes.
pub fn width_of(s: &str) -> usize {
    s.chars().count()
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Wrap `s` at word boundaries to lines of at most `width` characters (words longer than the
/// width are split).
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let mut word = word.to_owned();
        while width_of(&word) > width {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(truncate(&word, width));
            word = word.chars().skip(width).collect();
        }
        if cur.is_empty() {
            cur = word;
        } else if width_of(&cur) + 1 + width_of(&word) <= width {
            cur.push(' ');
            cur.push_str(&word);
        } else {
            out.push(std::mem::replace(&mut cur, word));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `left …… right` on one line; when both do not fit, `left` is wrapped on lines of its own
/// and `right` goes right-aligned on the last line if room, else on a line of its own.
pub fn left_right(left: &str, right: &str, width: usize) -> Vec<String> {
    let (lw, rw) = (width_of(left), width_of(right));
    if lw + rw < width {
        return vec![format!("{left}{}{right}", " ".repeat(width - lw - rw))];
    }
    let mut lines = wrap(left, width);
    let last_fits = lines
        .last()
        .is_some_and(|last| width_of(last) + 1 + rw <= width);
    if last_fits {
        if let Some(last) = lines.pop() {
            let pad = width - width_of(&last) - rw;
            lines.push(format!("{last}{}{right}", " ".repeat(pad)));
        }
    } else if rw <= width {
        lines.push(format!("{}{right}", " ".repeat(width - rw)));
    } else {
        lines.extend(wrap(right, width));
    }
    lines
}

/// Right-aligned columns: the first is left-aligned with whatever room is left.
fn columns(first: &str, rest: &[String], col: usize, width: usize) -> String {
    let mut right = String::new();
    for r in rest {
        let w = width_of(r).max(col);
        right.push_str(&format!("{r:>w$}", w = w + 1));
    }
    let room = width.saturating_sub(width_of(&right));
    let first = truncate(first, room);
    let mut s = format!("{first:<room$}{right}");
    if width_of(&s) > width {
        s = truncate(&s, width);
    }
    s
}

fn org_number(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 9 {
        format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        raw.trim().to_owned()
    }
}

struct Out {
    blocks: Vec<Block>,
    width: usize,
}

impl Out {
    fn line(&mut self, text: impl Into<String>, style: Style) {
        self.blocks.push(Block::Line {
            text: text.into(),
            style,
        });
    }
    fn plain(&mut self, text: impl Into<String>) {
        self.line(text, Style::default());
    }
    fn lr(&mut self, left: &str, right: &str, style: Style) {
        for l in left_right(left, right, self.width) {
            self.line(l, style);
        }
    }
    fn centered(&mut self, text: &str, style: Style) {
        for l in wrap(text, self.width) {
            self.line(
                l,
                Style {
                    center: true,
                    ..style
                },
            );
        }
    }
    fn mark(&mut self, text: &str) {
        self.centered(
            text,
            Style {
                bold: true,
                center: true,
                inverse: true,
            },
        );
    }
}

/// Labels in the receipt language.
struct L(Lang);

impl L {
    fn t<'a>(&self, nb: &'a str, en: &'a str) -> &'a str {
        self.0.pick(nb, en)
    }
}

/// Lay the receipt out for `width` columns, with a code of kind `code` (QR / CODE 128 / none)
/// and the given footer lines.
pub fn layout(
    r: &PrintableReceipt,
    width: usize,
    code: PaperCode,
    footer: &[String],
) -> Vec<Block> {
    let width = width.max(16);
    let l = L(r.lang);
    let mut o = Out {
        blocks: Vec::new(),
        width,
    };
    let bold = Style {
        bold: true,
        ..Style::default()
    };

    // Marks first so nobody misses them.
    let marks = |o: &mut Out| {
        if r.flags.training {
            o.mark("*** TRENING / TRAINING ***");
            // The wording kassasystemforskrifta §§ 2-8-4 ff. ask for on training receipts.
            o.centered(
                l.t(
                    "Treningskvittering – ikke gyldig som kvittering",
                    "Training receipt – not valid as a receipt",
                ),
                Style {
                    bold: true,
                    ..Style::default()
                },
            );
        }
        if r.flags.copy {
            o.mark("*** KOPI / COPY ***");
        }
        if r.flags.refund {
            o.mark("*** RETUR / REFUND ***");
        }
    };
    marks(&mut o);

    // Shop header.
    if !r.shop.name.trim().is_empty() {
        o.centered(r.shop.name.trim(), bold);
    }
    for a in &r.shop.address {
        o.centered(a, Style::default());
    }
    if !r.shop.org_number.trim().is_empty() {
        o.centered(
            &format!(
                "Org.nr. {}{}",
                org_number(&r.shop.org_number),
                if r.shop.vat_registered { " MVA" } else { "" }
            ),
            Style::default(),
        );
    }
    if let Some(c) = &r.shop.contact {
        o.centered(c, Style::default());
    }
    o.blocks.push(Block::Rule);

    // Titles as the Norwegian cash register regulation names them.
    let title = if r.flags.training {
        l.t("Treningskvittering", "Training receipt")
    } else if r.flags.refund {
        l.t("Returkvittering", "Refund receipt")
    } else {
        l.t("Salgskvittering", "Sales receipt")
    };
    o.lr(title, &r.receipt_number.to_string(), bold);
    let time = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        r.time.year(),
        u8::from(r.time.month()),
        r.time.day(),
        r.time.hour(),
        r.time.minute()
    );
    o.lr(l.t("Tid", "Time"), &time, Style::default());
    o.lr(l.t("Kasse", "Till"), &r.till, Style::default());
    // No cashier line when nobody is signed in (headless / unattended tills).
    if !r.cashier.trim().is_empty() {
        o.lr(l.t("Betjent av", "Cashier"), &r.cashier, Style::default());
    }
    o.blocks.push(Block::Rule);

    // Lines.
    for line in &r.lines {
        let name = if line.is_return {
            format!("{} {}", l.t("Retur:", "Return:"), line.name)
        } else {
            line.name.clone()
        };
        o.lr(&name, &amount(line.total), Style::default());
        let qty_one = line.whole_units && line.quantity == "1";
        if !qty_one {
            o.plain(format!(
                "  {} {} x {}",
                line.quantity,
                line.unit,
                amount(line.unit_price)
            ));
        }
        if !line.discount.is_zero() {
            o.lr(
                &format!("  {}", l.t("Rabatt", "Discount")),
                &amount(line.discount),
                Style::default(),
            );
        }
    }
    o.blocks.push(Block::Rule);

    // Totals.
    let cur = r.currency.code();
    if !r.discount_total.is_zero() {
        o.lr(
            l.t("Herav rabatt", "Of which discount"),
            &amount(r.discount_total),
            Style::default(),
        );
    }
    if !r.tip.is_zero() {
        o.lr(l.t("Varer", "Items"), &amount(r.subtotal), Style::default());
        o.lr(l.t("Tips", "Tip"), &amount(r.tip), Style::default());
    }
    let total_label = if r.flags.refund {
        l.t("Totalt retur", "Total refund")
    } else {
        l.t("Totalt", "Total")
    };
    o.lr(&format!("{total_label} {cur}"), &amount(r.total), bold);
    if !r.cash_rounding.is_zero() {
        // Øreavrunding: the cash tender below is the total rounded to the cash step.
        let shown = amount(r.cash_rounding);
        let shown = if r.cash_rounding.is_negative() {
            shown
        } else {
            format!("+{shown}")
        };
        o.lr(l.t("Øreavrunding", "Rounding"), &shown, Style::default());
        o.lr(
            &format!("{} {cur}", l.t("Å betale kontant", "Cash to pay")),
            &amount(Money::new(
                r.total.minor().saturating_add(r.cash_rounding.minor()),
                r.currency,
            )),
            bold,
        );
    }
    o.blocks.push(Block::Rule);

    // VAT table.
    let col = if width >= 40 { 10 } else { 7 };
    o.plain(columns(
        l.t("Mva", "VAT"),
        &[
            l.t("Grunnlag", "Net").to_owned(),
            l.t("Mva", "VAT").to_owned(),
            l.t("Brutto", "Gross").to_owned(),
        ],
        col,
        width,
    ));
    for v in &r.vat {
        o.plain(columns(
            &v.rate.to_string(),
            &[amount(v.net), amount(v.vat), amount(v.gross)],
            col,
            width,
        ));
    }
    if r.vat.len() > 1 {
        let net = r
            .vat
            .iter()
            .fold(0i64, |a, v| a.saturating_add(v.net.minor()));
        o.plain(columns(
            l.t("Sum", "Total"),
            &[
                amount(Money::new(net, r.currency)),
                amount(r.vat_total),
                amount(r.subtotal),
            ],
            col,
            width,
        ));
    }
    o.blocks.push(Block::Rule);

    // Tenders.
    let paid_back = r.flags.refund;
    for t in &r.tenders {
        let name = match &t.kind {
            TenderKind::Vipps { .. } => "Vipps",
            TenderKind::Cash { .. } => l.t("Kontant", "Cash"),
            TenderKind::Card => l.t("Bankkort", "Card"),
            TenderKind::GiftCard => l.t("Gavekort", "Gift card"),
            TenderKind::Voucher => l.t("Tilgodelapp", "Voucher"),
        };
        let label = if paid_back {
            format!("{name} {}", l.t("tilbake", "refunded"))
        } else {
            name.to_owned()
        };
        // Paid back: shown negative, like the lines and the total.
        let shown = if paid_back {
            Money::new(t.amount.minor().saturating_neg(), t.amount.currency())
        } else {
            t.amount
        };
        o.lr(&label, &amount(shown), Style::default());
        if let TenderKind::Vipps { reference } = &t.kind {
            o.lr(
                &format!("  {}", l.t("Ref.", "Ref.")),
                reference,
                Style::default(),
            );
        }
        if let (Some(tendered), Some(change)) = (t.tendered, t.change)
            && !paid_back
        {
            o.lr(
                &format!("  {}", l.t("Mottatt", "Received")),
                &amount(tendered),
                Style::default(),
            );
            o.lr(
                &format!("  {}", l.t("Tilbake", "Change")),
                &amount(change),
                bold,
            );
        }
    }
    o.blocks.push(Block::Rule);

    // Code of the receipt number.
    let number = r.receipt_number.to_string();
    if code != PaperCode::None {
        o.blocks.push(Block::Code {
            kind: code,
            data: number.clone(),
        });
    }
    o.centered(
        &format!("{} {number}", l.t("Kvittering nr.", "Receipt no.")),
        Style::default(),
    );
    for f in footer {
        o.centered(f, Style::default());
    }
    // Repeat the marks at the bottom: a torn-off copy still shows them.
    if r.flags.training || r.flags.copy || r.flags.refund {
        o.blocks.push(Block::Blank);
        marks(&mut o);
    }
    o.blocks
}
