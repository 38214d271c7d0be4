//! Print jobs in the journal, printer retries, and the catch-up of receipts that were never
//! printed (recovered sales, cash sales, confirmed refunds).

use super::Paper;
use crate::app::cash_sale_of;
use crate::clock::Clock;
use crate::domain::money::Money;
use crate::engine::{Engine, EngineEvent};
use crate::lang::Text;
use crate::receipt::printer::PrintQueue;
use crate::store::AsyncStore;
use crate::tui::AppEvent;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Print jobs in the journal (`print_jobs`) for the durable [`PrintQueue`]. Blocking calls on
/// the store thread; made from the printing thread or a blocking task, never the UI task.
pub(super) struct JournalJobLog {
    pub(super) store: AsyncStore,
    pub(super) clock: Arc<dyn Clock>,
    /// The till whose journal gets the print events (receipt printed, copy, drawer opened).
    pub(super) shop_id: String,
    pub(super) till_id: String,
}

impl crate::receipt::printer::JobLog for JournalJobLog {
    fn write(
        &self,
        kind: crate::receipt::printer::JobKind,
        receipt_number: &str,
        bytes: &[u8],
    ) -> Result<i64, crate::receipt::printer::PrintError> {
        use crate::receipt::printer::JobKind;
        use crate::store::PrintJobKind;
        let kind = match kind {
            JobKind::Receipt => PrintJobKind::Receipt,
            JobKind::Copy => PrintJobKind::Copy,
            JobKind::Drawer => PrintJobKind::Drawer,
        };
        let (number, bytes) = (receipt_number.to_owned(), bytes.to_vec());
        let now = self.clock.now();
        self.store
            .run_blocking(move |s| s.add_print_job(kind, &number, &bytes, now))
            .map_err(|e| crate::receipt::printer::PrintError::Log(e.to_string()))
    }

    fn done(&self, durable_id: i64) -> Result<(), crate::receipt::printer::PrintError> {
        let now = self.clock.now();
        let (shop, till) = (self.shop_id.clone(), self.till_id.clone());
        self.store
            .run_blocking(move |s| s.mark_print_job_done(durable_id, now, &shop, &till))
            .map_err(|e| crate::receipt::printer::PrintError::Log(e.to_string()))
    }

    fn pending(
        &self,
    ) -> Result<Vec<crate::receipt::printer::LoggedJob>, crate::receipt::printer::PrintError> {
        use crate::receipt::printer::{JobKind, LoggedJob};
        use crate::store::PrintJobKind;
        let rows = self
            .store
            .run_blocking(|s| s.pending_print_jobs())
            .map_err(|e| crate::receipt::printer::PrintError::Log(e.to_string()))?;
        Ok(rows
            .into_iter()
            .map(|r| LoggedJob {
                durable_id: r.id,
                kind: match r.kind {
                    PrintJobKind::Receipt => JobKind::Receipt,
                    PrintJobKind::Copy => JobKind::Copy,
                    PrintJobKind::Drawer => JobKind::Drawer,
                },
                receipt_number: r.receipt_number,
                bytes: r.bytes,
            })
            .collect())
    }
}

/// How often queued paper jobs are tried again while the printer is down.
pub const PRINTER_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

// Cash tender and the drawer.
impl Paper {
    /// Send printing problems and the queue length to the screen (for receipts printed on
    /// their own task).
    ///
    /// Also starts a watcher (needs a Tokio runtime): while jobs wait for the printer it tries
    /// the printer again every [`PRINTER_RETRY`] and tells the screen when the queue length
    /// changes, so "N receipts queued" goes away once the printer is back.
    #[must_use]
    pub fn with_events(mut self, tx: mpsc::UnboundedSender<AppEvent>) -> Paper {
        self.events = Some(tx.clone());
        let queue = self.queue.clone();
        tokio::spawn(async move {
            let mut last = queue.status().queued;
            loop {
                tokio::time::sleep(PRINTER_RETRY).await;
                let queued = queue.status().queued;
                if queued > 0 {
                    queue.retry();
                }
                if queued != last {
                    last = queued;
                    if tx.send(AppEvent::PrintQueue { queued }).is_err() {
                        break;
                    }
                } else if tx.is_closed() {
                    break;
                }
            }
        });
        self
    }

    /// Jobs waiting for the printer.
    pub fn queued(&self) -> usize {
        self.queue.status().queued
    }

    pub(in crate::app) fn notify(&self, ev: AppEvent) {
        if let Some(tx) = &self.events {
            let _ = tx.send(ev);
        }
    }

    /// Queue one job with `submit`, then wait (on a blocking thread, never the UI task) up to
    /// the settle time for the printer. Answers the queue status and whether the job is still
    /// waiting; the screen is told the new queue length.
    pub(super) async fn submit_and_settle(
        &self,
        submit: impl FnOnce(&PrintQueue) -> Result<u64, crate::receipt::printer::PrintError>
        + Send
        + 'static,
    ) -> Result<
        Result<(crate::receipt::printer::PrintStatus, bool), crate::receipt::printer::PrintError>,
        tokio::task::JoinError,
    > {
        let queue = self.queue.clone();
        let settle = self.settle;
        let result = tokio::task::spawn_blocking(move || {
            // A new job is a good moment to try a printer that failed earlier again.
            queue.retry();
            let id = submit(&queue)?;
            let status = queue.wait_idle(settle);
            let waiting = queue.jobs().iter().any(|j| j.id == id);
            Ok((status, waiting))
        })
        .await;
        self.report_queue(&result);
        result
    }

    fn report_queue<T>(&self, _after: &T) {
        self.notify(AppEvent::PrintQueue {
            queued: self.queued(),
        });
    }

    /// Print the receipt of a cash-only sale (tender cash with what was handed over and the
    /// change; the receipt job kicks the drawer), once per sale. Kept by receipt number for
    /// reprints (F4).
    pub async fn print_cash(
        &self,
        store: &AsyncStore,
        sale_id: i64,
        received: Money,
    ) -> Option<AppEvent> {
        let record = match store.run(move |s| s.sale(sale_id)).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Some(AppEvent::Error(Text::new(
                    format!("Kvitteringen kan ikke skrives ut: salg {sale_id} finnes ikke."),
                    format!("The receipt cannot be printed: sale {sale_id} does not exist."),
                )));
            }
            Err(e) => return Some(AppEvent::Error(e.message())),
        };
        let now = self.clock.now().to_offset(self.utc_offset);
        let cashier = cashier_of(store, &record).await;
        let built = cash_sale_of(&record, received, now, self.training).and_then(|mut sale| {
            sale.cashier = cashier;
            crate::receipt::model::build(&sale, &self.shop, self.lang).map_err(|e| e.text())
        });
        match built {
            Ok(receipt) => {
                let key = record.sale.receipt_number.clone();
                self.print_once(&key, receipt).await
            }
            Err(t) => Some(AppEvent::Error(Text::new(
                format!("Kvitteringen kan ikke skrives ut: {}", t.nb),
                format!("The receipt cannot be printed: {}", t.en),
            ))),
        }
    }

    /// Open the cash drawer without a sale: just the pulse (a text printer writes a line).
    pub async fn open_drawer(&self) -> Option<AppEvent> {
        let result = self.submit_and_settle(|q| q.open_drawer()).await;
        match result {
            Ok(Ok((status, waiting))) => match status.last_error {
                Some(e) if waiting => Some(AppEvent::Error(Text::new(
                    format!("Skuffen åpnes når skriveren svarer: {}", e.nb),
                    format!("The drawer opens when the printer answers: {}", e.en),
                ))),
                _ => Some(AppEvent::DrawerOpened),
            },
            Ok(Err(e)) => Some(AppEvent::Error(e.text())),
            Err(e) => {
                tracing::error!(error = %e, "drawer task failed");
                None
            }
        }
    }
}

/// Print the paper receipt of every sale recovery brought to paid (the journal says captured)
/// that never had one. Returns the messages for the cashier (printer problems).
pub async fn print_recovered(
    paper: &Paper,
    store: &AsyncStore,
    recovered: &[crate::engine::RecoveredSale],
) -> Vec<AppEvent> {
    let mut out = Vec::new();
    for r in recovered {
        let id = r.snapshot.id;
        let captured = match store.run(move |s| s.payment(id)).await {
            Ok(Some(p)) => p.state == crate::store::PayState::Captured,
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = %e, "cannot read a recovered payment for its receipt");
                false
            }
        };
        if captured && let Some(ev) = paper.print_paid(store, id, &r.snapshot.reference).await {
            out.push(ev);
        }
    }
    out
}

/// Print the receipt of every cash-only sale the journal has as paid but that never had a
/// paper receipt queued (the till stopped between journaling the sale and queueing its
/// receipt). Returns the messages for the cashier.
pub async fn print_unprinted_cash(paper: &Paper, store: &AsyncStore) -> Vec<AppEvent> {
    let sales = match store.run(|s| s.unprinted_cash_sales()).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "cannot look for cash sales without a receipt");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (sale_id, given) in sales {
        let record = store.run(move |s| s.sale(sale_id)).await;
        let Ok(Some(record)) = record else { continue };
        let Some(currency) = crate::domain::money::Currency::parse(&record.sale.currency) else {
            continue;
        };
        tracing::warn!(receipt = %record.sale.receipt_number, "printing a cash receipt left unprinted by an earlier run");
        if let Some(ev) = paper
            .print_cash(store, sale_id, Money::new(given, currency))
            .await
        {
            out.push(ev);
        }
    }
    out
}

/// The refund receipt of the refund with outbox key `idempotency_key`, once Vipps confirmed
/// it (an [`EngineEvent::RefundConfirmed`] from the outbox worker): the sale's status is
/// updated (partially refunded / refunded) and the receipt printed once
/// ([`Paper::print_refund`] skips a refund printed before, e.g. by the till that waited for
/// it). Answers [`AppEvent::RefundConfirmed`] (with a printer problem, if any) for the screen;
/// `None` when the key is not a staff refund (an engine-internal void).
pub async fn print_confirmed_refund(
    paper: &Paper,
    db: &crate::service::StaffDb,
    idempotency_key: &str,
) -> Option<AppEvent> {
    let key = idempotency_key.to_owned();
    let id = match db.run(move |db| db.refund_id_by_key(&key)).await {
        Ok(Some(id)) => id,
        Ok(None) => return None,
        Err(e) => {
            tracing::error!(error = %e, "cannot find the confirmed refund for its receipt");
            return Some(AppEvent::Error(e.message()));
        }
    };
    if let Ok(rec) = db.run(move |db| db.refund_record(id)).await
        && let Err(e) =
            crate::service::refund::settle_sale_status(db, &rec, paper.clock.now()).await
    {
        tracing::warn!(error = %e, "refund confirmed but the sale status was not updated");
    }
    match paper.print_refund(db, id).await {
        Ok(number) => {
            tracing::info!(refund = %number, "refund receipt printed after Vipps confirmed");
            Some(AppEvent::RefundConfirmed {
                refund_number: number,
                receipt: crate::tui::msg::ReceiptNote::Printed,
            })
        }
        Err(t) => {
            // The receipt job is queued (printer down) or could not be built: say so, with
            // the refund confirmed all the same.
            let number = db
                .run(move |db| db.refund_receipt(id))
                .await
                .map(|r| r.refund_number);
            match number {
                Ok(refund_number) => Some(AppEvent::RefundConfirmed {
                    refund_number,
                    receipt: crate::tui::msg::ReceiptNote::Problem(t),
                }),
                Err(_) => Some(AppEvent::Error(t)),
            }
        }
    }
}

/// The receipt's cashier line for a journaled sale: the name of the staff member who sold it
/// (from the staff journal), else the staff id as journaled, else empty (unattributed).
pub async fn cashier_of(store: &AsyncStore, record: &crate::store::SaleRecord) -> String {
    let Some(id) = record.sale.staff_id.clone() else {
        return String::new();
    };
    let lookup = id.clone();
    match store.run(move |s| s.staff_name(&lookup)).await {
        Ok(Some(name)) => name,
        Ok(None) => id,
        Err(e) => {
            tracing::warn!(error = %e, "cashier name for the receipt not found");
            id
        }
    }
}

/// Start-up catch-up: the refund receipt of every refund Vipps confirmed that never had one
/// queued (confirmed while no till was running — `kasse refund` gave up waiting, or the till
/// stopped between the confirmation and the printer). Returns the messages for the cashier.
pub async fn print_unprinted_refunds(paper: &Paper, db: &crate::service::StaffDb) -> Vec<AppEvent> {
    let ids = match db.run(|db| db.unprinted_confirmed_refunds()).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "cannot look for refunds without a receipt");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for id in ids {
        if let Ok(rec) = db.run(move |db| db.refund_record(id)).await {
            let _ = crate::service::refund::settle_sale_status(db, &rec, paper.clock.now()).await;
        }
        match paper.print_refund(db, id).await {
            Ok(number) => {
                tracing::warn!(refund = %number, "printing a refund receipt left unprinted by an earlier run");
            }
            Err(t) => out.push(AppEvent::Error(t)),
        }
    }
    out
}

/// Refund receipts for a running till: prints the receipt of each refund the outbox worker
/// gets confirmed ([`EngineEvent::RefundConfirmed`]), then catches up on confirmed refunds
/// without a receipt. Subscribes before the catch-up, so a refund confirmed meanwhile is
/// printed by one of the two (the other finds it printed). Messages go to `paper`'s events.
pub fn spawn_refund_receipts(
    paper: Paper,
    db: crate::service::StaffDb,
    engine: &Engine,
) -> tokio::task::JoinHandle<()> {
    let mut sub = engine.subscribe();
    tokio::spawn(async move {
        for ev in print_unprinted_refunds(&paper, &db).await {
            paper.notify(ev);
        }
        loop {
            match sub.recv().await {
                Ok(EngineEvent::RefundConfirmed {
                    idempotency_key, ..
                }) => {
                    if let Some(ev) = print_confirmed_refund(&paper, &db, &idempotency_key).await {
                        paper.notify(ev);
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    // Missed confirmations are in the journal: catch up from there.
                    tracing::warn!(skipped = n, "refund printer lagged behind engine events");
                    for ev in print_unprinted_refunds(&paper, &db).await {
                        paper.notify(ev);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}
