//! X and Z reports.
//!
//! - X report: any time, closes nothing, any logged-in staff. By default it shows the open
//!   period (everything since the till's last Z), so it has the same content the Z would have
//!   now (kassasystemforskrifta § 2-8-3); `--date` shows one calendar day instead.
//! - Z report: closes the **period** since the previous Z of this shop/till (not a calendar
//!   day): every sale, return and void after Z n belongs to Z n+1, so nothing can fall outside a
//!   Z. After a Z the next period is open at once (no extra step for the cashier). Manager
//!   only; refused while the outbox has unsent or unacknowledged dead rows, or a payment of the
//!   period is still in progress. Numbered from the `z_report` row of the store's per shop/till
//!   counters, in the same transaction as the report row, so numbers have no gaps. Stored as an
//!   immutable JSON snapshot (triggers refuse UPDATE and DELETE) and journaled in full as a
//!   13009 event; a stored Z is read again by number ([`Report::number`]).
//! - The § 2-8-2 content beyond the per-currency [`Section`]s is in [`Fiscal`] (letters a–x),
//!   with the grand totals since the till was taken into use ([`GrandTotal`], stored per Z and
//!   never decreasing; [`accumulate`] is the one rule that adds a period to them).
//!
//! Everything is computed with SQL aggregates (GROUP BY over an index on shop, till and time),
//! never by loading every sale. Sections are kept apart by training flag and currency.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::domain::reconcile::Reconciliation;
use crate::domain::staff::StaffError;
use crate::lang::Text;

/// Counter name (store `counters` table) for Z numbers.
pub const Z_COUNTER: &str = "z_report";

/// X (read-only) or Z (closes the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    X,
    Z,
}

/// Count and amounts for one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    pub count: i64,
    pub gross: i64,
    pub net: i64,
    pub vat: i64,
}

/// Totals of one tender (`vipps`, `cash`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderTotal {
    pub tender: String,
    pub count: i64,
    pub gross: i64,
}

/// Vipps payments per API: captured amount as recorded in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTotal {
    pub api: String,
    pub count: i64,
    pub captured: i64,
}

/// Amounts per VAT rate (hundredths of a percent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatTotal {
    pub rate: i64,
    pub gross: i64,
    pub net: i64,
    pub vat: i64,
}

/// One currency's figures, normal or training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub training: bool,
    pub currency: String,
    /// Completed sales (paid, partially refunded or refunded).
    pub sales: Amounts,
    pub tenders: Vec<TenderTotal>,
    pub vipps: Vec<ApiTotal>,
    pub vat_rates: Vec<VatTotal>,
    /// Refunds made in the period (queued or done; failed ones are counted apart).
    pub refunds: Amounts,
    pub refund_vat_rates: Vec<VatTotal>,
    /// Refunds made in the period that Vipps has not confirmed yet.
    pub refunds_pending: i64,
    /// Refunds that Vipps refused for good (not in `refunds`).
    pub refunds_failed: i64,
    /// Cancelled or voided sales.
    pub cancellations: Amounts,
    pub failed: i64,
    /// Sales still open (a payment in progress) when the report was made.
    pub open: i64,
    /// Sales gross − refunds gross.
    pub net_turnover: i64,
    /// Øreavrunding of the completed cash-only sales (Σ rounded − exact, minor units). Already
    /// in the cash tender (what went into the drawer), not in `sales` or VAT.
    /// Left out of JSON when zero (no rounded cash sale in the section).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cash_rounding: i64,
    /// Cash paid out of the drawer for returns in the period (rounded, what left the drawer):
    /// already in `refunds`; the drawer's expected cash is the cash tender minus this.
    /// Left out of JSON when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cash_returns: i64,
}

pub(crate) fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// An X or Z report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub kind: ReportKind,
    /// Z number (None for X).
    pub number: Option<i64>,
    pub shop_id: String,
    pub till_id: String,
    /// `YYYY-MM-DD`.
    pub business_date: String,
    /// RFC 3339 UTC, inclusive.
    pub period_from: String,
    /// RFC 3339 UTC, exclusive.
    pub period_to: String,
    pub generated_at: String,
    pub generated_by: Option<String>,
    pub sections: Vec<Section>,
    pub drawer_opens_no_sale: i64,
    /// Outbox rows unsent or dead and unacknowledged when the report was made.
    pub outbox_unresolved: i64,
    pub reconciliation: Option<Reconciliation>,
    /// The § 2-8-2 figures that are not per section (empty in Z reports stored before 0012).
    #[serde(default)]
    pub fiscal: Fiscal,
}

/// Who the report is for (§ 2-8-2 a): from `[shop]` in the config, passed in by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// Organisation number (`shop.org_number`), digits only.
    pub org_number: Option<String>,
    /// The shop's name (`shop.name`).
    pub name: Option<String>,
}

/// A count with an amount in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub count: i64,
    pub amount: i64,
}

impl Counted {
    pub fn add(&mut self, count: i64, amount: i64) {
        self.count += count;
        self.amount += amount;
    }
}

/// Completed sales of one main (article) group (§ 2-8-2 f): lines and gross amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTotal {
    /// The group's id; [`NO_GROUP`] for articles without one.
    pub group: String,
    pub count: i64,
    pub gross: i64,
    /// The group's name in Skatteetaten's list (Norwegian, English); empty when unknown
    /// (reports stored before article groups).
    #[serde(default)]
    pub name_nb: String,
    #[serde(default)]
    pub name_en: String,
}

/// The group of lines whose article has no article group: Skatteetaten's "04999 Other".
pub const NO_GROUP: &str = "04999";

/// One operator's completed sales with one tender (§ 2-8-2 h).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorTender {
    /// Staff id (empty for sales made without a logged-in operator).
    pub staff_id: String,
    /// The operator's name at the time of the report.
    pub name: String,
    pub tender: String,
    pub count: i64,
    pub gross: i64,
}

/// Grand totals of one currency since the till was taken into use (§ 2-8-2): sales before
/// returns, returns, and net = sales − returns. Sales and returns never decrease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrandTotal {
    pub currency: String,
    pub sales: i64,
    pub returns: i64,
    pub net: i64,
}

/// What one period adds to the grand totals of one currency: completed (non-training) sales
/// before returns, and returns (return lines and refunds), both ≥ 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodTotal {
    pub currency: String,
    pub sales: i64,
    pub returns: i64,
}

/// The grand totals after a period: `previous` plus `period`, per currency (sorted by
/// currency). Negative period figures count as zero, so sales and returns never decrease.
pub fn accumulate(previous: &[GrandTotal], period: &[PeriodTotal]) -> Vec<GrandTotal> {
    let mut out: Vec<GrandTotal> = previous.to_vec();
    for p in period {
        let i = match out.iter().position(|g| g.currency == p.currency) {
            Some(i) => i,
            None => {
                out.push(GrandTotal {
                    currency: p.currency.clone(),
                    sales: 0,
                    returns: 0,
                    net: 0,
                });
                out.len() - 1
            }
        };
        let g = &mut out[i];
        g.sales = g.sales.saturating_add(p.sales.max(0));
        g.returns = g.returns.saturating_add(p.returns.max(0));
    }
    for g in &mut out {
        g.net = g.sales.saturating_sub(g.returns);
    }
    out.sort_by(|a, b| a.currency.cmp(&b.currency));
    out
}

/// The § 2-8-2 content of an X or Z report that the per-currency [`Section`]s do not hold,
/// letter by letter (kassasystemforskrifta FOR-2015-12-18-1616 § 2-8-2 first paragraph, in
/// the order of Skatteetaten's SAF-T `eventReport`). b (date/time), c (number), d (till),
/// g (per payment method) and j (per VAT rate) are [`Report::generated_at`],
/// [`Report::number`], [`Report::till_id`], [`Section::tenders`] and [`Section::vat_rates`];
/// m (drawer openings without a sale) is [`Report::drawer_opens_no_sale`].
/// Amounts are in the report's main currency ([`Fiscal::currency`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fiscal {
    /// a: the business (organisation number and name).
    pub company: Company,
    /// The currency of the amounts below (the till's first non-training section, else NOK).
    pub currency: String,
    /// e: completed cash sales (*kontantsalg*: Vipps, cash and split alike), count and gross.
    pub cash_sales: Counted,
    /// f: completed sales per main (article) group.
    pub groups: Vec<GroupTotal>,
    /// h: each operator's completed sales per payment method.
    pub operators: Vec<OperatorTender>,
    /// i: tips (kasse takes none: 0).
    pub tips: Counted,
    /// k: opening float (*vekselbeholdning*) of the period (`kasse cash float`).
    pub opening_float: i64,
    /// The drawer: float, cash sales, withdrawals, deposits, expected cash and, in a Z, the
    /// count and the difference. Present when the period used cash management (a float, a
    /// withdrawal or a deposit) or the Z was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash: Option<crate::domain::cash::CashDrawer>,
    /// The drawer per operator (`[till] drawer_per_operator`), sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cash_operators: Vec<crate::domain::cash::OperatorDrawer>,
    /// l: sales receipts (one per completed sale).
    pub receipts: i64,
    /// n: receipt copies printed, with the amounts of their sales.
    pub copies: Counted,
    /// o: provisional receipts (13015 events), with the amounts of their sales.
    pub provisional: Counted,
    /// p: returns: return lines on receipts and refunds (amount ≥ 0).
    pub returns: Counted,
    /// q: discounts given at the till (lines with a discount, total discount).
    pub discounts: Counted,
    /// r: voids (sales cancelled or voided at the till).
    pub voids: Counted,
    /// s: line corrections before the receipt (not journaled by kasse yet: 0).
    pub line_corrections: Counted,
    /// t: price look-ups (13022 events).
    pub price_lookups: i64,
    /// u: other corrections: price changes (13021 events).
    pub price_changes: i64,
    /// v: delivery receipts (13016 events), with the amounts of their sales.
    pub deliveries: Counted,
    /// w: training receipts (training-mode sales), count and gross.
    pub training: Counted,
    /// x: grand totals since the till was taken into use (sales, returns, net), per currency.
    pub grand_totals: Vec<GrandTotal>,
    /// What this period added to the grand totals (kept so a Z stores exactly what it added).
    pub period_totals: Vec<PeriodTotal>,
}

/// The business day `date` at `offset`, as a UTC half-open interval.
pub fn day_bounds(date: Date, offset: UtcOffset) -> (OffsetDateTime, OffsetDateTime) {
    let from = date
        .midnight()
        .assume_offset(offset)
        .to_offset(UtcOffset::UTC);
    (from, from + time::Duration::DAY)
}

/// Parse `YYYY-MM-DD` (the `--date` option) with a message naming the field.
pub fn parse_date(s: &str) -> Result<Date, StaffError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), fmt).map_err(|_| {
        StaffError::Invalid(Text::new(
            format!("--date: «{s}» er ikke en dato. Skriv ÅÅÅÅ-MM-DD, f.eks. 2026-11-21."),
            format!("--date: \"{s}\" is not a date. Write YYYY-MM-DD, e.g. 2026-11-21."),
        ))
    })
}

pub(crate) fn date_string(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(crate) fn section<'a>(
    v: &'a mut Vec<Section>,
    training: bool,
    currency: &str,
) -> &'a mut Section {
    let pos = v
        .iter()
        .position(|s| s.training == training && s.currency == currency);
    let i = match pos {
        Some(i) => i,
        None => {
            v.push(Section {
                training,
                currency: currency.to_owned(),
                sales: Amounts::default(),
                tenders: Vec::new(),
                vipps: Vec::new(),
                vat_rates: Vec::new(),
                refunds: Amounts::default(),
                refund_vat_rates: Vec::new(),
                refunds_pending: 0,
                refunds_failed: 0,
                cancellations: Amounts::default(),
                failed: 0,
                open: 0,
                net_turnover: 0,
                cash_rounding: 0,
                cash_returns: 0,
            });
            v.len() - 1
        }
    };
    &mut v[i]
}

/// Where the sale, line and capture totals come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// GROUP BY over the journaled sales, lines and payments (any bounds).
    Live,
    /// The hourly totals kept by triggers (migration 0005); bounds must be on the hour.
    Hourly,
}

/// The fastest source that is exact for `[from, to)`: the hourly totals when both bounds are
/// on a whole UTC hour (every business day at a whole-hour offset), else the live aggregates.
pub fn source_for(from: OffsetDateTime, to: OffsetDateTime) -> Source {
    let on_hour = |t: OffsetDateTime| {
        let t = t.to_offset(UtcOffset::UTC);
        t.minute() == 0 && t.second() == 0 && t.nanosecond() == 0
    };
    if on_hour(from) && on_hour(to) {
        Source::Hourly
    } else {
        Source::Live
    }
}

/// Add a sale (or the part of one) to a tender row. A split sale counts once in each of its
/// tenders, so tender counts can add up to more than the number of sales; the amounts add up
/// to the sales total.
pub(crate) fn add_tender(s: &mut Section, tender: &str, count: i64, gross: i64) {
    match s.tenders.iter_mut().find(|t| t.tender == tender) {
        Some(t) => {
            t.count += count;
            t.gross += gross;
        }
        None => s.tenders.push(TenderTotal {
            tender: tender.to_owned(),
            count,
            gross,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_bounds_at_offset() {
        let d = parse_date("2026-11-21").unwrap();
        let (f, t) = day_bounds(d, UtcOffset::from_hms(1, 0, 0).unwrap());
        assert_eq!(crate::clock::rfc3339_millis(f), "2026-11-20T23:00:00.000Z");
        assert_eq!(crate::clock::rfc3339_millis(t), "2026-11-21T23:00:00.000Z");
        let e = parse_date("21.11.2026").unwrap_err();
        assert!(e.message().en.starts_with("--date"));
    }

    fn pt(c: &str, sales: i64, returns: i64) -> PeriodTotal {
        PeriodTotal {
            currency: c.into(),
            sales,
            returns,
        }
    }

    #[test]
    fn accumulate_adds_per_currency_and_never_decreases() {
        let g = accumulate(&[], &[pt("NOK", 10_000, 1_500)]);
        assert_eq!(
            g,
            vec![GrandTotal {
                currency: "NOK".into(),
                sales: 10_000,
                returns: 1_500,
                net: 8_500
            }]
        );
        let g2 = accumulate(&g, &[pt("NOK", 500, 0), pt("EUR", 100, 0)]);
        assert_eq!(g2.len(), 2);
        assert_eq!(g2[0].currency, "EUR");
        assert_eq!(
            (g2[1].sales, g2[1].returns, g2[1].net),
            (10_500, 1_500, 9_000)
        );
        // A negative period figure (corrupt input) adds nothing.
        let g3 = accumulate(&g2, &[pt("NOK", -700, -5)]);
        assert_eq!(g3[1].sales, 10_500);
        assert_eq!(g3[1].returns, 1_500);
    }

    proptest::proptest! {
        #[test]
        fn grand_totals_are_monotone(periods in proptest::collection::vec((-1000i64..100_000, -1000i64..50_000), 0..40)) {
            let mut g: Vec<GrandTotal> = Vec::new();
            for (s, r) in periods {
                let next = accumulate(&g, &[pt("NOK", s, r)]);
                let before = g.first().map(|x| (x.sales, x.returns)).unwrap_or((0, 0));
                let after = (next[0].sales, next[0].returns);
                proptest::prop_assert!(after.0 >= before.0 && after.1 >= before.1);
                proptest::prop_assert_eq!(next[0].net, next[0].sales - next[0].returns);
                g = next;
            }
        }
    }
}
