//! What the engine tells the UI: payment snapshots, network state, outbox counts, recovery.

use crate::domain::money::Money;
use crate::lang::Text;
use serde::Serialize;
use time::OffsetDateTime;

pub use crate::domain::api::ApiKind;

/// The cashier-facing state of a payment: a stable code for screens, logs and `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Written to the journal; create request on its way (or being retried).
    Creating,
    /// Phase 1: waiting for the customer to open the push / scan the QR (≤ 5 min).
    WaitingForCustomer,
    /// Phase 2: the customer opened it; waiting for approval (≤ 5 more min).
    WaitingForApproval,
    /// Approved; capture not yet sent.
    Authorized,
    /// Capture sent, waiting for its result.
    Capturing,
    /// Captured in full. Hand over the goods.
    Paid,
    /// The cashier asked to abort; cancel sent, reading back.
    Cancelling,
    /// The customer approved while the cashier aborted: the cashier must choose
    /// [`crate::engine::Resolution::Complete`] or [`crate::engine::Resolution::Void`].
    NeedsDecision,
    /// Authorized money released on purpose after an abort (voided / refunded).
    Voided,
    Rejected,
    Expired,
    Cancelled,
    Failed,
}

impl PaymentState {
    pub const fn code(self) -> &'static str {
        match self {
            PaymentState::Creating => "creating",
            PaymentState::WaitingForCustomer => "waiting_for_customer",
            PaymentState::WaitingForApproval => "waiting_for_approval",
            PaymentState::Authorized => "authorized",
            PaymentState::Capturing => "capturing",
            PaymentState::Paid => "paid",
            PaymentState::Cancelling => "cancelling",
            PaymentState::NeedsDecision => "needs_decision",
            PaymentState::Voided => "voided",
            PaymentState::Rejected => "rejected",
            PaymentState::Expired => "expired",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Failed => "failed",
        }
    }

    /// No more changes will come for this payment (except staff follow-ups).
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            PaymentState::Paid
                | PaymentState::Voided
                | PaymentState::Rejected
                | PaymentState::Expired
                | PaymentState::Cancelled
                | PaymentState::Failed
        )
    }

    /// Short bilingual label for screens.
    pub fn label(self) -> Text {
        match self {
            PaymentState::Creating => Text::new("Starter betaling", "Starting payment"),
            PaymentState::WaitingForCustomer => Text::new(
                "Venter på at kunden åpner",
                "Waiting for the customer to open",
            ),
            PaymentState::WaitingForApproval => {
                Text::new("Venter på godkjenning", "Waiting for approval")
            }
            PaymentState::Authorized => Text::new("Godkjent", "Approved"),
            PaymentState::Capturing => Text::new("Trekker beløpet", "Capturing"),
            PaymentState::Paid => Text::new("Betalt", "Paid"),
            PaymentState::Cancelling => Text::new("Avbryter", "Cancelling"),
            PaymentState::NeedsDecision => Text::new(
                "Kunden godkjente etter avbrudd – velg fullfør eller annuller",
                "Customer approved after abort – choose complete or void",
            ),
            PaymentState::Voided => Text::new("Annullert", "Voided"),
            PaymentState::Rejected => Text::new("Avvist av kunden", "Rejected by the customer"),
            PaymentState::Expired => Text::new("Utløpt", "Expired"),
            PaymentState::Cancelled => Text::new("Avbrutt", "Cancelled"),
            PaymentState::Failed => Text::new("Feilet", "Failed"),
        }
    }
}

/// Everything a screen needs to draw one payment. Published on every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentSnapshot {
    /// Journal id of the payment.
    pub id: i64,
    /// Journal id of the sale.
    pub sale_id: i64,
    pub reference: String,
    pub api: ApiKind,
    pub amount: Money,
    /// Amount captured so far (checked against the capture response).
    pub captured: Money,
    pub state: PaymentState,
    /// The state machine's own phase code (`create_uncertain`, `authorized_after_cancel`,
    /// `amount_mismatch`, …) for logs and support; `state` is what screens switch on.
    pub phase: &'static str,
    /// Why it is in this state (cashier-readable, both languages). Empty for plain progress.
    pub reason: Option<Text>,
    /// Seconds left for the customer to open the push / scan the QR (phase 1), if counting.
    pub open_left: Option<u64>,
    /// Seconds left to approve (phase 2 runs until the full 10 minutes are up), if counting.
    pub approve_left: Option<u64>,
    /// What the UI encodes as a QR (ePayment TEXT/TARGETURL, eCom landing URL, PSP redirect).
    pub qr_payload: Option<String>,
    /// Vipps refused the push for a reason a QR code avoids (7010 / eCom 81: the number cannot
    /// pay businesses; 5080 / eCom 38: push is not enabled for the sales unit): the same sale
    /// can be paid by QR ([`crate::engine::Engine::retry_as_qr`]).
    pub qr_fallback: bool,
    /// The API reports when the customer opened the payment (eCom): the screen shows the two
    /// phases. Without it (ePayment, PSP) it shows the time to open and the latest possible end.
    pub open_signal: bool,
    pub receipt_number: String,
    /// When this snapshot was taken (engine clock).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Whether Vipps can be reached, as the last call (or probe) found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkState {
    /// Nothing has been asked of Vipps since start: neither "online" nor "offline" is known.
    Unknown,
    /// The last call got an answer (any HTTP status: Vipps is there).
    Online,
    /// The last call reached Vipps' address but got no answer in time (timeout, connection
    /// dropped): a hung proxy or an overloaded Vipps. Payments sent wait for a read; new ones
    /// may still be started (they are written first and read back like any other).
    NotAnswering,
    /// No connection (DNS, refused, TLS): new Vipps payments are refused at once.
    Offline,
}

impl NetworkState {
    /// The state a call's result shows: offline on no connection, not answering on a request
    /// that got no answer, online on any answer (a 4xx or 5xx is Vipps answering).
    pub fn after(r: Result<(), &crate::engine::provider::ProviderError>) -> NetworkState {
        use crate::engine::provider::ErrorClass;
        match r {
            Ok(()) => NetworkState::Online,
            Err(e) if e.class == ErrorClass::Offline => NetworkState::Offline,
            Err(e) if e.class == ErrorClass::OutcomeUnknown && e.http_status.is_none() => {
                NetworkState::NotAnswering
            }
            Err(_) => NetworkState::Online,
        }
    }
}

/// A condition a person must fix, shown on the till until it clears by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Vipps answered 401/403: the keys (client id / secret / subscription key) are refused.
    /// Outbox rows stay pending and go out once a call succeeds again.
    KeysRefused,
    /// The journal cannot write (disk full, read-only, I/O error): no call that moves money
    /// is made and new sales are refused until a write works again.
    JournalUnwritable,
}

impl AlertKind {
    pub const fn code(self) -> &'static str {
        match self {
            AlertKind::KeysRefused => "keys_refused",
            AlertKind::JournalUnwritable => "journal_unwritable",
        }
    }

    /// A few words for the status bar.
    pub fn short_text(self) -> Text {
        match self {
            AlertKind::KeysRefused => Text::new("NØKLER AVVIST", "KEYS REFUSED"),
            AlertKind::JournalUnwritable => {
                Text::new("JOURNAL: KAN IKKE SKRIVE", "JOURNAL: CANNOT WRITE")
            }
        }
    }

    /// What the cashier sees, both languages.
    pub fn text(self) -> Text {
        match self {
            AlertKind::KeysRefused => Text::new(
                "Vipps avviste nøklene — sjekk konfigurasjonen. Trekk og refusjoner venter i køen og sendes når nøklene virker.",
                "Vipps refused the keys — check the config. Captures and refunds wait in the queue and go out once the keys work.",
            ),
            AlertKind::JournalUnwritable => Text::new(
                "Kan ikke skrive til journalen — salg stoppet. Sjekk disken (full eller skrivebeskyttet); kassen fortsetter av seg selv når det virker igjen.",
                "Cannot write the journal — sales stopped. Check the disk (full or read-only); the till carries on by itself once writing works again.",
            ),
        }
    }
}

/// One sale brought back to its true state on start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveredSale {
    pub snapshot: PaymentSnapshot,
    /// The state the journal had before recovery (`creating`, `waiting_for_customer`, ...).
    pub was: PaymentState,
    /// What recovery did, for the cashier (both languages).
    pub outcome: Text,
}

/// Events the engine publishes (a `tokio::sync::broadcast` channel; see `Engine::subscribe`).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    Payment(PaymentSnapshot),
    Network(NetworkState),
    /// Outbox rows not yet done, and dead rows that need staff.
    Outbox {
        pending: u64,
        dead: u64,
    },
    /// Published once after recovery on start (possibly empty).
    Recovered(Vec<RecoveredSale>),
    /// Vipps confirmed a refund the outbox worker sent (its row is done): the shell prints
    /// the refund receipt (once; see `app::print_confirmed_refund`).
    RefundConfirmed {
        payment_id: i64,
        idempotency_key: String,
    },
    /// Vipps refused a refund for good (its row is dead): no refund receipt; staff see why.
    RefundFailed {
        payment_id: i64,
        idempotency_key: String,
        reason: Text,
    },
    /// An alert was raised (`active`) or cleared by itself.
    Alert {
        kind: AlertKind,
        active: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::NetworkState;
    use crate::engine::provider::{ErrorClass, ProviderError};
    use crate::lang::Text;

    fn err(class: ErrorClass, status: Option<u16>) -> ProviderError {
        let mut e = ProviderError::new(class, Text::new("x", "x"), "x");
        e.http_status = status;
        e
    }

    #[test]
    fn the_network_state_follows_what_the_last_call_got() {
        use ErrorClass::*;
        assert_eq!(NetworkState::after(Ok(())), NetworkState::Online);
        let cases = [
            (Offline, None, NetworkState::Offline),
            (OutcomeUnknown, None, NetworkState::NotAnswering),
            // A 5xx is an answer: Vipps is there, the call is retried with the same key.
            (OutcomeUnknown, Some(503), NetworkState::Online),
            (Throttled, Some(429), NetworkState::Online),
            (NotFound, Some(404), NetworkState::Online),
            (Config, Some(401), NetworkState::Online),
            (Rejected, Some(400), NetworkState::Online),
        ];
        for (class, status, want) in cases {
            assert_eq!(
                NetworkState::after(Err(&err(class, status))),
                want,
                "{class:?} {status:?}"
            );
        }
    }
}
