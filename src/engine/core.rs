//! The engine handle, its configuration, shared state and the write-ahead start of a payment.

use crate::clock::Clock;
use crate::domain::money::{Currency, Money};
use crate::domain::payment::PollPolicy;
use crate::engine::acquirer::Acquirer;
use crate::engine::backoff::RetryPolicy;
use crate::engine::driver::{self, DriverMsg, Resume};
use crate::engine::events::{
    AlertKind, ApiKind, EngineEvent, NetworkState, PaymentSnapshot, RecoveredSale,
};
use crate::engine::provider::{CustomerId, FlowSpec, Provider, ProviderError};
use crate::engine::provider::{ReceiptLineSpec, ReceiptSender, ReceiptSpec};
use crate::lang::Text;
use crate::store::{AsyncStore, NewPayment, NewSale, NewSaleLine, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, mpsc, watch};

/// Engine settings (from `config::Config` in the app; literal values in tests).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub shop_id: String,
    pub till_id: String,
    pub msn: String,
    /// Who sells when a sale request names nobody (headless use); the till's logged-in
    /// cashier goes with each [`NewSaleRequest`] instead.
    pub staff_id: Option<String>,
    /// `--demo`: every sale (Vipps, cash, split) is journaled with `training = 1`.
    pub training: bool,
    /// Read schedule of the payment state machine (≈ 1 s, ≤ 60 reads/min, back-off on
    /// 429/423). The 5 + 5 minute windows are fixed in `domain::payment`.
    pub poll: PollPolicy,
    /// Outbox back-off.
    pub retry: RetryPolicy,
    /// How often to probe Vipps while offline.
    pub probe_interval: Duration,
    /// Order Management category (link + image) sent for every paid sale, if configured.
    pub order_category: Option<crate::engine::provider::CategorySpec>,
    /// CODE 128 barcode of the receipt number on the Vipps app receipt (`receipt.barcode`).
    pub receipt_barcode: bool,
}

impl EngineConfig {
    /// Production defaults for a shop/till/MSN.
    pub fn new(shop_id: &str, till_id: &str, msn: &str) -> EngineConfig {
        EngineConfig {
            shop_id: shop_id.to_owned(),
            till_id: till_id.to_owned(),
            msn: msn.to_owned(),
            staff_id: None,
            training: false,
            poll: PollPolicy::default(),
            retry: RetryPolicy::default(),
            probe_interval: Duration::from_secs(5),
            order_category: None,
            receipt_barcode: true,
        }
    }

    /// Fast timings for tests (the 5 + 5 minute windows stay as they are). Not for
    /// production: it reads far more often than Vipps allows.
    #[must_use]
    pub fn fast(mut self) -> EngineConfig {
        let ms = time::Duration::milliseconds;
        self.poll = PollPolicy {
            first_delay: ms(20),
            interval: ms(20),
            max_per_minute: 100_000,
            backoff_base: ms(20),
            backoff_cap: ms(200),
            retry_after_cap: ms(500),
            cancel_gap: ms(200),
        };
        self.retry = RetryPolicy::fast();
        self.probe_interval = Duration::from_millis(50);
        self
    }
}

/// The providers and side channels the engine drives.
#[derive(Clone)]
pub struct Backends {
    pub epayment: Arc<dyn Provider>,
    pub ecom: Arc<dyn Provider>,
    pub psp: Arc<dyn Provider>,
    /// Order Management receipts (eCom sales).
    pub receipts: Arc<dyn ReceiptSender>,
    /// PSP `updatestatus` reports.
    pub psp_status: Arc<dyn crate::engine::provider::PspStatusSender>,
    pub acquirer: Arc<dyn Acquirer>,
    /// `makePaymentUrl` and token sent with PSP init (from the running PSP server).
    pub psp_make_payment: Option<(String, secrecy::SecretString)>,
}

impl Backends {
    pub fn provider(&self, api: ApiKind) -> Arc<dyn Provider> {
        match api {
            ApiKind::Epayment => self.epayment.clone(),
            ApiKind::Ecom => self.ecom.clone(),
            ApiKind::Psp => self.psp.clone(),
        }
    }
}

/// How the customer pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayMethod {
    Push { customer: CustomerId },
    Qr,
}

/// A sale to start: its lines (from the basket), currency, method, API, description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSaleRequest {
    pub lines: Vec<NewSaleLine>,
    pub currency: Currency,
    pub method: PayMethod,
    pub api: ApiKind,
    /// Shown in the app (3–100 characters); defaults to "Kjøp i butikk <shop>".
    pub description: Option<String>,
    /// The staff member who sells (the till's logged-in cashier); `None` falls back to
    /// [`EngineConfig::staff_id`].
    pub staff_id: Option<String>,
}

impl NewSaleRequest {
    /// From the cashier's basket: lines, totals and VAT come from the domain (the receipt
    /// identity holds on every line and the lines sum to the amount charged).
    pub fn from_basket(
        basket: &crate::domain::basket::Basket,
        method: PayMethod,
        api: ApiKind,
        description: Option<String>,
    ) -> Result<NewSaleRequest, EngineError> {
        let lines = basket
            .receipt_lines()
            .map_err(|e| EngineError::Invalid(e.text()))?;
        let mut out = Vec::with_capacity(lines.len());
        for (rl, ol) in lines.iter().zip(basket.lines()) {
            out.push(NewSaleLine {
                product_id: (!rl.id.is_empty()).then(|| rl.id.clone()),
                name: rl.name.clone(),
                quantity: rl.quantity.clone(),
                quantity_milli: ol.quantity.milli(),
                unit: rl.quantity_unit.code().to_ascii_lowercase(),
                unit_price: rl.unit_price,
                discount: rl.discount,
                vat_rate: i64::from(rl.tax_rate),
                gross: rl.total_amount,
                net: rl.total_amount_excluding_tax,
                vat: rl.total_tax_amount,
                is_return: rl.is_return,
            });
        }
        Ok(NewSaleRequest {
            lines: out,
            currency: basket.currency(),
            method,
            api,
            description,
            staff_id: None,
        })
    }

    /// The same sale, sold by `staff_id` (journaled as `sales.staff_id`).
    #[must_use]
    pub fn sold_by(mut self, staff_id: Option<String>) -> NewSaleRequest {
        self.staff_id = staff_id;
        self
    }

    /// One line of `amount` at 25 % VAT (headless `kasse pay --amount`).
    pub fn single_amount(
        amount: Money,
        method: PayMethod,
        api: ApiKind,
        description: Option<String>,
    ) -> NewSaleRequest {
        let gross = amount.minor();
        // VAT of a gross amount at 25 %: gross * 2500 / 12500, rounded half up.
        let vat = (gross * 2500 + 6250) / 12500;
        NewSaleRequest {
            lines: vec![NewSaleLine {
                product_id: None,
                name: description.clone().unwrap_or_else(|| "Varer".to_owned()),
                quantity: "1".into(),
                quantity_milli: 1000,
                unit: "pcs".into(),
                unit_price: gross,
                discount: 0,
                vat_rate: 2500,
                gross,
                net: gross - vat,
                vat,
                is_return: false,
            }],
            currency: amount.currency(),
            method,
            api,
            description,
            staff_id: None,
        }
    }
}

/// The cashier's choice when the customer approved while the sale was being aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Keep the sale: capture and hand over the goods.
    Complete,
    /// Release the money on purpose (cancel the reservation; refund if already captured).
    Void,
}

/// Engine errors, with a cashier message in both languages.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{}", .0.en)]
    Offline(Text),
    #[error("{}", .0.en)]
    Invalid(Text),
    #[error("payment {0} is not running in this engine")]
    UnknownPayment(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{}", .0.en)]
    Other(Text),
}

impl EngineError {
    pub fn message(&self) -> Text {
        match self {
            EngineError::Offline(t) | EngineError::Invalid(t) | EngineError::Other(t) => t.clone(),
            EngineError::UnknownPayment(id) => Text::new(
                format!("Betaling {id} er ikke aktiv i kassen."),
                format!("Payment {id} is not active in this till."),
            ),
            EngineError::Store(e) => e.message(),
        }
    }
}

pub(crate) struct Inner {
    pub cfg: EngineConfig,
    pub store: AsyncStore,
    pub backends: Backends,
    pub clock: Arc<dyn Clock>,
    pub events: broadcast::Sender<EngineEvent>,
    pub worker_kick: Notify,
    pub network: watch::Sender<NetworkState>,
    pub drivers: Mutex<HashMap<i64, mpsc::UnboundedSender<DriverMsg>>>,
    pub snapshots: Mutex<HashMap<i64, PaymentSnapshot>>,
    pub shutdown: watch::Sender<bool>,
    /// Currencies Vipps refused for this MSN (ePayment 5040 on a create): later sales in them
    /// are refused before anything is journaled or sent. Kept for this run of the engine.
    pub refused_currencies: Mutex<Vec<Currency>>,
    /// Alerts raised and not yet cleared (published as [`EngineEvent::Alert`] on change).
    pub alerts: Mutex<std::collections::HashSet<AlertKind>>,
    /// Outbox rows may have been left `in_flight` by a write that failed; the worker puts
    /// them back to pending (between batches) once the journal writes again.
    pub outbox_reset: std::sync::atomic::AtomicBool,
}

impl Inner {
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    pub fn publish(&self, ev: EngineEvent) {
        if let EngineEvent::Payment(s) = &ev
            && let Ok(mut m) = self.snapshots.lock()
        {
            m.insert(s.id, s.clone());
        }
        let _ = self.events.send(ev);
    }

    pub fn is_offline(&self) -> bool {
        *self.network.borrow() == NetworkState::Offline
    }

    /// Vipps answered 5040 (currency not supported by the sales unit) to a create in `currency`.
    pub fn note_currency_refused(&self, currency: Currency) {
        if let Ok(mut v) = self.refused_currencies.lock()
            && !v.contains(&currency)
        {
            v.push(currency);
        }
    }

    /// The cashier's message when Vipps already refused `currency` for this MSN.
    pub fn currency_refused(&self, currency: Currency) -> Option<Text> {
        let refused = self
            .refused_currencies
            .lock()
            .map(|v| v.contains(&currency))
            .unwrap_or(false);
        refused.then(|| currency_refused_text(&self.cfg.msn, currency))
    }

    /// Raise or clear an alert; publishes only on change.
    pub fn set_alert(&self, kind: AlertKind, active: bool) {
        let changed = self.alerts.lock().is_ok_and(|mut a| {
            if active {
                a.insert(kind)
            } else {
                a.remove(&kind)
            }
        });
        if changed {
            if active {
                tracing::error!(alert = kind.code(), "alert raised");
            } else {
                tracing::warn!(alert = kind.code(), "alert cleared");
            }
            self.publish(EngineEvent::Alert { kind, active });
        }
    }

    /// The journal writes (see [`AsyncStore::is_writable`]). No call that moves money is made
    /// while it does not.
    pub fn journal_writable(&self) -> bool {
        self.store.is_writable()
    }

    /// Note the result of any Vipps call: the state flips at once (see [`NetworkState::after`]).
    /// A 401/403 raises the "keys refused" alert; an answer from behind the gateway (success,
    /// not found, a refusal of the request itself) clears it.
    pub fn observe(&self, r: Result<(), &ProviderError>) {
        use crate::engine::provider::ErrorClass;
        match r {
            Ok(()) => self.set_alert(AlertKind::KeysRefused, false),
            // The gateway's own 401/403 carries no Vipps error code; a 403 with one (e.g.
            // 5080 "push not enabled") is Vipps refusing this request, not the keys.
            Err(e) if matches!(e.http_status, Some(401 | 403)) && e.code.is_none() => {
                self.set_alert(AlertKind::KeysRefused, true)
            }
            Err(e) if matches!(e.class, ErrorClass::NotFound | ErrorClass::Rejected) => {
                if e.http_status.is_some() {
                    self.set_alert(AlertKind::KeysRefused, false)
                }
            }
            Err(_) => {}
        }
        let next = NetworkState::after(r);
        let changed = self.network.send_if_modified(|s| {
            if *s != next {
                *s = next;
                true
            } else {
                false
            }
        });
        if changed {
            tracing::warn!(state = ?next, "Vipps network state changed");
            self.publish(EngineEvent::Network(next));
            if next == NetworkState::Online {
                self.worker_kick.notify_one();
            }
        }
    }

    pub fn send_driver(&self, payment_id: i64, msg: DriverMsg) -> bool {
        let tx = self
            .drivers
            .lock()
            .ok()
            .and_then(|m| m.get(&payment_id).cloned());
        match tx {
            Some(tx) => tx.send(msg).is_ok(),
            None => false,
        }
    }

    pub async fn publish_outbox_counts(&self) {
        let counts = self
            .store
            .run(|s| {
                // Two counts over partial indexes: run after every batch the worker sends, so
                // they must not read the whole outbox (it keeps every row it ever sent).
                let pending = s.pending_count()?;
                let dead = s.dead_unacknowledged_count()?;
                Ok((pending, dead))
            })
            .await;
        match counts {
            Ok((pending, dead)) => self.publish(EngineEvent::Outbox {
                pending: u64::try_from(pending).unwrap_or(0),
                dead: u64::try_from(dead).unwrap_or(0),
            }),
            Err(e) => tracing::error!(error = %e, "cannot count outbox rows"),
        }
    }
}

/// The checkout engine. Cheap to clone; all clones drive the same payments.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("shop_id", &self.inner.cfg.shop_id)
            .field("till_id", &self.inner.cfg.till_id)
            .finish_non_exhaustive()
    }
}

/// Vipps' sales unit `msn` does not take `currency` (ePayment 5040).
pub(crate) fn currency_refused_text(msn: &str, currency: Currency) -> Text {
    let c = currency.code();
    Text::new(
        format!(
            "Vipps-salgsstedet {msn} tar ikke {c}. Sett shop.currency til salgsstedets valuta, eller bruk et salgssted (vipps.msn) for {c}."
        ),
        format!(
            "The Vipps sales unit {msn} does not take {c}. Set shop.currency to the sales unit's currency, or use a sales unit (vipps.msn) for {c}."
        ),
    )
}

/// Follow whether the journal writes: raise the alert the moment a write fails, try a write
/// every `probe_interval` while it fails, clear the alert and wake the worker once it works.
fn spawn_journal_watch(inner: Arc<Inner>) {
    tokio::spawn(async move {
        let mut shutdown = inner.shutdown.subscribe();
        let mut writable = inner.store.watch_writable();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if inner.journal_writable() {
                inner.set_alert(AlertKind::JournalUnwritable, false);
                tokio::select! {
                    r = writable.changed() => if r.is_err() { break },
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            inner.set_alert(AlertKind::JournalUnwritable, true);
            inner
                .outbox_reset
                .store(true, std::sync::atomic::Ordering::SeqCst);
            tokio::select! {
                _ = tokio::time::sleep(inner.cfg.probe_interval) => {}
                _ = shutdown.changed() => {}
            }
            if inner.store.probe_write().await.is_ok() {
                inner.set_alert(AlertKind::JournalUnwritable, false);
                inner.worker_kick.notify_one();
            }
        }
    });
}

fn offline_text() -> Text {
    Text::new(
        "Vipps kan ikke nås akkurat nå. En Vipps-betaling kan ikke godkjennes uten nett – ta imot kontant eller kort, eller prøv igjen når nettet er tilbake.",
        "Vipps cannot be reached right now. A Vipps payment cannot be approved offline – take cash or card, or try again when the network is back.",
    )
}

impl Engine {
    /// Build the engine, start the outbox worker and the network probe, and run recovery:
    /// every unfinished payment is read back from Vipps and driven to its true state. The
    /// recovered sales are returned and also published as [`EngineEvent::Recovered`].
    pub async fn start(
        cfg: EngineConfig,
        store: AsyncStore,
        backends: Backends,
        clock: Arc<dyn Clock>,
    ) -> Result<(Engine, Vec<RecoveredSale>), EngineError> {
        let (events, _) = broadcast::channel(1024);
        let (network, _) = watch::channel(NetworkState::Unknown);
        let (shutdown, _) = watch::channel(false);
        let engine = Engine {
            inner: Arc::new(Inner {
                cfg,
                store,
                backends,
                clock,
                events,
                worker_kick: Notify::new(),
                network,
                drivers: Mutex::new(HashMap::new()),
                snapshots: Mutex::new(HashMap::new()),
                shutdown,
                refused_currencies: Mutex::new(Vec::new()),
                alerts: Mutex::new(std::collections::HashSet::new()),
                outbox_reset: std::sync::atomic::AtomicBool::new(false),
            }),
        };
        crate::engine::worker::spawn(engine.inner.clone());
        spawn_journal_watch(engine.inner.clone());
        crate::engine::network::spawn_probe(engine.inner.clone());
        let recovered = engine.recover().await?;
        Ok((engine, recovered))
    }

    /// Subscribe to engine events. Subscribe before `start_payment` to see every change.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// The journal handle the engine writes to.
    /// The engine's clock now (injected at start; the tests' clock in tests).
    pub fn now(&self) -> time::OffsetDateTime {
        self.inner.now()
    }

    /// The engine's clock, for the flows that run beside it (refunds, reports, batches).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    pub fn store(&self) -> AsyncStore {
        self.inner.store.clone()
    }

    /// The till's shop id, till id and whether it runs in training (`--demo`), for the
    /// journal rows written beside the engine (parked and voided baskets).
    pub fn identity(&self) -> (String, String, bool) {
        let c = &self.inner.cfg;
        (c.shop_id.clone(), c.till_id.clone(), c.training)
    }

    /// Current network state.
    pub fn network(&self) -> NetworkState {
        *self.inner.network.borrow()
    }

    /// The last snapshot published for a payment.
    pub fn snapshot(&self, payment_id: i64) -> Option<PaymentSnapshot> {
        self.inner
            .snapshots
            .lock()
            .ok()
            .and_then(|m| m.get(&payment_id).cloned())
    }

    /// The payment id for a reference (payments this engine has published).
    pub fn payment_id(&self, reference: &str) -> Option<i64> {
        self.inner.snapshots.lock().ok().and_then(|m| {
            m.values()
                .filter(|s| s.reference == reference)
                .map(|s| s.id)
                .max()
        })
    }

    /// Wake the outbox worker now (e.g. after staff acted on a row).
    pub fn kick_worker(&self) {
        self.inner.worker_kick.notify_one();
    }

    /// Stop background tasks (drivers stop at their next step; the journal keeps everything,
    /// so a new engine recovers where this one stopped).
    pub fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        self.inner.worker_kick.notify_waiters();
    }

    /// Start a payment. Writes the sale, lines, payment, reference and every idempotency key
    /// in one transaction, then returns; a driver task does the network work and publishes
    /// [`EngineEvent::Payment`] snapshots.
    pub async fn start_payment(&self, req: NewSaleRequest) -> Result<i64, EngineError> {
        self.start_payment_with_cash(req, 0).await
    }

    /// A split tender: `cash` (more than 0, less than the basket total) was taken in cash; Vipps
    /// is asked for the rest. Like [`Engine::start_payment`], the sale (every line, the full
    /// total, tender `cash+vipps`), the cash part, the payment for the remainder and its keys
    /// are written in one transaction before any network call. The Vipps receipt lists every
    /// line with `bottomLine.paymentSources.cash` = the cash part.
    pub async fn start_split_payment(
        &self,
        req: NewSaleRequest,
        cash: Money,
    ) -> Result<i64, EngineError> {
        if cash.minor() <= 0 || cash.currency() != req.currency {
            return Err(EngineError::Invalid(Text::new(
                format!("Kontantdelen {cash} må være mer enn 0 i salgets valuta."),
                format!("The cash part {cash} must be more than 0 in the sale's currency."),
            )));
        }
        self.start_payment_with_cash(req, cash.minor()).await
    }

    async fn start_payment_with_cash(
        &self,
        req: NewSaleRequest,
        cash: i64,
    ) -> Result<i64, EngineError> {
        if self.inner.is_offline() {
            return Err(EngineError::Offline(offline_text()));
        }
        let inner = &self.inner;
        // Nothing is sent to Vipps unless the sale and its keys are journaled first: while the
        // journal cannot write, refuse at once (after one fresh try, in case it works again).
        if !inner.journal_writable() && inner.store.probe_write().await.is_err() {
            inner.set_alert(AlertKind::JournalUnwritable, true);
            return Err(EngineError::Other(AlertKind::JournalUnwritable.text()));
        }
        if req.lines.is_empty() {
            return Err(EngineError::Invalid(Text::new(
                "Handlekurven er tom. Legg til en vare før betaling.",
                "The basket is empty. Add an item before taking payment.",
            )));
        }
        let mut gross = 0i64;
        let mut vat = 0i64;
        let mut net = 0i64;
        for l in &req.lines {
            if l.gross - l.net != l.vat {
                return Err(EngineError::Invalid(Text::new(
                    format!(
                        "Linjen «{}» har feil MVA-beløp (brutto − netto ≠ MVA).",
                        l.name
                    ),
                    format!(
                        "Line \"{}\" has a wrong VAT amount (gross − net ≠ VAT).",
                        l.name
                    ),
                )));
            }
            gross = gross.saturating_add(if l.is_return { -l.gross } else { l.gross });
            vat = vat.saturating_add(if l.is_return { -l.vat } else { l.vat });
            net = net.saturating_add(if l.is_return { -l.net } else { l.net });
        }
        // What Vipps is asked for: the total, or what is left after the cash part.
        let vipps_amount = gross.saturating_sub(cash);
        if cash > 0 && cash >= gross {
            return Err(EngineError::Invalid(Text::new(
                format!(
                    "Kontantdelen {} dekker hele beløpet {}; ta det som kontantsalg.",
                    Money::new(cash, req.currency),
                    Money::new(gross, req.currency)
                ),
                format!(
                    "The cash part {} covers the whole amount {}; take it as a cash sale.",
                    Money::new(cash, req.currency),
                    Money::new(gross, req.currency)
                ),
            )));
        }
        // Limits and currency are checked before any sale is journaled or sent.
        crate::domain::money::check_vipps_amount(
            req.api.vipps_api(),
            Money::new(vipps_amount, req.currency),
        )
        .map_err(|r| EngineError::Invalid(r.text()))?;
        if let Some(t) = inner.currency_refused(req.currency) {
            return Err(EngineError::Invalid(t));
        }
        let flow = match &req.method {
            PayMethod::Push { customer } => {
                validate_customer(req.api, customer)?;
                FlowSpec::Push(customer.clone())
            }
            PayMethod::Qr => FlowSpec::Qr,
        };
        let description = req
            .description
            .clone()
            .unwrap_or_else(|| format!("Kjøp i butikk {}", inner.cfg.shop_id));
        let description = clamp_description(&description);
        let now = inner.now();
        let phone = match &req.method {
            PayMethod::Push {
                customer: CustomerId::Phone(p),
            } => Some(p.clone()),
            _ => None,
        };
        let new_sale = NewSale {
            shop_id: inner.cfg.shop_id.clone(),
            till_id: inner.cfg.till_id.clone(),
            staff_id: req.staff_id.clone().or_else(|| inner.cfg.staff_id.clone()),
            currency: req.currency.code().to_owned(),
            gross_total: gross,
            vat_total: vat,
            net_total: net,
            training: inner.cfg.training,
            tender: "vipps".into(),
            description: Some(description.clone()),
            lines: req.lines.clone(),
            payment: NewPayment {
                api: store_api(req.api),
                msn: inner.cfg.msn.clone(),
                flow: match flow {
                    FlowSpec::Push(_) => crate::store::Flow::Push,
                    FlowSpec::Qr => crate::store::Flow::Qr,
                },
                customer_phone: phone,
            },
            created_at: now,
        };
        let open_deadline = now + crate::domain::payment::OPEN_WINDOW;
        let total_deadline = now + crate::domain::payment::TOTAL_WINDOW;
        let api = req.api;
        let start = attempt_start(api, open_deadline, total_deadline);
        let ids = inner
            .store
            .run(move |s| s.begin_sale_started(&new_sale, cash, &start))
            .await?;
        let receipt = receipt_spec(
            &inner.cfg,
            &req.lines,
            &ids.receipt_number,
            &inner.cfg.shop_id,
            &inner.cfg.till_id,
            Money::new(cash, req.currency),
        );
        let resume = Resume {
            payment_id: ids.payment_id,
            sale_id: ids.sale_id,
            reference: ids.reference.clone(),
            api,
            amount: Money::new(vipps_amount, req.currency),
            keys: ids.keys.clone(),
            receipt_number: ids.receipt_number.clone(),
            receipt,
            flow: Some(flow),
            description,
            started_at: now,
            created_at: None,
            recovering: false,
            cancel_requested: false,
            recovered: None,
        };
        driver::spawn(inner.clone(), resume);
        Ok(ids.payment_id)
    }

    /// Pay the *same sale* by QR after its push attempt ended unpaid (typically Vipps refused
    /// the push: 7010 / 81 not a Vipps user, 5080 / 38 push not enabled for the sales unit). A
    /// new attempt — new reference and keys, written before any call — is made for the sale;
    /// the old attempt stays as it ended (failed). Refused while an attempt is unfinished, when
    /// the sale is paid, and for split sales (their cash was handed back). Returns the new
    /// payment's id.
    pub async fn retry_as_qr(&self, payment_id: i64) -> Result<i64, EngineError> {
        if self.inner.is_offline() {
            return Err(EngineError::Offline(offline_text()));
        }
        let inner = &self.inner;
        let msn = inner.cfg.msn.clone();
        let now = inner.now();
        let open_deadline = now + crate::domain::payment::OPEN_WINDOW;
        let total_deadline = now + crate::domain::payment::TOTAL_WINDOW;
        let found = inner
            .store
            .run(move |s| {
                let Some(old) = s.payment(payment_id)? else {
                    return Ok(None);
                };
                let api = api_kind(old.api);
                let ids = s.new_attempt_started(
                    old.sale_id,
                    &NewPayment {
                        api: old.api,
                        msn,
                        flow: crate::store::Flow::Qr,
                        customer_phone: None,
                    },
                    now,
                    &attempt_start(api, open_deadline, total_deadline),
                )?;
                let sale = s.sale(old.sale_id)?;
                Ok(sale.map(|sale| (ids, sale, api)))
            })
            .await?;
        let Some((ids, sale, api)) = found else {
            return Err(EngineError::UnknownPayment(payment_id));
        };
        let currency = Currency::parse(&sale.sale.currency).unwrap_or(Currency::Nok);
        let lines: Vec<NewSaleLine> = sale.lines.iter().map(|l| l.line.clone()).collect();
        let receipt = receipt_spec(
            &inner.cfg,
            &lines,
            &ids.receipt_number,
            &sale.sale.shop_id,
            &sale.sale.till_id,
            Money::new(0, currency),
        );
        let resume = Resume {
            payment_id: ids.payment_id,
            sale_id: ids.sale_id,
            reference: ids.reference.clone(),
            api,
            amount: Money::new(sale.sale.gross_total, currency),
            keys: ids.keys.clone(),
            receipt_number: ids.receipt_number.clone(),
            receipt,
            flow: Some(FlowSpec::Qr),
            description: clamp_description(
                &sale
                    .sale
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("Kjøp i butikk {}", inner.cfg.shop_id)),
            ),
            started_at: now,
            created_at: None,
            recovering: false,
            cancel_requested: false,
            recovered: None,
        };
        driver::spawn(inner.clone(), resume);
        Ok(ids.payment_id)
    }

    /// The cashier aborts: cancel (ePayment `cancelTransactionOnly`), then read back. If the
    /// customer approved meanwhile the payment goes to `needs_decision`.
    pub fn cancel_payment(&self, payment_id: i64) -> Result<(), EngineError> {
        if self.inner.send_driver(payment_id, DriverMsg::Cancel) {
            Ok(())
        } else {
            Err(EngineError::UnknownPayment(payment_id))
        }
    }

    /// Settle a payment in `needs_decision`: complete (capture) or void (release), recording
    /// who decided and why in the journal.
    pub fn resolve_after_cancel(
        &self,
        payment_id: i64,
        resolution: Resolution,
        staff_id: &str,
        why: &str,
    ) -> Result<(), EngineError> {
        if self.inner.send_driver(
            payment_id,
            DriverMsg::Resolve {
                resolution,
                staff_id: staff_id.to_owned(),
                why: why.to_owned(),
            },
        ) {
            Ok(())
        } else {
            Err(EngineError::UnknownPayment(payment_id))
        }
    }

    /// Read one payment back from Vipps through this engine's provider for `api` (`id` is
    /// the reference, or the pspTransactionId for PSP). For staff reads (reconciliation).
    pub async fn read_payment(
        &self,
        api: ApiKind,
        id: &str,
    ) -> Result<crate::engine::provider::ReadResult, ProviderError> {
        self.inner.backends.provider(api).read(id).await
    }
}

fn validate_customer(api: ApiKind, c: &CustomerId) -> Result<(), EngineError> {
    match c {
        CustomerId::Phone(p) => {
            let digits_ok = p.chars().all(|c| c.is_ascii_digit());
            let len_ok = match api {
                ApiKind::Epayment => (10..=15).contains(&p.len()),
                // eCom / PSP take the 8-digit Norwegian number (country code removed later).
                ApiKind::Ecom | ApiKind::Psp => {
                    p.len() == 8 || (p.len() == 10 && p.starts_with("47"))
                }
            };
            if digits_ok && len_ok {
                Ok(())
            } else {
                Err(EngineError::Invalid(Text::new(
                    format!(
                        "Telefonnummeret «{p}» er ugyldig. Skriv landkode og nummer, f.eks. 4791234567."
                    ),
                    format!(
                        "The phone number \"{p}\" is invalid. Enter country code and number, e.g. 4791234567."
                    ),
                )))
            }
        }
        CustomerId::PersonalQr(q) => {
            if api != ApiKind::Epayment {
                return Err(EngineError::Invalid(Text::new(
                    "Personlig QR fungerer bare med ePayment. Velg ePayment eller skriv inn telefonnummeret.",
                    "A personal QR only works with ePayment. Choose ePayment or type the phone number.",
                )));
            }
            if (5..=255).contains(&q.chars().count()) {
                Ok(())
            } else {
                Err(EngineError::Invalid(Text::new(
                    "Den skannede QR-koden er ikke en gyldig personlig QR (5–255 tegn). Skann igjen.",
                    "The scanned QR is not a valid personal QR (5–255 characters). Scan again.",
                )))
            }
        }
    }
}

fn clamp_description(d: &str) -> String {
    let mut s: String = d.chars().take(100).collect();
    while s.chars().count() < 3 {
        s.push('.');
    }
    s
}

pub(crate) fn store_api(api: ApiKind) -> crate::store::Api {
    match api {
        ApiKind::Epayment => crate::store::Api::Epayment,
        ApiKind::Ecom => crate::store::Api::Ecom,
        ApiKind::Psp => crate::store::Api::Psp,
    }
}

pub(crate) fn api_kind(api: crate::store::Api) -> ApiKind {
    match api {
        crate::store::Api::Epayment => ApiKind::Epayment,
        crate::store::Api::Ecom => ApiKind::Ecom,
        crate::store::Api::Psp => ApiKind::Psp,
    }
}

pub use crate::domain::reference::psp_transaction_id;

/// The Vipps receipt of a sale (ePayment create, eCom Order Management, recovery): lines from
/// the journal (every line of the basket, also for a split tender), `receiptNumber`, `posId` =
/// `<shop>-<till>`, barcode as configured, and `paymentSources.cash` = `cash` when part of the
/// sale was paid in cash (a split tender; zero = Vipps only). No tips, so no `tipAmount`.
/// Recovery and the outbox rebuild it from the journal with the same cash part
/// ([`crate::store::SaleRecord::cash_part`]), so a re-sent create has the same body.
pub(crate) fn receipt_spec(
    cfg: &EngineConfig,
    lines: &[NewSaleLine],
    receipt_number: &str,
    shop_id: &str,
    till_id: &str,
    cash: Money,
) -> ReceiptSpec {
    let mut spec = ReceiptSpec::new(
        receipt_lines(lines),
        receipt_number,
        format!("{shop_id}-{till_id}"),
        cfg.receipt_barcode,
    );
    if cash.minor() > 0 {
        spec.other_tenders = vec![crate::receipt::model::Tender::cash(cash, cash)];
    }
    spec
}

/// Receipt lines from journal lines: amounts non-negative, returns flagged with `is_return`
/// (as Order Management requires); the VAT identity holds per line.
pub(crate) fn receipt_lines(lines: &[NewSaleLine]) -> Vec<ReceiptLineSpec> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| ReceiptLineSpec {
            name: l.name.clone(),
            id: l
                .product_id
                .clone()
                .unwrap_or_else(|| format!("line-{}", i + 1)),
            total_amount: l.gross,
            total_amount_excluding_tax: l.net,
            total_tax_amount: l.vat,
            tax_rate: l.vat_rate,
            quantity: l.quantity.replace(',', "."),
            unit: l.unit.clone(),
            unit_price: l.unit_price,
            discount: l.discount,
            is_return: l.is_return,
        })
        .collect()
}

/// The deadlines and (PSP) transaction id a new attempt is written with.
fn attempt_start(
    api: ApiKind,
    open_deadline: time::OffsetDateTime,
    total_deadline: time::OffsetDateTime,
) -> crate::store::AttemptStart {
    crate::store::AttemptStart {
        user_deadline_at: Some(open_deadline),
        approval_deadline_at: Some(total_deadline),
        psp_transaction_id: (api == ApiKind::Psp)
            .then_some(psp_transaction_id as fn(&str) -> String),
    }
}
