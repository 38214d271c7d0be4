//! Returns at the counter, the pure part (issue #16): a return linked to its sale gives the
//! money back the way it came, a return without the sale (no receipt) only in cash. The SQL
//! is in `store::staff::returns`, the flow in `service::returns`.
//!
//! **Split sales: cash first.** A return of a split sale (cash part + Vipps remainder) pays
//! back in cash up to the cash the sale took (less cash already given back for it), and only
//! the rest as a Vipps refund. Why not proportionally: the cash is in the drawer at once and
//! needs no network (a small return of a split sale works offline), Vipps charges no refund
//! for it, and the customer never gets more cash than they paid in cash for that sale, nor
//! more Vipps money back than Vipps captured. The same rule holds over several partial
//! returns.

use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::refund::{
    LineRefund, PlannedLine, REFUND_WINDOW_DAYS, RefundableLine, milli, money, plan_lines,
    vat_of_gross,
};
use crate::domain::staff::StaffError;
use crate::lang::Text;

/// How the original sale was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleTender {
    Cash,
    Vipps,
    /// Cash part + Vipps for the rest.
    Split,
}

/// Everything needed to decide a return of one sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnContext {
    pub sale_id: i64,
    pub receipt_number: String,
    pub training: bool,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub sold_at: OffsetDateTime,
    pub tender: SaleTender,
    /// Cash the sale took (exact, before øreavrunding); 0 for a Vipps-only sale.
    pub cash_paid: i64,
    /// Cash already given back for this sale by earlier returns (exact amounts).
    pub cash_returned: i64,
    /// What Vipps can still refund (captured − refunded); 0 without a Vipps part.
    pub vipps_refundable: i64,
    /// The lines with what has been returned of them (Vipps refunds and cash returns).
    pub lines: Vec<RefundableLine>,
}

impl ReturnContext {
    /// Cash that may still be given back for this sale.
    pub fn cash_left(&self) -> i64 {
        (self.cash_paid - self.cash_returned).max(0)
    }
}

/// A return that passed the rules, not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnPlan {
    /// The returned lines (the whole return: cash and Vipps parts).
    pub lines: Vec<PlannedLine>,
    pub amount: i64,
    pub net: i64,
    pub vat: i64,
    /// The part given back in cash (exact) and its share excluding VAT.
    pub cash: i64,
    pub cash_net: i64,
    /// Øreavrunding of the cash paid out: `round_cash(cash) − cash`.
    pub cash_rounding: i64,
    /// The part refunded through Vipps, spread over the VAT rates of the returned lines.
    pub vipps: i64,
    pub vipps_lines: Vec<PlannedLine>,
}

impl ReturnPlan {
    /// The cash that leaves the drawer (rounded to the currency's cash step).
    pub fn cash_paid_out(&self) -> i64 {
        self.cash + self.cash_rounding
    }
}

/// One line of a return without a receipt, as the cashier typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeLine {
    pub name: String,
    /// Quantity in thousandths (1 pc = 1000).
    pub quantity_milli: i64,
    /// The line's amount including VAT, minor units.
    pub gross: i64,
    /// Hundredths of a percent.
    pub vat_rate: i64,
}

/// A return without the original sale, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeReturnRequest {
    pub lines: Vec<FreeLine>,
    pub tender: FreeTender,
    pub reason: String,
    /// The till's currency code (`NOK`).
    pub currency: String,
}

/// How a return without a receipt is to be paid back: only cash is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeTender {
    Cash,
    Vipps,
}

/// A return given back (partly) in cash, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CashReturnRecord {
    pub id: i64,
    pub n: i64,
    /// `R-{receipt}-{n}` (linked) or `RU-{shop}-{till}-{n}` (without receipt).
    pub number: String,
    pub sale_id: Option<i64>,
    pub original_receipt_number: Option<String>,
    pub shop_id: String,
    pub till_id: String,
    pub currency: String,
    pub amount: i64,
    pub net: i64,
    pub vat: i64,
    pub cash: i64,
    pub cash_net: i64,
    pub cash_rounding: i64,
    /// The Vipps part of a split return (its refund record) and the Vipps reference.
    pub refund_id: Option<i64>,
    pub vipps: i64,
    pub vipps_reference: Option<String>,
    pub reason: String,
    pub staff_id: String,
    pub staff_name: Option<String>,
    /// The manager who approved a return without receipt.
    pub approved_by: Option<String>,
    pub training: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub lines: Vec<PlannedLine>,
}

impl CashReturnRecord {
    /// A return without the original sale.
    pub fn without_receipt(&self) -> bool {
        self.sale_id.is_none()
    }

    /// The cash that left the drawer.
    pub fn cash_paid_out(&self) -> i64 {
        self.cash + self.cash_rounding
    }
}

/// What a return did: a cash part (with the Vipps part of a split sale inside it), or, for a
/// Vipps-only sale (or a split sale whose cash was all given back), a Vipps refund alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReturnOutcome {
    pub cash: Option<CashReturnRecord>,
    pub vipps: Option<crate::domain::refund::RefundRecord>,
}

/// A return of lines of a sale found by its receipt number (or a Vipps reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRequest {
    pub receipt: String,
    pub lines: Vec<LineRefund>,
    pub reason: String,
}

fn invalid(nb: String, en: String) -> StaffError {
    StaffError::Invalid(Text::new(nb, en))
}

fn refused(nb: String, en: String) -> StaffError {
    StaffError::Refused(Text::new(nb, en))
}

/// The reason a return is made: 1–200 characters.
pub fn check_reason(reason: &str) -> Result<&str, StaffError> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 200 {
        return Err(invalid(
            "Årsak: skriv hvorfor varen kommer i retur (1–200 tegn), f.eks. «feil størrelse»."
                .into(),
            "Reason: say why the goods come back (1–200 characters), e.g. \"wrong size\".".into(),
        ));
    }
    Ok(r)
}

/// Check the rules of a return of `items` of the sale in `ctx` and split it into its cash
/// and Vipps parts (cash first, see the module). Pure: `now` and the cash step come in.
pub fn plan_return(
    ctx: &ReturnContext,
    items: &[LineRefund],
    now: OffsetDateTime,
) -> Result<ReturnPlan, StaffError> {
    let m = |v: i64| money(v, &ctx.currency);
    let lines = plan_lines(&ctx.receipt_number, &ctx.lines, items)?;
    let amount: i64 = lines.iter().map(|l| l.gross).sum();
    let net: i64 = lines.iter().map(|l| l.net).sum();
    if amount <= 0 {
        return Err(invalid(
            "Retur: ingenting å gi tilbake. Velg linjer og antall.".into(),
            "Return: nothing to give back. Choose lines and quantities.".into(),
        ));
    }
    let cash = match ctx.tender {
        SaleTender::Vipps => 0,
        SaleTender::Cash => amount.min(ctx.cash_left()),
        // All in cash when the cash left covers it; else the cash left in whole cash steps
        // (no øreavrunding beside a Vipps part: Vipps takes the øre).
        SaleTender::Split if amount <= ctx.cash_left() => amount,
        SaleTender::Split => {
            let step = money(0, &ctx.currency).currency().cash_step();
            ctx.cash_left() - ctx.cash_left() % step
        }
    };
    let vipps = amount - cash;
    if vipps > 0 {
        if ctx.tender == SaleTender::Cash || vipps > ctx.vipps_refundable {
            return Err(refused(
                format!(
                    "Retur: {} er mer enn det som kan gis tilbake for kvittering {} — høyst {} (kontant {} + Vipps {}).",
                    m(amount),
                    ctx.receipt_number,
                    m(cash + ctx.vipps_refundable),
                    m(cash),
                    m(ctx.vipps_refundable)
                ),
                format!(
                    "Return: {} is more than can be given back for receipt {} — at most {} (cash {} + Vipps {}).",
                    m(amount),
                    ctx.receipt_number,
                    m(cash + ctx.vipps_refundable),
                    m(cash),
                    m(ctx.vipps_refundable)
                ),
            ));
        }
        let age = now - ctx.sold_at;
        if age > time::Duration::days(REFUND_WINDOW_DAYS) {
            return Err(refused(
                format!(
                    "Retur: salget {} er {} dager gammelt; Vipps refunderer bare innen 365 dager. {} må gis tilbake på annen måte.",
                    ctx.receipt_number,
                    age.whole_days(),
                    m(vipps)
                ),
                format!(
                    "Return: sale {} is {} days old; Vipps only refunds within 365 days. {} must be paid back another way.",
                    ctx.receipt_number,
                    age.whole_days(),
                    m(vipps)
                ),
            ));
        }
    }
    let vipps_lines = spread_over_rates(&lines, vipps);
    let vipps_net: i64 = vipps_lines.iter().map(|l| l.net).sum();
    let cash_rounding = if vipps == 0 {
        money(cash, &ctx.currency).cash_rounding().minor()
    } else {
        0
    };
    Ok(ReturnPlan {
        amount,
        net,
        vat: amount - net,
        cash,
        cash_net: net - vipps_net,
        cash_rounding,
        vipps,
        lines,
        vipps_lines,
    })
}

/// A return without the original sale: only in cash (the caller checks the manager), each
/// line with a name, a quantity above 0, an amount above 0 and a VAT rate of 0–100 %.
pub fn plan_free_return(
    lines: &[FreeLine],
    tender: FreeTender,
    currency: &str,
) -> Result<ReturnPlan, StaffError> {
    if tender == FreeTender::Vipps {
        return Err(refused(
            "Retur uten kvittering: kan bare betales tilbake kontant. Uten det opprinnelige salget vet kassen ikke hvilken Vipps-betaling pengene skal tilbake til.".into(),
            "Return without receipt: can only be paid back in cash. Without the original sale the till does not know which Vipps payment to refund.".into(),
        ));
    }
    if lines.is_empty() {
        return Err(invalid(
            "Varer: skriv minst én vare som kommer i retur.".into(),
            "Items: enter at least one item that comes back.".into(),
        ));
    }
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let no = i + 1;
        let name = l.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(invalid(
                format!("Vare {no}: navn mangler (1–60 tegn)."),
                format!("Item {no}: name missing (1–60 characters)."),
            ));
        }
        if l.quantity_milli <= 0 || l.quantity_milli > 999_000 {
            return Err(invalid(
                format!(
                    "Vare {no} «{name}»: antall {} — skriv et antall fra 0,001 til 999.",
                    milli(l.quantity_milli)
                ),
                format!(
                    "Item {no} \"{name}\": quantity {} — enter a quantity from 0.001 to 999.",
                    milli(l.quantity_milli)
                ),
            ));
        }
        if l.gross <= 0 {
            return Err(invalid(
                format!(
                    "Vare {no} «{name}»: beløp {} — skriv beløpet som gis tilbake, over 0.",
                    money(l.gross, currency)
                ),
                format!(
                    "Item {no} \"{name}\": amount {} — enter the amount given back, above 0.",
                    money(l.gross, currency)
                ),
            ));
        }
        if !(0..=10_000).contains(&l.vat_rate) {
            return Err(invalid(
                format!("Vare {no} «{name}»: mva-sats må være 0–100 %."),
                format!("Item {no} \"{name}\": the VAT rate must be 0–100 %."),
            ));
        }
        let vat = vat_of_gross(l.gross, l.vat_rate);
        out.push(PlannedLine {
            line_no: None,
            name: name.to_owned(),
            quantity_milli: Some(l.quantity_milli),
            vat_rate: l.vat_rate,
            gross: l.gross,
            net: l.gross - vat,
            vat,
        });
    }
    let amount: i64 = out.iter().map(|l| l.gross).sum();
    let net: i64 = out.iter().map(|l| l.net).sum();
    Ok(ReturnPlan {
        amount,
        net,
        vat: amount - net,
        cash: amount,
        cash_net: net,
        cash_rounding: money(amount, currency).cash_rounding().minor(),
        vipps: 0,
        vipps_lines: Vec::new(),
        lines: out,
    })
}

/// An item typed for a return without receipt: `NAME=AMOUNT` or `NAME=AMOUNT@VAT` (VAT in
/// percent, default 25), e.g. `Genser=299,00@25`. One piece.
pub fn parse_free_line(
    text: &str,
    currency: crate::domain::money::Currency,
) -> Result<FreeLine, StaffError> {
    let bad = || {
        invalid(
            format!(
                "Vare «{text}»: skriv NAVN=BELØP eller NAVN=BELØP@MVA, f.eks. Genser=299,00@25."
            ),
            format!("Item \"{text}\": type NAME=AMOUNT or NAME=AMOUNT@VAT, e.g. Genser=299,00@25."),
        )
    };
    let (name, rest) = text.split_once('=').ok_or_else(bad)?;
    let (amount, vat) = rest.split_once('@').unwrap_or((rest, "25"));
    let gross = crate::domain::money::Money::parse_input(amount.trim(), currency).map_err(|e| {
        let t = e.text();
        invalid(
            format!("Vare «{text}»: {}", t.nb),
            format!("Item \"{text}\": {}", t.en),
        )
    })?;
    let vat = vat.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, frac) = vat.split_once('.').unwrap_or((vat.as_str(), ""));
    if frac.len() > 2 || whole.is_empty() {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    Ok(FreeLine {
        name: name.trim().to_owned(),
        quantity_milli: 1000,
        gross: gross.minor(),
        vat_rate: whole.saturating_mul(100).saturating_add(frac),
    })
}

/// Spread `amount` over the VAT rates of `lines` in proportion to their gross (largest
/// remainder), one planned line per rate. Empty for 0.
fn spread_over_rates(lines: &[PlannedLine], amount: i64) -> Vec<PlannedLine> {
    if amount <= 0 {
        return Vec::new();
    }
    let mut rates: Vec<(i64, i64)> = Vec::new();
    for l in lines {
        match rates.iter_mut().find(|(r, _)| *r == l.vat_rate) {
            Some((_, g)) => *g += l.gross,
            None => rates.push((l.vat_rate, l.gross)),
        }
    }
    rates.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    crate::domain::refund::split_by_weight(amount, &rates)
        .into_iter()
        .map(|(rate, gross)| {
            let vat = vat_of_gross(gross, rate);
            PlannedLine {
                line_no: None,
                name: format!("Retur MVA {}", crate::domain::refund::format_rate(rate)),
                quantity_milli: None,
                vat_rate: rate,
                gross,
                net: gross - vat,
                vat,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(no: i64, name: &str, q: i64, rate: i64, gross: i64) -> RefundableLine {
        let vat = vat_of_gross(gross, rate);
        RefundableLine {
            line_no: no,
            name: name.into(),
            quantity: (q / 1000).to_string(),
            quantity_milli: q,
            unit: "pcs".into(),
            vat_rate: rate,
            gross,
            net: gross - vat,
            vat,
            is_return: false,
            refunded_milli: 0,
            refunded_gross: 0,
        }
    }

    fn ctx(tender: SaleTender, cash_paid: i64, vipps: i64) -> ReturnContext {
        ReturnContext {
            sale_id: 1,
            receipt_number: "s1-t1-000001".into(),
            training: false,
            currency: "NOK".into(),
            sold_at: OffsetDateTime::UNIX_EPOCH,
            tender,
            cash_paid,
            cash_returned: 0,
            vipps_refundable: vipps,
            lines: vec![
                line(1, "Kaffe", 2000, 2500, 10_000),
                line(2, "Brød", 1000, 1500, 5_000),
            ],
        }
    }

    fn items(v: &[(i64, i64)]) -> Vec<LineRefund> {
        v.iter()
            .map(|&(line_no, q)| LineRefund {
                line_no,
                quantity_milli: q * 1000,
            })
            .collect()
    }

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    #[test]
    fn cash_sale_returns_in_cash_only() {
        let p = plan_return(&ctx(SaleTender::Cash, 15_000, 0), &items(&[(1, 1)]), T0).unwrap();
        assert_eq!((p.amount, p.cash, p.vipps), (5_000, 5_000, 0));
        assert_eq!(p.cash_net, p.net);
        assert!(p.vipps_lines.is_empty());
    }

    #[test]
    fn split_sale_pays_cash_first_then_vipps() {
        // 40,00 cash + 110,00 Vipps; return line 1 whole (100,00): 40 cash, 60 Vipps.
        let p = plan_return(
            &ctx(SaleTender::Split, 4_000, 11_000),
            &items(&[(1, 2)]),
            T0,
        )
        .unwrap();
        assert_eq!((p.amount, p.cash, p.vipps), (10_000, 4_000, 6_000));
        assert_eq!(p.vipps_lines.iter().map(|l| l.gross).sum::<i64>(), 6_000);
        assert_eq!(
            p.cash_net + p.vipps_lines.iter().map(|l| l.net).sum::<i64>(),
            p.net
        );
        // The cash already given back: all Vipps.
        let mut c = ctx(SaleTender::Split, 4_000, 11_000);
        c.cash_returned = 4_000;
        let p = plan_return(&c, &items(&[(2, 1)]), T0).unwrap();
        assert_eq!((p.cash, p.vipps), (0, 5_000));
    }

    #[test]
    fn over_return_names_the_line_and_what_is_left() {
        let mut c = ctx(SaleTender::Cash, 15_000, 0);
        c.lines[0].refunded_milli = 1000;
        c.lines[0].refunded_gross = 5_000;
        let e = plan_return(&c, &items(&[(1, 2)]), T0).unwrap_err();
        let t = e.message();
        assert!(t.en.contains("Line 1 \"Kaffe\""), "{}", t.en);
        assert!(t.en.contains("at most 1"), "{}", t.en);
        assert!(t.nb.contains("Linje 1 «Kaffe»"), "{}", t.nb);
    }

    #[test]
    fn vipps_part_over_what_vipps_can_refund_is_refused() {
        let e =
            plan_return(&ctx(SaleTender::Split, 4_000, 1_000), &items(&[(1, 2)]), T0).unwrap_err();
        assert!(e.message().en.contains("at most"), "{}", e.message().en);
    }

    #[test]
    fn cash_is_paid_out_rounded() {
        let mut c = ctx(SaleTender::Cash, 4_990, 0);
        c.lines = vec![line(1, "Kaffe", 1000, 2500, 4_990)];
        let p = plan_return(&c, &items(&[(1, 1)]), T0).unwrap();
        assert_eq!(
            (p.cash, p.cash_rounding, p.cash_paid_out()),
            (4_990, 10, 5_000)
        );
    }

    #[test]
    fn free_lines_parse_name_amount_and_vat() {
        use crate::domain::money::Currency;
        let l = parse_free_line("Genser=299,00@15", Currency::Nok).unwrap();
        assert_eq!(
            (l.name.as_str(), l.gross, l.vat_rate),
            ("Genser", 29_900, 1500)
        );
        assert_eq!(
            parse_free_line("Lue=99", Currency::Nok).unwrap().vat_rate,
            2500
        );
        assert_eq!(
            parse_free_line("Bok=99@12,5", Currency::Nok)
                .unwrap()
                .vat_rate,
            1250
        );
        let e = parse_free_line("Lue", Currency::Nok).unwrap_err();
        assert!(
            e.message().en.starts_with("Item \"Lue\""),
            "{}",
            e.message().en
        );
    }

    #[test]
    fn free_return_is_cash_only_and_checked() {
        let l = FreeLine {
            name: "Genser".into(),
            quantity_milli: 1000,
            gross: 29_900,
            vat_rate: 2500,
        };
        let p = plan_free_return(std::slice::from_ref(&l), FreeTender::Cash, "NOK").unwrap();
        assert_eq!((p.amount, p.cash, p.vat), (29_900, 29_900, 5_980));
        let e = plan_free_return(std::slice::from_ref(&l), FreeTender::Vipps, "NOK").unwrap_err();
        assert!(e.message().nb.contains("bare betales tilbake kontant"));
        let bad = FreeLine { gross: 0, ..l };
        let e = plan_free_return(&[bad], FreeTender::Cash, "NOK").unwrap_err();
        assert!(
            e.message().en.starts_with("Item 1 \"Genser\": amount"),
            "{}",
            e.message().en
        );
    }
}
