//! The cash drawer's part of a printed X/Z and its CSV rows (cash management: float, cash in,
//! withdrawals, deposits, expected, counted and the difference; per operator with
//! `[till] drawer_per_operator`).

use crate::domain::cash::CashDrawer;
use crate::domain::report::Fiscal;
use crate::lang::Lang;

use super::report::money;

/// The till's drawer and each operator's, when the report has them.
pub(crate) fn render_cash(o: &mut String, f: &Fiscal, c: &str, lang: Lang) {
    if let Some(d) = &f.cash {
        o.push_str(&format!("{}\n", lang.pick("Kasseskuff:", "Cash drawer:")));
        render_drawer(o, d, c, lang);
    }
    for op in &f.cash_operators {
        let who = if op.name.is_empty() {
            lang.pick("(uten operatør)", "(no operator)").to_owned()
        } else {
            op.name.clone()
        };
        o.push_str(&format!(
            "{} {who}:\n",
            lang.pick("Kasseskuff", "Cash drawer of")
        ));
        render_drawer(o, &op.drawer, c, lang);
    }
}

/// CSV rows `(record, key, count, amount)` of the drawer figures.
pub(crate) fn csv_rows(f: &Fiscal) -> Vec<(&'static str, String, i64, i64)> {
    let mut out = Vec::new();
    if let Some(d) = &f.cash {
        out.push(("cash_sales_in", String::new(), 0, d.cash_sales));
        out.push((
            "cash_withdrawals",
            String::new(),
            d.withdrawal_count,
            d.withdrawals,
        ));
        out.push(("cash_deposits", String::new(), d.deposit_count, d.deposits));
        out.push(("cash_expected", String::new(), 0, d.expected));
        if let Some(counted) = &d.counted {
            out.push(("cash_counted", String::new(), 0, counted.total));
        }
        if let Some(diff) = d.difference {
            out.push(("cash_difference", String::new(), 0, diff));
        }
    }
    for op in &f.cash_operators {
        let d = &op.drawer;
        out.push(("operator_cash_expected", op.staff_id.clone(), 0, d.expected));
        if let Some(counted) = &d.counted {
            out.push((
                "operator_cash_counted",
                op.staff_id.clone(),
                0,
                counted.total,
            ));
        }
        if let Some(diff) = d.difference {
            out.push(("operator_cash_difference", op.staff_id.clone(), 0, diff));
        }
    }
    out
}

/// The drawer: what should be in it, what was counted (a Z) and the difference.
fn render_drawer(o: &mut String, d: &CashDrawer, c: &str, lang: Lang) {
    let t = |nb: &'static str, en: &'static str| lang.pick(nb, en);
    let row = |o: &mut String, label: &str, count: Option<i64>, amount: i64| {
        let cnt = count
            .map(|n| format!("{n:>5}"))
            .unwrap_or_else(|| "     ".into());
        let line = format!("  {label:<26}{cnt} {:>14}", money(amount, c));
        o.push_str(line.trim_end());
        o.push('\n');
    };
    row(
        o,
        t("Vekselbeholdning", "Opening float"),
        None,
        d.opening_float,
    );
    row(
        o,
        t("Kontant inn (salg)", "Cash in (sales)"),
        None,
        d.cash_sales,
    );
    row(
        o,
        t("Uttak", "Withdrawals"),
        Some(d.withdrawal_count),
        -d.withdrawals,
    );
    row(
        o,
        t("Innskudd", "Deposits"),
        Some(d.deposit_count),
        d.deposits,
    );
    row(o, t("Forventet kontant", "Expected cash"), None, d.expected);
    if let Some(counted) = &d.counted {
        for (value, n) in &counted.pieces {
            let label = format!("  {} x {}", n, money(*value, c));
            row(o, &label, None, value.saturating_mul(*n));
        }
        row(o, t("Opptalt kontant", "Counted cash"), None, counted.total);
    }
    if let Some(diff) = d.difference {
        row(o, t("Differanse", "Difference"), None, diff);
    }
}
