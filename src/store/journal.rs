//! Sales, lines, payments and the operations journal.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::error::{StoreError, map_unique};
use super::fiscal::{SignedKind, TillSigner, sign_sale};
use super::install::Here;
use super::sql::*;
use super::types::*;
use super::{Store, Tx};
use crate::clock::IdGen;

/// Counter name for the per shop/till sale sequence.
pub const SALE_COUNTER: &str = "sale";

/// Maximum length of a reference (eCom orderId / PSP merchantOrderId: 50).
pub const MAX_REFERENCE_LEN: usize = 50;

/// Minimum length of an ePayment reference.
pub const MIN_REFERENCE_LEN: usize = 8;

/// `kasse-<shop>-<till>-<install>-<sequence, 6+ digits>-a<attempt>`, e.g.
/// `kasse-s1-t2-k3x9q0ab-000123-a1`: `[A-Za-z0-9-]`, 8 to 50 characters (eCom orderId and
/// ePayment reference rules). The install id makes it unique per MSN for ever (two tills, a
/// reinstall, a restored or copied database); shop and till keep it readable and unique between
/// shop/till pairs of one database. When shop and till are too long to fit, they are replaced by
/// `kasse-<install>-<6-char digest of shop/till>-<sequence>-a<attempt>` rather than failing (a
/// digest clash inside one database is refused by the store's UNIQUE reference, before any call).
pub fn make_reference(
    shop_id: &str,
    till_id: &str,
    install_id: &str,
    sequence: i64,
    attempt: i64,
) -> Result<String, StoreError> {
    check_code("shop_id", shop_id)?;
    check_code("till_id", till_id)?;
    if install_id.len() != super::INSTALL_ID_LEN
        || !install_id
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    {
        return Err(invalid(
            "install id",
            install_id,
            "must be 8 lowercase letters or digits (see the installs table)",
        ));
    }
    if sequence < 1 || attempt < 1 {
        return Err(invalid(
            "reference",
            format!("{sequence}/{attempt}"),
            "sequence and attempt start at 1",
        ));
    }
    let full = format!("kasse-{shop_id}-{till_id}-{install_id}-{sequence:06}-a{attempt}");
    if full.len() <= MAX_REFERENCE_LEN {
        return Ok(full);
    }
    let short = format!(
        "kasse-{install_id}-{}-{sequence:06}-a{attempt}",
        digest6(shop_id, till_id)
    );
    if short.len() <= MAX_REFERENCE_LEN {
        return Ok(short);
    }
    Err(StoreError::Invalid {
        field: "reference",
        value: short,
        reason: "longer than 50 characters (sequence or attempt number out of range)",
    })
}

/// Six base-36 characters of an FNV-1a digest of `shop/till` (stable across versions).
fn digest6(shop_id: &str, till_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in shop_id.bytes().chain([b'/']).chain(till_id.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[usize::try_from(h % 36).unwrap_or(0)];
        h /= 36;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// `<shop>-<till>-<sequence, 6+ digits>`, e.g. `s1-t2-000123`.
pub fn make_receipt_number(shop_id: &str, till_id: &str, sequence: i64) -> String {
    format!("{shop_id}-{till_id}-{sequence:06}")
}

fn check_code(field: &'static str, v: &str) -> Result<(), StoreError> {
    if v.is_empty() || v.len() > 12 || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(StoreError::Invalid {
            field,
            value: v.to_owned(),
            reason: "must be 1 to 12 letters or digits (A-Z, a-z, 0-9)",
        });
    }
    Ok(())
}

fn invalid(field: &'static str, value: impl ToString, reason: &'static str) -> StoreError {
    StoreError::Invalid {
        field,
        value: value.to_string(),
        reason,
    }
}

fn check_currency(c: &str) -> Result<(), StoreError> {
    match c {
        "NOK" | "DKK" | "EUR" => Ok(()),
        other => Err(invalid("currency", other, "must be NOK, DKK or EUR")),
    }
}

fn check_payment(p: &NewPayment) -> Result<(), StoreError> {
    if p.msn.is_empty() || p.msn.len() > 20 || !p.msn.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(
            "msn",
            &p.msn,
            "must be the merchant serial number (letters or digits, at most 20)",
        ));
    }
    Ok(())
}

fn phone_last_digits(phone: Option<&str>) -> Option<String> {
    let digits: Vec<char> = phone?.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some(digits[digits.len().saturating_sub(4)..].iter().collect())
}

fn validate_sale(s: &NewSale) -> Result<(), StoreError> {
    check_payment(&s.payment)?;
    validate_sale_body(s)
}

/// Everything of [`validate_sale`] except the Vipps payment attempt.
fn validate_sale_body(s: &NewSale) -> Result<(), StoreError> {
    check_code("shop_id", &s.shop_id)?;
    check_code("till_id", &s.till_id)?;
    check_currency(&s.currency)?;
    if s.tender.trim().is_empty() {
        return Err(invalid("tender", &s.tender, "must not be empty"));
    }
    if s.lines.is_empty() {
        return Err(invalid("lines", "0", "a sale needs at least one line"));
    }
    if s.gross_total.checked_sub(s.net_total) != Some(s.vat_total) {
        return Err(invalid(
            "totals",
            format!("{} - {} != {}", s.gross_total, s.net_total, s.vat_total),
            "gross - net must equal VAT",
        ));
    }
    if s.gross_total <= 0 {
        return Err(invalid(
            "gross_total",
            s.gross_total,
            "a payment must be for a positive amount",
        ));
    }
    let (mut gross, mut vat) = (0_i64, 0_i64);
    for (i, l) in s.lines.iter().enumerate() {
        let n = i + 1;
        if l.name.trim().is_empty() {
            return Err(invalid("line name", n, "must not be empty"));
        }
        if !(0..=10_000).contains(&l.vat_rate) {
            return Err(invalid(
                "vat_rate",
                l.vat_rate,
                "must be 0..=10000 hundredths of a percent",
            ));
        }
        if l.gross.checked_sub(l.net) != Some(l.vat) {
            return Err(invalid(
                "line amounts",
                format!("line {n}: {} - {} != {}", l.gross, l.net, l.vat),
                "gross - net must equal VAT on every line",
            ));
        }
        gross = gross
            .checked_add(l.gross)
            .ok_or_else(|| invalid("line gross", l.gross, "sum overflows"))?;
        vat = vat
            .checked_add(l.vat)
            .ok_or_else(|| invalid("line vat", l.vat, "sum overflows"))?;
    }
    if gross != s.gross_total || vat != s.vat_total {
        return Err(invalid(
            "totals",
            format!(
                "lines {gross}/{vat} vs sale {}/{}",
                s.gross_total, s.vat_total
            ),
            "the lines must sum to the sale's gross and VAT totals",
        ));
    }
    Ok(())
}

pub(crate) fn next_counter(
    conn: &Connection,
    shop_id: &str,
    till_id: &str,
    name: &str,
) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "INSERT INTO counters (shop_id, till_id, name, value) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (shop_id, till_id, name) DO UPDATE SET value = value + 1
         RETURNING value",
        params![shop_id, till_id, name],
        |r| r.get(0),
    )?)
}

fn mint_keys(ids: &dyn IdGen) -> Result<PaymentKeys, StoreError> {
    let keys = PaymentKeys {
        create: ids.uuid().to_string(),
        capture: ids.uuid().to_string(),
        cancel: ids.uuid().to_string(),
    };
    if keys.create == keys.capture || keys.create == keys.cancel || keys.capture == keys.cancel {
        return Err(invalid(
            "idempotency key",
            &keys.create,
            "the id generator returned the same key twice",
        ));
    }
    Ok(keys)
}

#[allow(clippy::too_many_arguments)]
fn insert_payment(
    conn: &Connection,
    sale_id: i64,
    p: &NewPayment,
    reference: &str,
    attempt: i64,
    currency: &str,
    amount: i64,
    keys: &PaymentKeys,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO payments (sale_id, api, msn, reference, attempt, flow, currency, amount,
             state, phone_last_digits, create_key, capture_key, cancel_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        params![
            sale_id,
            p.api,
            p.msn,
            reference,
            attempt,
            p.flow,
            currency,
            amount,
            PayState::Creating,
            phone_last_digits(p.customer_phone.as_deref()),
            keys.create,
            keys.capture,
            keys.cancel,
            Ts(at),
        ],
    )
    .map_err(|e| {
        // The reference is the usual culprit; a repeated key is reported as such.
        match map_unique(e, "payment reference", reference) {
            StoreError::Duplicate { .. } => duplicate_detail(conn, p, reference, keys),
            other => other,
        }
    })?;
    let payment_id = conn.last_insert_rowid();
    if p.flow == Flow::Push && p.customer_phone.is_some() {
        // Kept until the payment is final, to re-send the same create after a restart.
        conn.execute(
            "UPDATE payments SET customer_phone = ?2 WHERE id = ?1",
            params![payment_id, p.customer_phone],
        )?;
    }
    record_operation(
        conn,
        &NewOperation {
            sale_id: Some(sale_id),
            payment_id: Some(payment_id),
            idempotency_key: Some(keys.create.clone()),
            detail: Some(format!(
                "reference {reference} attempt {attempt} {} {} amount {amount} {currency}",
                p.api, p.flow
            )),
            ..NewOperation::new("payment_written", OpOutcome::Info, at)
        },
    )?;
    Ok(payment_id)
}

fn duplicate_detail(
    conn: &Connection,
    p: &NewPayment,
    reference: &str,
    keys: &PaymentKeys,
) -> StoreError {
    let ref_taken: Result<Option<i64>, _> = conn
        .query_row(
            "SELECT id FROM payments WHERE msn = ?1 AND reference = ?2",
            params![p.msn, reference],
            |r| r.get(0),
        )
        .optional();
    if let Ok(Some(_)) = ref_taken {
        return StoreError::Duplicate {
            what: "payment reference",
            value: reference.to_owned(),
        };
    }
    StoreError::Duplicate {
        what: "idempotency key",
        value: keys.create.clone(),
    }
}

pub(crate) fn begin_sale(
    conn: &Connection,
    ids: &dyn IdGen,
    here: &Here,
    s: &NewSale,
) -> Result<SaleIds, StoreError> {
    begin_sale_with_cash(conn, ids, here, s, 0)
}

/// `begin_sale`, with `cash_part` (minor units, ≥ 0, < the total) already taken in cash: the
/// sale keeps its full total and lines, its tender becomes [`SPLIT_TENDER`] and the Vipps
/// payment row is for the remainder only. The cash part is journaled (`cash_tender`) in the
/// same transaction, before any network call.
fn begin_sale_with_cash(
    conn: &Connection,
    ids: &dyn IdGen,
    here: &Here,
    s: &NewSale,
    cash_part: i64,
) -> Result<SaleIds, StoreError> {
    validate_sale(s)?;
    if cash_part < 0 || cash_part >= s.gross_total {
        return Err(invalid(
            "cash part",
            cash_part,
            "must be at least 0 and less than the sale total (the rest goes to Vipps)",
        ));
    }
    let tender = if cash_part > 0 {
        SPLIT_TENDER
    } else {
        s.tender.as_str()
    };
    let vipps_amount = s.gross_total - cash_part;
    // The install id first: a store with a predictable id generator gets a predictable one.
    let install_id = super::install::ensure_install(conn, ids, here, s.created_at)?;
    let keys = mint_keys(ids)?;
    let sequence = next_counter(conn, &s.shop_id, &s.till_id, SALE_COUNTER)?;
    let receipt_number = make_receipt_number(&s.shop_id, &s.till_id, sequence);
    let reference = make_reference(&s.shop_id, &s.till_id, &install_id, sequence, 1)?;
    conn.execute(
        "INSERT INTO sales (created_at, updated_at, shop_id, till_id, sequence, receipt_number,
             staff_id, currency, gross_total, vat_total, net_total, status, training, tender,
             description)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            Ts(s.created_at),
            s.shop_id,
            s.till_id,
            sequence,
            receipt_number,
            s.staff_id,
            s.currency,
            s.gross_total,
            s.vat_total,
            s.net_total,
            SaleStatus::Open,
            s.training,
            tender,
            s.description,
        ],
    )
    .map_err(|e| map_unique(e, "receipt number", &receipt_number))?;
    let sale_id = conn.last_insert_rowid();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "INSERT INTO sale_lines (sale_id, line_no, product_id, name, quantity,
                     quantity_milli, unit, unit_price, discount, vat_rate, gross, net, vat,
                     is_return, article_group)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, {})",
            super::catalog::LINE_GROUP_SQL
        ))?;
        for (i, l) in s.lines.iter().enumerate() {
            let line_no = i64::try_from(i + 1).unwrap_or(i64::MAX);
            stmt.execute(params![
                sale_id,
                line_no,
                l.product_id,
                l.name,
                l.quantity,
                l.quantity_milli,
                l.unit,
                l.unit_price,
                l.discount,
                l.vat_rate,
                l.gross,
                l.net,
                l.vat,
                l.is_return,
            ])?;
        }
    }
    record_operation(
        conn,
        &NewOperation {
            sale_id: Some(sale_id),
            staff_id: s.staff_id.clone(),
            detail: Some(format!(
                "receipt {receipt_number}, {} lines, total {} {}{}",
                s.lines.len(),
                s.gross_total,
                s.currency,
                if s.training { ", training" } else { "" }
            )),
            ..NewOperation::new("sale_opened", OpOutcome::Info, s.created_at)
        },
    )?;
    if cash_part > 0 {
        record_operation(
            conn,
            &NewOperation {
                sale_id: Some(sale_id),
                staff_id: s.staff_id.clone(),
                detail: Some(format!(
                    "cash part {cash_part} {cur} taken; Vipps asked for the rest {vipps_amount} {cur}",
                    cur = s.currency
                )),
                ..NewOperation::new("cash_tender", OpOutcome::Ok, s.created_at)
            },
        )?;
    }
    let payment_id = insert_payment(
        conn,
        sale_id,
        &s.payment,
        &reference,
        1,
        &s.currency,
        vipps_amount,
        &keys,
        s.created_at,
    )?;
    Ok(SaleIds {
        sale_id,
        payment_id,
        sequence,
        receipt_number,
        reference,
        attempt: 1,
        keys,
    })
}

/// A cash-only sale: sale (status paid, tender `cash`), lines, a new receipt number and the
/// journal entry with the cash handed over and the change due, in one transaction. No payment
/// row (no Vipps call). `sale.payment` and `sale.tender` are ignored.
pub(crate) fn record_cash_sale(
    conn: &Connection,
    signer: Option<&TillSigner>,
    s: &NewSale,
    cash_given: i64,
) -> Result<CashSaleIds, StoreError> {
    validate_sale_body(s)?;
    // Cash is paid to the nearest cash step (øreavrunding); the exact total stays the sale's
    // gross (VAT basis) and the rounding is journaled beside it.
    let currency = crate::domain::money::Currency::parse(&s.currency)
        .ok_or_else(|| invalid("currency", &s.currency, "must be NOK, DKK or EUR"))?;
    let cash_rounding = crate::domain::money::Money::new(s.gross_total, currency)
        .cash_rounding()
        .minor();
    let to_pay = s.gross_total.saturating_add(cash_rounding);
    if cash_given < to_pay {
        return Err(invalid(
            "cash given",
            cash_given,
            "must be at least the sale total rounded to the cash step for a cash sale",
        ));
    }
    let change = cash_given - to_pay;
    let sequence = next_counter(conn, &s.shop_id, &s.till_id, SALE_COUNTER)?;
    let receipt_number = make_receipt_number(&s.shop_id, &s.till_id, sequence);
    conn.execute(
        "INSERT INTO sales (created_at, updated_at, shop_id, till_id, sequence, receipt_number,
             staff_id, currency, gross_total, vat_total, net_total, status, training, tender,
             description, cash_rounding)
         VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            Ts(s.created_at),
            s.shop_id,
            s.till_id,
            sequence,
            receipt_number,
            s.staff_id,
            s.currency,
            s.gross_total,
            s.vat_total,
            s.net_total,
            SaleStatus::Paid,
            s.training,
            CASH_TENDER,
            s.description,
            cash_rounding,
        ],
    )
    .map_err(|e| map_unique(e, "receipt number", &receipt_number))?;
    let sale_id = conn.last_insert_rowid();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "INSERT INTO sale_lines (sale_id, line_no, product_id, name, quantity,
                     quantity_milli, unit, unit_price, discount, vat_rate, gross, net, vat,
                     is_return, article_group)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, {})",
            super::catalog::LINE_GROUP_SQL
        ))?;
        for (i, l) in s.lines.iter().enumerate() {
            let line_no = i64::try_from(i + 1).unwrap_or(i64::MAX);
            stmt.execute(params![
                sale_id,
                line_no,
                l.product_id,
                l.name,
                l.quantity,
                l.quantity_milli,
                l.unit,
                l.unit_price,
                l.discount,
                l.vat_rate,
                l.gross,
                l.net,
                l.vat,
                l.is_return,
            ])?;
        }
    }
    record_operation(
        conn,
        &NewOperation {
            sale_id: Some(sale_id),
            staff_id: s.staff_id.clone(),
            detail: Some(format!(
                "receipt {receipt_number}, {} lines, total {} {}, cash rounding {cash_rounding}, \
                 cash given {cash_given}, change {change}{}",
                s.lines.len(),
                s.gross_total,
                s.currency,
                if s.training { ", training" } else { "" }
            )),
            ..NewOperation::new("cash_sale", OpOutcome::Ok, s.created_at)
        },
    )?;
    // Completed: signed in this same transaction (kassasystemforskriften § 2-7-6).
    sign_sale(conn, signer, sale_id, SignedKind::Sale, s.created_at)?;
    Ok(CashSaleIds {
        sale_id,
        sequence,
        receipt_number,
        cash_given,
        change,
        cash_rounding,
    })
}

pub(crate) fn new_attempt(
    conn: &Connection,
    ids: &dyn IdGen,
    here: &Here,
    sale_id: i64,
    p: &NewPayment,
    at: OffsetDateTime,
) -> Result<SaleIds, StoreError> {
    check_payment(p)?;
    let sale = sale_by_id(conn, sale_id)?.ok_or_else(|| StoreError::NotFound {
        what: "sale",
        id: sale_id.to_string(),
    })?;
    if !matches!(sale.status, SaleStatus::Open | SaleStatus::Failed) {
        return Err(StoreError::SaleClosed {
            sale_id,
            status: sale.status.to_string(),
        });
    }
    let payments = payments_for_sale(conn, sale_id)?;
    if let Some(open) = payments.iter().find(|p| !p.state.is_terminal()) {
        return Err(StoreError::AttemptInProgress {
            reference: open.reference.clone(),
        });
    }
    if payments.iter().any(|p| p.state == PayState::Captured) {
        return Err(StoreError::SaleClosed {
            sale_id,
            status: "paid".into(),
        });
    }
    let attempt = payments.iter().map(|p| p.attempt).max().unwrap_or(0) + 1;
    let install_id = super::install::ensure_install(conn, ids, here, at)?;
    let reference = make_reference(
        &sale.shop_id,
        &sale.till_id,
        &install_id,
        sale.sequence,
        attempt,
    )?;
    let keys = mint_keys(ids)?;
    // A split sale's cash part was handed back when its Vipps part ended unpaid: asking
    // Vipps for the remainder again would leave that part unpaid. A new payment is a new sale.
    if sale.tender == SPLIT_TENDER {
        return Err(StoreError::SaleClosed {
            sale_id,
            status: format!("{} (split tender, cash handed back)", sale.status),
        });
    }
    let amount = sale.gross_total;
    let payment_id = insert_payment(
        conn,
        sale_id,
        p,
        &reference,
        attempt,
        &sale.currency,
        amount,
        &keys,
        at,
    )?;
    if sale.status != SaleStatus::Open {
        change_sale_status(conn, None, sale_id, SaleStatus::Open, None, at, true)?;
    }
    Ok(SaleIds {
        sale_id,
        payment_id,
        sequence: sale.sequence,
        receipt_number: sale.receipt_number,
        reference,
        attempt,
        keys,
    })
}

/// What a payment attempt starts with besides its row: the two countdown deadlines and, for
/// PSP, the transaction id derived from the reference.
#[derive(Debug, Clone, Copy)]
pub struct AttemptStart {
    pub user_deadline_at: Option<OffsetDateTime>,
    pub approval_deadline_at: Option<OffsetDateTime>,
    /// PSP: how the transaction id follows from the reference (`None` for other APIs).
    pub psp_transaction_id: Option<fn(&str) -> String>,
}

fn write_attempt_start(
    conn: &Connection,
    ids: &SaleIds,
    start: &AttemptStart,
) -> Result<(), StoreError> {
    let psp = start.psp_transaction_id.map(|f| f(&ids.reference));
    let n = conn.execute(
        "UPDATE payments SET user_deadline_at = ?2, approval_deadline_at = ?3,
             psp_transaction_id = COALESCE(?4, psp_transaction_id)
         WHERE id = ?1",
        params![
            ids.payment_id,
            start.user_deadline_at.map(Ts),
            start.approval_deadline_at.map(Ts),
            psp
        ],
    )?;
    not_found_if_zero(n, "payment", ids.payment_id)
}

pub(crate) fn record_operation(conn: &Connection, op: &NewOperation) -> Result<i64, StoreError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO operations (at, sale_id, payment_id, outbox_id, kind, idempotency_key,
             request_summary, outcome, http_status, error_code, detail, staff_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    stmt.execute(params![
        Ts(op.at),
        op.sale_id,
        op.payment_id,
        op.outbox_id,
        op.kind,
        op.idempotency_key,
        op.request_summary,
        op.outcome,
        op.http_status,
        op.error_code,
        op.detail,
        op.staff_id,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn payment_by_id(conn: &Connection, id: i64) -> Result<Option<PaymentRow>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {PAYMENT_COLS} FROM payments WHERE id = ?1"),
            [id],
            payment_row,
        )
        .optional()?)
}

fn sale_by_id(conn: &Connection, id: i64) -> Result<Option<SaleRow>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {SALE_COLS} FROM sales WHERE id = ?1"),
            [id],
            sale_row,
        )
        .optional()?)
}

fn payments_for_sale(conn: &Connection, sale_id: i64) -> Result<Vec<PaymentRow>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PAYMENT_COLS} FROM payments WHERE sale_id = ?1 ORDER BY attempt"
    ))?;
    let rows = stmt.query_map([sale_id], payment_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub(crate) fn update_payment_state(
    conn: &Connection,
    payment_id: i64,
    state: PayState,
    reason: Option<&str>,
    amounts: Option<PaymentAmounts>,
    at: OffsetDateTime,
) -> Result<PaymentRow, StoreError> {
    change_payment_state(conn, payment_id, state, reason, amounts, at, false)
}

/// Vipps confirmed a capture we sent (a staff correction of a payment that had ended, e.g. a
/// batch capture after the automatic capture failed): the payment becomes captured and its sale
/// paid even from a final state, journaled as a correction. Nothing else leaves a final state.
pub(crate) fn record_confirmed_capture(
    conn: &Connection,
    signer: Option<&TillSigner>,
    payment_id: i64,
    amounts: PaymentAmounts,
    at: OffsetDateTime,
) -> Result<PaymentRow, StoreError> {
    let old = payment_by_id(conn, payment_id)?.ok_or_else(|| StoreError::NotFound {
        what: "payment",
        id: payment_id.to_string(),
    })?;
    let row = change_payment_state(
        conn,
        payment_id,
        PayState::Captured,
        None,
        Some(amounts),
        at,
        true,
    )?;
    let sale_status: SaleStatus = conn.query_row(
        "SELECT status FROM sales WHERE id = ?1",
        [old.sale_id],
        |r| r.get(0),
    )?;
    if matches!(sale_status, SaleStatus::Open | SaleStatus::Failed) {
        change_sale_status(conn, signer, old.sale_id, SaleStatus::Paid, None, at, true)?;
    }
    if old.state.is_terminal() && old.state != PayState::Captured {
        record_operation(
            conn,
            &NewOperation {
                sale_id: Some(old.sale_id),
                payment_id: Some(payment_id),
                detail: Some(format!(
                    "correction: Vipps confirmed a capture of {} on a payment that was {}",
                    amounts.captured, old.state
                )),
                ..NewOperation::new("correction", OpOutcome::Info, at)
            },
        )?;
    }
    Ok(row)
}

fn change_payment_state(
    conn: &Connection,
    payment_id: i64,
    state: PayState,
    reason: Option<&str>,
    amounts: Option<PaymentAmounts>,
    at: OffsetDateTime,
    confirmed_capture: bool,
) -> Result<PaymentRow, StoreError> {
    let old = payment_by_id(conn, payment_id)?.ok_or_else(|| StoreError::NotFound {
        what: "payment",
        id: payment_id.to_string(),
    })?;
    // Final states are final: a late writer (a stale driver, a replayed answer) cannot turn a
    // captured payment into a failed one or back. The same state may be written again (amounts).
    // The one exception is `record_confirmed_capture`: Vipps confirmed a capture we sent.
    if old.state.is_terminal() && state != old.state && !confirmed_capture {
        return Err(StoreError::FinalState {
            what: "payment",
            id: payment_id,
            from: old.state.to_string(),
            to: state.to_string(),
        });
    }
    match amounts {
        Some(a) => conn.execute(
            "UPDATE payments SET state = ?2, reason = ?3, updated_at = ?4, last_read_at = ?4,
                 authorized_amount = ?5, captured_amount = ?6, refunded_amount = ?7,
                 cancelled_amount = ?8
             WHERE id = ?1",
            params![
                payment_id,
                state,
                reason,
                Ts(at),
                a.authorized,
                a.captured,
                a.refunded,
                a.cancelled
            ],
        )?,
        None => conn.execute(
            "UPDATE payments SET state = ?2, reason = ?3, updated_at = ?4 WHERE id = ?1",
            params![payment_id, state, reason, Ts(at)],
        )?,
    };
    if state.is_terminal() {
        // Final: the create is never sent again, so the full phone number goes.
        conn.execute(
            "UPDATE payments SET customer_phone = NULL WHERE id = ?1 AND customer_phone IS NOT NULL",
            [payment_id],
        )?;
    }
    let mut detail = format!("{} -> {}", old.state, state);
    if let Some(a) = amounts {
        detail.push_str(&format!(
            "; authorized {} captured {} refunded {} cancelled {}",
            a.authorized, a.captured, a.refunded, a.cancelled
        ));
    }
    if let Some(r) = reason {
        detail.push_str(&format!("; reason: {r}"));
    }
    record_operation(
        conn,
        &NewOperation {
            sale_id: Some(old.sale_id),
            payment_id: Some(payment_id),
            detail: Some(detail),
            ..NewOperation::new("state", OpOutcome::StateChange, at)
        },
    )?;
    payment_by_id(conn, payment_id)?.ok_or_else(|| StoreError::NotFound {
        what: "payment",
        id: payment_id.to_string(),
    })
}

pub(crate) fn set_sale_status(
    conn: &Connection,
    signer: Option<&TillSigner>,
    sale_id: i64,
    status: SaleStatus,
    staff_id: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    change_sale_status(conn, signer, sale_id, status, staff_id, at, false)
}

/// `reopen`: only [`new_attempt`] may take a failed sale back to open (a new attempt with a
/// fresh reference), and only [`record_confirmed_capture`] to paid; every other writer is
/// refused.
#[allow(clippy::too_many_arguments)]
fn change_sale_status(
    conn: &Connection,
    signer: Option<&TillSigner>,
    sale_id: i64,
    status: SaleStatus,
    staff_id: Option<&str>,
    at: OffsetDateTime,
    reopen: bool,
) -> Result<(), StoreError> {
    let old: Option<SaleStatus> = conn
        .query_row("SELECT status FROM sales WHERE id = ?1", [sale_id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(old) = old else {
        return Err(StoreError::NotFound {
            what: "sale",
            id: sale_id.to_string(),
        });
    };
    let reopening = reopen
        && old == SaleStatus::Failed
        && matches!(status, SaleStatus::Open | SaleStatus::Paid);
    if !reopening && !sale_transition_allowed(old, status) {
        return Err(StoreError::FinalState {
            what: "sale",
            id: sale_id,
            from: old.to_string(),
            to: status.to_string(),
        });
    }
    conn.execute(
        "UPDATE sales SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![sale_id, status, Ts(at)],
    )?;
    record_operation(
        conn,
        &NewOperation {
            sale_id: Some(sale_id),
            staff_id: staff_id.map(str::to_owned),
            detail: Some(format!("{old} -> {status}")),
            ..NewOperation::new("sale_status", OpOutcome::StateChange, at)
        },
    )?;
    // The sale's final state and its signature commit together (§ 2-7-6): a completed sale
    // (cash part, Vipps or split) is signed once when it becomes paid, a void when voided.
    if old != status {
        match status {
            SaleStatus::Paid => sign_sale(conn, signer, sale_id, SignedKind::Sale, at)?,
            SaleStatus::Voided => sign_sale(conn, signer, sale_id, SignedKind::Void, at)?,
            _ => {}
        }
    }
    let ended_unpaid = matches!(
        status,
        SaleStatus::Failed | SaleStatus::Cancelled | SaleStatus::Voided
    );
    if ended_unpaid && old == SaleStatus::Open {
        record_cash_returned(conn, sale_id, status, staff_id, at)?;
    }
    Ok(())
}

/// Final sale states are final. Open goes anywhere; a paid sale only on to (partially)
/// refunded; the same status may be written again. The one way out of `failed` is back to
/// `open` by `new_attempt` (a new payment attempt with a fresh reference), never to paid.
fn sale_transition_allowed(from: SaleStatus, to: SaleStatus) -> bool {
    use SaleStatus as S;
    from == to
        || match from {
            S::Open => true,
            S::Paid => matches!(to, S::PartiallyRefunded | S::Refunded),
            S::PartiallyRefunded => matches!(to, S::Refunded),
            S::Failed | S::Cancelled | S::Voided | S::Refunded => false,
        }
}

/// A split sale whose Vipps part ended unpaid: the cashier is told to give the cash part back
/// (the result screen says so), and the journal says it was handed back. The sale is not
/// completed, so X/Z reports never count that cash; a new payment is a new sale.
fn record_cash_returned(
    conn: &Connection,
    sale_id: i64,
    status: SaleStatus,
    staff_id: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some(sale) = sale_by_id(conn, sale_id)? else {
        return Ok(());
    };
    if sale.tender != SPLIT_TENDER {
        return Ok(());
    }
    let amount = payments_for_sale(conn, sale_id)?.first().map(|p| p.amount);
    let cash = sale.cash_part(amount);
    if cash <= 0 {
        return Ok(());
    }
    record_operation(
        conn,
        &NewOperation {
            sale_id: Some(sale_id),
            staff_id: staff_id.map(str::to_owned),
            detail: Some(format!(
                "split sale {status}: cash part {cash} {} handed back to the customer; not counted",
                sale.currency
            )),
            ..NewOperation::new("cash_returned", OpOutcome::Info, at)
        },
    )?;
    Ok(())
}

impl Store {
    /// Allocate the next sale sequence number for a shop/till (atomic, monotonic, survives
    /// restarts; never reused even if the sale is later abandoned).
    pub fn next_sequence(&mut self, shop_id: &str, till_id: &str) -> Result<i64, StoreError> {
        self.next_counter(shop_id, till_id, SALE_COUNTER)
    }

    /// Allocate the next value of a named per shop/till counter (e.g. Z report numbers).
    pub fn next_counter(
        &mut self,
        shop_id: &str,
        till_id: &str,
        name: &str,
    ) -> Result<i64, StoreError> {
        check_code("shop_id", shop_id)?;
        check_code("till_id", till_id)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let v = next_counter(&tx, shop_id, till_id, name)?;
        tx.commit()?;
        Ok(v)
    }

    /// Raise a counter to at least `value` (never lowers it). For a till whose database was
    /// replaced: start above the last number used, so references stay unique at Vipps.
    pub fn ensure_counter_at_least(
        &mut self,
        shop_id: &str,
        till_id: &str,
        name: &str,
        value: i64,
    ) -> Result<(), StoreError> {
        check_code("shop_id", shop_id)?;
        check_code("till_id", till_id)?;
        if value < 0 {
            return Err(invalid("counter value", value, "must not be negative"));
        }
        self.conn.execute(
            "INSERT INTO counters (shop_id, till_id, name, value) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (shop_id, till_id, name) DO UPDATE SET value = max(value, excluded.value)",
            params![shop_id, till_id, name, value],
        )?;
        Ok(())
    }

    /// The write-ahead step: sale, lines, payment attempt 1 with its reference and all its
    /// idempotency keys, and a new sequence number, in one transaction. Call before any
    /// network request. On any error nothing is written.
    pub fn begin_sale(&mut self, sale: &NewSale) -> Result<SaleIds, StoreError> {
        self.transaction(|tx| begin_sale(tx.tx, tx.ids, tx.here, sale))
    }

    /// [`Store::begin_sale`] for a split tender: `cash_part` (0 < cash_part < total) was taken
    /// in cash, the payment row asks Vipps for the rest. The sale keeps every line and its
    /// full total; its tender is [`SPLIT_TENDER`]; the cash part is journaled (`cash_tender`)
    /// in the same transaction. [`SaleRecord::cash_part`] reads it back.
    pub fn begin_split_sale(
        &mut self,
        sale: &NewSale,
        cash_part: i64,
    ) -> Result<SaleIds, StoreError> {
        if cash_part <= 0 {
            return Err(invalid(
                "cash part",
                cash_part,
                "must be more than 0 for a split sale",
            ));
        }
        self.transaction(|tx| begin_sale_with_cash(tx.tx, tx.ids, tx.here, sale, cash_part))
    }

    /// A cash-only sale, journaled as paid with tender `cash` (no payment row, no network
    /// call) in one transaction with its receipt number. `sale.payment` and `sale.tender` are
    /// ignored. Refused when `cash_given` is below the total.
    pub fn record_cash_sale(
        &mut self,
        sale: &NewSale,
        cash_given: i64,
    ) -> Result<CashSaleIds, StoreError> {
        self.transaction(|tx| {
            // Like a Vipps sale, a cash sale is journaled under an install id (the HQ feed's
            // stream: a restored backup must not re-send it as its new install's).
            tx.install_id(sale.created_at)?;
            record_cash_sale(tx.tx, tx.signer, sale, cash_given)
        })
    }

    /// A new payment attempt (new reference, attempt + 1, new keys) for the same basket.
    /// Refused while an earlier attempt is unfinished or when the sale is paid or closed.
    pub fn new_attempt(
        &mut self,
        sale_id: i64,
        payment: &NewPayment,
        at: OffsetDateTime,
    ) -> Result<SaleIds, StoreError> {
        self.transaction(|tx| new_attempt(tx.tx, tx.ids, tx.here, sale_id, payment, at))
    }

    /// Record a state change (and amounts as last read from Vipps, which also sets
    /// `last_read_at`). The change is journaled in the same transaction.
    pub fn update_payment_state(
        &mut self,
        payment_id: i64,
        state: PayState,
        reason: Option<&str>,
        amounts: Option<PaymentAmounts>,
        at: OffsetDateTime,
    ) -> Result<PaymentRow, StoreError> {
        self.transaction(|tx| tx.update_payment_state(payment_id, state, reason, amounts, at))
    }

    /// [`Store::begin_sale`] (or [`Store::begin_split_sale`] when `cash_part > 0`) with the
    /// attempt's countdown deadlines and PSP transaction id written in the SAME transaction:
    /// a crash can never leave a started payment without its deadlines.
    pub fn begin_sale_started(
        &mut self,
        sale: &NewSale,
        cash_part: i64,
        start: &AttemptStart,
    ) -> Result<SaleIds, StoreError> {
        self.transaction(|tx| {
            let ids = if cash_part > 0 {
                begin_sale_with_cash(tx.tx, tx.ids, tx.here, sale, cash_part)?
            } else {
                begin_sale(tx.tx, tx.ids, tx.here, sale)?
            };
            write_attempt_start(tx.tx, &ids, start)?;
            Ok(ids)
        })
    }

    /// [`Store::new_attempt`] with the attempt's deadlines and PSP transaction id in the same
    /// transaction.
    pub fn new_attempt_started(
        &mut self,
        sale_id: i64,
        payment: &NewPayment,
        at: OffsetDateTime,
        start: &AttemptStart,
    ) -> Result<SaleIds, StoreError> {
        self.transaction(|tx| {
            let ids = new_attempt(tx.tx, tx.ids, tx.here, sale_id, payment, at)?;
            write_attempt_start(tx.tx, &ids, start)?;
            Ok(ids)
        })
    }

    /// Set the two countdown deadlines (customer to open; customer to approve).
    pub fn set_payment_deadlines(
        &mut self,
        payment_id: i64,
        user_deadline_at: Option<OffsetDateTime>,
        approval_deadline_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE payments SET user_deadline_at = ?2, approval_deadline_at = ?3 WHERE id = ?1",
            params![
                payment_id,
                user_deadline_at.map(Ts),
                approval_deadline_at.map(Ts)
            ],
        )?;
        not_found_if_zero(n, "payment", payment_id)
    }

    /// Store the PSP transaction id once known.
    pub fn set_psp_transaction_id(
        &mut self,
        payment_id: i64,
        psp_transaction_id: &str,
    ) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE payments SET psp_transaction_id = ?2 WHERE id = ?1",
            params![payment_id, psp_transaction_id],
        )?;
        not_found_if_zero(n, "payment", payment_id)
    }

    /// Change a sale's status (journaled, with the staff member if known).
    pub fn set_sale_status(
        &mut self,
        sale_id: i64,
        status: SaleStatus,
        staff_id: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| tx.set_sale_status(sale_id, status, staff_id, at))
    }

    /// Append an entry to the operations journal; returns its id.
    pub fn record_operation(&mut self, op: &NewOperation) -> Result<i64, StoreError> {
        record_operation(&self.conn, op)
    }

    /// Journal entries of one payment, oldest first.
    pub fn operations_for_payment(&self, payment_id: i64) -> Result<Vec<OperationRow>, StoreError> {
        self.ops_where("payment_id = ?1", payment_id)
    }

    /// Journal entries of one sale (including its payments), oldest first.
    pub fn operations_for_sale(&self, sale_id: i64) -> Result<Vec<OperationRow>, StoreError> {
        self.ops_where("sale_id = ?1", sale_id)
    }

    /// Journal entries with `from <= at < to`, oldest first (X/Z reports, audits).
    pub fn operations_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OperationRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OP_COLS} FROM operations WHERE at >= ?1 AND at < ?2 ORDER BY at, id"
        ))?;
        let rows = stmt.query_map(params![Ts(from), Ts(to)], op_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn ops_where(&self, cond: &str, id: i64) -> Result<Vec<OperationRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {OP_COLS} FROM operations WHERE {cond} ORDER BY id"
        ))?;
        let rows = stmt.query_map([id], op_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// One payment attempt.
    pub fn payment(&self, payment_id: i64) -> Result<Option<PaymentRow>, StoreError> {
        payment_by_id(&self.conn, payment_id)
    }

    /// The payment with this reference (the newest if several MSNs share it).
    pub fn payment_by_reference(&self, reference: &str) -> Result<Option<PaymentRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {PAYMENT_COLS} FROM payments WHERE reference = ?1 ORDER BY id DESC LIMIT 1"
                ),
                [reference],
                payment_row,
            )
            .optional()?)
    }

    /// The full phone number a push payment was created with, while the payment is unfinished
    /// (to re-send the same create after a restart); `None` once it is final (redacted), for
    /// QR payments and for payments written before it was kept.
    pub fn create_phone(&self, payment_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT customer_phone FROM payments WHERE id = ?1",
                [payment_id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Every payment attempt not in a terminal state (to read back from Vipps on start).
    pub fn unfinished_payments(&self) -> Result<Vec<PaymentRow>, StoreError> {
        let terminal: Vec<String> = PayState::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {PAYMENT_COLS} FROM payments WHERE state NOT IN ({}) ORDER BY id",
            terminal.join(", ")
        ))?;
        let rows = stmt.query_map([], payment_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// A sale with its lines and payment attempts.
    pub fn sale(&self, sale_id: i64) -> Result<Option<SaleRecord>, StoreError> {
        let Some(sale) = sale_by_id(&self.conn, sale_id)? else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {LINE_COLS} FROM sale_lines WHERE sale_id = ?1 ORDER BY line_no"
        ))?;
        let lines = stmt
            .query_map([sale_id], line_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let payments = payments_for_sale(&self.conn, sale_id)?;
        Ok(Some(SaleRecord {
            sale,
            lines,
            payments,
        }))
    }

    /// Sales matching every given criterion, newest first.
    pub fn find_sales(&self, q: &SaleQuery) -> Result<Vec<SaleRow>, StoreError> {
        use super::sale_query::{SaleQueryError, sale_filter};
        let f = sale_filter(q).map_err(|e| match e {
            SaleQueryError::EmptyReference(r) => {
                invalid("reference", r, "give the reference or a part of it")
            }
            SaleQueryError::BadPhoneDigits(d) => invalid(
                "phone_last_digits",
                d,
                "give 1 to 4 digits (the end of the number)",
            ),
        })?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {SALE_COLS} FROM sales s {} ORDER BY s.created_at DESC, s.id DESC LIMIT {}",
            f.where_sql, f.limit
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(f.args), sale_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Sales with `from <= created_at < to`, oldest first (X/Z reports).
    pub fn sales_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SaleRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {SALE_COLS} FROM sales WHERE created_at >= ?1 AND created_at < ?2
             ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map(params![Ts(from), Ts(to)], sale_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

fn not_found_if_zero(n: usize, what: &'static str, id: i64) -> Result<(), StoreError> {
    if n == 0 {
        Err(StoreError::NotFound {
            what,
            id: id.to_string(),
        })
    } else {
        Ok(())
    }
}

impl Tx<'_> {
    /// Journaled write-ahead of a sale inside a caller's transaction; see [`Store::begin_sale`].
    pub fn begin_sale(&self, sale: &NewSale) -> Result<SaleIds, StoreError> {
        begin_sale(self.tx, self.ids, self.here, sale)
    }

    /// See [`Store::new_attempt`].
    pub fn new_attempt(
        &self,
        sale_id: i64,
        payment: &NewPayment,
        at: OffsetDateTime,
    ) -> Result<SaleIds, StoreError> {
        new_attempt(self.tx, self.ids, self.here, sale_id, payment, at)
    }

    /// Read a payment inside the transaction (read-modify-write).
    pub fn payment(&self, payment_id: i64) -> Result<Option<PaymentRow>, StoreError> {
        payment_by_id(self.tx, payment_id)
    }
}
