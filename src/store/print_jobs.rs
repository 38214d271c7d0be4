//! Durable paper print jobs (`print_jobs`, schema v3): written before printing, marked done
//! after the printer took the bytes, pending ones printed again on the next start.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::Store;
use super::error::StoreError;
use super::fiscal::{NewFiscalEvent, append_event};
use super::sql::Ts;
use crate::fiscal::saft::codes::EventKind;

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

    /// The printer took job `id` at till (`shop_id`, `till_id`). Idempotent. In the same
    /// transaction the print is journaled (kassasystemforskriften § 2-7-1): a sales receipt
    /// (13012), a return receipt (13013), a copy (13014), a training receipt (13017), and the
    /// cash drawer opening (13005) when the bytes carried the drawer pulse — with the sale, or
    /// without one for a drawer-only job.
    pub fn mark_print_job_done(
        &mut self,
        id: i64,
        at: OffsetDateTime,
        shop_id: &str,
        till_id: &str,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            let changed = tx.tx.execute(
                "UPDATE print_jobs SET status = 'done', printed_at = ?2
                 WHERE id = ?1 AND status = 'pending'",
                params![id, Ts(at)],
            )?;
            if changed == 0 {
                return Ok(());
            }
            let (kind, number, bytes): (String, String, Vec<u8>) = tx.tx.query_row(
                "SELECT kind, receipt_number, bytes FROM print_jobs WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let kind = PrintJobKind::parse(&kind).unwrap_or(PrintJobKind::Receipt);
            let sale = sale_of_printed(tx.tx, &number)?;
            for (event, detail) in print_events(kind, &number, &bytes, sale.as_ref()) {
                append_event(
                    tx.tx,
                    &NewFiscalEvent {
                        shop_id,
                        till_id,
                        kind: event,
                        at,
                        staff_id: sale.as_ref().and_then(|s| s.staff_id.as_deref()),
                        sale_id: sale.as_ref().map(|s| s.id),
                        detail,
                    },
                )?;
            }
            Ok(())
        })
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

/// The sale a printed receipt belongs to: its own receipt number, or `R-<receipt>-<n>` for a
/// return receipt.
struct PrintedSale {
    id: i64,
    staff_id: Option<String>,
    training: bool,
    cash: bool,
}

fn sale_of_printed(
    conn: &rusqlite::Connection,
    number: &str,
) -> Result<Option<PrintedSale>, StoreError> {
    if number.is_empty() {
        return Ok(None);
    }
    let receipt = return_receipt_of(number).unwrap_or(number);
    Ok(conn
        .prepare_cached(
            "SELECT id, staff_id, training, tender FROM sales WHERE receipt_number = ?1",
        )?
        .query_row([receipt], |r| {
            let tender: String = r.get(3)?;
            Ok(PrintedSale {
                id: r.get(0)?,
                staff_id: r.get(1)?,
                training: r.get(2)?,
                cash: tender == super::CASH_TENDER || tender == super::SPLIT_TENDER,
            })
        })
        .optional()?)
}

/// `R-<receipt>-<n>` → `<receipt>`.
fn return_receipt_of(number: &str) -> Option<&str> {
    let rest = number.strip_prefix("R-")?;
    let (receipt, n) = rest.rsplit_once('-')?;
    n.parse::<u32>().ok().map(|_| receipt)
}

/// ESC p: the cash drawer pulse in ESC/POS.
const DRAWER_PULSE: [u8; 2] = [0x1b, 0x70];

/// The bytes carried a drawer opening: the ESC/POS pulse, or the line a text printer gets
/// instead ([`crate::receipt::printer::TEXT_DRAWER_LINE`], `--demo`).
fn has_drawer_pulse(bytes: &[u8]) -> bool {
    let text = crate::receipt::printer::TEXT_DRAWER_LINE.as_bytes();
    bytes.windows(2).any(|w| w == DRAWER_PULSE) || bytes.windows(text.len()).any(|w| w == text)
}

/// The journal events of one finished print job (pure).
fn print_events(
    kind: PrintJobKind,
    number: &str,
    bytes: &[u8],
    sale: Option<&PrintedSale>,
) -> Vec<(EventKind, String)> {
    let training = sale.is_some_and(|s| s.training);
    let mut out = Vec::new();
    match kind {
        PrintJobKind::Drawer => {
            out.push((
                EventKind::DrawerOpen,
                "cash drawer opened without a sale".into(),
            ));
            return out;
        }
        PrintJobKind::Copy => out.push((EventKind::CopyReceipt, format!("copy of {number}"))),
        PrintJobKind::Receipt if training => {
            out.push((
                EventKind::TrainingReceipt,
                format!("training receipt {number}"),
            ));
        }
        PrintJobKind::Receipt if return_receipt_of(number).is_some() => {
            out.push((EventKind::ReturnReceipt, format!("return receipt {number}")));
        }
        PrintJobKind::Receipt => {
            out.push((EventKind::SalesReceipt, format!("sales receipt {number}")));
        }
    }
    if kind != PrintJobKind::Copy && has_drawer_pulse(bytes) {
        let why = if sale.is_some_and(|s| s.cash) {
            format!("cash drawer opened with sale {number}")
        } else {
            format!("cash drawer opened with receipt {number}")
        };
        out.push((EventKind::DrawerOpen, why));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_receipt_numbers_name_their_sale() {
        assert_eq!(return_receipt_of("R-s1-t1-000004-2"), Some("s1-t1-000004"));
        assert_eq!(return_receipt_of("s1-t1-000004"), None);
        assert_eq!(return_receipt_of("R-x-y"), None);
    }

    #[test]
    fn each_print_is_its_event() {
        let sale = PrintedSale {
            id: 1,
            staff_id: None,
            training: false,
            cash: true,
        };
        let codes = |k, n: &str, b: &[u8], s: Option<&PrintedSale>| {
            print_events(k, n, b, s)
                .into_iter()
                .map(|(e, _)| e.code().predefined.unwrap_or("?"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(PrintJobKind::Receipt, "a", b"x", Some(&sale)),
            ["13012"]
        );
        assert_eq!(
            codes(
                PrintJobKind::Receipt,
                "a",
                &[b'x', 0x1b, 0x70, 0],
                Some(&sale)
            ),
            ["13012", "13005"]
        );
        assert_eq!(
            codes(PrintJobKind::Copy, "a", &[0x1b, 0x70], Some(&sale)),
            ["13014"]
        );
        assert_eq!(
            codes(PrintJobKind::Receipt, "R-a-1", b"x", Some(&sale)),
            ["13013"]
        );
        assert_eq!(
            codes(PrintJobKind::Drawer, "", &[0x1b, 0x70], None),
            ["13005"]
        );
        let training = PrintedSale {
            training: true,
            ..sale
        };
        assert_eq!(
            codes(PrintJobKind::Receipt, "a", b"x", Some(&training)),
            ["13017"]
        );
    }
}
