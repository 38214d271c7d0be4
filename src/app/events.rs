//! Engine events as screen events: what the cashier sees of a payment and the network.

use crate::engine::{EngineEvent, NetworkState, PaymentSnapshot, PaymentState};
use crate::lang::Text;
use crate::tui::{self, AppEvent, PaymentStatusView, PaymentView};

/// Map the engine's state to what the screen shows.
pub fn status_view(s: PaymentState) -> PaymentStatusView {
    match s {
        PaymentState::Creating => PaymentStatusView::Creating,
        PaymentState::WaitingForCustomer => PaymentStatusView::WaitingForCustomer,
        PaymentState::WaitingForApproval => PaymentStatusView::WaitingForApproval,
        PaymentState::Authorized => PaymentStatusView::Authorized,
        PaymentState::Capturing => PaymentStatusView::Capturing,
        PaymentState::Paid => PaymentStatusView::Paid,
        PaymentState::Cancelling => PaymentStatusView::Cancelling,
        PaymentState::NeedsDecision => PaymentStatusView::AuthorizedAfterCancel,
        PaymentState::Voided | PaymentState::Cancelled => PaymentStatusView::Cancelled,
        PaymentState::Rejected => PaymentStatusView::Rejected,
        PaymentState::Expired => PaymentStatusView::Expired,
        PaymentState::Failed => PaymentStatusView::Failed,
    }
}

/// One engine snapshot as a screen update.
pub fn payment_view(s: &PaymentSnapshot) -> PaymentView {
    let reason = match (s.state, &s.reason) {
        (PaymentState::Voided, None) => Some(Text::new(
            "Betalingen ble annullert etter avbrudd; kunden belastes ikke.",
            "The payment was voided after the abort; the customer is not charged.",
        )),
        (_, r) => r.clone(),
    };
    PaymentView {
        reference: s.reference.clone(),
        amount: s.amount,
        status: status_view(s.state),
        open_left: s.open_left.map(std::time::Duration::from_secs),
        approve_left: s.approve_left.map(std::time::Duration::from_secs),
        qr_payload: s.qr_payload.clone(),
        reason,
        receipt_number: Some(s.receipt_number.clone()),
        qr_fallback: s.qr_fallback,
        open_signal: s.open_signal,
    }
}

/// Engine events as screen events (`None` for what the screen does not show).
pub fn app_event(ev: EngineEvent) -> Option<AppEvent> {
    Some(match ev {
        EngineEvent::Payment(s) => AppEvent::Payment(payment_view(&s)),
        EngineEvent::Network(n) => AppEvent::Network(network_view(n)),
        EngineEvent::Outbox { pending, dead } => AppEvent::Outbox {
            pending: usize::try_from(pending).unwrap_or(usize::MAX),
            dead: usize::try_from(dead).unwrap_or(usize::MAX),
        },
        EngineEvent::Recovered(list) => AppEvent::Recovered(
            list.into_iter()
                .map(|r| tui::RecoveredSale {
                    reference: r.snapshot.reference.clone(),
                    amount: r.snapshot.amount,
                    outcome: status_view(r.snapshot.state),
                    note: Some(r.outcome),
                })
                .collect(),
        ),
        // Printed by `spawn_refund_receipts`; the outbox counts update the screen.
        EngineEvent::RefundConfirmed { .. } => return None,
        EngineEvent::Alert { kind, active } => AppEvent::Alert {
            code: kind.code(),
            alert: active.then(|| tui::AlertView {
                short: kind.short_text(),
                text: kind.text(),
            }),
        },
        EngineEvent::RefundFailed { reason, .. } => AppEvent::Error(Text::new(
            format!(
                "Vipps avviste en refusjon: {}. Ingen refusjonskvittering ble skrevet ut; pengene er ikke betalt tilbake.",
                reason.nb
            ),
            format!(
                "Vipps refused a refund: {}. No refund receipt was printed; the money was not paid back.",
                reason.en
            ),
        )),
    })
}

pub(super) fn network_view(n: NetworkState) -> tui::NetworkState {
    match n {
        NetworkState::Online => tui::NetworkState::Online,
        NetworkState::Offline => tui::NetworkState::Offline,
        NetworkState::NotAnswering => tui::NetworkState::NotAnswering,
        NetworkState::Unknown => tui::NetworkState::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_state_has_a_screen_state() {
        assert_eq!(
            status_view(PaymentState::NeedsDecision),
            PaymentStatusView::AuthorizedAfterCancel
        );
        assert_eq!(
            status_view(PaymentState::Voided),
            PaymentStatusView::Cancelled
        );
        assert_eq!(status_view(PaymentState::Paid), PaymentStatusView::Paid);
    }
}
