//! End-of-day reconciliation: every Vipps payment of the day is read back from Vipps and its
//! captured and refunded amounts are compared with the journal. Mismatches, authorized but
//! uncaptured payments, refunds still queued and payments that could not be read are listed
//! with what to do.
//!
//! Reads go through [`PaymentReader`]; [`VippsReader`] uses the engine's providers over
//! `api::Vipps` (ePayment `GET /payments/{ref}`, eCom `details`, PSP `details`). Reads are
//! limited to [`READ_CONCURRENCY`] at once (Vipps allows 120 reads/min per payment).

use std::sync::Arc;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{StaffDb, StaffError, ts};
use crate::api::Vipps;
use crate::domain::money::{Currency, Money};
use crate::engine::acquirer::BoxFuture;
use crate::engine::events::ApiKind;
use crate::engine::provider::{Provider, ProviderError, ReadResult};
use crate::engine::vipps::{EcomProvider, EpaymentProvider, classify, psp_read};
use crate::lang::Text;

/// Reads at once during reconciliation.
pub const READ_CONCURRENCY: usize = 4;

/// Reads a payment back from Vipps. `id` is the reference, or the pspTransactionId for PSP.
pub trait PaymentReader: Send + Sync + 'static {
    fn read<'a>(
        &'a self,
        api: ApiKind,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ReadResult, ProviderError>>;
}

/// [`PaymentReader`] over the Vipps APIs (or the simulator).
#[derive(Debug, Clone)]
pub struct VippsReader {
    vipps: Vipps,
    epayment: EpaymentProvider,
    ecom: EcomProvider,
}

impl VippsReader {
    pub fn new(vipps: Vipps) -> VippsReader {
        VippsReader {
            epayment: EpaymentProvider {
                vipps: vipps.clone(),
            },
            // Reads do not use the callback/fallback URLs.
            ecom: EcomProvider {
                vipps: vipps.clone(),
                callback_prefix: String::new(),
                fallback_url: String::new(),
            },
            vipps,
        }
    }
}

impl PaymentReader for VippsReader {
    fn read<'a>(
        &'a self,
        api: ApiKind,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(async move {
            match api {
                ApiKind::Epayment => self.epayment.read(id).await,
                ApiKind::Ecom => self.ecom.read(id).await,
                ApiKind::Psp => self
                    .vipps
                    .psp()
                    .details(id)
                    .await
                    .map(|d| psp_read(&d))
                    .map_err(|e| classify(&e)),
            }
        })
    }
}

/// What kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Captured or refunded at Vipps differs from the journal.
    Mismatch,
    /// Money reserved at Vipps but neither captured nor released.
    AuthorizedNotCaptured,
    /// A refund is recorded but not yet confirmed by Vipps.
    RefundPending,
    /// Vipps could not be asked.
    ReadFailed,
}

/// One payment that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub reference: String,
    pub api: ApiKind,
    pub receipt_number: String,
    pub currency: String,
    pub journal_captured: i64,
    pub journal_refunded: i64,
    pub vipps_authorized: Option<i64>,
    pub vipps_captured: Option<i64>,
    pub vipps_refunded: Option<i64>,
    pub vipps_cancelled: Option<i64>,
    /// What to do, in Bokmål and English.
    pub action: Text,
}

/// The result of reading the day's payments back from Vipps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Reconciliation {
    /// Payments read back.
    pub checked: usize,
    /// Payments where Vipps and the journal agree.
    pub matched: usize,
    /// Journal totals of the payments that could be read (compare with the Vipps totals).
    pub journal_captured: i64,
    pub journal_refunded: i64,
    /// Totals as Vipps reports them (payments that could be read).
    pub vipps_captured: i64,
    pub vipps_refunded: i64,
    pub findings: Vec<Finding>,
}

impl Reconciliation {
    /// True when every payment was read and matches, nothing is pending or uncaptured.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// A payment of the day as the journal has it.
#[derive(Debug, Clone)]
struct DayPayment {
    api: ApiKind,
    reference: String,
    vipps_id: String,
    receipt_number: String,
    currency: String,
    captured: i64,
    refunded_done: i64,
    refunded_pending: i64,
}

impl StaffDb {
    fn day_payments(
        &self,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<Vec<DayPayment>, StaffError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT p.api, p.reference, p.psp_transaction_id, s.receipt_number, s.currency,
                    p.captured_amount,
                    coalesce((SELECT sum(r.amount) FROM refunds r JOIN outbox o
                              ON o.idempotency_key = r.idempotency_key
                              WHERE r.payment_id = p.id AND o.status = 'done'), 0),
                    coalesce((SELECT sum(r.amount) FROM refunds r LEFT JOIN outbox o
                              ON o.idempotency_key = r.idempotency_key
                              WHERE r.payment_id = p.id
                                AND coalesce(o.status, 'pending') IN ('pending', 'in_flight')), 0)
             FROM payments p JOIN sales s ON s.id = p.sale_id
             WHERE s.shop_id = ?1 AND s.till_id = ?2 AND s.created_at >= ?3 AND s.created_at < ?4
               AND s.training = 0
               AND p.state NOT IN ('rejected', 'expired')
               -- A failed payment counts if money was reserved (e.g. its capture failed).
               AND (p.state <> 'failed' OR p.authorized_amount > 0 OR p.captured_amount > 0)
             ORDER BY p.id",
        )?;
        let rows = stmt.query_map(
            params![self.shop_id(), self.till_id(), ts(from), ts(to)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (api, reference, psp_id, receipt_number, currency, captured, done, pending) = row?;
            let api = ApiKind::parse(&api).unwrap_or(ApiKind::Epayment);
            let vipps_id = if api == ApiKind::Psp {
                psp_id.unwrap_or_else(|| crate::engine::psp_transaction_id(&reference))
            } else {
                reference.clone()
            };
            out.push(DayPayment {
                api,
                reference,
                vipps_id,
                receipt_number,
                currency,
                captured,
                refunded_done: done,
                refunded_pending: pending,
            });
        }
        Ok(out)
    }
}

fn m(v: i64, c: &str) -> Money {
    Money::new(v, Currency::parse(c).unwrap_or(Currency::Nok))
}

/// Read every Vipps payment of `[from, to)` back and compare it with the journal.
pub async fn reconcile(
    db: &StaffDb,
    reader: Arc<dyn PaymentReader>,
    from: time::OffsetDateTime,
    to: time::OffsetDateTime,
) -> Result<Reconciliation, StaffError> {
    let payments = db.day_payments(from, to)?;
    let sem = Arc::new(tokio::sync::Semaphore::new(READ_CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for (i, p) in payments.iter().enumerate() {
        let reader = reader.clone();
        let sem = sem.clone();
        let (api, id) = (p.api, p.vipps_id.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, reader.read(api, &id).await)
        });
    }
    let mut reads: Vec<Option<Result<ReadResult, ProviderError>>> = vec![None; payments.len()];
    while let Some(j) = set.join_next().await {
        match j {
            Ok((i, r)) => {
                if let Some(slot) = reads.get_mut(i) {
                    *slot = Some(r);
                }
            }
            Err(e) => tracing::error!(error = %e, "reconciliation read task failed"),
        }
    }
    let mut rec = Reconciliation::default();
    for (p, r) in payments.iter().zip(reads) {
        rec.checked += 1;
        let base = Finding {
            kind: FindingKind::Mismatch,
            reference: p.reference.clone(),
            api: p.api,
            receipt_number: p.receipt_number.clone(),
            currency: p.currency.clone(),
            journal_captured: p.captured,
            journal_refunded: p.refunded_done,
            vipps_authorized: None,
            vipps_captured: None,
            vipps_refunded: None,
            vipps_cancelled: None,
            action: Text::new("", ""),
        };
        let read = match r {
            Some(Ok(read)) => read,
            Some(Err(e)) => {
                rec.findings.push(Finding {
                    kind: FindingKind::ReadFailed,
                    action: Text::new(
                        format!(
                            "Kunne ikke lese betalingen hos Vipps ({}). Kjør avstemmingen igjen når nettet er tilbake.",
                            e.message.nb
                        ),
                        format!(
                            "Could not read the payment at Vipps ({}). Run the reconciliation again when the network is back.",
                            e.message.en
                        ),
                    ),
                    ..base
                });
                continue;
            }
            None => {
                rec.findings.push(Finding {
                    kind: FindingKind::ReadFailed,
                    action: Text::new(
                        "Lesingen stoppet uventet. Kjør avstemmingen igjen.",
                        "The read stopped unexpectedly. Run the reconciliation again.",
                    ),
                    ..base
                });
                continue;
            }
        };
        let a = read.amounts;
        rec.journal_captured += p.captured;
        rec.journal_refunded += p.refunded_done;
        rec.vipps_captured += a.captured;
        rec.vipps_refunded += a.refunded;
        let with_vipps = Finding {
            vipps_authorized: Some(a.authorized),
            vipps_captured: Some(a.captured),
            vipps_refunded: Some(a.refunded),
            vipps_cancelled: Some(a.cancelled),
            ..base
        };
        let mut clean = true;
        if a.captured != p.captured || a.refunded != p.refunded_done + p.refunded_pending {
            clean = false;
            let c = &p.currency;
            rec.findings.push(Finding {
                kind: FindingKind::Mismatch,
                action: Text::new(
                    format!(
                        "Vipps viser trukket {} og refundert {}, journalen {} og {}. Sjekk betalingen (Vipps-portalen, `kasse queue`), rett med refusjon eller trekk (samlekorrigering) og noter årsaken.",
                        m(a.captured, c),
                        m(a.refunded, c),
                        m(p.captured, c),
                        m(p.refunded_done + p.refunded_pending, c)
                    ),
                    format!(
                        "Vipps shows captured {} and refunded {}, the journal {} and {}. Check the payment (Vipps portal, `kasse queue`), correct it with a refund or capture (batch corrections) and note why.",
                        m(a.captured, c),
                        m(a.refunded, c),
                        m(p.captured, c),
                        m(p.refunded_done + p.refunded_pending, c)
                    ),
                ),
                ..with_vipps.clone()
            });
        }
        let open = a.authorized - a.captured - a.cancelled;
        if open > 0 {
            clean = false;
            let c = &p.currency;
            rec.findings.push(Finding {
                kind: FindingKind::AuthorizedNotCaptured,
                action: Text::new(
                    format!(
                        "{} er reservert, men ikke trukket. Ble varene levert: trekk beløpet (samlekorrigering). Hvis ikke: annuller så kunden får pengene frigitt.",
                        m(open, c)
                    ),
                    format!(
                        "{} is reserved but not captured. If the goods were handed over: capture it (batch corrections). If not: cancel so the customer's money is released.",
                        m(open, c)
                    ),
                ),
                ..with_vipps.clone()
            });
        }
        if p.refunded_pending > 0 {
            clean = false;
            let c = &p.currency;
            rec.findings.push(Finding {
                kind: FindingKind::RefundPending,
                action: Text::new(
                    format!(
                        "Refusjon på {} venter i køen. La kassen sende den (`kasse queue --drain`) før Z-rapporten.",
                        m(p.refunded_pending, c)
                    ),
                    format!(
                        "A refund of {} is waiting in the queue. Let the till send it (`kasse queue --drain`) before the Z report.",
                        m(p.refunded_pending, c)
                    ),
                ),
                ..with_vipps
            });
        }
        if clean {
            rec.matched += 1;
        }
    }
    Ok(rec)
}
