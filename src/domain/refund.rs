//! Refunds, the pure part: what a sale allows (context), a request, the plan (rules, per-line
//! limits, amounts and VAT), the record and its receipt. The SQL is in `store::staff::refunds`,
//! the flow in `service::refund`.

use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::api::ApiKind;
use crate::domain::money::{Currency, Money};
use crate::domain::reference::{Reference, derived_key, op_key};
use crate::domain::staff::StaffError;
pub use crate::domain::vat::vat_of_gross;
use crate::lang::Text;

/// Vipps refunds are possible up to 365 days after the payment (ePayment 6220, eCom 95).
pub const REFUND_WINDOW_DAYS: i64 = 365;

/// Search for sales (refunds, support). All given criteria must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaleQuery {
    /// The reference of any attempt, or a part of it (e.g. "000123").
    pub reference: Option<String>,
    /// Exact receipt number.
    pub receipt_number: Option<String>,
    /// Exact gross total in minor units.
    pub gross_total: Option<i64>,
    /// created_at >= from.
    pub from: Option<OffsetDateTime>,
    /// created_at < to.
    pub to: Option<OffsetDateTime>,
    /// Last digits (1–4) of the customer's phone number on any attempt.
    pub phone_last_digits: Option<String>,
    /// Maximum rows (default 100).
    pub limit: Option<i64>,
}

/// A sale found by the search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaleHit {
    pub sale_id: i64,
    pub receipt_number: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub currency: String,
    pub gross_total: i64,
    pub status: String,
    pub training: bool,
    /// References of every payment attempt, oldest first.
    pub references: Vec<String>,
    pub phone_last_digits: Option<String>,
}

/// A sale line with what has been refunded of it so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundableLine {
    pub line_no: i64,
    pub name: String,
    pub quantity: String,
    pub quantity_milli: i64,
    pub unit: String,
    pub vat_rate: i64,
    pub gross: i64,
    pub net: i64,
    pub vat: i64,
    pub is_return: bool,
    pub refunded_milli: i64,
    pub refunded_gross: i64,
}

/// Everything needed to decide a refund for one sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundContext {
    pub sale_id: i64,
    pub receipt_number: String,
    pub shop_id: String,
    pub till_id: String,
    pub training: bool,
    pub currency: String,
    pub payment_id: i64,
    pub api: ApiKind,
    pub reference: String,
    /// pspTransactionId (PSP) — the id the refund is sent to for PSP.
    pub psp_transaction_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub paid_at: OffsetDateTime,
    pub captured: i64,
    /// Refunds recorded here and not failed (queued or done), or Vipps' refunded amount as last
    /// read, whichever is larger.
    pub refunded: i64,
    pub lines: Vec<RefundableLine>,
}

impl RefundContext {
    /// captured − refunded (never negative).
    pub fn refundable(&self) -> i64 {
        (self.captured - self.refunded).max(0)
    }
}

/// One line of a per-line refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineRefund {
    /// 1-based line number on the receipt.
    pub line_no: i64,
    /// Quantity in thousandths (1 pc = 1000).
    pub quantity_milli: i64,
}

/// What to refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundMode {
    /// Everything still refundable.
    Full,
    /// An amount in minor units, spread over the sale's VAT rates.
    Amount(i64),
    /// Given quantities of given lines.
    Lines(Vec<LineRefund>),
}

/// A refund asked for by staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub reference: String,
    pub mode: RefundMode,
    pub reason: String,
}

/// One line of a planned refund: a sale line, or a VAT-rate share of a refund by amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedLine {
    pub line_no: Option<i64>,
    pub name: String,
    pub quantity_milli: Option<i64>,
    pub vat_rate: i64,
    pub gross: i64,
    pub net: i64,
    pub vat: i64,
}

/// A refund that passed the rules, not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundPlan {
    pub amount: i64,
    pub net: i64,
    pub vat: i64,
    pub lines: Vec<PlannedLine>,
}

/// Where a refund stands (its outbox row's status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "detail")]
pub enum RefundStatus {
    /// Recorded; the outbox row is not there yet (repaired by [`requeue_unsent`]).
    Recorded,
    /// Queued or being sent.
    Pending,
    /// Vipps confirmed it.
    Done,
    /// Vipps refused it for good (the reason), visible to staff until acknowledged.
    Failed(String),
}

/// A recorded refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundRecord {
    pub id: i64,
    pub n: i64,
    pub sale_id: i64,
    pub payment_id: i64,
    pub reference: String,
    pub api: ApiKind,
    pub currency: String,
    pub amount: i64,
    pub net: i64,
    pub vat: i64,
    pub reason: String,
    pub staff_id: String,
    pub idempotency_key: String,
    pub training: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub lines: Vec<PlannedLine>,
    /// Where Vipps sends it: the reference, or the pspTransactionId for PSP.
    pub vipps_id: String,
}

/// Everything a refund receipt needs (the receipt module prints it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundReceipt {
    pub shop_id: String,
    pub till_id: String,
    /// `R-{original receipt number}-{n}`.
    pub refund_number: String,
    pub original_receipt_number: String,
    pub reference: String,
    pub api: ApiKind,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub staff_id: String,
    pub staff_name: Option<String>,
    pub reason: String,
    pub currency: String,
    pub lines: Vec<PlannedLine>,
    /// (VAT rate, gross, net, VAT) per rate.
    pub vat_breakdown: Vec<(i64, i64, i64, i64)>,
    pub total: i64,
    pub total_net: i64,
    pub total_vat: i64,
    pub status: RefundStatus,
    /// Training refunds are marked on the receipt.
    pub training: bool,
}

/// The idempotency key of refund `n` of a payment: `{reference}-refund-{n}` (≤ 50), shortened
/// to a stable hash for eCom when longer than its 40-character `X-Request-Id`.
pub fn refund_key(reference: &str, api: ApiKind, n: i64) -> Result<String, StaffError> {
    let r = Reference::new(reference).map_err(|e| StaffError::Invalid(e.text()))?;
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    let key = op_key(&r, "refund", n32).as_str().to_owned();
    if api == ApiKind::Ecom && key.len() > 40 {
        return Ok(derived_key("rf", &key));
    }
    Ok(key)
}

fn refused(nb: String, en: String) -> StaffError {
    StaffError::Refused(Text::new(nb, en))
}

pub(crate) fn money(minor: i64, currency: &str) -> Money {
    Money::new(minor, Currency::parse(currency).unwrap_or(Currency::Nok))
}

/// Check the rules and work out lines and VAT. Pure: `now` is passed in.
pub fn plan_refund(
    ctx: &RefundContext,
    mode: &RefundMode,
    now: OffsetDateTime,
) -> Result<RefundPlan, StaffError> {
    let m = |v: i64| money(v, &ctx.currency);
    if ctx.captured <= 0 {
        return Err(refused(
            format!(
                "Refusjon: betalingen {} er ikke trukket (capture). Annuller reservasjonen i stedet.",
                ctx.reference
            ),
            format!(
                "Refund: payment {} has not been captured. Cancel the reservation instead.",
                ctx.reference
            ),
        ));
    }
    let age = now - ctx.paid_at;
    if age > time::Duration::days(REFUND_WINDOW_DAYS) {
        return Err(refused(
            format!(
                "Refusjon: salget {} er {} dager gammelt; Vipps refunderer bare innen 365 dager. Gi pengene tilbake på annen måte (kontant eller bankoverføring) og noter det.",
                ctx.receipt_number,
                age.whole_days()
            ),
            format!(
                "Refund: sale {} is {} days old; Vipps only refunds within 365 days. Pay the customer back another way (cash or bank transfer) and note it.",
                ctx.receipt_number,
                age.whole_days()
            ),
        ));
    }
    let refundable = ctx.refundable();
    if refundable == 0 {
        return Err(refused(
            format!(
                "Refusjon: salget {} er allerede refundert fullt ut ({} av {}).",
                ctx.receipt_number,
                m(ctx.refunded),
                m(ctx.captured)
            ),
            format!(
                "Refund: sale {} is already fully refunded ({} of {}).",
                ctx.receipt_number,
                m(ctx.refunded),
                m(ctx.captured)
            ),
        ));
    }
    let lines = match mode {
        RefundMode::Full => allocate_amount(ctx, refundable),
        RefundMode::Amount(a) => {
            if *a <= 0 {
                return Err(StaffError::Invalid(Text::new(
                    format!(
                        "--amount: {} er ikke et positivt beløp. Skriv beløpet som skal refunderes, f.eks. 49,90.",
                        m(*a)
                    ),
                    format!(
                        "--amount: {} is not a positive amount. Type the amount to refund, e.g. 49.90.",
                        m(*a)
                    ),
                )));
            }
            if *a > refundable {
                return Err(over_refund(ctx, *a));
            }
            allocate_amount(ctx, *a)
        }
        RefundMode::Lines(items) => plan_lines(&ctx.receipt_number, &ctx.lines, items)?,
    };
    let amount: i64 = lines.iter().map(|l| l.gross).sum();
    let net: i64 = lines.iter().map(|l| l.net).sum();
    if amount <= 0 {
        return Err(StaffError::Invalid(Text::new(
            "Refusjon: ingenting å refundere. Velg linjer eller et beløp.",
            "Refund: nothing to refund. Choose lines or an amount.",
        )));
    }
    if amount > refundable {
        return Err(over_refund(ctx, amount));
    }
    Ok(RefundPlan {
        amount,
        net,
        vat: amount - net,
        lines,
    })
}

fn over_refund(ctx: &RefundContext, asked: i64) -> StaffError {
    let m = |v: i64| money(v, &ctx.currency);
    refused(
        format!(
            "Refusjon: {} er mer enn det som kan refunderes for {} — høyst {} (trukket {} − allerede refundert {}). Skriv et lavere beløp.",
            m(asked),
            ctx.reference,
            m(ctx.refundable()),
            m(ctx.captured),
            m(ctx.refunded)
        ),
        format!(
            "Refund: {} is more than can be refunded for {} — at most {} (captured {} − already refunded {}). Enter a lower amount.",
            m(asked),
            ctx.reference,
            m(ctx.refundable()),
            m(ctx.captured),
            m(ctx.refunded)
        ),
    )
}

/// Split `amount` over `(key, weight)` pairs in proportion to the weights, by largest remainder:
/// the parts sum to `amount` exactly (integer øre, no rounding lost). Parts of 0 are left out.
/// The weights must be positive and their sum > 0 (the callers check).
pub(crate) fn split_by_weight(amount: i64, weights: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let total: i64 = weights.iter().map(|(_, w)| *w).sum();
    if total <= 0 {
        return Vec::new();
    }
    let mut shares: Vec<(i64, i64, i128)> = weights
        .iter()
        .map(|(k, w)| {
            let exact = i128::from(amount) * i128::from(*w);
            let d = i128::from(total);
            (*k, i64::try_from(exact / d).unwrap_or(0), exact % d)
        })
        .collect();
    let mut left = amount - shares.iter().map(|s| s.1).sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(shares[i].2));
    for i in order {
        if left <= 0 {
            break;
        }
        shares[i].1 += 1;
        left -= 1;
    }
    shares
        .into_iter()
        .filter(|(_, part, _)| *part > 0)
        .map(|(k, part, _)| (k, part))
        .collect()
}

/// Spread `amount` over the sale's VAT rates in proportion to their gross (largest remainder).
fn allocate_amount(ctx: &RefundContext, amount: i64) -> Vec<PlannedLine> {
    let mut rates: Vec<(i64, i64)> = Vec::new();
    for l in &ctx.lines {
        let g = if l.is_return { -l.gross } else { l.gross };
        match rates.iter_mut().find(|(r, _)| *r == l.vat_rate) {
            Some((_, sum)) => *sum += g,
            None => rates.push((l.vat_rate, g)),
        }
    }
    rates.retain(|(_, g)| *g > 0);
    rates.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
    let total: i64 = rates.iter().map(|(_, g)| *g).sum();
    if rates.is_empty() || total <= 0 {
        let rate = 2500;
        let vat = vat_of_gross(amount, rate);
        return vec![PlannedLine {
            line_no: None,
            name: "Refusjon".into(),
            quantity_milli: None,
            vat_rate: rate,
            gross: amount,
            net: amount - vat,
            vat,
        }];
    }
    split_by_weight(amount, &rates)
        .into_iter()
        .map(|(rate, gross)| {
            let vat = vat_of_gross(gross, rate);
            PlannedLine {
                line_no: None,
                name: format!("Refusjon MVA {}", format_rate(rate)),
                quantity_milli: None,
                vat_rate: rate,
                gross,
                net: gross - vat,
                vat,
            }
        })
        .collect()
}

/// `2500` → `25 %`, `1250` → `12,5 %`.
pub fn format_rate(rate: i64) -> String {
    if rate % 100 == 0 {
        format!("{} %", rate / 100)
    } else {
        let frac = format!("{:02}", rate % 100);
        format!("{},{} %", rate / 100, frac.trim_end_matches('0'))
    }
}

/// Plan given quantities of given lines of receipt `receipt_number`: each line at most once,
/// never more than what is left of it (quantity and amount, across earlier refunds and
/// returns); the last of a line takes exactly what is left of its amount.
pub(crate) fn plan_lines(
    receipt_number: &str,
    sale_lines: &[RefundableLine],
    items: &[LineRefund],
) -> Result<Vec<PlannedLine>, StaffError> {
    if items.is_empty() {
        return Err(StaffError::Invalid(Text::new(
            "Linjer: velg minst én linje å refundere.",
            "Lines: choose at least one line to refund.",
        )));
    }
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if items[..i].iter().any(|o| o.line_no == it.line_no) {
            return Err(StaffError::Invalid(Text::new(
                format!(
                    "Linje {}: valgt to ganger. Velg hver linje én gang.",
                    it.line_no
                ),
                format!("Line {}: chosen twice. Choose each line once.", it.line_no),
            )));
        }
        let Some(l) = sale_lines.iter().find(|l| l.line_no == it.line_no) else {
            return Err(StaffError::Invalid(Text::new(
                format!(
                    "Linje {}: finnes ikke på kvittering {} (1–{}).",
                    it.line_no,
                    receipt_number,
                    sale_lines.len()
                ),
                format!(
                    "Line {}: not on receipt {} (1–{}).",
                    it.line_no,
                    receipt_number,
                    sale_lines.len()
                ),
            )));
        };
        if l.is_return {
            return Err(StaffError::Invalid(Text::new(
                format!(
                    "Linje {} «{}» er en retur og kan ikke refunderes.",
                    l.line_no, l.name
                ),
                format!(
                    "Line {} \"{}\" is a return and cannot be refunded.",
                    l.line_no, l.name
                ),
            )));
        }
        let left_milli = l.quantity_milli - l.refunded_milli;
        if it.quantity_milli <= 0 || it.quantity_milli > left_milli {
            return Err(StaffError::Invalid(Text::new(
                format!(
                    "Linje {} «{}»: antall må være mellom 0 og {} (av {} er {} refundert fra før).",
                    l.line_no,
                    l.name,
                    milli(left_milli),
                    milli(l.quantity_milli),
                    milli(l.refunded_milli)
                ),
                format!(
                    "Line {} \"{}\": quantity must be above 0 and at most {} ({} of {} already refunded).",
                    l.line_no,
                    l.name,
                    milli(left_milli),
                    milli(l.refunded_milli),
                    milli(l.quantity_milli)
                ),
            )));
        }
        let gross = if it.quantity_milli == left_milli {
            l.gross - l.refunded_gross
        } else {
            let exact = i128::from(l.gross) * i128::from(it.quantity_milli);
            let q = i128::from(l.quantity_milli);
            i64::try_from((exact + q / 2) / q).unwrap_or(0)
        };
        let vat = vat_of_gross(gross, l.vat_rate);
        out.push(PlannedLine {
            line_no: Some(l.line_no),
            name: l.name.clone(),
            quantity_milli: Some(it.quantity_milli),
            vat_rate: l.vat_rate,
            gross,
            net: gross - vat,
            vat,
        });
    }
    Ok(out)
}

pub(crate) fn milli(v: i64) -> String {
    if v % 1000 == 0 {
        (v / 1000).to_string()
    } else {
        format!("{},{:03}", v / 1000, (v % 1000).abs())
            .trim_end_matches('0')
            .to_owned()
    }
}

pub(crate) fn api_of(s: &str) -> Result<ApiKind, StaffError> {
    ApiKind::parse(s).ok_or_else(|| {
        StaffError::Internal(Text::new(
            format!("Ukjent API «{s}» i databasen."),
            format!("Unknown API \"{s}\" in the database."),
        ))
    })
}

pub(crate) fn not_found(what: &str) -> StaffError {
    StaffError::NotFound(Text::new(
        format!(
            "Fant ikke salget «{what}». Sjekk referansen eller kvitteringsnummeret, eller søk på beløp, tid eller de siste sifrene i telefonnummeret."
        ),
        format!(
            "Sale \"{what}\" was not found. Check the reference or receipt number, or search by amount, time or the last digits of the phone number."
        ),
    ))
}

/// The id Vipps knows the payment by (the PSP transaction id for PSP).
pub fn vipps_id(ctx: &RefundContext) -> String {
    if ctx.api == ApiKind::Psp {
        ctx.psp_transaction_id
            .clone()
            .unwrap_or_else(|| crate::domain::reference::psp_transaction_id(&ctx.reference))
    } else {
        ctx.reference.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_by_weight_sums_exactly_and_gives_the_remainder_to_the_largest_fractions() {
        // 100 øre over weights 1:1:1 → 34 + 33 + 33 (the first remainder wins the øre).
        let parts = split_by_weight(100, &[(2500, 1), (1500, 1), (1200, 1)]);
        assert_eq!(parts, vec![(2500, 34), (1500, 33), (1200, 33)]);
        // 1 øre over 3:1 → all of it to the heavier weight; the zero part is left out.
        assert_eq!(split_by_weight(1, &[(2500, 3), (1500, 1)]), vec![(2500, 1)]);
        for amount in [1, 7, 99, 12_345, 1_000_001] {
            let parts = split_by_weight(amount, &[(2500, 4990), (1500, 1290), (0, 3)]);
            assert_eq!(parts.iter().map(|p| p.1).sum::<i64>(), amount, "{amount}");
        }
        assert!(split_by_weight(100, &[]).is_empty());
    }

    fn ctx() -> RefundContext {
        let line = |no: i64, name: &str, q: i64, rate: i64, gross: i64| {
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
        };
        RefundContext {
            sale_id: 1,
            receipt_number: "s1-t1-000001".into(),
            shop_id: "s1".into(),
            till_id: "t1".into(),
            training: false,
            currency: "NOK".into(),
            payment_id: 1,
            api: ApiKind::Epayment,
            reference: "kasse-s1-t1-000001-a1".into(),
            psp_transaction_id: None,
            paid_at: OffsetDateTime::UNIX_EPOCH,
            captured: 15_000,
            refunded: 0,
            lines: vec![
                line(1, "Kaffe", 2000, 2500, 10_000),
                line(2, "Brød", 1000, 1500, 5_000),
            ],
        }
    }

    #[test]
    fn vat_rounding() {
        assert_eq!(vat_of_gross(12_500, 2500), 2_500);
        assert_eq!(vat_of_gross(4990, 2500), 998);
        assert_eq!(vat_of_gross(-4990, 2500), -998);
        assert_eq!(vat_of_gross(100, 0), 0);
    }

    #[test]
    fn amount_is_spread_over_rates_exactly() {
        let p = plan_refund(
            &ctx(),
            &RefundMode::Amount(1001),
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(p.amount, 1001);
        assert_eq!(p.lines.iter().map(|l| l.gross).sum::<i64>(), 1001);
        assert!(p.lines.iter().all(|l| l.gross - l.net == l.vat));
        assert_eq!(p.lines[0].vat_rate, 2500);
        assert_eq!(p.lines[0].gross, 667);
    }

    #[test]
    fn over_refund_and_window_refused() {
        let mut c = ctx();
        c.refunded = 10_000;
        let e =
            plan_refund(&c, &RefundMode::Amount(6_000), OffsetDateTime::UNIX_EPOCH).unwrap_err();
        assert!(
            e.message().en.contains("at most kr 50,00"),
            "{}",
            e.message().en
        );
        let late = OffsetDateTime::UNIX_EPOCH + time::Duration::days(366);
        let e = plan_refund(&ctx(), &RefundMode::Full, late).unwrap_err();
        assert!(e.message().en.contains("365 days"));
        let e =
            plan_refund(&ctx(), &RefundMode::Amount(0), OffsetDateTime::UNIX_EPOCH).unwrap_err();
        assert!(e.message().en.starts_with("--amount"));
    }

    #[test]
    fn per_line_partial_quantity() {
        let p = plan_refund(
            &ctx(),
            &RefundMode::Lines(vec![LineRefund {
                line_no: 1,
                quantity_milli: 1000,
            }]),
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap();
        assert_eq!(p.amount, 5_000);
        assert_eq!(p.vat, 1_000);
        let e = plan_refund(
            &ctx(),
            &RefundMode::Lines(vec![LineRefund {
                line_no: 2,
                quantity_milli: 2000,
            }]),
            OffsetDateTime::UNIX_EPOCH,
        )
        .unwrap_err();
        assert!(e.message().en.contains("at most 1"), "{}", e.message().en);
    }

    #[test]
    fn keys_are_deterministic_and_fit_ecom() {
        let k = refund_key("kasse-s1-t1-000001-a1", ApiKind::Epayment, 2).unwrap();
        assert_eq!(k, "kasse-s1-t1-000001-a1-refund-2");
        let long = "kasse-shop12345678-till12345678-000001-a1";
        let k = refund_key(long, ApiKind::Ecom, 1).unwrap();
        assert!(k.len() <= 40);
        assert_eq!(k, refund_key(long, ApiKind::Ecom, 1).unwrap());
    }

    #[test]
    fn rates_format() {
        assert_eq!(format_rate(2500), "25 %");
        assert_eq!(format_rate(0), "0 %");
        assert_eq!(format_rate(1250), "12,5 %");
    }
}
