//! The one sale search: [`SaleQuery`] to SQL conditions, shared by `Store::find_sales`
//! (support, reprint) and the staff search (`StaffConn::find_sales`, refunds). The sales table
//! is aliased `s`; text criteria are trimmed.

use rusqlite::types::Value;

use super::sql::ts;
use crate::domain::refund::SaleQuery;

/// A criterion the search cannot use (each caller words its own message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SaleQueryError {
    /// The reference criterion is blank.
    EmptyReference(String),
    /// The phone criterion is not 1 to 4 digits.
    BadPhoneDigits(String),
}

/// `WHERE …` (or empty), its arguments, and the row limit.
pub(crate) struct SaleFilter {
    pub where_sql: String,
    pub args: Vec<Value>,
    pub limit: i64,
}

/// Every given criterion must match.
pub(crate) fn sale_filter(q: &SaleQuery) -> Result<SaleFilter, SaleQueryError> {
    let mut conds: Vec<&str> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(r) = &q.reference {
        if r.trim().is_empty() {
            return Err(SaleQueryError::EmptyReference(r.clone()));
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
            return Err(SaleQueryError::BadPhoneDigits(d.clone()));
        }
        conds.push("s.id IN (SELECT sale_id FROM payments WHERE phone_last_digits LIKE ?)");
        args.push(Value::Text(format!("%{d}")));
    }
    let where_sql = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    Ok(SaleFilter {
        where_sql,
        args,
        limit: q.limit.unwrap_or(100).clamp(1, 10_000),
    })
}
