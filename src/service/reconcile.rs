//! End-of-day reconciliation: every Vipps payment of the day is read back from Vipps and its
//! captured and refunded amounts are compared with the journal. Mismatches, authorized but
//! uncaptured payments, refunds still queued and payments that could not be read are listed
//! with what to do.
//!
//! Reads go through [`PaymentReader`]; [`VippsReader`] uses the engine's providers over
//! `api::Vipps` (ePayment `GET /payments/{ref}`, eCom `details`, PSP `details`). Reads are
//! limited to [`READ_CONCURRENCY`] at once (Vipps allows 120 reads/min per payment).

use std::sync::Arc;

use super::StaffDb;
use crate::api::Vipps;
use crate::domain::money::{Currency, Money};
use crate::domain::reconcile::*;
use crate::domain::staff::StaffError;
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
    let training = db.training();
    let payments = db
        .run(move |db| db.day_payments(from, to, training))
        .await?;
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
