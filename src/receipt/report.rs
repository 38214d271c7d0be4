//! Report renderers: one per format (text for screen and paper, CSV, JSON).

use crate::domain::money::{Currency, Money};
use crate::domain::reconcile::FindingKind;
use crate::domain::refund::format_rate;
use crate::domain::report::*;
use crate::lang::Lang;

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Csv,
    Json,
}

pub(crate) fn money(v: i64, currency: &str) -> String {
    Money::new(v, Currency::parse(currency).unwrap_or(Currency::Nok)).to_string()
}

/// Render a report in the given format.
pub fn render(report: &Report, format: Format, lang: Lang) -> String {
    match format {
        Format::Text => render_text(report, lang),
        Format::Csv => render_csv(report),
        Format::Json => render_json(report),
    }
}

/// Pretty JSON (the same structure as the stored Z snapshot).
pub fn render_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

/// The report for a person to read.
pub fn render_text(r: &Report, lang: Lang) -> String {
    let t = |nb: &'static str, en: &'static str| lang.pick(nb, en);
    let mut o = String::new();
    let title = match (r.kind, r.number) {
        (ReportKind::Z, Some(n)) => format!("{} {n}", t("Z-RAPPORT nr.", "Z REPORT no.")),
        (ReportKind::Z, None) => t("Z-RAPPORT", "Z REPORT").to_owned(),
        (ReportKind::X, _) => t(
            "X-RAPPORT (avslutter ikke dagen)",
            "X REPORT (does not close the day)",
        )
        .to_owned(),
    };
    let line = "=".repeat(48);
    o.push_str(&format!("{line}\n{title}\n{line}\n"));
    o.push_str(&format!(
        "{}: {}  {}: {}\n{}: {}\n{}: {} – {}\n{}: {}{}\n",
        t("Butikk", "Shop"),
        r.shop_id,
        t("Kasse", "Till"),
        r.till_id,
        t("Dato", "Date"),
        r.business_date,
        t("Periode (UTC)", "Period (UTC)"),
        r.period_from,
        r.period_to,
        t("Laget", "Generated"),
        r.generated_at,
        r.generated_by
            .as_ref()
            .map(|s| format!(" ({} {s})", t("av", "by")))
            .unwrap_or_default()
    ));
    let company = &r.fiscal.company;
    if company.org_number.is_some() || company.name.is_some() {
        o.push_str(&format!(
            "{}: {}{}\n",
            t("Org.nr.", "Org. no."),
            company
                .org_number
                .as_deref()
                .unwrap_or(t("(mangler)", "(missing)")),
            company
                .name
                .as_deref()
                .map(|n| format!("  {n}"))
                .unwrap_or_default()
        ));
    }
    if r.sections.is_empty() {
        o.push_str(&format!(
            "\n{}\n",
            t("Ingen salg i perioden.", "No sales in the period.")
        ));
    }
    for s in &r.sections {
        let c = &s.currency;
        let head = if s.training {
            format!(
                "{} ({c})",
                t("OPPLÆRING – ikke omsetning", "TRAINING – not turnover")
            )
        } else {
            format!("{} ({c})", t("SALG", "SALES"))
        };
        o.push_str(&format!("\n-- {head} --\n"));
        let row = |o: &mut String, label: &str, count: Option<i64>, amount: i64| {
            let cnt = count
                .map(|n| format!("{n:>5}"))
                .unwrap_or_else(|| "     ".into());
            o.push_str(&format!("{label:<28}{cnt} {:>14}\n", money(amount, c)));
        };
        row(
            &mut o,
            t("Salg", "Sales"),
            Some(s.sales.count),
            s.sales.gross,
        );
        row(
            &mut o,
            t("  herav MVA", "  of which VAT"),
            None,
            s.sales.vat,
        );
        row(
            &mut o,
            t("Refusjoner", "Refunds"),
            Some(s.refunds.count),
            -s.refunds.gross,
        );
        row(
            &mut o,
            t("Netto omsetning", "Net turnover"),
            None,
            s.net_turnover,
        );
        o.push_str(&format!("{}\n", t("Betalingsmidler:", "Tenders:")));
        for tt in &s.tenders {
            row(
                &mut o,
                &format!("  {}", tender_name(&tt.tender).get(lang)),
                Some(tt.count),
                tt.gross,
            );
        }
        if s.cash_rounding != 0 {
            // Already in the cash tender above (what went into the drawer).
            row(
                &mut o,
                t("  Øreavrunding", "  Cash rounding"),
                None,
                s.cash_rounding,
            );
        }
        if s.cash_returns != 0 {
            // Cash given back for returns (in Refunds above): leaves the drawer.
            row(
                &mut o,
                t("  Kontant tilbake (retur)", "  Cash back (returns)"),
                None,
                -s.cash_returns,
            );
        }
        if !s.vipps.is_empty() {
            o.push_str(&format!(
                "{}\n",
                t("Vipps trukket per API:", "Vipps captured per API:")
            ));
        }
        for a in &s.vipps {
            row(
                &mut o,
                &format!("  {}", api_name(&a.api).get(lang)),
                Some(a.count),
                a.captured,
            );
        }
        o.push_str(&format!(
            "{}\n",
            t("MVA per sats (salg):", "VAT per rate (sales):")
        ));
        for v in &s.vat_rates {
            o.push_str(&format!(
                "  {:<8} {} {:>12}  {} {:>12}  {} {:>12}\n",
                format_rate(v.rate),
                t("brutto", "gross"),
                money(v.gross, c),
                t("netto", "net"),
                money(v.net, c),
                t("MVA", "VAT"),
                money(v.vat, c)
            ));
        }
        if !s.refund_vat_rates.is_empty() {
            o.push_str(&format!(
                "{}\n",
                t("MVA per sats (refusjoner):", "VAT per rate (refunds):")
            ));
            for v in &s.refund_vat_rates {
                o.push_str(&format!(
                    "  {:<8} {} {:>12}  {} {:>12}  {} {:>12}\n",
                    format_rate(v.rate),
                    t("brutto", "gross"),
                    money(-v.gross, c),
                    t("netto", "net"),
                    money(-v.net, c),
                    t("MVA", "VAT"),
                    money(-v.vat, c)
                ));
            }
        }
        row(
            &mut o,
            t("Kansellerte/annullerte", "Cancelled/voided"),
            Some(s.cancellations.count),
            s.cancellations.gross,
        );
        o.push_str(&format!(
            "{:<28}{:>5}\n{:<28}{:>5}\n{:<28}{:>5}\n{:<28}{:>5}\n",
            t("Mislykkede betalinger", "Failed payments"),
            s.failed,
            t("Åpne salg", "Open sales"),
            s.open,
            t("Refusjoner ikke bekreftet", "Refunds not confirmed"),
            s.refunds_pending,
            t("Refusjoner avvist", "Refunds refused"),
            s.refunds_failed
        ));
    }
    o.push_str(&format!(
        "\n{:<33}{:>5}\n{:<33}{:>5}\n",
        t("Skuff åpnet uten salg", "Drawer opened without a sale"),
        r.drawer_opens_no_sale,
        t("Uløste oppdrag i køen", "Unresolved queue rows"),
        r.outbox_unresolved
    ));
    render_fiscal(&mut o, r, lang);
    match &r.reconciliation {
        None => o.push_str(&format!(
            "\n{}\n",
            t(
                "Avstemming mot Vipps: ikke utført.",
                "Reconciliation with Vipps: not run."
            )
        )),
        Some(rec) => {
            let cur = r
                .sections
                .first()
                .map(|s| s.currency.as_str())
                .unwrap_or("NOK");
            o.push_str(&format!(
                "\n-- {} --\n{}: {}  {}: {}\n{}: {} / {}\n{}: {} / {}\n",
                t("AVSTEMMING MOT VIPPS", "RECONCILIATION WITH VIPPS"),
                t("Lest", "Checked"),
                rec.checked,
                t("Stemmer", "Matched"),
                rec.matched,
                t("Trukket Vipps / journal", "Captured Vipps / journal"),
                money(rec.vipps_captured, cur),
                money(rec.journal_captured, cur),
                t("Refundert Vipps / journal", "Refunded Vipps / journal"),
                money(rec.vipps_refunded, cur),
                money(rec.journal_refunded, cur),
            ));
            if rec.findings.is_empty() {
                o.push_str(&format!("{}\n", t("Alt stemmer.", "Everything matches.")));
            }
            for f in &rec.findings {
                let kind = match f.kind {
                    FindingKind::Mismatch => t("AVVIK", "MISMATCH"),
                    FindingKind::AuthorizedNotCaptured => t("IKKE TRUKKET", "NOT CAPTURED"),
                    FindingKind::RefundPending => t("REFUSJON VENTER", "REFUND PENDING"),
                    FindingKind::ReadFailed => t("IKKE LEST", "NOT READ"),
                };
                o.push_str(&format!(
                    "! {kind} {} ({}, {})\n  {}\n",
                    f.reference,
                    f.api.code(),
                    f.receipt_number,
                    f.action.get(lang)
                ));
            }
        }
    }
    o.push_str(&format!("{line}\n"));
    o
}

/// The § 2-8-2 figures beyond the sections (letters e–x), in the report's main currency.
/// Z reports stored before these figures existed have none (no currency): nothing is shown.
fn render_fiscal(o: &mut String, r: &Report, lang: Lang) {
    let f = &r.fiscal;
    if f.currency.is_empty() {
        return;
    }
    let t = |nb: &'static str, en: &'static str| lang.pick(nb, en);
    let c = f.currency.as_str();
    let row = |o: &mut String, label: &str, count: Option<i64>, amount: Option<i64>| {
        let cnt = count
            .map(|n| format!("{n:>5}"))
            .unwrap_or_else(|| "     ".into());
        let amt = amount.map(|a| money(a, c)).unwrap_or_default();
        let line = format!("{label:<28}{cnt} {amt:>14}");
        o.push_str(line.trim_end());
        o.push('\n');
    };
    let counted = |o: &mut String, label: &str, v: &Counted| {
        row(o, label, Some(v.count), Some(v.amount));
    };
    o.push_str(&format!(
        "\n-- {} ({c}) --\n",
        t("FORSKRIFT § 2-8-2", "REGULATION § 2-8-2")
    ));
    counted(o, t("Kontantsalg", "Cash sales"), &f.cash_sales);
    o.push_str(&format!("{}\n", t("Per varegruppe:", "Per article group:")));
    if f.groups.is_empty() {
        o.push_str(&format!("  {}\n", t("(ingen)", "(none)")));
    }
    for g in &f.groups {
        let name = if !g.name_nb.is_empty() {
            // The list's names can be long: the label column keeps its 27 characters.
            format!("  {} {}", g.group, lang.pick(&g.name_nb, &g.name_en))
                .chars()
                .take(27)
                .collect()
        } else if g.group == NO_GROUP {
            format!("  {} {}", g.group, t("Øvrige", "Other"))
        } else {
            format!("  {}", g.group)
        };
        row(o, &name, Some(g.count), Some(g.gross));
    }
    o.push_str(&format!(
        "{}\n",
        t(
            "Per operatør og betalingsmiddel:",
            "Per operator and tender:"
        )
    ));
    if f.operators.is_empty() {
        o.push_str(&format!("  {}\n", t("(ingen)", "(none)")));
    }
    for op in &f.operators {
        let who = if op.name.is_empty() {
            t("(uten operatør)", "(no operator)").to_owned()
        } else {
            op.name.clone()
        };
        let mut label = format!("  {who} {}", tender_name(&op.tender).get(lang));
        if label.chars().count() > 27 {
            label = label.chars().take(27).collect();
        }
        row(o, &label, Some(op.count), Some(op.gross));
    }
    counted(o, t("Tips", "Tips"), &f.tips);
    row(
        o,
        t("Vekselbeholdning", "Opening float"),
        None,
        Some(f.opening_float),
    );
    super::report_cash::render_cash(o, f, c, lang);
    row(
        o,
        t("Salgskvitteringer", "Sales receipts"),
        Some(f.receipts),
        None,
    );
    counted(o, t("Kopikvitteringer", "Receipt copies"), &f.copies);
    counted(
        o,
        t("Foreløpig kvittering", "Provisional receipts"),
        &f.provisional,
    );
    counted(o, t("Returer", "Returns"), &f.returns);
    counted(o, t("Rabatter", "Discounts"), &f.discounts);
    counted(o, t("Annulleringer", "Voids"), &f.voids);
    counted(
        o,
        t("Linjekorreksjoner", "Line corrections"),
        &f.line_corrections,
    );
    row(
        o,
        t("Prisforespørsler", "Price look-ups"),
        Some(f.price_lookups),
        None,
    );
    row(
        o,
        t("Prisendringer", "Price changes"),
        Some(f.price_changes),
        None,
    );
    counted(
        o,
        t("Utleveringskvittering", "Delivery receipts"),
        &f.deliveries,
    );
    counted(
        o,
        t("Treningskvitteringer", "Training receipts"),
        &f.training,
    );
    o.push_str(&format!(
        "{}\n",
        t(
            "Grand total siden første bruk:",
            "Grand total since first use:"
        )
    ));
    for g in &f.grand_totals {
        let m = |v: i64| money(v, &g.currency);
        o.push_str(&format!(
            "  {:<26}{:>19}\n  {:<26}{:>19}\n  {:<26}{:>19}\n",
            t("Salg", "Sales"),
            m(g.sales),
            t("Retur", "Returns"),
            m(g.returns),
            t("Netto", "Net"),
            m(g.net)
        ));
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One row per figure: `record,training,currency,key,count,gross,net,vat` (amounts in minor
/// units, so spreadsheets need no decimal conventions).
pub fn render_csv(r: &Report) -> String {
    let mut o = String::from("record,training,currency,key,count,gross,net,vat\n");
    let mut push =
        |rec: &str, training: bool, cur: &str, key: &str, c: i64, g: i64, n: &str, v: &str| {
            o.push_str(&format!(
                "{},{},{},{},{c},{g},{n},{v}\n",
                csv_field(rec),
                u8::from(training),
                csv_field(cur),
                csv_field(key)
            ));
        };
    let kind = match r.kind {
        ReportKind::X => "x",
        ReportKind::Z => "z",
    };
    push(
        "report",
        false,
        "",
        &format!(
            "{kind}:{}:{}:{}:{}",
            r.number.map(|n| n.to_string()).unwrap_or_default(),
            r.shop_id,
            r.till_id,
            r.business_date
        ),
        0,
        0,
        "",
        "",
    );
    for s in &r.sections {
        let (t, c) = (s.training, s.currency.as_str());
        let nv = |a: &Amounts| (a.net.to_string(), a.vat.to_string());
        let (n, v) = nv(&s.sales);
        push("sales", t, c, "", s.sales.count, s.sales.gross, &n, &v);
        let (n, v) = nv(&s.refunds);
        push(
            "refunds",
            t,
            c,
            "",
            s.refunds.count,
            s.refunds.gross,
            &n,
            &v,
        );
        push("refunds_pending", t, c, "", s.refunds_pending, 0, "", "");
        push("refunds_failed", t, c, "", s.refunds_failed, 0, "", "");
        let (n, v) = nv(&s.cancellations);
        push(
            "cancellations",
            t,
            c,
            "",
            s.cancellations.count,
            s.cancellations.gross,
            &n,
            &v,
        );
        push("failed", t, c, "", s.failed, 0, "", "");
        push("open", t, c, "", s.open, 0, "", "");
        push("net_turnover", t, c, "", 0, s.net_turnover, "", "");
        for tt in &s.tenders {
            push("tender", t, c, &tt.tender, tt.count, tt.gross, "", "");
        }
        if s.cash_rounding != 0 {
            push("cash_rounding", t, c, "", 0, s.cash_rounding, "", "");
        }
        if s.cash_returns != 0 {
            push("cash_returns", t, c, "", 0, -s.cash_returns, "", "");
        }
        for a in &s.vipps {
            push("vipps_captured", t, c, &a.api, a.count, a.captured, "", "");
        }
        for vr in &s.vat_rates {
            push(
                "vat",
                t,
                c,
                &vr.rate.to_string(),
                0,
                vr.gross,
                &vr.net.to_string(),
                &vr.vat.to_string(),
            );
        }
        for vr in &s.refund_vat_rates {
            push(
                "refund_vat",
                t,
                c,
                &vr.rate.to_string(),
                0,
                vr.gross,
                &vr.net.to_string(),
                &vr.vat.to_string(),
            );
        }
    }
    push(
        "drawer_opens_no_sale",
        false,
        "",
        "",
        r.drawer_opens_no_sale,
        0,
        "",
        "",
    );
    push(
        "outbox_unresolved",
        false,
        "",
        "",
        r.outbox_unresolved,
        0,
        "",
        "",
    );
    csv_fiscal(&mut push, &r.fiscal);
    if let Some(rec) = &r.reconciliation {
        push(
            "reconciliation_checked",
            false,
            "",
            "",
            i64::try_from(rec.checked).unwrap_or(0),
            0,
            "",
            "",
        );
        push(
            "reconciliation_matched",
            false,
            "",
            "",
            i64::try_from(rec.matched).unwrap_or(0),
            0,
            "",
            "",
        );
        push(
            "vipps_captured_total",
            false,
            "",
            "",
            0,
            rec.vipps_captured,
            "",
            "",
        );
        push(
            "vipps_refunded_total",
            false,
            "",
            "",
            0,
            rec.vipps_refunded,
            "",
            "",
        );
        for f in &rec.findings {
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            push(
                &format!("finding_{kind}"),
                false,
                &f.currency,
                &f.reference,
                0,
                f.vipps_captured.unwrap_or(0) - f.journal_captured,
                "",
                "",
            );
        }
    }
    o
}

/// The § 2-8-2 rows of the CSV: `record` names the figure, `key` the group, operator/tender
/// or currency.
fn csv_fiscal<F>(push: &mut F, f: &Fiscal)
where
    F: FnMut(&str, bool, &str, &str, i64, i64, &str, &str),
{
    if f.currency.is_empty() {
        return;
    }
    let c = f.currency.as_str();
    if let Some(org) = &f.company.org_number {
        push("org_number", false, "", org, 0, 0, "", "");
    }
    let counted = |push: &mut F, rec: &str, v: &Counted| {
        push(rec, false, c, "", v.count, v.amount, "", "");
    };
    counted(push, "cash_sales", &f.cash_sales);
    for g in &f.groups {
        push(
            "article_group",
            false,
            c,
            &g.group,
            g.count,
            g.gross,
            "",
            "",
        );
    }
    for op in &f.operators {
        let key = format!("{}:{}", op.staff_id, op.tender);
        push(
            "operator_tender",
            false,
            c,
            &key,
            op.count,
            op.gross,
            "",
            "",
        );
    }
    counted(push, "tips", &f.tips);
    push("opening_float", false, c, "", 0, f.opening_float, "", "");
    for (record, key, count, amount) in super::report_cash::csv_rows(f) {
        push(record, false, c, &key, count, amount, "", "");
    }
    push("sales_receipts", false, c, "", f.receipts, 0, "", "");
    counted(push, "receipt_copies", &f.copies);
    counted(push, "provisional_receipts", &f.provisional);
    counted(push, "returns", &f.returns);
    counted(push, "discounts", &f.discounts);
    counted(push, "voids", &f.voids);
    counted(push, "line_corrections", &f.line_corrections);
    push("price_lookups", false, c, "", f.price_lookups, 0, "", "");
    push("price_changes", false, c, "", f.price_changes, 0, "", "");
    counted(push, "delivery_receipts", &f.deliveries);
    counted(push, "training_receipts", &f.training);
    for g in &f.grand_totals {
        let cur = g.currency.as_str();
        push("grand_total_sales", false, cur, "", 0, g.sales, "", "");
        push("grand_total_returns", false, cur, "", 0, g.returns, "", "");
        push("grand_total_net", false, cur, "", 0, g.net, "", "");
    }
}

/// A tender code of the journal (`vipps`, `cash`, `split`) as the report's reader says it.
pub fn tender_name(code: &str) -> crate::lang::Text {
    use crate::lang::Text;
    match code {
        "vipps" => Text::new("Vipps", "Vipps"),
        "cash" => Text::new("Kontant", "Cash"),
        "split" => Text::new("Kontant + Vipps", "Cash + Vipps"),
        other => Text::new(other, other),
    }
}

/// A Vipps API code (`epayment`, `ecom`, `psp`) by its product name.
pub fn api_name(code: &str) -> crate::lang::Text {
    use crate::lang::Text;
    match code {
        "epayment" => Text::new("ePayment-API", "ePayment API"),
        "ecom" => Text::new("eCom-API", "eCom API"),
        "psp" => Text::new("PSP-API", "PSP API"),
        other => Text::new(other, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("x\"y"), "\"x\"\"y\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
