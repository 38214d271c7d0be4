//! X and Z reports.
//!
//! - X report: any time, closes nothing, any logged-in staff.
//! - Z report: closes a business day for this shop/till; manager only; refused while the outbox
//!   has unsent or unacknowledged dead rows. Numbered from the `z_report` row of the store's
//!   per shop/till counters, in the same transaction as the report row, so numbers have no
//!   gaps. Stored as an immutable JSON snapshot (triggers refuse UPDATE and DELETE).
//!   **One Z per business day and till:** a second Z for the same day is refused with the
//!   number of the existing one; the stored snapshot can be read again with
//!   [`StaffDb::stored_z_report`].
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
}
