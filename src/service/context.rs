//! The context a back-office flow runs in, and the read-back of a payment's amounts from
//! Vipps before a refund decides.

use std::sync::Arc;

use secrecy::SecretString;
use time::UtcOffset;

use crate::clock::Clock;
use crate::domain::money::Currency;
use crate::engine::Engine;
use crate::lang::Lang;
use crate::service::StaffDb;
use crate::service::reconcile::PaymentReader;
use crate::store::{AsyncStore, PaymentAmounts};

/// What a back-office flow needs: the staff functions, the journal, the running engine (its
/// outbox worker sends refunds), a payment reader, the clock, language, offset, currency and
/// the manager PIN (never from argv). Built by the CLI (`kasse refund`, `report`, `batch-*`)
/// and by the till's staff executor.
#[derive(Clone)]
pub struct HeadlessCtx {
    pub db: StaffDb,
    pub store: AsyncStore,
    /// The running engine: its outbox worker sends the refund (kicked after enqueue).
    pub engine: Option<Engine>,
    /// Reads payments back from Vipps (refresh before a refund; reconciliation).
    pub reader: Option<Arc<dyn PaymentReader>>,
    pub clock: Arc<dyn Clock>,
    pub lang: Lang,
    /// The till's offset from UTC (business days run midnight to midnight local time).
    pub utc_offset: UtcOffset,
    /// Shop currency (for parsing `--amount`).
    pub currency: Currency,
    /// Manager PIN (from `KASSE_PIN` or a no-echo prompt), never from argv.
    pub pin: Option<SecretString>,
}

impl std::fmt::Debug for HeadlessCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadlessCtx")
            .field("db", &self.db)
            .field("lang", &self.lang)
            .field("pin", &self.pin.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

/// Refresh the journal's amounts from Vipps before deciding (a refund made elsewhere, e.g. in
/// the portal, must count). Best effort: if Vipps cannot be read, the journal decides.
pub async fn refresh(ctx: &HeadlessCtx, reference: &str) {
    let Some(reader) = &ctx.reader else { return };
    let Ok(c) = ctx.db.refund_context(reference).await else {
        return;
    };
    let id = if c.api == crate::domain::api::ApiKind::Psp {
        c.psp_transaction_id
            .clone()
            .unwrap_or_else(|| crate::domain::reference::psp_transaction_id(&c.reference))
    } else {
        c.reference.clone()
    };
    let Ok(read) = reader.read(c.api, &id).await else {
        return;
    };
    let now = ctx.clock.now();
    let pid = c.payment_id;
    let a = read.amounts;
    let r = ctx
        .store
        .run(move |s| {
            let Some(p) = s.payment(pid)? else {
                return Ok(());
            };
            if p.amounts.captured == a.captured && p.amounts.refunded == a.refunded {
                return Ok(());
            }
            s.update_payment_state(
                pid,
                p.state,
                p.reason.as_deref(),
                Some(PaymentAmounts {
                    authorized: a.authorized,
                    captured: a.captured,
                    refunded: a.refunded,
                    cancelled: a.cancelled,
                }),
                now,
            )
            .map(|_| ())
        })
        .await;
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not store amounts read from Vipps");
    }
}
