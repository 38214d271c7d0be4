//! Durable paper print jobs (`print_jobs`, schema v3): written before printing, marked done
//! after the printer took the bytes, pending ones printed again on the next start.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::Store;
use super::error::StoreError;
use super::sql::Ts;

/// What a print job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintJobKind {
    /// The first paper receipt of a sale.
    Receipt,
    /// A reprint marked COPY.
    Copy,
    /// Only the cash drawer pulse (open drawer without a sale).
    Drawer,
}

impl PrintJobKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            PrintJobKind::Receipt => "receipt",
            PrintJobKind::Copy => "copy",
            PrintJobKind::Drawer => "drawer",
        }
    }

    pub fn parse(s: &str) -> Option<PrintJobKind> {
        match s {
            "receipt" => Some(PrintJobKind::Receipt),
            "copy" => Some(PrintJobKind::Copy),
            "drawer" => Some(PrintJobKind::Drawer),
            _ => None,
        }
    }
}

/// A stored print job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJobRow {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub kind: PrintJobKind,
    pub receipt_number: String,
    pub bytes: Vec<u8>,
    pub done: bool,
}

impl Store {
    /// Write a print job (pending) before it is sent to the printer; returns its id.
    pub fn add_print_job(
        &mut self,
        kind: PrintJobKind,
        receipt_number: &str,
        bytes: &[u8],
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO print_jobs (created_at, kind, receipt_number, bytes, status)
             VALUES (?1, ?2, ?3, ?4, 'pending')",
            params![Ts(at), kind.as_str(), receipt_number, bytes],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The printer took job `id`. Idempotent.
    pub fn mark_print_job_done(&mut self, id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE print_jobs SET status = 'done', printed_at = ?2
             WHERE id = ?1 AND status = 'pending'",
            params![id, Ts(at)],
        )?;
        Ok(())
    }

    /// Jobs not yet printed, oldest first.
    pub fn pending_print_jobs(&self) -> Result<Vec<PrintJobRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, created_at, kind, receipt_number, bytes, status FROM print_jobs
             WHERE status = 'pending' ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let kind: String = r.get(2)?;
            let status: String = r.get(5)?;
            Ok(PrintJobRow {
                id: r.get(0)?,
                created_at: r.get::<_, Ts>(1)?.0,
                kind: PrintJobKind::parse(&kind).unwrap_or(PrintJobKind::Receipt),
                receipt_number: r.get(3)?,
                bytes: r.get(4)?,
                done: status == "done",
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Whether the first paper receipt of `receipt_number` was ever queued (printed or not).
    pub fn has_receipt_print_job(&self, receipt_number: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM print_jobs WHERE receipt_number = ?1 AND kind = 'receipt' LIMIT 1",
                [receipt_number],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Cash-only sales (paid, tender cash) made since `print_jobs` exists that never had a
    /// paper receipt queued (the till stopped between the journal and the printer), oldest
    /// first, with the cash handed over from their `cash_sale` journal entry.
    pub fn unprinted_cash_sales(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let since = super::sql::meta_get(&self.conn, "print_jobs_since")?.unwrap_or_default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.id, s.gross_total, o.detail FROM sales s
             JOIN operations o ON o.sale_id = s.id AND o.kind = 'cash_sale'
             WHERE s.tender = ?1 AND s.status = 'paid' AND s.created_at >= ?2
               AND NOT EXISTS (SELECT 1 FROM print_jobs p
                               WHERE p.receipt_number = s.receipt_number AND p.kind = 'receipt')
             ORDER BY s.id",
        )?;
        let rows = stmt.query_map(rusqlite::params![super::CASH_TENDER, since], |r| {
            let (id, gross, detail): (i64, i64, Option<String>) = (r.get(0)?, r.get(1)?, r.get(2)?);
            // "…, cash given 20000, change 7500" (written by `record_cash_sale`).
            let given = detail
                .as_deref()
                .and_then(|d| d.split("cash given ").nth(1))
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse::<i64>().ok())
                .unwrap_or(gross);
            Ok((id, given))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// How many jobs are waiting for the printer.
    pub fn pending_print_job_count(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM print_jobs WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }
}
