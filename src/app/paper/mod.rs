//! Paper receipts for the till: the print queue on its own thread, reprints and copies.

use crate::app::{cash_return_sale, cash_sale_of, refund_sale, report_document, sale_of};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::money::Money;
use crate::lang::{Lang, Text};
use crate::store::AsyncStore;
use crate::tui::AppEvent;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// How many printed receipts are kept for reprints (oldest dropped first).
const KEEP_PRINTED: usize = 64;

/// Paper receipts for the till: a [`PrintQueue`] on its own thread, fed from paid sales in the
/// journal, and the printed receipts by reference for reprints (COPY). Nothing here runs on
/// the UI task; a printer failure never blocks a sale — the job stays queued and the cashier
/// gets a "receipt queued: printer error …" message.
#[derive(Clone)]
pub struct Paper {
    queue: PrintQueue,
    shop: crate::receipt::ShopInfo,
    lang: Lang,
    training: bool,
    /// How long to wait for the printer before reporting (printer timeout + 2 s).
    settle: std::time::Duration,
    utc_offset: time::UtcOffset,
    printed: Arc<Mutex<PrintedReceipts>>,
    /// The journal's `print_jobs` (durable queue): a receipt is printed once per sale, also
    /// across restarts. `None` for a memory-only queue ([`Paper::start`]).
    journal: Option<AsyncStore>,
    /// Where printing problems and the queue length go when no command is waiting for them
    /// (receipts printed on their own task). Set by [`Paper::with_events`].
    events: Option<mpsc::UnboundedSender<AppEvent>>,
    /// The till's clock (receipt times, print-job times).
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct PrintedReceipts {
    by_reference: HashMap<String, PrintableReceipt>,
    order: std::collections::VecDeque<String>,
}

impl std::fmt::Debug for Paper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paper")
            .field("training", &self.training)
            .finish_non_exhaustive()
    }
}

use crate::receipt::model::PrintableReceipt;
use crate::receipt::printer::{PrintQueue, PrinterTarget};

impl Paper {
    /// The queue for `[receipt.printer]`: `None` when no printer is configured — except in
    /// `--demo`, where training receipts go as text to `<data_dir>/receipts.txt`.
    pub fn start(config: &Config, data_dir: &Path, demo: bool) -> Result<Option<Paper>, Text> {
        Ok(
            Paper::start_inner(config, data_dir, demo, None, Arc::new(SystemClock))?
                .map(|(p, _)| p),
        )
    }

    /// Like [`Paper::start`], with the print jobs kept in the journal (`print_jobs`): each job
    /// is written before it is printed and marked done after; jobs left pending by an earlier
    /// run are printed now. Returns the paper and how many old jobs were queued again.
    /// Blocking (reads the journal): call it off the UI task.
    pub fn start_durable(
        config: &Config,
        data_dir: &Path,
        demo: bool,
        journal: AsyncStore,
    ) -> Result<Option<(Paper, usize)>, Text> {
        Paper::start_durable_with_clock(config, data_dir, demo, journal, Arc::new(SystemClock))
    }

    /// [`Paper::start_durable`] on the till's clock (receipt and print-job times).
    pub fn start_durable_with_clock(
        config: &Config,
        data_dir: &Path,
        demo: bool,
        journal: AsyncStore,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<(Paper, usize)>, Text> {
        Paper::start_inner(config, data_dir, demo, Some(journal), clock)
    }

    fn start_inner(
        config: &Config,
        data_dir: &Path,
        demo: bool,
        journal: Option<AsyncStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<(Paper, usize)>, Text> {
        let settings = config.receipt_settings();
        let options = crate::receipt::escpos::EscPosOptions::from_config(&settings);
        let (sink, text): (Arc<dyn crate::receipt::printer::PrintSink>, bool) =
            match (PrinterTarget::from_config(&settings.printer), demo) {
                (Some(target), _) => (Arc::new(target), false),
                (None, true) => (
                    Arc::new(PrinterTarget::File(data_dir.join("receipts.txt"))),
                    true,
                ),
                (None, false) => return Ok(None),
            };
        let fail = |e: String| {
            Text::new(
                format!("Kan ikke starte kvitteringsutskriften: {e}"),
                format!("Cannot start receipt printing: {e}"),
            )
        };
        let (queue, requeued) = match &journal {
            Some(store) => PrintQueue::start_durable(
                sink,
                options,
                text,
                Arc::new(JournalJobLog {
                    store: store.clone(),
                    clock: clock.clone(),
                    shop_id: config.shop.shop_id.clone(),
                    till_id: config.shop.till_id.clone(),
                }),
            )
            .map_err(|e| fail(e.to_string()))?,
            None => {
                let q = if text {
                    PrintQueue::start_text(sink, options)
                } else {
                    PrintQueue::start(sink, options)
                };
                (q.map_err(|e| fail(e.to_string()))?, 0)
            }
        };
        let settle = match &settings.printer {
            crate::receipt::PrinterConfig::Network { timeout_ms, .. } => {
                std::time::Duration::from_millis(timeout_ms.saturating_mul(2).saturating_add(2000))
            }
            _ => std::time::Duration::from_secs(2),
        };
        Ok(Some((
            Paper {
                queue,
                shop: config.shop_info(),
                lang: settings.lang,
                training: demo,
                settle,
                utc_offset: time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
                printed: Arc::new(Mutex::new(PrintedReceipts::default())),
                journal,
                events: None,
                clock,
            },
            requeued,
        )))
    }

    /// The printable receipt of a paid payment, rebuilt from the journal (lines, receipt
    /// number, till, cashier) with the Vipps reference as tender. `None` if it was printed
    /// already (a late duplicate "paid" update).
    pub async fn receipt_of(
        &self,
        store: &AsyncStore,
        payment_id: i64,
        reference: &str,
    ) -> Result<Option<PrintableReceipt>, Text> {
        if self.lock().by_reference.contains_key(reference) {
            return Ok(None);
        }
        let record = store
            .run(move |s| {
                let Some(p) = s.payment(payment_id)? else {
                    return Ok(None);
                };
                Ok(s.sale(p.sale_id)?.map(|sale| (p, sale)))
            })
            .await
            .map_err(|e| e.message())?;
        let Some((payment, record)) = record else {
            return Err(Text::new(
                format!("Fant ikke salget for betaling {reference} i journalen."),
                format!("The sale of payment {reference} is not in the journal."),
            ));
        };
        let now = self.clock.now().to_offset(self.utc_offset);
        let mut sale = sale_of(&payment, &record, now, self.training)?;
        sale.cashier = cashier_of(store, &record).await;
        let receipt =
            crate::receipt::model::build(&sale, &self.shop, self.lang).map_err(|e| e.text())?;
        Ok(Some(receipt))
    }

    /// Print the receipt of a paid payment (once per reference). Returns a message for the
    /// cashier when the receipt could not be built or the printer failed (the job stays
    /// queued and is tried again with the next receipt or reprint).
    pub async fn print_paid(
        &self,
        store: &AsyncStore,
        payment_id: i64,
        reference: &str,
    ) -> Option<AppEvent> {
        let receipt = match self.receipt_of(store, payment_id, reference).await {
            Ok(Some(r)) => r,
            Ok(None) => return None,
            Err(t) => {
                return Some(AppEvent::Error(Text::new(
                    format!("Kvitteringen kan ikke skrives ut: {}", t.nb),
                    format!("The receipt cannot be printed: {}", t.en),
                )));
            }
        };
        self.print_once(reference, receipt).await
    }

    /// Print `receipt` unless this sale's receipt was printed (or queued) before — in this run
    /// (kept by `key` for reprints) or, with the durable queue, in any earlier run.
    async fn print_once(&self, key: &str, receipt: PrintableReceipt) -> Option<AppEvent> {
        {
            let mut printed = self.lock();
            if printed.by_reference.contains_key(key) {
                return None;
            }
            printed.by_reference.insert(key.to_owned(), receipt.clone());
            printed.order.push_back(key.to_owned());
            while printed.order.len() > KEEP_PRINTED {
                if let Some(old) = printed.order.pop_front() {
                    printed.by_reference.remove(&old);
                }
            }
        }
        if let Some(journal) = &self.journal {
            let number = receipt.receipt_number.clone();
            match journal.run(move |s| s.has_receipt_print_job(&number)).await {
                // Printed (or queued) by an earlier run: kept for F4, not printed again.
                Ok(true) => return None,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "cannot read print_jobs; printing anyway"),
            }
        }
        self.send(receipt, false).await
    }

    /// Print the receipt of `reference` again, marked COPY (no drawer kick).
    pub async fn reprint(&self, reference: &str) -> Option<AppEvent> {
        let receipt = self.lock().by_reference.get(reference).cloned();
        match receipt {
            Some(r) => self.send(r, true).await,
            None => Some(AppEvent::Error(Text::new(
                format!("Ingen utskrevet kvittering for {reference} å skrive ut igjen."),
                format!("No printed receipt for {reference} to print again."),
            ))),
        }
    }

    /// The printable refund receipt of refund `refund_id` (marked REFUND; lines as returned,
    /// the Vipps reference as the tender paid back), with its refund number and status.
    pub async fn refund_receipt_of(
        &self,
        db: &crate::service::StaffDb,
        refund_id: i64,
    ) -> Result<(PrintableReceipt, crate::domain::refund::RefundReceipt), Text> {
        let r = db
            .run(move |db| db.refund_receipt(refund_id))
            .await
            .map_err(|e| e.message())?;
        let now = self.clock.now().to_offset(self.utc_offset);
        let sale = refund_sale(&r, now, self.training)?;
        let receipt =
            crate::receipt::model::build(&sale, &self.shop, self.lang).map_err(|e| e.text())?;
        Ok((receipt, r))
    }

    /// Print the refund receipt of refund `refund_id` once: only when Vipps confirmed it
    /// (outbox row done), and never a second time — in this run (kept by refund number for
    /// F4) or, with the durable queue, in any earlier run (`print_jobs` has the refund
    /// number). Returns the refund number, or why not.
    pub async fn print_refund(
        &self,
        db: &crate::service::StaffDb,
        refund_id: i64,
    ) -> Result<String, Text> {
        let (receipt, r) = self.refund_receipt_of(db, refund_id).await?;
        let number = r.refund_number.clone();
        match &r.status {
            crate::domain::refund::RefundStatus::Done => {}
            crate::domain::refund::RefundStatus::Failed(why) => {
                return Err(Text::new(
                    format!("Ingen refusjonskvittering: Vipps avviste refusjonen {number}: {why}"),
                    format!("No refund receipt: Vipps refused refund {number}: {why}"),
                ));
            }
            _ => {
                return Err(Text::new(
                    format!(
                        "Ingen refusjonskvittering ennå: Vipps har ikke bekreftet {number}. Den skrives ut når Vipps bekrefter."
                    ),
                    format!(
                        "No refund receipt yet: Vipps has not confirmed {number}. It prints when Vipps confirms."
                    ),
                ));
            }
        }
        match self.print_once(&number, receipt).await {
            None => Ok(number),
            Some(AppEvent::Error(t)) => Err(t),
            Some(_) => Ok(number),
        }
    }

    /// The printable return receipt ("Returkvittering") of cash return `id`.
    pub async fn cash_return_receipt_of(
        &self,
        db: &crate::service::StaffDb,
        id: i64,
    ) -> Result<(PrintableReceipt, crate::domain::returns::CashReturnRecord), Text> {
        let r = crate::service::returns::cash_return(db, id)
            .await
            .map_err(|e| e.message())?;
        let now = self.clock.now().to_offset(self.utc_offset);
        let sale = cash_return_sale(&r, now, self.training, self.lang)?;
        let receipt =
            crate::receipt::model::build(&sale, &self.shop, self.lang).map_err(|e| e.text())?;
        Ok((receipt, r))
    }

    /// Print the return receipt of cash return `id` once (by its number, also across
    /// restarts with the durable queue): a cash tender, so the print job opens the drawer.
    /// Returns the return number, or why not (a printer problem: the job stays queued).
    pub async fn print_cash_return(
        &self,
        db: &crate::service::StaffDb,
        id: i64,
    ) -> Result<String, Text> {
        let (receipt, r) = self.cash_return_receipt_of(db, id).await?;
        match self.print_once(&r.number, receipt).await {
            Some(AppEvent::Error(t)) => Err(t),
            _ => Ok(r.number),
        }
    }

    /// Print the refund receipt of refund `refund_id` again, marked COPY (only a refund Vipps
    /// confirmed has a receipt). Returns the refund number.
    pub async fn reprint_refund(
        &self,
        db: &crate::service::StaffDb,
        refund_id: i64,
    ) -> Result<String, Text> {
        let (receipt, r) = self.refund_receipt_of(db, refund_id).await?;
        let number = r.refund_number.clone();
        if r.status != crate::domain::refund::RefundStatus::Done {
            return Err(Text::new(
                format!(
                    "Refusjon {number} er ikke bekreftet av Vipps, så den har ingen kvittering å skrive ut igjen."
                ),
                format!(
                    "Refund {number} is not confirmed by Vipps, so it has no receipt to print again."
                ),
            ));
        }
        match self.send(receipt, true).await {
            Some(AppEvent::Error(t)) => Err(t),
            _ => Ok(number),
        }
    }

    /// Print an X or Z report on the receipt printer (text lines through the same queue;
    /// marked TRAINING in `--demo`, COPY when `copy` — a stored Z report printed again).
    /// Returns the document id (`X-2026-12-01`, `Z-3`), or why not.
    pub async fn print_report(
        &self,
        report: &crate::domain::report::Report,
        copy: bool,
    ) -> Result<String, Text> {
        let doc = report_document(report, self.lang, copy, self.training);
        let id = doc.id.clone();
        let result = self
            .submit_and_settle(move |q| q.submit_document(&doc))
            .await;
        match result {
            Ok(Ok((status, waiting))) => match status.last_error {
                Some(e) if waiting => Err(Text::new(
                    format!("Rapporten {id} er i kø: skriverfeil – {}", e.nb),
                    format!("Report {id} is queued: printer error – {}", e.en),
                )),
                _ => Ok(id),
            },
            Ok(Err(e)) => {
                let t = e.text();
                Err(Text::new(
                    format!("Rapporten {id} ble ikke skrevet ut: {}", t.nb),
                    format!("Report {id} was not printed: {}", t.en),
                ))
            }
            Err(e) => Err(Text::new(
                format!("Utskriften feilet: {e}"),
                format!("Printing failed: {e}"),
            )),
        }
    }

    /// Print a receipt again from the journal, marked COPY: `key` is a refund number
    /// (`R-…`, a refund Vipps confirmed), a receipt number or a Vipps reference of a paid
    /// sale. Returns what was printed (`receipt 00000042` / `refund R-00000042-1`), or why
    /// not. For `kasse reprint`; works without the in-memory list of this run's receipts.
    pub async fn reprint_from_journal(
        &self,
        store: &AsyncStore,
        db: Option<&crate::service::StaffDb>,
        key: &str,
    ) -> Result<String, Text> {
        let key = key.trim().to_owned();
        if key.is_empty() {
            return Err(Text::new(
                "Kvitteringsnummer eller referanse mangler: skriv kvitteringsnummeret, refusjonsnummeret (R-…) eller Vipps-referansen.",
                "Receipt number or reference missing: give the receipt number, the refund number (R-…) or the Vipps reference.",
            ));
        }
        if let Some(db) = db {
            // A return given back in cash (`R-…` / `RU-…`): its return receipt as COPY (a
            // copy never opens the drawer).
            let k = key.clone();
            let cash_return = db
                .run(move |db| db.cash_return_id_by_number(&k))
                .await
                .map_err(|e| e.message())?;
            if let Some(id) = cash_return {
                let (receipt, r) = self.cash_return_receipt_of(db, id).await?;
                return match self.send(receipt, true).await {
                    Some(AppEvent::Error(t)) => Err(t),
                    _ => Ok(format!("return {}", r.number)),
                };
            }
            let k = key.clone();
            let refund = db
                .run(move |db| db.refund_id_by_number(&k))
                .await
                .map_err(|e| e.message())?;
            if let Some(id) = refund {
                return self
                    .reprint_refund(db, id)
                    .await
                    .map(|n| format!("refund {n}"));
            }
        }
        let k = key.clone();
        let found = store
            .run(move |s| {
                if let Some(p) = s.payment_by_reference(&k)? {
                    return Ok(s.sale(p.sale_id)?.map(|r| (r, Some(p))));
                }
                let q = crate::store::SaleQuery {
                    receipt_number: Some(k.clone()),
                    limit: Some(1),
                    ..Default::default()
                };
                let Some(row) = s.find_sales(&q)?.into_iter().next() else {
                    return Ok(None);
                };
                Ok(s.sale(row.id)?.map(|r| (r, None)))
            })
            .await
            .map_err(|e| e.message())?;
        let Some((record, by_ref)) = found else {
            return Err(Text::new(
                format!(
                    "Fant ingen kvittering, refusjon eller betaling {key}: sjekk nummeret (kvitteringsnummer, R-… eller Vipps-referanse)."
                ),
                format!(
                    "No receipt, refund or payment {key} found: check the number (receipt number, R-… or Vipps reference)."
                ),
            ));
        };
        use crate::store::{PayState, SaleStatus};
        let paid = matches!(
            record.sale.status,
            SaleStatus::Paid | SaleStatus::PartiallyRefunded | SaleStatus::Refunded
        );
        let number = record.sale.receipt_number.clone();
        if !paid {
            return Err(Text::new(
                format!(
                    "Salg {number} er ikke betalt ({}), så det har ingen kvittering.",
                    record.sale.status.as_str()
                ),
                format!(
                    "Sale {number} is not paid ({}), so it has no receipt.",
                    record.sale.status.as_str()
                ),
            ));
        }
        let time = record.sale.created_at.to_offset(self.utc_offset);
        let sale = if record.sale.tender == crate::store::CASH_TENDER {
            let currency = crate::domain::money::Currency::parse(&record.sale.currency)
                .unwrap_or(crate::domain::money::Currency::Nok);
            let sale_id = record.sale.id;
            let given = store
                .run(move |s| s.operations_for_sale(sale_id))
                .await
                .ok()
                .and_then(|ops| {
                    ops.into_iter()
                        .find(|o| o.op.kind == "cash_sale")
                        .and_then(|o| o.op.detail)
                })
                .and_then(|d| {
                    d.split("cash given ")
                        .nth(1)
                        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                        .and_then(|n| n.parse::<i64>().ok())
                })
                .unwrap_or(record.sale.gross_total);
            cash_sale_of(&record, Money::new(given, currency), time, self.training)?
        } else {
            let payment = by_ref
                .filter(|p| p.state == PayState::Captured)
                .or_else(|| {
                    record
                        .payments
                        .iter()
                        .rev()
                        .find(|p| p.state == PayState::Captured)
                        .cloned()
                });
            let Some(payment) = payment else {
                return Err(Text::new(
                    format!("Salg {number} har ingen betaling Vipps har trukket."),
                    format!("Sale {number} has no payment Vipps captured."),
                ));
            };
            sale_of(&payment, &record, time, self.training)?
        };
        let receipt =
            crate::receipt::model::build(&sale, &self.shop, self.lang).map_err(|e| e.text())?;
        match self.send(receipt, true).await {
            Some(AppEvent::Error(t)) => Err(t),
            _ => Ok(format!("receipt {number}")),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PrintedReceipts> {
        self.printed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue the receipt, then wait (on a blocking thread, never the UI task) for the printer;
    /// report a failure to the cashier.
    async fn send(&self, receipt: PrintableReceipt, copy: bool) -> Option<AppEvent> {
        let number = receipt.receipt_number.clone();
        let result = self
            .submit_and_settle(move |q| {
                if copy {
                    q.reprint(&receipt)
                } else {
                    q.submit(&receipt)
                }
            })
            .await;
        match result {
            Ok(Ok((status, waiting))) => match status.last_error {
                Some(e) if waiting => Some(AppEvent::Error(Text::new(
                    format!("Kvittering {number} i kø: skriverfeil – {}", e.nb),
                    format!("Receipt {number} queued: printer error – {}", e.en),
                ))),
                _ => None,
            },
            Ok(Err(e)) => {
                let t = e.text();
                Some(AppEvent::Error(Text::new(
                    format!("Kvittering {number} ble ikke skrevet ut: {}", t.nb),
                    format!("Receipt {number} was not printed: {}", t.en),
                )))
            }
            Err(e) => {
                tracing::error!(error = %e, "print task failed");
                None
            }
        }
    }
}

mod recovery;
pub use recovery::*;
