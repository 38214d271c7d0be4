//! Start-up: config, data dir, logs, the simulator in `--demo`, the journal and the engine.

use super::{AppError, Options, msg};
use super::{api_of, settings_from_config};
use crate::clock::{Clock, RandomIds, SystemClock};
use crate::config::{Config, Environment};
use crate::engine::acquirer::{Acquirer, SimulatedAcquirer};
use crate::engine::build::{ConnectSettings, Running, connect};
use crate::engine::{ApiKind, Engine};
use crate::lang::{Lang, Text};
use crate::sim::{SimConfig, SimHandle};
use crate::store::AsyncStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// Training mode (`--demo`): journaled on at start (13023) and off at stop (13024).
    pub training: bool,
    /// The till's clock (the system clock; tests bring their own engine).
    pub clock: Arc<dyn Clock>,
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
        let now = self.clock.now();
        let training = self.training;
        let stop =
            move |s: &mut crate::store::Store| s.journal_app_stop(&shop, &till, training, now);
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
    // The till's one clock: the engine, the paper and the screen read time from it.
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
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
    let opened_at = clock.now();
    let (shop, till) = (config.shop.shop_id.clone(), config.shop.till_id.clone());
    let training = opts.demo;
    let (store, notice, psp_open) = tokio::task::spawn_blocking(move || {
        let mut s = crate::store::Store::open_in_dir(&store_dir)?;
        // Fiscal journal: signed in local time; start (13001) and a version change (13007).
        s.set_fiscal_offset(
            time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
        );
        s.journal_app_start(&shop, &till, env!("CARGO_PKG_VERSION"), training, opened_at)?;
        // A copied or moved journal gets its new install id now, before any reference.
        s.install_id_at(opened_at)?;
        let notice = s.take_install_notice()?;
        // A PSP payment left unfinished by a run with api = "psp" still needs its callback.
        let psp_open = s
            .unfinished_payments()?
            .iter()
            .any(|p| p.api == crate::store::Api::Psp);
        Ok::<_, crate::store::StoreError>((s, notice, psp_open))
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
    if psp_open && settings.psp_server.is_none() {
        settings.psp_server = Some(
            super::settings::psp_server_config(&config, &RandomIds)
                .map_err(|e| AppError::Message(e.message()))?,
        );
    }
    let running = connect(settings, store.clone(), clock.clone(), acquirer)
        .await
        .map_err(|e| AppError::Message(e.message()))?;
    // A refund recorded just before a crash but not yet queued goes out now, same key.
    match crate::service::StaffDb::new(store.clone(), &config.shop.shop_id, &config.shop.till_id) {
        Ok(db) => match crate::service::refund::requeue_unsent(&db, clock.now()).await {
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
        training: opts.demo,
        clock,
    })
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
