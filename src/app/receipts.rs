//! Journal rows as receipt documents: sales, cash sales, refunds and X/Z reports.

use crate::domain::money::Money;
use crate::lang::{Lang, Text};

/// An X or Z report as a paper document: the report's text (in the receipt language) with
/// the id `X-{date}` or `Z-{number}` (`Z-{date}` before it has a number).
pub fn report_document(
    report: &crate::domain::report::Report,
    lang: Lang,
    copy: bool,
    training: bool,
) -> crate::receipt::document::PaperDocument {
    use crate::domain::report::ReportKind;
    let id = match (report.kind, report.number) {
        (ReportKind::Z, Some(n)) => format!("Z-{n}"),
        (ReportKind::Z, None) => format!("Z-{}", report.business_date),
        (ReportKind::X, _) => format!("X-{}", report.business_date),
    };
    let text = crate::receipt::report::render_text(report, lang);
    crate::receipt::document::PaperDocument::from_text(id, &text, copy, training)
}

/// The receipt model's sale of a cash-only sale: every line, tender cash (`received` handed
/// over, the change is the difference).
pub fn cash_sale_of(
    record: &crate::store::SaleRecord,
    received: Money,
    time: time::OffsetDateTime,
    training: bool,
) -> Result<crate::receipt::model::Sale, Text> {
    let (basket, currency) = basket_of(record)?;
    // Øreavrunding: the cash tender is the total rounded to the cash step, as journaled.
    let rounding = Money::new(record.sale.cash_rounding, currency);
    let cash = Money::new(
        record
            .sale
            .gross_total
            .saturating_add(record.sale.cash_rounding),
        currency,
    );
    Ok(crate::receipt::model::Sale {
        basket,
        tenders: vec![crate::receipt::model::Tender::cash(cash, received)],
        tip: Money::zero(currency),
        receipt_number: record.sale.receipt_number.clone(),
        time,
        till: record.sale.till_id.clone(),
        cashier: record.sale.staff_id.clone().unwrap_or_default(),
        training: training || record.sale.training,
        cash_rounding: rounding,
    })
}

/// The basket of a journaled sale, rebuilt from its stored lines (for receipts).
pub fn basket_of(
    record: &crate::store::SaleRecord,
) -> Result<
    (
        crate::domain::basket::Basket,
        crate::domain::money::Currency,
    ),
    Text,
> {
    use crate::domain::basket::{Basket, OrderLine, Quantity, QuantityUnit};
    use crate::domain::money::Currency;
    let currency = Currency::parse(&record.sale.currency).ok_or_else(|| {
        Text::new(
            format!("Ukjent valuta «{}» i journalen.", record.sale.currency),
            format!(
                "Unknown currency \"{}\" in the journal.",
                record.sale.currency
            ),
        )
    })?;
    let mut basket = Basket::new(currency);
    for (i, row) in record.lines.iter().enumerate() {
        let l = &row.line;
        let unit = QuantityUnit::parse(&l.unit).ok_or_else(|| {
            Text::new(
                format!("Linje {}: ukjent enhet «{}».", i + 1, l.unit),
                format!("Line {}: unknown unit \"{}\".", i + 1, l.unit),
            )
        })?;
        let quantity = Quantity::new(l.quantity_milli, unit).map_err(|e| e.text())?;
        let vat = u32::try_from(l.vat_rate)
            .ok()
            .and_then(|r| crate::domain::vat::VatRate::new(r).ok())
            .ok_or_else(|| {
                Text::new(
                    format!("Linje {}: ugyldig mva-sats {}.", i + 1, l.vat_rate),
                    format!("Line {}: invalid VAT rate {}.", i + 1, l.vat_rate),
                )
            })?;
        basket
            .add(OrderLine {
                product_id: l
                    .product_id
                    .clone()
                    .unwrap_or_else(|| format!("line-{}", i + 1)),
                name: l.name.clone(),
                quantity,
                unit_price: Money::new(l.unit_price, currency),
                discount: Money::new(l.discount, currency),
                vat,
                is_return: l.is_return,
            })
            .map_err(|e| e.text())?;
    }
    Ok((basket, currency))
}

/// The receipt model's sale from the journal: the basket rebuilt from the stored lines, the
/// Vipps reference as tender (the amount Vipps charged) — after the cash part for a split
/// sale — and no tip.
pub fn sale_of(
    payment: &crate::store::PaymentRow,
    record: &crate::store::SaleRecord,
    time: time::OffsetDateTime,
    training: bool,
) -> Result<crate::receipt::model::Sale, Text> {
    let (basket, currency) = basket_of(record)?;
    // A split sale: the cash part first, then Vipps for the rest (what Vipps charged).
    let cash = record.sale.cash_part(Some(payment.amount));
    let mut tenders = Vec::with_capacity(2);
    if cash > 0 && record.sale.tender == crate::store::SPLIT_TENDER {
        let c = Money::new(cash, currency);
        tenders.push(crate::receipt::model::Tender::cash(c, c));
    }
    tenders.push(crate::receipt::model::Tender::vipps(
        payment.reference.clone(),
        Money::new(payment.amount, currency),
    ));
    Ok(crate::receipt::model::Sale {
        basket,
        tenders,
        tip: Money::zero(currency),
        receipt_number: record.sale.receipt_number.clone(),
        time,
        till: record.sale.till_id.clone(),
        cashier: record.sale.staff_id.clone().unwrap_or_default(),
        training: training || record.sale.training,
        cash_rounding: Money::zero(currency),
    })
}

/// The returned lines of a refund or return as a basket of return lines (whole pieces that
/// divide the amount evenly as "2 x 12,50", anything else as one line with the amount).
fn returned_basket(
    lines: &[crate::domain::refund::PlannedLine],
    currency_code: &str,
) -> Result<
    (
        crate::domain::basket::Basket,
        crate::domain::money::Currency,
    ),
    Text,
> {
    use crate::domain::basket::{Basket, OrderLine, Quantity};
    use crate::domain::money::Currency;
    let currency = Currency::parse(currency_code).ok_or_else(|| {
        Text::new(
            format!("Ukjent valuta «{}» i refusjonen.", currency_code),
            format!("Unknown currency \"{}\" in the refund.", currency_code),
        )
    })?;
    let mut basket = Basket::new(currency);
    for (i, l) in lines.iter().enumerate() {
        let vat = u32::try_from(l.vat_rate)
            .ok()
            .and_then(|v| crate::domain::vat::VatRate::new(v).ok())
            .ok_or_else(|| {
                Text::new(
                    format!("Linje {}: ugyldig mva-sats {}.", i + 1, l.vat_rate),
                    format!("Line {}: invalid VAT rate {}.", i + 1, l.vat_rate),
                )
            })?;
        // Whole pieces that divide the amount evenly print as "2 x 12,50"; anything else as
        // one line with the refunded amount (the amount is what was paid back).
        let pieces = l
            .quantity_milli
            .filter(|q| *q > 0 && q % 1000 == 0)
            .map(|q| q / 1000)
            .filter(|n| l.gross % n == 0);
        let (quantity, unit_price) = match pieces {
            Some(n) => (
                Quantity::new(n * 1000, crate::domain::basket::QuantityUnit::Pcs),
                l.gross / n,
            ),
            None => (Quantity::pieces(1), l.gross),
        };
        basket
            .add(OrderLine {
                product_id: l
                    .line_no
                    .map_or_else(|| format!("refund-{}", i + 1), |n| format!("line-{n}")),
                name: l.name.clone(),
                quantity: quantity.map_err(|e| e.text())?,
                unit_price: Money::new(unit_price, currency),
                discount: Money::zero(currency),
                vat,
                is_return: false,
            })
            .map_err(|e| e.text())?;
    }
    let basket = crate::receipt::model::refund_basket(&basket).map_err(|e| e.text())?;
    Ok((basket, currency))
}

/// The receipt model's sale for a return given back in cash ("Returkvittering"): the returned
/// lines, the cash paid out (rounded; a cash tender, so the drawer opens) and, for a split
/// sale, the Vipps part with its reference. A return without receipt says so beside the
/// cashier's name.
pub fn cash_return_sale(
    r: &crate::domain::returns::CashReturnRecord,
    time: time::OffsetDateTime,
    training: bool,
    lang: crate::lang::Lang,
) -> Result<crate::receipt::model::Sale, Text> {
    use crate::receipt::model::Tender;
    let (basket, currency) = returned_basket(&r.lines, &r.currency)?;
    let mut tenders = Vec::with_capacity(2);
    let cash = Money::new(r.cash_paid_out(), currency);
    tenders.push(Tender::cash(cash, cash));
    if let (true, Some(reference)) = (r.vipps > 0, &r.vipps_reference) {
        tenders.push(Tender::vipps(
            reference.clone(),
            Money::new(r.vipps, currency),
        ));
    }
    let name = r.staff_name.clone().unwrap_or_else(|| r.staff_id.clone());
    let cashier = if r.without_receipt() {
        format!(
            "{name} – {}",
            lang.pick("Retur uten kvittering", "Return without receipt")
        )
    } else {
        name
    };
    Ok(crate::receipt::model::Sale {
        basket,
        tenders,
        tip: Money::zero(currency),
        receipt_number: r.number.clone(),
        time,
        till: r.till_id.clone(),
        cashier,
        training: training || r.training,
        // The rounding of the paid-back (negative) total: its sign flips with it.
        cash_rounding: Money::new(-r.cash_rounding, currency),
    })
}

/// The receipt model's sale for a refund receipt: each refunded line (or VAT share of a
/// refund by amount) as a returned line, the Vipps reference as the tender paid back.
pub fn refund_sale(
    r: &crate::domain::refund::RefundReceipt,
    time: time::OffsetDateTime,
    training: bool,
) -> Result<crate::receipt::model::Sale, Text> {
    let (basket, currency) = returned_basket(&r.lines, &r.currency)?;
    Ok(crate::receipt::model::Sale {
        basket,
        tenders: vec![crate::receipt::model::Tender::vipps(
            r.reference.clone(),
            Money::new(r.total, currency),
        )],
        tip: Money::zero(currency),
        receipt_number: r.refund_number.clone(),
        time,
        till: r.till_id.clone(),
        cashier: r.staff_name.clone().unwrap_or_else(|| r.staff_id.clone()),
        training: training || r.training,
        cash_rounding: Money::zero(currency),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::ApiKind;

    #[test]
    fn a_refund_receipt_has_returned_lines_summing_to_the_refund() {
        use crate::domain::refund::{PlannedLine, RefundReceipt, RefundStatus};
        let line = |no: Option<i64>, name: &str, q: Option<i64>, rate: i64, gross: i64| {
            let vat = crate::domain::refund::vat_of_gross(gross, rate);
            PlannedLine {
                line_no: no,
                name: name.into(),
                quantity_milli: q,
                vat_rate: rate,
                gross,
                net: gross - vat,
                vat,
            }
        };
        let r = RefundReceipt {
            shop_id: "s1".into(),
            till_id: "t1".into(),
            refund_number: "R-s1-t1-000007-1".into(),
            original_receipt_number: "s1-t1-000007".into(),
            reference: "kasse-s1-t1-000007-a1".into(),
            api: ApiKind::Epayment,
            at: time::OffsetDateTime::UNIX_EPOCH,
            staff_id: "m1".into(),
            staff_name: Some("Mona".into()),
            reason: "damaged".into(),
            currency: "NOK".into(),
            lines: vec![
                // Two whole pieces: "2 x 25,00".
                line(Some(1), "Kaffe", Some(2000), 1500, 5_000),
                // Half a kilo: one line with the amount paid back.
                line(Some(2), "Epler", Some(500), 1500, 1_995),
                // A share of a refund by amount.
                line(None, "Refusjon MVA 25 %", None, 2500, 1_001),
            ],
            vat_breakdown: Vec::new(),
            total: 7_996,
            total_net: 0,
            total_vat: 0,
            status: RefundStatus::Done,
            training: false,
        };
        let sale = refund_sale(&r, time::OffsetDateTime::UNIX_EPOCH, false).unwrap();
        assert!(sale.basket.lines().iter().all(|l| l.is_return));
        assert_eq!(sale.basket.line(0).map(|l| l.quantity.milli()), Some(2000));
        assert_eq!(
            sale.basket.line(0).map(|l| l.unit_price.minor()),
            Some(2_500)
        );
        assert_eq!(
            sale.basket.line(1).map(|l| l.unit_price.minor()),
            Some(1_995)
        );
        let cfg = Config::from_toml_str("", &|_| None).unwrap();
        let shop = cfg.shop_info();
        let printed = crate::receipt::model::build(&sale, &shop, Lang::En).unwrap();
        assert!(printed.flags.refund);
        assert_eq!(printed.total.minor(), -7_996);
        assert_eq!(printed.receipt_number, "R-s1-t1-000007-1");
        assert_eq!(printed.cashier, "Mona");
    }
}
