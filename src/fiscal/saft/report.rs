//! An X or Z report as SAF-T's `<eventReport>` (kassasystemforskrifta § 2-8-2, the full content
//! journaled with the 13008 / 13009 event): a pure map from the report model.

use time::{Date, Time};

use super::codes::{PaymentKind, TransactionKind};
use super::model::{Counted, EmpCounted, EventReport, ReportType, ReportVat};
use crate::domain::report::{Report, ReportKind};

fn n(v: i64) -> u64 {
    u64::try_from(v.max(0)).unwrap_or(0)
}

/// kasse's tender name (`cash`, as `store::CASH_TENDER`; anything else is Vipps) as its SAF-T
/// `paymentType` (`basicID`).
fn payment_type(tender: &str) -> &'static str {
    if tender == "cash" {
        PaymentKind::Cash.id()
    } else {
        PaymentKind::Vipps.id()
    }
}

/// The report as an `<eventReport>` with id `report_id` (unique in the file), taken at local
/// `date` / `time`. `employee` says whether a staff id is an exported employee (the XSD's key);
/// sales of others are left out of the per-employee list. `None` for a report without the
/// § 2-8-2 figures (a Z stored before they existed).
pub fn event_report(
    r: &Report,
    report_id: String,
    date: Date,
    time: Time,
    employee: impl Fn(&str) -> bool,
) -> Option<EventReport> {
    let f = &r.fiscal;
    if f.currency.is_empty() {
        return None;
    }
    let main = r
        .sections
        .iter()
        .find(|s| !s.training && s.currency == f.currency);
    let payments = main
        .map(|s| {
            s.tenders
                .iter()
                .map(|t| Counted::new(payment_type(&t.tender), n(t.count), t.gross))
                .collect()
        })
        .unwrap_or_default();
    let cash_sales_vat = main
        .map(|s| {
            s.vat_rates
                .iter()
                .map(|v| ReportVat {
                    vat_code: None,
                    vat_perc: u32::try_from(v.rate).unwrap_or(0),
                    cash_sale_amount: v.net,
                    vat_amount: v.vat,
                })
                .collect()
        })
        .unwrap_or_default();
    let grand = f.grand_totals.iter().find(|g| g.currency == f.currency);
    let pair = |c: &crate::domain::report::Counted| (n(c.count), c.amount);
    let mut other_corrs = Vec::new();
    if f.price_changes > 0 {
        other_corrs.push(Counted::new("PRICE_CHANGE", n(f.price_changes), 0));
    }
    Some(EventReport {
        report_id,
        report_type: match r.kind {
            ReportKind::X => ReportType::X,
            ReportKind::Z => ReportType::Z,
        },
        company_ident: f.company.org_number.clone().unwrap_or_default(),
        company_name: f.company.name.clone().unwrap_or_default(),
        date,
        time,
        register_id: r.till_id.clone(),
        total_cash_sales: f.cash_sales.amount,
        art_groups: f
            .groups
            .iter()
            .map(|g| Counted::new(g.group.clone(), n(g.count), g.gross))
            .collect(),
        emp_art_groups: Vec::new(),
        payments,
        emp_payments: f
            .operators
            .iter()
            .filter(|o| !o.staff_id.is_empty() && employee(&o.staff_id))
            .map(|o| EmpCounted {
                emp_id: o.staff_id.clone(),
                counted: Counted::new(payment_type(&o.tender), n(o.count), o.gross),
            })
            .collect(),
        tip: None,
        cash_sales_vat,
        opening_change_float: f.opening_float,
        // Each operator's float (`[till] drawer_per_operator`).
        emp_opening_change_floats: f
            .cash_operators
            .iter()
            .filter(|o| {
                o.drawer.opening_float != 0 && !o.staff_id.is_empty() && employee(&o.staff_id)
            })
            .map(|o| EmpCounted {
                emp_id: o.staff_id.clone(),
                counted: Counted::new(
                    TransactionKind::CashDeclaration.id(),
                    1,
                    o.drawer.opening_float,
                ),
            })
            .collect(),
        receipt_num: n(f.receipts),
        open_cash_box_num: n(r.drawer_opens_no_sale),
        receipt_copy: pair(&f.copies),
        receipt_proforma: pair(&f.provisional),
        returns: pair(&f.returns),
        discounts: pair(&f.discounts),
        voids: pair(&f.voids),
        corr_lines: Vec::new(),
        price_inquiries: if f.price_lookups > 0 {
            vec![Counted::new("ALL", n(f.price_lookups), 0)]
        } else {
            Vec::new()
        },
        other_corrs,
        receipt_delivery: pair(&f.deliveries),
        training: pair(&f.training),
        credit_sales: None,
        credit_memos: None,
        // Deposits (11011) and withdrawals (11010) of the period.
        pay_ins: f
            .cash
            .iter()
            .filter(|d| d.deposit_count > 0)
            .map(|d| {
                Counted::new(
                    TransactionKind::Deposit.id(),
                    n(d.deposit_count),
                    d.deposits,
                )
            })
            .collect(),
        pay_outs: f
            .cash
            .iter()
            .filter(|d| d.withdrawal_count > 0)
            .map(|d| {
                Counted::new(
                    TransactionKind::Withdrawal.id(),
                    n(d.withdrawal_count),
                    d.withdrawals,
                )
            })
            .collect(),
        grand_total_sales: grand.map_or(0, |g| g.sales),
        grand_total_return: grand.map_or(0, |g| g.returns),
        grand_total_sales_net: grand.map_or(0, |g| g.net),
    })
}
