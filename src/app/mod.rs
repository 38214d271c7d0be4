//! The imperative shell that ties the pieces together for the binary: config → data dir →
//! journal → (simulator in `--demo`) → engine → screen or headless command.
//!
//! Everything here is wiring; the decisions live in `domain`, `engine` and `tui`.

use crate::clock::{Clock, RandomIds, SystemClock};
use crate::config::{Config, Environment};
use crate::domain::money::Money;
use crate::engine::acquirer::{Acquirer, SimulatedAcquirer};
use crate::engine::build::{ConnectSettings, Running, connect};
use crate::engine::doctor::{api_of, settings_from_config};
use crate::engine::provider::CustomerId;
use crate::engine::{
    ApiKind, Engine, EngineEvent, NetworkState, NewSaleRequest, PayMethod, PaymentSnapshot,
    PaymentState, Resolution,
};
use crate::lang::{Lang, Text};
use crate::sim::{SimConfig, SimHandle};
use crate::store::AsyncStore;
use crate::tui::{self, AppEvent, Command, PaymentStatusView, PaymentView, SimCustomerAction};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

mod staff;
mod staff_exec;
pub use staff::{
    StaffAccess, add_staff, create_first_manager, demo_login, list_staff, login_at_till,
    login_at_till_warned, open_staff, staff_ctx, verify_manager_pin,
};
pub use staff_exec::{EngineReader, REFUND_WAIT, execute_staff};

/// Options shared by every command.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    /// Run on the embedded simulator with a demo database (TRAINING).
    pub demo: bool,
    pub kiosk: bool,
}

/// Errors that stop the app before it runs, with a message for the operator.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{}", .0.en)]
    Message(Text),
}

impl AppError {
    pub fn text(&self) -> &Text {
        match self {
            AppError::Message(t) => t,
        }
    }
}

fn msg(nb: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::Message(Text::new(nb, en))
}

/// Load the config (`--config` or the platform dir; none at all = simulator defaults).
pub fn load_config(opts: &Options) -> Result<Config, AppError> {
    let mut cfg = Config::load(opts.config.as_deref()).map_err(|e| {
        let s = e.to_string();
        msg(
            format!("Feil i konfigurasjonen: {s}"),
            format!("Configuration error: {s}"),
        )
    })?;
    if opts.kiosk {
        cfg.ui.kiosk = true;
    }
    Ok(cfg)
}

/// The data directory: `--data-dir`, else the platform data dir; `--demo` uses `demo/` inside
/// it so training sales never mix with real ones.
pub fn data_dir(opts: &Options) -> Result<PathBuf, AppError> {
    let base = match &opts.data_dir {
        Some(d) => d.clone(),
        None => crate::store::default_data_dir().ok_or_else(|| {
            msg(
                "Fant ingen datamappe for denne brukeren; start med --data-dir MAPPE.",
                "No data directory for this user; start with --data-dir DIR.",
            )
        })?,
    };
    let dir = if opts.demo { base.join("demo") } else { base };
    // 0700: the journal holds staff and money data (fixed on every start if loosened).
    crate::ops::perms::create_private_dir(&dir).map_err(|e| {
        msg(
            format!("Kan ikke lage datamappen {}: {e}", dir.display()),
            format!("Cannot create the data directory {}: {e}", dir.display()),
        )
    })?;
    Ok(dir)
}

/// Log to `<data_dir>/logs/kasse.log`, never to the screen. The guard must live until exit.
pub fn init_logging(dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let logs = dir.join("logs");
    crate::ops::perms::create_private_dir(&logs).ok()?;
    // The appender creates a file per UTC day with the default mode: create today's and
    // tomorrow's first, 0600 (the 0700 folder covers any later day).
    crate::ops::perms::precreate_daily_logs(&logs, "kasse.log", time::OffsetDateTime::now_utc());
    let appender = tracing_appender::rolling::daily(logs, "kasse.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("KASSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// A running till: engine (with its PSP server), journal, and the simulator in `--demo`.
pub struct Till {
    pub running: Running,
    pub sim: Option<SimHandle>,
    pub config: Config,
    pub lang: Lang,
    pub api: ApiKind,
    pub data_dir: PathBuf,
    /// This database got a new install id since it last ran (moved, copied, restored): said
    /// once, on stderr and on the till's screen.
    pub install_notice: Option<Text>,
}

impl std::fmt::Debug for Till {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Till")
            .field("data_dir", &self.data_dir)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl Till {
    pub fn engine(&self) -> &Engine {
        &self.running.engine
    }

    pub fn store(&self) -> AsyncStore {
        self.running.engine_store()
    }

    /// Stop background tasks and the simulator.
    pub async fn shutdown(self) {
        let (shop, till) = (
            self.config.shop.shop_id.clone(),
            self.config.shop.till_id.clone(),
        );
        let stop =
            move |s: &mut crate::store::Store| s.journal_app_stop(&shop, &till, SystemClock.now());
        if let Err(e) = self.store().run(stop).await {
            tracing::error!(error = %e, "cannot journal the application stop (13002)");
        }
        self.running.shutdown().await;
        if let Some(sim) = self.sim {
            let _ = sim.shutdown().await;
        }
    }
}

/// Start the simulator in-process on a free loopback port.
pub async fn start_sim(
    auto_approve_after: Option<std::time::Duration>,
) -> Result<SimHandle, AppError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| {
            msg(
                format!("Kan ikke starte simulatoren: {e}"),
                format!("Cannot start the simulator: {e}"),
            )
        })?;
    let cfg = SimConfig {
        auto_approve_after,
        ..SimConfig::default()
    };
    crate::sim::serve(listener, cfg).await.map_err(|e| {
        msg(
            format!("Kan ikke starte simulatoren: {e}"),
            format!("Cannot start the simulator: {e}"),
        )
    })
}

/// Open the journal, start the simulator in `--demo`, connect the engine and run recovery.
pub async fn start_till(
    opts: &Options,
    mut config: Config,
    dir: PathBuf,
    auto_approve_after: Option<std::time::Duration>,
) -> Result<Till, AppError> {
    let lang = config.ui.language;
    let sim = if opts.demo {
        let sim = start_sim(auto_approve_after).await?;
        config.vipps.environment = Environment::Sim;
        config.vipps.base_url = sim.base_url();
        config.vipps.msn = crate::sim::DEFAULT_MSN.to_owned();
        config.vipps.client_id = crate::config::SIM_CLIENT_ID.to_owned().into();
        config.vipps.client_secret = crate::config::SIM_CLIENT_SECRET.to_owned().into();
        config.vipps.subscription_key = crate::config::SIM_SUBSCRIPTION_KEY.to_owned().into();
        config.psp.make_payment_listen = "127.0.0.1:0".into();
        config.psp.make_payment_public_url = None;
        Some(sim)
    } else {
        None
    };
    let api = api_of(config.vipps.api);
    let acquirer: Arc<dyn Acquirer> = match (api, config.vipps.environment) {
        (ApiKind::Psp, Environment::Test | Environment::Production) => {
            return Err(msg(
                "PSP-modus mot Vipps trenger en innløserintegrasjon, og kasse har bare den simulerte. Bruk api = \"epayment\".",
                "PSP mode against Vipps needs an acquirer integration; kasse only has the simulated one. Use api = \"epayment\".",
            ));
        }
        _ => Arc::new(SimulatedAcquirer::new()),
    };
    let mut settings: ConnectSettings =
        settings_from_config(&config, &RandomIds).map_err(|e| AppError::Message(e.message()))?;
    // Training sales (Vipps, cash and split) never mix with real ones in the journal.
    settings.engine.training = opts.demo;
    let store_dir = dir.clone();
    let (shop, till) = (config.shop.shop_id.clone(), config.shop.till_id.clone());
    let (store, notice) = tokio::task::spawn_blocking(move || {
        let mut s = crate::store::Store::open_in_dir(&store_dir)?;
        // Fiscal journal: signed in local time; start (13001) and a version change (13007).
        s.set_fiscal_offset(
            time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
        );
        s.journal_app_start(&shop, &till, env!("CARGO_PKG_VERSION"), SystemClock.now())?;
        // A copied or moved journal gets its new install id now, before any reference.
        s.install_id_at(time::OffsetDateTime::now_utc())?;
        let notice = s.take_install_notice()?;
        Ok::<_, crate::store::StoreError>((s, notice))
    })
    .await
    .map_err(|e| msg(format!("Databasefeil: {e}"), format!("Database error: {e}")))?
    .map_err(|e| AppError::Message(e.message()))?;
    let install_notice = notice.map(|row| install_notice_text(&row));
    if let Some(t) = &install_notice {
        tracing::warn!(notice = %t.en, "install id renewed");
        eprintln!("kasse: {}", t.get(lang));
    }
    let store = AsyncStore::new(store).map_err(|e| AppError::Message(e.message()))?;
    // The journal's -wal/-shm exist now: check and fix every mode.
    crate::ops::perms::secure_and_log(&dir);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let running = connect(settings, store.clone(), clock.clone(), acquirer)
        .await
        .map_err(|e| AppError::Message(e.message()))?;
    // A refund recorded just before a crash but not yet queued goes out now, same key.
    match crate::staff::StaffDb::open(
        &dir.join(crate::store::DB_FILE_NAME),
        &config.shop.shop_id,
        &config.shop.till_id,
    ) {
        Ok(db) => match crate::staff::refund::requeue_unsent(&db, &store, clock.now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(refunds = n, "re-queued refunds left unsent by a crash");
                running.engine.kick_worker();
            }
            Err(e) => tracing::error!(error = %e, "cannot re-queue unsent refunds"),
        },
        Err(e) => tracing::error!(error = %e, "cannot open the staff journal"),
    }
    Ok(Till {
        running,
        sim,
        config,
        lang,
        api,
        data_dir: dir,
        install_notice,
    })
}

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

fn network_view(n: NetworkState) -> tui::NetworkState {
    match n {
        NetworkState::Online => tui::NetworkState::Online,
        NetworkState::Offline => tui::NetworkState::Offline,
        NetworkState::NotAnswering => tui::NetworkState::NotAnswering,
        NetworkState::Unknown => tui::NetworkState::Unknown,
    }
}

/// The engine's request for a Vipps payment of `basket` (push or QR), sold by `staff_id`:
/// shared by the plain and the split-tender start.
fn vipps_sale_request(
    api: ApiKind,
    basket: &crate::domain::basket::Basket,
    method: tui::PayMethod,
    staff_id: Option<String>,
) -> Result<NewSaleRequest, Text> {
    let method = match method {
        tui::PayMethod::Qr => PayMethod::Qr,
        tui::PayMethod::Push {
            phone_or_personal_qr,
        } => PayMethod::Push {
            customer: customer_of(api, &phone_or_personal_qr)?,
        },
    };
    NewSaleRequest::from_basket(basket, method, api, None)
        .map(|r| r.sold_by(staff_id))
        .map_err(|e| e.message())
}

/// Who to push to: digits are a phone number (normalised for the API), anything else is a
/// scanned personal QR, passed on unmodified.
pub fn customer_of(api: ApiKind, input: &str) -> Result<CustomerId, Text> {
    let trimmed = input.trim();
    let looks_like_phone = !trimmed.is_empty()
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '+' || c == ' ' || c == '-');
    if looks_like_phone {
        crate::engine::headless::parse_phone(api, trimmed)
            .map(CustomerId::Phone)
            .map_err(|e| e.message())
    } else if api == ApiKind::Epayment {
        Ok(CustomerId::PersonalQr(input.to_owned()))
    } else {
        Err(Text::new(
            "Personlig QR virker bare med ePayment. Tast kundens telefonnummer i stedet.",
            "A personal QR works only with ePayment. Type the customer's phone number instead.",
        ))
    }
}

/// Carry out one screen command against the engine (never on the UI task).
pub async fn execute(
    engine: &Engine,
    api: ApiKind,
    sim_base: Option<&str>,
    http: &reqwest::Client,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    cmd: Command,
) -> Option<AppEvent> {
    execute_with_progress(engine, api, sim_base, http, paper, staff, cmd, None).await
}

/// [`execute`], with `progress` receiving the intermediate events of long staff commands
/// (refund queued, X report before the reconciliation, batch progress for the gauge).
#[allow(clippy::too_many_arguments)]
pub async fn execute_with_progress(
    engine: &Engine,
    api: ApiKind,
    sim_base: Option<&str>,
    http: &reqwest::Client,
    paper: Option<&Paper>,
    staff: &StaffAccess,
    cmd: Command,
    progress: Option<&mpsc::UnboundedSender<AppEvent>>,
) -> Option<AppEvent> {
    match cmd {
        cmd @ (Command::FindSales { .. }
        | Command::LoadRefund { .. }
        | Command::Refund { .. }
        | Command::XReport { .. }
        | Command::CloseDay { .. }
        | Command::AcknowledgeOutbox { .. }
        | Command::LoadBatch { .. }
        | Command::RunBatch { .. }
        | Command::ReprintRefund { .. }
        | Command::PrintReport { .. }
        | Command::PrintStoredZ { .. }) => execute_staff(engine, paper, staff, cmd, progress).await,
        Command::VerifyManagerPin {
            request_id,
            pin,
            permission,
        } => Some(
            verify_manager_pin(
                staff,
                request_id,
                pin,
                permission,
                time::OffsetDateTime::now_utc(),
            )
            .await,
        ),
        Command::Login { request_id, pin } => {
            let (ev, warning) =
                login_at_till_warned(staff, request_id, pin, time::OffsetDateTime::now_utc()).await;
            // A short manager PIN: logged in first, then the warning on screen.
            match (warning, progress) {
                (Some(w), Some(tx)) => {
                    let _ = tx.send(ev);
                    Some(AppEvent::Error(w))
                }
                _ => Some(ev),
            }
        }
        Command::Logout { staff_id } => {
            let db = match staff {
                Ok(db) => db,
                Err(t) => return Some(AppEvent::Error(t.clone())),
            };
            let now = time::OffsetDateTime::now_utc();
            match db.run(move |db| db.logout_staff(&staff_id, now)).await {
                Ok(()) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            }
        }
        Command::StartPayment {
            basket,
            method,
            staff_id,
        } => {
            let req = match vipps_sale_request(api, &basket, method, staff_id) {
                Ok(r) => r,
                Err(t) => return Some(AppEvent::Error(t)),
            };
            match engine.start_payment(req).await {
                Ok(_) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            }
        }
        Command::PayByQr { reference } => match engine.payment_id(&reference) {
            Some(id) => match engine.retry_as_qr(id).await {
                Ok(_) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            },
            None => Some(AppEvent::Error(Text::new(
                format!("Fant ikke betalingen {reference}."),
                format!("Payment {reference} not found."),
            ))),
        },
        Command::CancelPayment { reference } => with_payment(engine, &reference, |id| {
            engine.cancel_payment(id).map_err(|e| e.message())
        }),
        Command::CompleteAfterCancel { reference } => with_payment(engine, &reference, |id| {
            engine
                .resolve_after_cancel(
                    id,
                    Resolution::Complete,
                    "cashier",
                    "customer approved during abort; cashier completed the sale",
                )
                .map_err(|e| e.message())
        }),
        Command::VoidAfterCancel { reference } => with_payment(engine, &reference, |id| {
            engine
                .resolve_after_cancel(
                    id,
                    Resolution::Void,
                    "cashier",
                    "customer approved during abort; cashier voided the sale",
                )
                .map_err(|e| e.message())
        }),
        Command::Customer { reference, action } => {
            let base = sim_base?;
            let what = match action {
                SimCustomerAction::Open => "open",
                SimCustomerAction::Approve => "approve",
                SimCustomerAction::Reject => "reject",
            };
            let url = format!("{base}/sim/v1/customer/{reference}/{what}");
            match http.post(url).send().await {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    Some(AppEvent::Error(Text::new(
                        format!("Simulatoren svarte {status}: {body}"),
                        format!("The simulator answered {status}: {body}"),
                    )))
                }
                Err(e) => Some(AppEvent::Error(Text::new(
                    format!("Simulatoren svarer ikke: {e}"),
                    format!("The simulator does not answer: {e}"),
                ))),
            }
        }
        Command::ReprintReceipt { reference } => match paper {
            Some(p) => p.reprint(&reference).await,
            None => Some(AppEvent::Error(
                crate::receipt::printer::PrintError::NoPrinter.text(),
            )),
        },
        Command::CashSale {
            basket,
            received,
            staff_id,
        } => {
            let req = match NewSaleRequest::from_basket(&basket, PayMethod::Qr, api, None) {
                Ok(r) => r.sold_by(staff_id),
                Err(e) => return Some(AppEvent::CashSale(Err(e.message()))),
            };
            match engine.record_cash_sale(req, received).await {
                Ok(ids) => {
                    let currency = received.currency();
                    if let Some(p) = paper {
                        // The receipt (with the drawer pulse) prints on its own task.
                        let (p, store) = (p.clone(), engine.store());
                        let sale_id = ids.sale_id;
                        tokio::spawn(async move {
                            if let Some(ev) = p.print_cash(&store, sale_id, received).await {
                                p.notify(ev);
                            }
                        });
                    }
                    Some(AppEvent::CashSale(Ok(crate::tui::msg::CashSaleDone {
                        receipt_number: ids.receipt_number,
                        // The exact total (the journal rounded it for the cash).
                        total: Money::new(
                            ids.cash_given - ids.change - ids.cash_rounding,
                            currency,
                        ),
                        received: Money::new(ids.cash_given, currency),
                        change: Money::new(ids.change, currency),
                    })))
                }
                Err(e) => Some(AppEvent::CashSale(Err(e.message()))),
            }
        }
        Command::StartSplitPayment {
            basket,
            method,
            cash,
            staff_id,
        } => {
            let req = match vipps_sale_request(api, &basket, method, staff_id) {
                Ok(r) => r,
                Err(t) => return Some(AppEvent::Error(t)),
            };
            match engine.start_split_payment(req, cash).await {
                Ok(_) => None,
                Err(e) => Some(AppEvent::Error(e.message())),
            }
        }
        Command::OpenDrawer => match paper {
            Some(p) => p.open_drawer().await,
            None => Some(AppEvent::Error(
                crate::receipt::printer::PrintError::NoPrinter.text(),
            )),
        },
        Command::SaveKioskLockout {
            failures,
            locked_until,
        } => {
            let saved = engine
                .store()
                .run(move |s| s.set_kiosk_lockout(failures, locked_until))
                .await;
            if let Err(e) = saved {
                tracing::error!(error = %e, "kiosk PIN lockout not saved");
            }
            None
        }
        Command::Quit => None,
    }
}

fn with_payment(
    engine: &Engine,
    reference: &str,
    f: impl FnOnce(i64) -> Result<(), Text>,
) -> Option<AppEvent> {
    match engine.payment_id(reference) {
        Some(id) => f(id).err().map(AppEvent::Error),
        None => Some(AppEvent::Error(Text::new(
            format!("Fant ikke betalingen {reference}."),
            format!("Payment {reference} not found."),
        ))),
    }
}

/// What the staff are told once when the journal got a new install id (moved, copied,
/// restored): references stay unique at Vipps because every new one carries the new id.
fn install_notice_text(row: &crate::store::InstallRow) -> Text {
    Text::new(
        format!(
            "Denne databasen har fått ny installasjons-id {} ({}). Nye Vipps-referanser bruker den, så de kan aldri kollidere med den gamle kopien.",
            row.install_id, row.reason
        ),
        format!(
            "This database has a new install id {} ({}). New Vipps references use it, so they can never clash with the old copy.",
            row.install_id, row.reason
        ),
    )
}

/// Run the cashier's screen until the cashier quits.
pub async fn run_tui(opts: &Options, till: &Till) -> Result<(), AppError> {
    let cfg = &till.config;
    let catalog = match (&cfg.ui.catalog, opts.demo) {
        (Some(path), _) => tui::catalog::load(path),
        (None, _) => tui::catalog::Catalog::demo(),
    }
    .map_err(|e| {
        msg(
            format!("Varekatalogen: {e}"),
            format!("Product catalog: {e}"),
        )
    })?;
    let keymap = tui::keymap::Keymap::load(cfg.ui.keymap.as_deref())
        .map_err(|e| msg(format!("Tastaturoppsett: {e}"), format!("Key map: {e}")))?;
    let theme = tui::theme::Theme::load(cfg.ui.theme.as_deref())
        .map_err(|e| msg(format!("Fargetema: {e}"), format!("Theme: {e}")))?;
    // Manager PINs: the staff journal, opened once, off the UI task.
    let (staff_cfg, staff_dir) = (cfg.clone(), till.data_dir.clone());
    let demo = opts.demo;
    let kiosk_mode = cfg.ui.kiosk;
    type Opened = (Arc<StaffAccess>, bool, bool, Option<tui::Cashier>);
    let (staff, has_manager, has_staff, cashier): Opened = tokio::task::spawn_blocking(move || {
        let staff = open_staff(&staff_cfg, &staff_dir);
        // --demo: a training manager, logged in automatically (never in kiosk mode).
        let cashier = match (&staff, demo && !kiosk_mode) {
            (Ok(db), true) => demo_login(db),
            _ => None,
        };
        let has_staff = match &staff {
            Ok(db) => db.has_active_staff().unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot read the staff list");
                false
            }),
            Err(_) => false,
        };
        let has_manager = match &staff {
            Ok(db) => match db.needs_first_manager() {
                Ok(needs) => !needs,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the staff list");
                    false
                }
            },
            Err(t) => {
                tracing::error!(error = %t.en, "cannot open the staff journal");
                false
            }
        };
        (Arc::new(staff), has_manager, has_staff, cashier)
    })
    .await
    .map_err(|e| msg(format!("Databasefeil: {e}"), format!("Database error: {e}")))?;
    // Manager-only actions ask for a PIN once a manager exists, or when the journal cannot be
    // read (then the check fails with the reason rather than letting the action through).
    let manager_pins = has_manager || staff.is_err();
    let kiosk = if cfg.ui.kiosk {
        // A manager's PIN unlocks kiosk mode; the kiosk PIN is the fallback until one exists.
        let pin = match (cfg.ui.kiosk_pin.clone(), has_manager) {
            (Some(pin), _) => pin,
            (None, true) => secrecy::SecretString::from(String::new()),
            (None, false) => {
                return Err(msg(
                    "Kioskmodus trenger en PIN for å avslutte: opprett en leder (kasse create-manager) eller sett ui.kiosk_pin / KASSE_KIOSK_PIN.",
                    "Kiosk mode needs a PIN to quit: create a manager (kasse create-manager) or set ui.kiosk_pin / KASSE_KIOSK_PIN.",
                ));
            }
        };
        Some(tui::KioskSettings {
            pin,
            return_after: std::time::Duration::from_secs(8),
            idle_reset: std::time::Duration::from_secs(120),
        })
    } else {
        None
    };
    let environment = if opts.demo {
        tui::EnvLabel::Training
    } else {
        match cfg.vipps.environment {
            Environment::Production => tui::EnvLabel::Prod,
            Environment::Test | Environment::Sim => tui::EnvLabel::Test,
        }
    };
    let ctx = tui::RunContext {
        environment,
        msn: cfg.vipps.msn.clone(),
        vipps_api: api_of(cfg.vipps.api).vipps_api(),
        lang: till.lang,
        currency: cfg.shop.currency,
        kiosk,
        catalog,
        keymap,
        theme,
        demo: opts.demo,
        clock: Arc::new(SystemClock),
        utc_offset: time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
        tick: std::time::Duration::from_millis(250),
        manager_pins,
        // Staff exist: log in before selling (kiosk mode never asks; App::new knows).
        login_required: has_staff,
        cashier,
    };

    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<Command>();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel::<AppEvent>();
    let engine = till.engine().clone();

    // Paper receipts: started here so a printer problem never stops the till from opening.
    // The queue is durable (journal `print_jobs`): jobs an earlier run left unprinted go first.
    let (paper_cfg, paper_dir, demo, journal) =
        (cfg.clone(), till.data_dir.clone(), opts.demo, till.store());
    let started = tokio::task::spawn_blocking(move || {
        Paper::start_durable(&paper_cfg, &paper_dir, demo, journal)
    })
    .await
    .unwrap_or_else(|e| Err(Text::new(format!("{e}"), format!("{e}"))));
    let paper = match started {
        Ok(Some((p, requeued))) => {
            if requeued > 0 {
                tracing::warn!(
                    jobs = requeued,
                    "printing receipts left in the queue by an earlier run"
                );
            }
            let p = p.with_events(ev_tx.clone());
            let _ = ev_tx.send(AppEvent::PrintQueue { queued: p.queued() });
            Some(p)
        }
        Ok(None) => None,
        Err(t) => {
            tracing::error!(error = %t.en, "paper receipts are off");
            None
        }
    };

    // Engine → screen.
    let mut sub = engine.subscribe();
    // Sales recovery found paid get their paper receipt too, unless one was printed before.
    // After subscribing: a recovered sale captured from now on is printed by the forward
    // task below, one captured already is printed here (each sale's receipt prints once).
    if let Some(p) = &paper {
        let (p, store) = (p.clone(), till.store());
        let recovered = till.running.recovered.clone();
        tokio::spawn(async move {
            for ev in print_recovered(&p, &store, &recovered).await {
                p.notify(ev);
            }
            for ev in print_unprinted_cash(&p, &store).await {
                p.notify(ev);
            }
        });
    }
    // Refund receipts: printed when the outbox worker gets a refund confirmed, and caught up
    // for refunds confirmed while no till ran.
    let refund_receipts = match (&paper, staff.as_ref()) {
        (Some(p), Ok(db)) => Some(spawn_refund_receipts(p.clone(), db.clone(), &engine)),
        _ => None,
    };
    let _ = ev_tx.send(AppEvent::Network(network_view(engine.network())));
    if let Some(ev) = app_event(EngineEvent::Recovered(till.running.recovered.clone())) {
        let _ = ev_tx.send(ev);
    }
    if let Some(t) = &till.install_notice {
        let _ = ev_tx.send(AppEvent::Error(t.clone()));
    }
    engine.kick_worker();
    // Kiosk: the PIN lockout of the last run (a restart does not reset it).
    if cfg.ui.kiosk {
        match till.store().run(|s| s.kiosk_lockout()).await {
            Ok((failures, locked_until)) if failures > 0 || locked_until.is_some() => {
                let _ = ev_tx.send(AppEvent::KioskLockout {
                    failures,
                    locked_until,
                });
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "kiosk PIN lockout not read"),
        }
    }
    let ev_forward = ev_tx.clone();
    let paper_forward = paper.clone();
    let store = till.store();
    let forward = tokio::spawn(async move {
        loop {
            match sub.recv().await {
                Ok(ev) => {
                    // A paid sale goes to paper on its own task: the screen never waits.
                    if let (Some(paper), EngineEvent::Payment(s)) = (&paper_forward, &ev)
                        && s.state == PaymentState::Paid
                    {
                        let (paper, store, tx) = (paper.clone(), store.clone(), ev_forward.clone());
                        let (id, reference) = (s.id, s.reference.clone());
                        tokio::spawn(async move {
                            if let Some(ev) = paper.print_paid(&store, id, &reference).await {
                                let _ = tx.send(ev);
                            }
                        });
                    }
                    if let Some(ev) = app_event(ev)
                        && ev_forward.send(ev).is_err()
                    {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "screen lagged behind engine events");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });

    // Screen → engine: each command runs on its own task so the screen never waits.
    let api = till.api;
    let sim_base = till.sim.as_ref().map(|s| s.base_url());
    let http = reqwest::Client::new();
    // Backups to `[backup] dir`: every N hours while the till runs, and after every Z.
    let periodic_backups = crate::ops::cli::spawn_periodic_backups(cfg, &till.data_dir);
    let (backup_cfg, backup_dir) = (cfg.clone(), till.data_dir.clone());
    let commands = tokio::spawn(async move {
        while let Some(cmd) = cmd_rx.recv().await {
            if cmd == Command::Quit {
                break;
            }
            let engine = engine.clone();
            let http = http.clone();
            let ev_tx = ev_tx.clone();
            let sim_base = sim_base.clone();
            let paper = paper.clone();
            let staff = staff.clone();
            let (backup_cfg, backup_dir) = (backup_cfg.clone(), backup_dir.clone());
            tokio::spawn(async move {
                if let Some(ev) = execute_with_progress(
                    &engine,
                    api,
                    sim_base.as_deref(),
                    &http,
                    paper.as_ref(),
                    &staff,
                    cmd,
                    Some(&ev_tx),
                )
                .await
                {
                    if matches!(&ev, AppEvent::StaffZ { result: Ok(_), .. }) {
                        crate::ops::cli::backup_after_z(&backup_cfg, &backup_dir);
                    }
                    let _ = ev_tx.send(ev);
                }
            });
        }
    });

    let result = tui::run(ctx, cmd_tx, ev_rx).await;
    if let Some(t) = refund_receipts {
        t.abort();
    }
    forward.abort();
    commands.abort();
    if let Some(t) = periodic_backups {
        t.abort();
    }
    result.map_err(|e| msg(format!("Skjermfeil: {e}"), format!("Terminal error: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Paper receipts
// ---------------------------------------------------------------------------------------------

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
        Ok(Paper::start_inner(config, data_dir, demo, None)?.map(|(p, _)| p))
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
        Paper::start_inner(config, data_dir, demo, Some(journal))
    }

    fn start_inner(
        config: &Config,
        data_dir: &Path,
        demo: bool,
        journal: Option<AsyncStore>,
    ) -> Result<Option<(Paper, usize)>, Text> {
        let settings = crate::receipt::ReceiptSettings::from_config(config);
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
                Arc::new(JournalJobLog(store.clone())),
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
                shop: crate::receipt::ShopInfo::from_config(config),
                lang: settings.lang,
                training: demo,
                settle,
                utc_offset: time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
                printed: Arc::new(Mutex::new(PrintedReceipts::default())),
                journal,
                events: None,
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
        let now = time::OffsetDateTime::now_utc().to_offset(self.utc_offset);
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
        db: &crate::staff::StaffDb,
        refund_id: i64,
    ) -> Result<(PrintableReceipt, crate::staff::refund::RefundReceipt), Text> {
        let r = db
            .run(move |db| db.refund_receipt(refund_id))
            .await
            .map_err(|e| e.message())?;
        let now = time::OffsetDateTime::now_utc().to_offset(self.utc_offset);
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
        db: &crate::staff::StaffDb,
        refund_id: i64,
    ) -> Result<String, Text> {
        let (receipt, r) = self.refund_receipt_of(db, refund_id).await?;
        let number = r.refund_number.clone();
        match &r.status {
            crate::staff::refund::RefundStatus::Done => {}
            crate::staff::refund::RefundStatus::Failed(why) => {
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

    /// Print the refund receipt of refund `refund_id` again, marked COPY (only a refund Vipps
    /// confirmed has a receipt). Returns the refund number.
    pub async fn reprint_refund(
        &self,
        db: &crate::staff::StaffDb,
        refund_id: i64,
    ) -> Result<String, Text> {
        let (receipt, r) = self.refund_receipt_of(db, refund_id).await?;
        let number = r.refund_number.clone();
        if r.status != crate::staff::refund::RefundStatus::Done {
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
        report: &crate::staff::report::Report,
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
        db: Option<&crate::staff::StaffDb>,
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

/// Print jobs in the journal (`print_jobs`) for the durable [`PrintQueue`]. Blocking calls on
/// the store thread; made from the printing thread or a blocking task, never the UI task.
struct JournalJobLog(AsyncStore);

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
        self.0
            .run_blocking(move |s| {
                s.add_print_job(kind, &number, &bytes, time::OffsetDateTime::now_utc())
            })
            .map_err(|e| crate::receipt::printer::PrintError::Log(e.to_string()))
    }

    fn done(&self, durable_id: i64) -> Result<(), crate::receipt::printer::PrintError> {
        self.0
            .run_blocking(move |s| {
                s.mark_print_job_done(durable_id, time::OffsetDateTime::now_utc())
            })
            .map_err(|e| crate::receipt::printer::PrintError::Log(e.to_string()))
    }

    fn pending(
        &self,
    ) -> Result<Vec<crate::receipt::printer::LoggedJob>, crate::receipt::printer::PrintError> {
        use crate::receipt::printer::{JobKind, LoggedJob};
        use crate::store::PrintJobKind;
        let rows = self
            .0
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

    fn notify(&self, ev: AppEvent) {
        if let Some(tx) = &self.events {
            let _ = tx.send(ev);
        }
    }

    /// Queue one job with `submit`, then wait (on a blocking thread, never the UI task) up to
    /// the settle time for the printer. Answers the queue status and whether the job is still
    /// waiting; the screen is told the new queue length.
    async fn submit_and_settle(
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
        let now = time::OffsetDateTime::now_utc().to_offset(self.utc_offset);
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
    db: &crate::staff::StaffDb,
    store: &AsyncStore,
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
        && let Err(e) = crate::staff::refund::settle_sale_status(
            db,
            store,
            &rec,
            time::OffsetDateTime::now_utc(),
        )
        .await
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
pub async fn print_unprinted_refunds(
    paper: &Paper,
    db: &crate::staff::StaffDb,
    store: &AsyncStore,
) -> Vec<AppEvent> {
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
            let _ = crate::staff::refund::settle_sale_status(
                db,
                store,
                &rec,
                time::OffsetDateTime::now_utc(),
            )
            .await;
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
    db: crate::staff::StaffDb,
    engine: &Engine,
) -> tokio::task::JoinHandle<()> {
    let mut sub = engine.subscribe();
    let store = engine.store();
    tokio::spawn(async move {
        for ev in print_unprinted_refunds(&paper, &db, &store).await {
            paper.notify(ev);
        }
        loop {
            match sub.recv().await {
                Ok(EngineEvent::RefundConfirmed {
                    idempotency_key, ..
                }) => {
                    if let Some(ev) =
                        print_confirmed_refund(&paper, &db, &store, &idempotency_key).await
                    {
                        paper.notify(ev);
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    // Missed confirmations are in the journal: catch up from there.
                    tracing::warn!(skipped = n, "refund printer lagged behind engine events");
                    for ev in print_unprinted_refunds(&paper, &db, &store).await {
                        paper.notify(ev);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

/// An X or Z report as a paper document: the report's text (in the receipt language) with
/// the id `X-{date}` or `Z-{number}` (`Z-{date}` before it has a number).
pub fn report_document(
    report: &crate::staff::report::Report,
    lang: Lang,
    copy: bool,
    training: bool,
) -> crate::receipt::document::PaperDocument {
    use crate::staff::report::ReportKind;
    let id = match (report.kind, report.number) {
        (ReportKind::Z, Some(n)) => format!("Z-{n}"),
        (ReportKind::Z, None) => format!("Z-{}", report.business_date),
        (ReportKind::X, _) => format!("X-{}", report.business_date),
    };
    let text = crate::staff::report::render_text(report, lang);
    crate::receipt::document::PaperDocument::from_text(id, &text, copy, training)
}

/// The receipt model's sale of a cash-only sale: every line, tender cash (`received` handed
/// over, the change is the difference).
pub fn cash_sale_of(
    record: &crate::store::SaleRecord,
    received: Money,
    time: time::OffsetDateTime,
    training: bool,
) -> Result<crate::receipt::model::Sale, Text> {
    let (basket, currency) = basket_of(record)?;
    // Øreavrunding: the cash tender is the total rounded to the cash step, as journaled.
    let rounding = Money::new(record.sale.cash_rounding, currency);
    let cash = Money::new(
        record
            .sale
            .gross_total
            .saturating_add(record.sale.cash_rounding),
        currency,
    );
    Ok(crate::receipt::model::Sale {
        basket,
        tenders: vec![crate::receipt::model::Tender::cash(cash, received)],
        tip: Money::zero(currency),
        receipt_number: record.sale.receipt_number.clone(),
        time,
        till: record.sale.till_id.clone(),
        cashier: record.sale.staff_id.clone().unwrap_or_default(),
        training: training || record.sale.training,
        cash_rounding: rounding,
    })
}

/// The basket of a journaled sale, rebuilt from its stored lines (for receipts).
pub fn basket_of(
    record: &crate::store::SaleRecord,
) -> Result<
    (
        crate::domain::basket::Basket,
        crate::domain::money::Currency,
    ),
    Text,
> {
    use crate::domain::basket::{Basket, OrderLine, Quantity, QuantityUnit};
    use crate::domain::money::Currency;
    let currency = Currency::parse(&record.sale.currency).ok_or_else(|| {
        Text::new(
            format!("Ukjent valuta «{}» i journalen.", record.sale.currency),
            format!(
                "Unknown currency \"{}\" in the journal.",
                record.sale.currency
            ),
        )
    })?;
    let mut basket = Basket::new(currency);
    for (i, row) in record.lines.iter().enumerate() {
        let l = &row.line;
        let unit = QuantityUnit::parse(&l.unit).ok_or_else(|| {
            Text::new(
                format!("Linje {}: ukjent enhet «{}».", i + 1, l.unit),
                format!("Line {}: unknown unit \"{}\".", i + 1, l.unit),
            )
        })?;
        let quantity = Quantity::new(l.quantity_milli, unit).map_err(|e| e.text())?;
        let vat = u32::try_from(l.vat_rate)
            .ok()
            .and_then(|r| crate::domain::vat::VatRate::new(r).ok())
            .ok_or_else(|| {
                Text::new(
                    format!("Linje {}: ugyldig mva-sats {}.", i + 1, l.vat_rate),
                    format!("Line {}: invalid VAT rate {}.", i + 1, l.vat_rate),
                )
            })?;
        basket
            .add(OrderLine {
                product_id: l
                    .product_id
                    .clone()
                    .unwrap_or_else(|| format!("line-{}", i + 1)),
                name: l.name.clone(),
                quantity,
                unit_price: Money::new(l.unit_price, currency),
                discount: Money::new(l.discount, currency),
                vat,
                is_return: l.is_return,
            })
            .map_err(|e| e.text())?;
    }
    Ok((basket, currency))
}

/// The receipt model's sale from the journal: the basket rebuilt from the stored lines, the
/// Vipps reference as tender (the amount Vipps charged) — after the cash part for a split
/// sale — and no tip.
pub fn sale_of(
    payment: &crate::store::PaymentRow,
    record: &crate::store::SaleRecord,
    time: time::OffsetDateTime,
    training: bool,
) -> Result<crate::receipt::model::Sale, Text> {
    let (basket, currency) = basket_of(record)?;
    // A split sale: the cash part first, then Vipps for the rest (what Vipps charged).
    let cash = record.sale.cash_part(Some(payment.amount));
    let mut tenders = Vec::with_capacity(2);
    if cash > 0 && record.sale.tender == crate::store::SPLIT_TENDER {
        let c = Money::new(cash, currency);
        tenders.push(crate::receipt::model::Tender::cash(c, c));
    }
    tenders.push(crate::receipt::model::Tender::vipps(
        payment.reference.clone(),
        Money::new(payment.amount, currency),
    ));
    Ok(crate::receipt::model::Sale {
        basket,
        tenders,
        tip: Money::zero(currency),
        receipt_number: record.sale.receipt_number.clone(),
        time,
        till: record.sale.till_id.clone(),
        cashier: record.sale.staff_id.clone().unwrap_or_default(),
        training: training || record.sale.training,
        cash_rounding: Money::zero(currency),
    })
}

/// The receipt model's sale for a refund receipt: each refunded line (or VAT share of a
/// refund by amount) as a returned line, the Vipps reference as the tender paid back.
pub fn refund_sale(
    r: &crate::staff::refund::RefundReceipt,
    time: time::OffsetDateTime,
    training: bool,
) -> Result<crate::receipt::model::Sale, Text> {
    use crate::domain::basket::{Basket, OrderLine, Quantity};
    use crate::domain::money::Currency;
    let currency = Currency::parse(&r.currency).ok_or_else(|| {
        Text::new(
            format!("Ukjent valuta «{}» i refusjonen.", r.currency),
            format!("Unknown currency \"{}\" in the refund.", r.currency),
        )
    })?;
    let mut basket = Basket::new(currency);
    for (i, l) in r.lines.iter().enumerate() {
        let vat = u32::try_from(l.vat_rate)
            .ok()
            .and_then(|v| crate::domain::vat::VatRate::new(v).ok())
            .ok_or_else(|| {
                Text::new(
                    format!("Linje {}: ugyldig mva-sats {}.", i + 1, l.vat_rate),
                    format!("Line {}: invalid VAT rate {}.", i + 1, l.vat_rate),
                )
            })?;
        // Whole pieces that divide the amount evenly print as "2 x 12,50"; anything else as
        // one line with the refunded amount (the amount is what was paid back).
        let pieces = l
            .quantity_milli
            .filter(|q| *q > 0 && q % 1000 == 0)
            .map(|q| q / 1000)
            .filter(|n| l.gross % n == 0);
        let (quantity, unit_price) = match pieces {
            Some(n) => (
                Quantity::new(n * 1000, crate::domain::basket::QuantityUnit::Pcs),
                l.gross / n,
            ),
            None => (Quantity::pieces(1), l.gross),
        };
        basket
            .add(OrderLine {
                product_id: l
                    .line_no
                    .map_or_else(|| format!("refund-{}", i + 1), |n| format!("line-{n}")),
                name: l.name.clone(),
                quantity: quantity.map_err(|e| e.text())?,
                unit_price: Money::new(unit_price, currency),
                discount: Money::zero(currency),
                vat,
                is_return: false,
            })
            .map_err(|e| e.text())?;
    }
    let basket = crate::receipt::model::refund_basket(&basket).map_err(|e| e.text())?;
    Ok(crate::receipt::model::Sale {
        basket,
        tenders: vec![crate::receipt::model::Tender::vipps(
            r.reference.clone(),
            Money::new(r.total, currency),
        )],
        tip: Money::zero(currency),
        receipt_number: r.refund_number.clone(),
        time,
        till: r.till_id.clone(),
        cashier: r.staff_name.clone().unwrap_or_else(|| r.staff_id.clone()),
        training: training || r.training,
        cash_rounding: Money::zero(currency),
    })
}

/// Money in the shop's currency parsed from cashier input (`49,90`, `kr 49`).
pub fn parse_amount(input: &str, cfg: &Config) -> Result<Money, Text> {
    Money::parse_input(input, cfg.shop.currency).map_err(|e| e.text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_phones_and_anything_else_is_a_personal_qr() {
        assert_eq!(
            customer_of(ApiKind::Epayment, "+47 912 34 567"),
            Ok(CustomerId::Phone("4791234567".into()))
        );
        assert_eq!(
            customer_of(ApiKind::Ecom, "91234567"),
            Ok(CustomerId::Phone("91234567".into()))
        );
        let qr = "https://qr.vipps.no/p/AbC123?x=1";
        assert_eq!(
            customer_of(ApiKind::Epayment, qr),
            Ok(CustomerId::PersonalQr(qr.into()))
        );
        assert!(customer_of(ApiKind::Ecom, qr).is_err());
    }

    #[test]
    fn a_refund_receipt_has_returned_lines_summing_to_the_refund() {
        use crate::staff::refund::{PlannedLine, RefundReceipt, RefundStatus};
        let line = |no: Option<i64>, name: &str, q: Option<i64>, rate: i64, gross: i64| {
            let vat = crate::staff::refund::vat_of_gross(gross, rate);
            PlannedLine {
                line_no: no,
                name: name.into(),
                quantity_milli: q,
                vat_rate: rate,
                gross,
                net: gross - vat,
                vat,
            }
        };
        let r = RefundReceipt {
            shop_id: "s1".into(),
            till_id: "t1".into(),
            refund_number: "R-s1-t1-000007-1".into(),
            original_receipt_number: "s1-t1-000007".into(),
            reference: "kasse-s1-t1-000007-a1".into(),
            api: ApiKind::Epayment,
            at: time::OffsetDateTime::UNIX_EPOCH,
            staff_id: "m1".into(),
            staff_name: Some("Mona".into()),
            reason: "damaged".into(),
            currency: "NOK".into(),
            lines: vec![
                // Two whole pieces: "2 x 25,00".
                line(Some(1), "Kaffe", Some(2000), 1500, 5_000),
                // Half a kilo: one line with the amount paid back.
                line(Some(2), "Epler", Some(500), 1500, 1_995),
                // A share of a refund by amount.
                line(None, "Refusjon MVA 25 %", None, 2500, 1_001),
            ],
            vat_breakdown: Vec::new(),
            total: 7_996,
            total_net: 0,
            total_vat: 0,
            status: RefundStatus::Done,
            training: false,
        };
        let sale = refund_sale(&r, time::OffsetDateTime::UNIX_EPOCH, false).unwrap();
        assert!(sale.basket.lines().iter().all(|l| l.is_return));
        assert_eq!(sale.basket.line(0).map(|l| l.quantity.milli()), Some(2000));
        assert_eq!(
            sale.basket.line(0).map(|l| l.unit_price.minor()),
            Some(2_500)
        );
        assert_eq!(
            sale.basket.line(1).map(|l| l.unit_price.minor()),
            Some(1_995)
        );
        let cfg = Config::from_toml_str("", &|_| None).unwrap();
        let shop = crate::receipt::ShopInfo::from_config(&cfg);
        let printed = crate::receipt::model::build(&sale, &shop, Lang::En).unwrap();
        assert!(printed.flags.refund);
        assert_eq!(printed.total.minor(), -7_996);
        assert_eq!(printed.receipt_number, "R-s1-t1-000007-1");
        assert_eq!(printed.cashier, "Mona");
    }

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
