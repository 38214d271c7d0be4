//! Refunds: find the sale, plan a full / partial refund (by amount or per line), check the
//! rules (never more than captured − already refunded; within Vipps' 365 days), write the
//! refund record with a deterministic key, and queue it through the store's outbox for the
//! engine's worker. A refund receipt is built from the record.
//!
//! Crash safety: the record (with key `{reference}-refund-{n}`) is committed first, then the
//! outbox row is enqueued with the same key (enqueue is idempotent on the key).
//! [`requeue_unsent`] repairs a crash in between; a key is never minted at send time.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use time::OffsetDateTime;

use super::auth::Permission;
use super::{Session, StaffDb, StaffError, journal_action, parse_ts, ts};
use crate::domain::money::{Currency, Money};
use crate::domain::reference::{Reference, op_key};
use crate::engine::events::ApiKind;
use crate::engine::outbox_payload::{Payload, derived_key};
use crate::lang::Text;
use crate::store::{AsyncStore, NewOperation, NewOutbox, OpOutcome, OutboxKind, SaleQuery};

/// Vipps refunds are possible up to 365 days after the payment (ePayment 6220, eCom 95).
pub const REFUND_WINDOW_DAYS: i64 = 365;

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

/// VAT included in a gross amount at `rate` (hundredths of a percent), rounded half away from 0.
pub fn vat_of_gross(gross: i64, rate: i64) -> i64 {
    let d = 10_000 + rate;
    let num = gross.saturating_mul(rate);
    if num >= 0 {
        (num + d / 2) / d
    } else {
        -((-num + d / 2) / d)
    }
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

fn money(minor: i64, currency: &str) -> Money {
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
        RefundMode::Lines(items) => plan_lines(ctx, items)?,
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
    let mut shares: Vec<(i64, i64, i128)> = rates
        .iter()
        .map(|(r, g)| {
            let exact = i128::from(amount) * i128::from(*g);
            let d = i128::from(total);
            (*r, i64::try_from(exact / d).unwrap_or(0), exact % d)
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
        .filter(|(_, g, _)| *g > 0)
        .map(|(rate, gross, _)| {
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

fn plan_lines(ctx: &RefundContext, items: &[LineRefund]) -> Result<Vec<PlannedLine>, StaffError> {
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
        let Some(l) = ctx.lines.iter().find(|l| l.line_no == it.line_no) else {
            return Err(StaffError::Invalid(Text::new(
                format!(
                    "Linje {}: finnes ikke på kvittering {} (1–{}).",
                    it.line_no,
                    ctx.receipt_number,
                    ctx.lines.len()
                ),
                format!(
                    "Line {}: not on receipt {} (1–{}).",
                    it.line_no,
                    ctx.receipt_number,
                    ctx.lines.len()
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

fn milli(v: i64) -> String {
    if v % 1000 == 0 {
        (v / 1000).to_string()
    } else {
        format!("{},{:03}", v / 1000, (v % 1000).abs())
            .trim_end_matches('0')
            .to_owned()
    }
}

fn api_of(s: &str) -> Result<ApiKind, StaffError> {
    ApiKind::parse(s).ok_or_else(|| {
        StaffError::Internal(Text::new(
            format!("Ukjent API «{s}» i databasen."),
            format!("Unknown API \"{s}\" in the database."),
        ))
    })
}

/// Refunds not failed for a payment (the outbox row is not dead).
fn refunded_locally(conn: &Connection, payment_id: i64) -> Result<i64, StaffError> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(r.amount), 0) FROM refunds r
         LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
         WHERE r.payment_id = ?1 AND coalesce(o.status, 'pending') <> 'dead'",
        [payment_id],
        |r| r.get(0),
    )?)
}

fn load_context(conn: &Connection, sale_id: i64) -> Result<RefundContext, StaffError> {
    let sale = conn
        .query_row(
            "SELECT receipt_number, shop_id, till_id, training, currency FROM sales WHERE id = ?1",
            [sale_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((receipt_number, shop_id, till_id, training, currency)) = sale else {
        return Err(not_found(&sale_id.to_string()));
    };
    // The attempt that took the money: captured, newest first.
    let pay = conn
        .query_row(
            "SELECT id, api, reference, psp_transaction_id, created_at, captured_amount,
                    refunded_amount, state
             FROM payments WHERE sale_id = ?1
             ORDER BY (captured_amount > 0 OR state = 'captured') DESC, attempt DESC LIMIT 1",
            [sale_id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((payment_id, api, reference, psp_id, created_at, captured, vipps_refunded, _state)) =
        pay
    else {
        return Err(StaffError::NotFound(Text::new(
            format!("Salg {receipt_number} har ingen Vipps-betaling å refundere."),
            format!("Sale {receipt_number} has no Vipps payment to refund."),
        )));
    };
    let local = refunded_locally(conn, payment_id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT l.line_no, l.name, l.quantity, l.quantity_milli, l.unit, l.vat_rate, l.gross,
                l.net, l.vat, l.is_return,
                coalesce((SELECT sum(rl.quantity_milli) FROM refund_lines rl
                          JOIN refunds r ON r.id = rl.refund_id
                          LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
                          WHERE r.sale_id = l.sale_id AND rl.line_no = l.line_no
                            AND coalesce(o.status, 'pending') <> 'dead'), 0),
                coalesce((SELECT sum(rl.gross) FROM refund_lines rl
                          JOIN refunds r ON r.id = rl.refund_id
                          LEFT JOIN outbox o ON o.idempotency_key = r.idempotency_key
                          WHERE r.sale_id = l.sale_id AND rl.line_no = l.line_no
                            AND coalesce(o.status, 'pending') <> 'dead'), 0)
         FROM sale_lines l WHERE l.sale_id = ?1 ORDER BY l.line_no",
    )?;
    let lines = stmt
        .query_map([sale_id], |r| {
            Ok(RefundableLine {
                line_no: r.get(0)?,
                name: r.get(1)?,
                quantity: r.get(2)?,
                quantity_milli: r.get(3)?,
                unit: r.get(4)?,
                vat_rate: r.get(5)?,
                gross: r.get(6)?,
                net: r.get(7)?,
                vat: r.get(8)?,
                is_return: r.get(9)?,
                refunded_milli: r.get(10)?,
                refunded_gross: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RefundContext {
        sale_id,
        receipt_number,
        shop_id,
        till_id,
        training,
        currency,
        payment_id,
        api: api_of(&api)?,
        reference,
        psp_transaction_id: psp_id,
        paid_at: parse_ts(&created_at)?,
        captured,
        refunded: local.max(vipps_refunded),
        lines,
    })
}

fn not_found(what: &str) -> StaffError {
    StaffError::NotFound(Text::new(
        format!(
            "Fant ikke salget «{what}». Sjekk referansen eller kvitteringsnummeret, eller søk på beløp, tid eller de siste sifrene i telefonnummeret."
        ),
        format!(
            "Sale \"{what}\" was not found. Check the reference or receipt number, or search by amount, time or the last digits of the phone number."
        ),
    ))
}

impl StaffDb {
    /// Search sales (newest first) by reference (or part of it), receipt number, amount, time,
    /// or the last 1–4 digits of the customer's phone number. All given criteria must match.
    pub fn find_sales(&self, q: &SaleQuery) -> Result<Vec<SaleHit>, StaffError> {
        use rusqlite::types::Value;
        let mut conds: Vec<&str> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        if let Some(r) = &q.reference {
            if r.trim().is_empty() {
                return Err(StaffError::Invalid(Text::new(
                    "Referanse: skriv referansen eller en del av den.",
                    "Reference: type the reference or a part of it.",
                )));
            }
            conds.push("s.id IN (SELECT sale_id FROM payments WHERE instr(reference, ?) > 0)");
            args.push(Value::Text(r.trim().to_owned()));
        }
        if let Some(n) = &q.receipt_number {
            conds.push("s.receipt_number = ?");
            args.push(Value::Text(n.trim().to_owned()));
        }
        if let Some(a) = q.gross_total {
            conds.push("s.gross_total = ?");
            args.push(Value::Integer(a));
        }
        if let Some(f) = q.from {
            conds.push("s.created_at >= ?");
            args.push(Value::Text(ts(f)));
        }
        if let Some(t) = q.to {
            conds.push("s.created_at < ?");
            args.push(Value::Text(ts(t)));
        }
        if let Some(d) = &q.phone_last_digits {
            if d.is_empty() || d.len() > 4 || !d.chars().all(|c| c.is_ascii_digit()) {
                return Err(StaffError::Invalid(Text::new(
                    format!("Telefon: «{d}» — skriv 1 til 4 siffer (slutten av nummeret)."),
                    format!("Phone: \"{d}\" — type 1 to 4 digits (the end of the number)."),
                )));
            }
            conds.push("s.id IN (SELECT sale_id FROM payments WHERE phone_last_digits LIKE ?)");
            args.push(Value::Text(format!("%{d}")));
        }
        let limit = q.limit.unwrap_or(100).clamp(1, 10_000);
        let where_sql = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let conn = self.lock()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT s.id, s.receipt_number, s.created_at, s.currency, s.gross_total, s.status,
                    s.training,
                    (SELECT group_concat(reference, ' ') FROM
                        (SELECT reference FROM payments WHERE sale_id = s.id ORDER BY attempt)),
                    (SELECT phone_last_digits FROM payments WHERE sale_id = s.id
                        AND phone_last_digits IS NOT NULL ORDER BY attempt DESC LIMIT 1)
             FROM sales s {where_sql} ORDER BY s.created_at DESC, s.id DESC LIMIT {limit}"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, bool>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, rn, at, cur, gross, status, training, refs, phone) = row?;
            out.push(SaleHit {
                sale_id: id,
                receipt_number: rn,
                created_at: parse_ts(&at)?,
                currency: cur,
                gross_total: gross,
                status,
                training,
                references: refs
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                phone_last_digits: phone,
            });
        }
        Ok(out)
    }

    /// The refund context for a sale given by exact reference or receipt number.
    pub fn refund_context(&self, reference_or_receipt: &str) -> Result<RefundContext, StaffError> {
        let key = reference_or_receipt.trim();
        let conn = self.lock()?;
        let sale_id: Option<i64> = conn
            .query_row(
                "SELECT sale_id FROM payments WHERE reference = ?1 ORDER BY id DESC LIMIT 1",
                [key],
                |r| r.get(0),
            )
            .optional()?;
        let sale_id = match sale_id {
            Some(id) => Some(id),
            None => conn
                .query_row(
                    "SELECT id FROM sales WHERE receipt_number = ?1",
                    [key],
                    |r| r.get(0),
                )
                .optional()?,
        };
        let Some(sale_id) = sale_id else {
            return Err(not_found(key));
        };
        load_context(&conn, sale_id)
    }

    /// Write a refund record (manager only; the rules are checked again inside the
    /// transaction). Does not queue it: see [`refund`] for the whole flow.
    pub fn record_refund(
        &self,
        session: &Session,
        req: &RefundRequest,
        now: OffsetDateTime,
    ) -> Result<RefundRecord, StaffError> {
        let reason = req.reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(StaffError::Invalid(Text::new(
                "Årsak: skriv hvorfor det refunderes (1–200 tegn), f.eks. «varen var skadet».",
                "Reason: say why you refund (1–200 characters), e.g. \"item was damaged\".",
            )));
        }
        let ctx_probe = self.refund_context(&req.reference)?;
        self.authorize(
            session,
            Permission::Refund,
            Some(ctx_probe.sale_id),
            Some(&format!("{} {reason}", ctx_probe.reference)),
            now,
        )?;
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(&conn, rusqlite::TransactionBehavior::Immediate)?;
        let ctx = load_context(&tx, ctx_probe.sale_id)?;
        let plan = plan_refund(&ctx, &req.mode, now)?;
        let n: i64 = tx.query_row(
            "SELECT coalesce(max(n), 0) + 1 FROM refunds WHERE payment_id = ?1",
            [ctx.payment_id],
            |r| r.get(0),
        )?;
        let key = refund_key(&ctx.reference, ctx.api, n)?;
        tx.execute(
            "INSERT INTO refunds (created_at, sale_id, payment_id, reference, n, currency, amount,
                 net, vat, reason, staff_id, training, idempotency_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                ts(now),
                ctx.sale_id,
                ctx.payment_id,
                ctx.reference,
                n,
                ctx.currency,
                plan.amount,
                plan.net,
                plan.vat,
                reason,
                session.staff_id(),
                ctx.training,
                key
            ],
        )?;
        let id = tx.last_insert_rowid();
        for l in &plan.lines {
            tx.execute(
                "INSERT INTO refund_lines (refund_id, line_no, quantity_milli, vat_rate, gross,
                     net, vat)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id,
                    l.line_no,
                    l.quantity_milli,
                    l.vat_rate,
                    l.gross,
                    l.net,
                    l.vat
                ],
            )?;
        }
        journal_action(
            &tx,
            now,
            Some(session.staff_id()),
            "refund_recorded",
            true,
            Some(ctx.sale_id),
            Some(&format!(
                "{} refund {n}: {} ({reason})",
                ctx.reference,
                money(plan.amount, &ctx.currency).to_plain()
            )),
        )?;
        tx.commit()?;
        let vipps_id = vipps_id(&ctx);
        Ok(RefundRecord {
            id,
            n,
            sale_id: ctx.sale_id,
            payment_id: ctx.payment_id,
            reference: ctx.reference,
            api: ctx.api,
            currency: ctx.currency,
            amount: plan.amount,
            net: plan.net,
            vat: plan.vat,
            reason: reason.to_owned(),
            staff_id: session.staff_id().to_owned(),
            idempotency_key: key,
            training: ctx.training,
            created_at: now,
            lines: plan.lines,
            vipps_id,
        })
    }

    /// A refund record by id.
    pub fn refund_record(&self, id: i64) -> Result<RefundRecord, StaffError> {
        let conn = self.lock()?;
        load_record(&conn, id)
    }

    /// Where a refund stands (from its outbox row).
    pub fn refund_status(&self, idempotency_key: &str) -> Result<RefundStatus, StaffError> {
        let conn = self.lock()?;
        status_of(&conn, idempotency_key)
    }

    /// Refund records whose outbox row is missing (a crash between record and enqueue).
    pub fn unsent_refunds(&self) -> Result<Vec<RefundRecord>, StaffError> {
        let conn = self.lock()?;
        let ids: Vec<i64> = {
            let mut stmt = conn.prepare(
                "SELECT r.id FROM refunds r WHERE NOT EXISTS
                     (SELECT 1 FROM outbox o WHERE o.idempotency_key = r.idempotency_key)
                 ORDER BY r.id",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        ids.into_iter().map(|id| load_record(&conn, id)).collect()
    }

    /// The refund with this idempotency key (its outbox row's key), if any.
    pub fn refund_id_by_key(&self, idempotency_key: &str) -> Result<Option<i64>, StaffError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT id FROM refunds WHERE idempotency_key = ?1",
                [idempotency_key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Refunds Vipps confirmed (outbox row done) that never had a refund receipt queued
    /// (`print_jobs` has no receipt job `R-{receipt}-{n}`), oldest first. Only refunds made
    /// since the durable print queue exists (`meta.print_jobs_since`), so an upgrade does not
    /// print a stack of old refunds. The start-up catch-up prints these.
    pub fn unprinted_confirmed_refunds(&self) -> Result<Vec<i64>, StaffError> {
        let conn = self.lock()?;
        let since: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'print_jobs_since'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
        let mut stmt = conn.prepare(
            "SELECT r.id FROM refunds r
             JOIN outbox o ON o.idempotency_key = r.idempotency_key AND o.status = 'done'
             JOIN sales s ON s.id = r.sale_id
             WHERE r.created_at >= ?1
               AND NOT EXISTS (SELECT 1 FROM print_jobs p
                               WHERE p.kind = 'receipt'
                                 AND p.receipt_number = 'R-' || s.receipt_number || '-' || r.n)
             ORDER BY r.id",
        )?;
        let ids = stmt
            .query_map([since], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(ids)
    }

    /// The refund whose refund number (`R-{receipt}-{n}`) is `number`, if any.
    pub fn refund_id_by_number(&self, number: &str) -> Result<Option<i64>, StaffError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT r.id FROM refunds r JOIN sales s ON s.id = r.sale_id
                 WHERE 'R-' || s.receipt_number || '-' || r.n = ?1",
                [number.trim()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The data for a refund receipt.
    pub fn refund_receipt(&self, refund_id: i64) -> Result<RefundReceipt, StaffError> {
        let rec = self.refund_record(refund_id)?;
        let status = self.refund_status(&rec.idempotency_key)?;
        let staff_name = self.staff_name(&rec.staff_id)?;
        let conn = self.lock()?;
        let (rn, shop, till): (String, String, String) = conn.query_row(
            "SELECT receipt_number, shop_id, till_id FROM sales WHERE id = ?1",
            [rec.sale_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let mut breakdown: Vec<(i64, i64, i64, i64)> = Vec::new();
        for l in &rec.lines {
            match breakdown.iter_mut().find(|b| b.0 == l.vat_rate) {
                Some(b) => {
                    b.1 += l.gross;
                    b.2 += l.net;
                    b.3 += l.vat;
                }
                None => breakdown.push((l.vat_rate, l.gross, l.net, l.vat)),
            }
        }
        breakdown.sort_by_key(|b| std::cmp::Reverse(b.0));
        Ok(RefundReceipt {
            shop_id: shop,
            till_id: till,
            refund_number: format!("R-{rn}-{}", rec.n),
            original_receipt_number: rn,
            reference: rec.reference.clone(),
            api: rec.api,
            at: rec.created_at,
            staff_id: rec.staff_id.clone(),
            staff_name,
            reason: rec.reason.clone(),
            currency: rec.currency.clone(),
            lines: rec.lines.clone(),
            vat_breakdown: breakdown,
            total: rec.amount,
            total_net: rec.net,
            total_vat: rec.vat,
            status,
            training: rec.training,
        })
    }
}

fn vipps_id(ctx: &RefundContext) -> String {
    if ctx.api == ApiKind::Psp {
        ctx.psp_transaction_id
            .clone()
            .unwrap_or_else(|| crate::engine::psp_transaction_id(&ctx.reference))
    } else {
        ctx.reference.clone()
    }
}

fn status_of(conn: &Connection, key: &str) -> Result<RefundStatus, StaffError> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT status, last_error FROM outbox WHERE idempotency_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        None => RefundStatus::Recorded,
        Some((s, e)) => match s.as_str() {
            "done" => RefundStatus::Done,
            "dead" => RefundStatus::Failed(e.unwrap_or_default()),
            _ => RefundStatus::Pending,
        },
    })
}

fn load_record(conn: &Connection, id: i64) -> Result<RefundRecord, StaffError> {
    let row = conn
        .query_row(
            "SELECT r.n, r.sale_id, r.payment_id, r.reference, p.api, r.currency, r.amount, r.net,
                    r.vat, r.reason, r.staff_id, r.idempotency_key, r.training, r.created_at,
                    p.psp_transaction_id
             FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = ?1",
            [id],
            |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ),
                    (
                        r.get::<_, String>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, String>(9)?,
                    ),
                    (
                        r.get::<_, String>(10)?,
                        r.get::<_, String>(11)?,
                        r.get::<_, bool>(12)?,
                        r.get::<_, String>(13)?,
                        r.get::<_, Option<String>>(14)?,
                    ),
                ))
            },
        )
        .optional()?;
    let Some((
        (n, sale_id, payment_id, reference, api),
        (currency, amount, net, vat, reason),
        (staff_id, key, training, created_at, psp_id),
    )) = row
    else {
        return Err(StaffError::NotFound(Text::new(
            format!("Refusjon {id} finnes ikke."),
            format!("Refund {id} does not exist."),
        )));
    };
    let names: Vec<(i64, String)> = {
        let mut stmt =
            conn.prepare_cached("SELECT line_no, name FROM sale_lines WHERE sale_id = ?1")?;
        stmt.query_map([sale_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?
    };
    let lines = {
        let mut stmt = conn.prepare_cached(
            "SELECT line_no, quantity_milli, vat_rate, gross, net, vat FROM refund_lines
             WHERE refund_id = ?1 ORDER BY id",
        )?;
        stmt.query_map([id], |r| {
            Ok((
                r.get::<_, Option<i64>>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|(line_no, q, rate, gross, net, vat)| PlannedLine {
            name: line_no
                .and_then(|n| names.iter().find(|(l, _)| *l == n).map(|(_, s)| s.clone()))
                .unwrap_or_else(|| format!("Refusjon MVA {}", format_rate(rate))),
            line_no,
            quantity_milli: q,
            vat_rate: rate,
            gross,
            net,
            vat,
        })
        .collect()
    };
    let api = api_of(&api)?;
    let vipps_id = if api == ApiKind::Psp {
        psp_id.unwrap_or_else(|| crate::engine::psp_transaction_id(&reference))
    } else {
        reference.clone()
    };
    Ok(RefundRecord {
        id,
        n,
        sale_id,
        payment_id,
        reference,
        api,
        currency,
        amount,
        net,
        vat,
        reason,
        staff_id,
        idempotency_key: key,
        training,
        created_at: parse_ts(&created_at)?,
        lines,
        vipps_id,
    })
}

/// The outbox row for a recorded refund (engine payload format, the record's key).
pub fn outbox_row(rec: &RefundRecord) -> NewOutbox {
    let payload = Payload::Refund {
        api: rec.api,
        id: rec.vipps_id.clone(),
        amount: rec.amount,
        currency: rec.currency.clone(),
    };
    NewOutbox {
        kind: OutboxKind::Refund,
        payment_id: Some(rec.payment_id),
        reference: Some(rec.reference.clone()),
        idempotency_key: rec.idempotency_key.clone(),
        payload_json: payload.to_json(),
    }
}

/// Queue a recorded refund through the store's outbox (idempotent on its key) and note it in
/// the store's operations journal with the staff member.
pub async fn enqueue(
    store: &AsyncStore,
    rec: &RefundRecord,
    now: OffsetDateTime,
) -> Result<i64, StaffError> {
    let row = outbox_row(rec);
    let op_detail = format!(
        "refund {} {} queued by staff: {}",
        rec.n,
        money(rec.amount, &rec.currency).to_plain(),
        rec.reason
    );
    let (sale_id, payment_id, staff, key) = (
        rec.sale_id,
        rec.payment_id,
        rec.staff_id.clone(),
        rec.idempotency_key.clone(),
    );
    let id = store
        .run(move |s| {
            s.transaction(|tx| {
                let id = tx.enqueue(&row, now)?;
                tx.record_operation(&NewOperation {
                    sale_id: Some(sale_id),
                    payment_id: Some(payment_id),
                    outbox_id: Some(id),
                    idempotency_key: Some(key),
                    staff_id: Some(staff),
                    detail: Some(op_detail),
                    ..NewOperation::new("refund_requested", OpOutcome::Info, now)
                })?;
                Ok(id)
            })
        })
        .await?;
    Ok(id)
}

/// Re-enqueue refund records whose outbox row is missing (run at start). Returns how many.
pub async fn requeue_unsent(
    db: &StaffDb,
    store: &AsyncStore,
    now: OffsetDateTime,
) -> Result<usize, StaffError> {
    let recs = db.unsent_refunds()?;
    for rec in &recs {
        enqueue(store, rec, now).await?;
    }
    Ok(recs.len())
}

/// The whole refund flow: check the manager session and the rules, record, queue. The engine's
/// outbox worker sends it (kick it with `Engine::kick_worker`); follow it with
/// [`StaffDb::refund_status`] or [`wait_for`].
pub async fn refund(
    db: &StaffDb,
    store: &AsyncStore,
    session: &Session,
    req: &RefundRequest,
    now: OffsetDateTime,
) -> Result<RefundRecord, StaffError> {
    let rec = db.record_refund(session, req, now)?;
    enqueue(store, &rec, now).await?;
    tracing::info!(
        reference = %rec.reference,
        n = rec.n,
        amount = rec.amount,
        staff_id = %rec.staff_id,
        "refund queued"
    );
    Ok(rec)
}

/// After Vipps confirmed a refund: mark the sale partially refunded or refunded (journaled by
/// the store with the staff member). Returns the new status, or None if nothing changed.
pub async fn settle_sale_status(
    db: &StaffDb,
    store: &AsyncStore,
    rec: &RefundRecord,
    now: OffsetDateTime,
) -> Result<Option<crate::store::SaleStatus>, StaffError> {
    use crate::store::SaleStatus;
    let (captured, done): (i64, i64) = {
        let conn = db.lock()?;
        conn.query_row(
            "SELECT p.captured_amount,
                    coalesce((SELECT sum(r.amount) FROM refunds r JOIN outbox o
                              ON o.idempotency_key = r.idempotency_key
                              WHERE r.payment_id = p.id AND o.status = 'done'), 0)
             FROM payments p WHERE p.id = ?1",
            [rec.payment_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
    };
    if done <= 0 {
        return Ok(None);
    }
    let status = if done >= captured {
        SaleStatus::Refunded
    } else {
        SaleStatus::PartiallyRefunded
    };
    let (sale_id, staff) = (rec.sale_id, rec.staff_id.clone());
    let changed = store
        .run(move |s| {
            let Some(sale) = s.sale(sale_id)? else {
                return Ok(false);
            };
            if sale.sale.status == status {
                return Ok(false);
            }
            s.set_sale_status(sale_id, status, Some(&staff), now)?;
            Ok(true)
        })
        .await?;
    Ok(changed.then_some(status))
}

/// Wait (polling the journal every 50 ms) until the refund is done or failed, or `timeout`
/// passes (then `Pending`: it stays queued and is sent when Vipps answers).
pub async fn wait_for(
    db: &StaffDb,
    idempotency_key: &str,
    timeout: std::time::Duration,
) -> Result<RefundStatus, StaffError> {
    let start = tokio::time::Instant::now();
    loop {
        let s = db.refund_status(idempotency_key)?;
        if matches!(s, RefundStatus::Done | RefundStatus::Failed(_)) || start.elapsed() >= timeout {
            return Ok(s);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
