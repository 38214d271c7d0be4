//! Recovery on start: every unfinished payment is read back from Vipps and driven to its true
//! state (authorized → captured, pending → keep polling until its 10 minutes are up, create
//! outcome unknown → read, not found → create again with the same key, reference and body —
//! push payments too: the journal keeps the full phone number until the payment is final).
//! The windows count from the journal's times, never from the restart: a 404 right after a
//! restart is "not there yet" while the window is open, not "failed". In-flight outbox rows
//! were reset to pending by `Store::open`; the worker retries them with their keys.

use crate::domain::money::{Currency, Money};
use crate::engine::core::{Engine, EngineError, api_kind};
use crate::engine::driver::{self, Resume, from_pay_state};
use crate::engine::events::{EngineEvent, PaymentState, RecoveredSale};
use crate::engine::provider::{CustomerId, FlowSpec};
use crate::lang::Text;
use std::time::Duration;

/// How long recovery waits for the first read of each payment before reporting it.
const FIRST_READ_WAIT: Duration = Duration::from_secs(20);

fn outcome_text(was: PaymentState, now: &crate::engine::events::PaymentSnapshot) -> Text {
    use PaymentState as S;
    if now.phase == "create_uncertain" {
        return Text::new(
            "Vipps kunne ikke nås ennå; kassen sjekker betalingen så snart nettet er tilbake.",
            "Vipps could not be reached yet; the till checks this payment as soon as the network is back.",
        );
    }
    match now.state {
        S::Paid if was == S::Paid => Text::new("Betalt.", "Paid."),
        S::Paid => Text::new(
            "Kunden hadde godkjent; beløpet er nå trukket. Salget er betalt.",
            "The customer had approved; the amount is now captured. The sale is paid.",
        ),
        S::Capturing | S::Authorized => Text::new(
            "Kunden har godkjent; beløpet trekkes nå.",
            "The customer approved; capturing the amount now.",
        ),
        S::WaitingForCustomer | S::WaitingForApproval | S::Creating => Text::new(
            "Venter fortsatt på kunden; kassen følger med til de 10 minuttene er ute.",
            "Still waiting for the customer; the till keeps checking until the 10 minutes are up.",
        ),
        S::NeedsDecision => Text::new(
            "Kunden godkjente mens salget ble avbrutt – velg fullfør eller annuller.",
            "The customer approved while the sale was being aborted – choose complete or void.",
        ),
        S::Cancelling => Text::new("Avbryter betalingen.", "Cancelling the payment."),
        _ => now.reason.clone().unwrap_or_else(|| now.state.label()),
    }
}

impl Engine {
    /// Bring every unfinished payment to its true state; see the module docs. Called by
    /// [`Engine::start`]; safe to call again (payments with a live driver are skipped).
    pub async fn recover(&self) -> Result<Vec<RecoveredSale>, EngineError> {
        let inner = &self.inner;
        let rows = inner.store.run(|s| s.unfinished_payments()).await?;
        let mut waits = Vec::new();
        for p in rows {
            let running = inner
                .drivers
                .lock()
                .map(|m| m.contains_key(&p.id))
                .unwrap_or(false);
            if running {
                continue;
            }
            let sale_id = p.sale_id;
            let sale = inner.store.run(move |s| s.sale(sale_id)).await?;
            let Some(sale) = sale else { continue };
            let lines: Vec<crate::store::NewSaleLine> =
                sale.lines.iter().map(|l| l.line.clone()).collect();
            let currency = Currency::parse(&p.currency).unwrap_or(Currency::Nok);
            let was = from_pay_state(p.state);
            // The create body is rebuilt from the journal: QR as it was, push with the full
            // phone number the journal keeps until the payment is final. So a create whose
            // answer was lost (or that never arrived) is re-sent with the same reference, key
            // and body. Without it (a personal QR, a row from before it was kept) the payment
            // is read until its window is over, never re-created.
            let flow = match p.flow {
                crate::store::Flow::Qr => Some(FlowSpec::Qr),
                crate::store::Flow::Push => {
                    let pid = p.id;
                    inner
                        .store
                        .run(move |s| s.create_phone(pid))
                        .await?
                        .map(|phone| FlowSpec::Push(CustomerId::Phone(phone)))
                }
            };
            // The journal's deadline (created + 10 min, written when the create answered) says
            // when Vipps created it; the payment row's time is when the sale was written.
            let created_at = (was != PaymentState::Creating).then(|| {
                p.approval_deadline_at
                    .map(|d| d - crate::domain::payment::TOTAL_WINDOW)
                    .filter(|c| *c >= p.created_at)
                    .unwrap_or(p.created_at)
            });
            let (tx, rx) = tokio::sync::oneshot::channel();
            let resume = Resume {
                payment_id: p.id,
                sale_id: p.sale_id,
                reference: p.reference.clone(),
                api: api_kind(p.api),
                amount: Money::new(p.amount, currency),
                keys: p.keys.clone(),
                receipt_number: sale.sale.receipt_number.clone(),
                receipt: crate::engine::core::receipt_spec(
                    &inner.cfg,
                    &lines,
                    &sale.sale.receipt_number,
                    &sale.sale.shop_id,
                    &sale.sale.till_id,
                    Money::new(sale.cash_part(), currency),
                ),
                flow,
                description: sale
                    .sale
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("Kjøp i butikk {}", sale.sale.shop_id)),
                started_at: p.created_at,
                // The create answered before the stop if the journal moved past "creating".
                created_at,
                recovering: true,
                cancel_requested: was == PaymentState::Cancelling,
                recovered: Some(tx),
            };
            tracing::info!(reference = %p.reference, state = was.code(), "recovering payment");
            driver::spawn(inner.clone(), resume);
            waits.push((was, rx));
        }
        let mut out = Vec::new();
        for (was, rx) in waits {
            if let Ok(Ok(snapshot)) = tokio::time::timeout(FIRST_READ_WAIT, rx).await {
                let outcome = outcome_text(was, &snapshot);
                out.push(RecoveredSale {
                    snapshot,
                    was,
                    outcome,
                });
            }
        }
        inner.worker_kick.notify_one();
        inner.publish(EngineEvent::Recovered(out.clone()));
        inner.publish_outbox_counts().await;
        Ok(out)
    }
}
