//! Shared SQL helpers: time and code conversions, row mappers, meta table.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::StoreError;
use super::types::*;

/// A time as stored: RFC 3339, UTC, milliseconds (fixed width, so text order is time order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts(pub OffsetDateTime);

impl ToSql for Ts {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(crate::clock::rfc3339_millis(self.0)))
    }
}

impl FromSql for Ts {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        OffsetDateTime::parse(s, &Rfc3339)
            .map(Ts)
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// Format a time the way the store does (for comparisons in SQL).
pub(crate) fn ts(t: OffsetDateTime) -> String {
    crate::clock::rfc3339_millis(t)
}

macro_rules! sql_code {
    ($($t:ty),+) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                <$t>::parse(value.as_str()?).map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    )+};
}

sql_code!(
    Api,
    Flow,
    SaleStatus,
    PayState,
    OutboxKind,
    OutboxStatus,
    OpOutcome
);

pub(crate) const SALE_COLS: &str = "id, created_at, updated_at, shop_id, till_id, sequence, \
    receipt_number, staff_id, currency, gross_total, vat_total, net_total, status, training, \
    tender, description, cash_rounding";

pub(crate) fn sale_row(r: &Row<'_>) -> rusqlite::Result<SaleRow> {
    Ok(SaleRow {
        id: r.get(0)?,
        created_at: r.get::<_, Ts>(1)?.0,
        updated_at: r.get::<_, Ts>(2)?.0,
        shop_id: r.get(3)?,
        till_id: r.get(4)?,
        sequence: r.get(5)?,
        receipt_number: r.get(6)?,
        staff_id: r.get(7)?,
        currency: r.get(8)?,
        gross_total: r.get(9)?,
        vat_total: r.get(10)?,
        net_total: r.get(11)?,
        status: r.get(12)?,
        training: r.get(13)?,
        tender: r.get(14)?,
        description: r.get(15)?,
        cash_rounding: r.get(16)?,
    })
}

pub(crate) const LINE_COLS: &str = "id, sale_id, line_no, product_id, name, quantity, \
    quantity_milli, unit, unit_price, discount, vat_rate, gross, net, vat, is_return, article_group";

pub(crate) fn line_row(r: &Row<'_>) -> rusqlite::Result<SaleLineRow> {
    Ok(SaleLineRow {
        id: r.get(0)?,
        sale_id: r.get(1)?,
        line_no: r.get(2)?,
        line: NewSaleLine {
            product_id: r.get(3)?,
            name: r.get(4)?,
            quantity: r.get(5)?,
            quantity_milli: r.get(6)?,
            unit: r.get(7)?,
            unit_price: r.get(8)?,
            discount: r.get(9)?,
            vat_rate: r.get(10)?,
            gross: r.get(11)?,
            net: r.get(12)?,
            vat: r.get(13)?,
            is_return: r.get(14)?,
        },
        article_group: r.get(15)?,
    })
}

pub(crate) const PAYMENT_COLS: &str = "id, sale_id, api, msn, reference, attempt, flow, currency, \
    amount, state, reason, phone_last_digits, create_key, capture_key, cancel_key, created_at, \
    updated_at, user_deadline_at, approval_deadline_at, authorized_amount, captured_amount, \
    refunded_amount, cancelled_amount, psp_transaction_id, last_read_at";

pub(crate) fn payment_row(r: &Row<'_>) -> rusqlite::Result<PaymentRow> {
    Ok(PaymentRow {
        id: r.get(0)?,
        sale_id: r.get(1)?,
        api: r.get(2)?,
        msn: r.get(3)?,
        reference: r.get(4)?,
        attempt: r.get(5)?,
        flow: r.get(6)?,
        currency: r.get(7)?,
        amount: r.get(8)?,
        state: r.get(9)?,
        reason: r.get(10)?,
        phone_last_digits: r.get(11)?,
        keys: PaymentKeys {
            create: r.get(12)?,
            capture: r.get(13)?,
            cancel: r.get(14)?,
        },
        created_at: r.get::<_, Ts>(15)?.0,
        updated_at: r.get::<_, Ts>(16)?.0,
        user_deadline_at: r.get::<_, Option<Ts>>(17)?.map(|t| t.0),
        approval_deadline_at: r.get::<_, Option<Ts>>(18)?.map(|t| t.0),
        amounts: PaymentAmounts {
            authorized: r.get(19)?,
            captured: r.get(20)?,
            refunded: r.get(21)?,
            cancelled: r.get(22)?,
        },
        psp_transaction_id: r.get(23)?,
        last_read_at: r.get::<_, Option<Ts>>(24)?.map(|t| t.0),
    })
}

pub(crate) const OP_COLS: &str = "id, at, sale_id, payment_id, outbox_id, kind, idempotency_key, \
    request_summary, outcome, http_status, error_code, detail, staff_id";

pub(crate) fn op_row(r: &Row<'_>) -> rusqlite::Result<OperationRow> {
    Ok(OperationRow {
        id: r.get(0)?,
        op: NewOperation {
            at: r.get::<_, Ts>(1)?.0,
            sale_id: r.get(2)?,
            payment_id: r.get(3)?,
            outbox_id: r.get(4)?,
            kind: r.get(5)?,
            idempotency_key: r.get(6)?,
            request_summary: r.get(7)?,
            outcome: r.get(8)?,
            http_status: r.get(9)?,
            error_code: r.get(10)?,
            detail: r.get(11)?,
            staff_id: r.get(12)?,
        },
    })
}

pub(crate) const OUTBOX_COLS: &str = "id, kind, payment_id, reference, idempotency_key, \
    payload_json, status, attempts, next_attempt_at, last_error, created_at, updated_at, \
    acknowledged_by, acknowledged_at";

pub(crate) fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        payment_id: r.get(2)?,
        reference: r.get(3)?,
        idempotency_key: r.get(4)?,
        payload_json: r.get(5)?,
        status: r.get(6)?,
        attempts: r.get(7)?,
        next_attempt_at: r.get::<_, Ts>(8)?.0,
        last_error: r.get(9)?,
        created_at: r.get::<_, Ts>(10)?.0,
        updated_at: r.get::<_, Ts>(11)?.0,
        acknowledged_by: r.get(12)?,
        acknowledged_at: r.get::<_, Option<Ts>>(13)?.map(|t| t.0),
    })
}

const SECRET_WORDS: &[&str] = &[
    "secret",
    "token",
    "password",
    "passwd",
    "pin",
    "subscription",
];

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    let lower = key.to_ascii_lowercase();
    if key.is_empty() || SECRET_WORDS.iter().any(|w| lower.contains(w)) {
        return Err(StoreError::Invalid {
            field: "meta key",
            value: key.to_owned(),
            reason: "must be non-empty and must not name a secret (secrets are never stored)",
        });
    }
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}
