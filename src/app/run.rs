//! The run loop of the cashier's screen: terminal, keys, engine events and commands.

use super::api_of;
use super::events::network_view;
use super::{
    AppError, Options, Paper, Till, app_event, demo_login, execute_with_progress, msg, open_staff,
    print_recovered, print_unprinted_cash, spawn_refund_receipts,
};

use crate::config::Environment;
use crate::engine::{EngineEvent, PaymentState};
use crate::lang::Text;
use crate::tui::{self, AppEvent, Command};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Run the cashier's screen until the cashier quits.
pub async fn run_tui(opts: &Options, till: &Till) -> Result<(), AppError> {
    let cfg = &till.config;
    let catalog = match (&cfg.ui.catalog, opts.demo) {
        (Some(path), _) => super::catalog::load(path),
        (None, _) => super::catalog::Catalog::demo(),
    }
    .map_err(|e| {
        let t = e.text();
        msg(
            format!("Varekatalogen: {}", t.nb),
            format!("Product catalog: {}", t.en),
        )
    })?;
    // The catalogue lives in the journal's database: the TOML file synced (price changes
    // journaled), imported articles (`kasse catalog import`) laid over it.
    let catalog = super::catalog_store::sync_at_start(
        &till.store(),
        catalog,
        &cfg.shop.shop_id,
        &cfg.shop.till_id,
        till.clock.now(),
    )
    .await
    .map_err(|e| {
        let t = e.text();
        msg(
            format!("Varekatalogen (TOML-filen og importerte varer): {}", t.nb),
            format!(
                "Product catalog (the TOML file and imported articles): {}",
                t.en
            ),
        )
    })?;
    let keymap = super::load_keymap(cfg.ui.keymap.as_deref())
        .map_err(|e| msg(format!("Tastaturoppsett: {e}"), format!("Key map: {e}")))?;
    let theme = super::load_theme(cfg.ui.theme.as_deref())
        .map_err(|e| msg(format!("Fargetema: {e}"), format!("Theme: {e}")))?;
    // Manager PINs: the staff functions over the till's store (their work runs on its thread).
    let demo = opts.demo;
    let kiosk_mode = cfg.ui.kiosk;
    // In --demo every sale is training: the reconciliation checks those.
    let staff = open_staff(cfg, till.store()).map(|db| db.with_training(opts.demo));
    // --demo: a training manager, logged in automatically (never in kiosk mode).
    let cashier = match (&staff, demo && !kiosk_mode) {
        (Ok(db), true) => demo_login(db, till.clock.now()).await,
        _ => None,
    };
    let has_staff = match &staff {
        Ok(db) => db.has_active_staff().await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the staff list");
            false
        }),
        Err(_) => false,
    };
    let has_manager = match &staff {
        Ok(db) => match db.needs_first_manager().await {
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
    let staff = Arc::new(staff);
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
            idle_reset: cfg.ui.kiosk_idle_reset,
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
        clock: till.clock.clone(),
        utc_offset: time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
        tick: std::time::Duration::from_millis(250),
        manager_pins,
        // Staff exist: log in before selling (kiosk mode never asks; App::new knows).
        login_required: has_staff,
        cashier,
        rules: tui::ScreenRules {
            max_quantity: cfg.ui.max_quantity,
            manager_pin_window: cfg.ui.manager_pin_window,
        },
    };

    let (cmd_tx, mut cmd_rx) = mpsc::unbounded_channel::<Command>();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel::<AppEvent>();
    let engine = till.engine().clone();

    // Paper receipts: started here so a printer problem never stops the till from opening.
    // The queue is durable (journal `print_jobs`): jobs an earlier run left unprinted go first.
    let (paper_cfg, paper_dir, demo, journal) =
        (cfg.clone(), till.data_dir.clone(), opts.demo, till.store());
    let clock = till.clock.clone();
    let started = tokio::task::spawn_blocking(move || {
        Paper::start_durable_with_clock(&paper_cfg, &paper_dir, demo, journal, clock)
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
    // Emergency mode (13026/13027): journaled as the engine finds Vipps gone or back.
    let emergency = match staff.as_ref() {
        Ok(db) => Some(super::emergency::spawn_emergency_journal(
            db.clone(),
            &engine,
        )),
        Err(_) => None,
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
    // Parked baskets survive a restart: the screen gets the list at once.
    match super::parked::list(&till.store()).await {
        Ok(list) if !list.is_empty() => {
            let _ = ev_tx.send(AppEvent::ParkedList(list));
        }
        Ok(_) => {}
        Err(t) => {
            let _ = ev_tx.send(AppEvent::Error(t));
        }
    }
    let hq = spawn_hq(cfg, till, &ev_tx);
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
    let periodic_backups = crate::ops::backup::spawn_periodic_backups(cfg, &till.data_dir);
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
                        crate::ops::backup::backup_after_z(&backup_cfg, &backup_dir);
                    }
                    let _ = ev_tx.send(ev);
                }
            });
        }
    });

    // Customer display (src/display): publish the customer's view after every update.
    let display = crate::display::start_for_till(cfg, &till.data_dir, opts.demo).await;
    let observe = |app: &tui::App| {
        if let Some(d) = &display {
            d.publish(app);
        }
    };
    let result = super::screen::run_observed(ctx, cmd_tx, ev_rx, observe).await;
    if let Some(d) = display {
        d.stop();
    }
    if let Some(t) = refund_receipts {
        t.abort();
    }
    if let Some(t) = emergency {
        t.abort();
    }
    forward.abort();
    commands.abort();
    for t in hq.into_iter().flatten() {
        t.abort();
    }
    if let Some(t) = periodic_backups {
        t.abort();
    }
    result.map_err(|e| msg(format!("Skjermfeil: {e}"), format!("Terminal error: {e}")))
}

/// Replication to headquarters when `[hq] database_url` is set: the worker in the background
/// and its lag forwarded to the status bar. The till never waits for it.
fn spawn_hq(
    cfg: &crate::config::Config,
    till: &Till,
    ev_tx: &mpsc::UnboundedSender<AppEvent>,
) -> Option<[tokio::task::JoinHandle<()>; 2]> {
    let rep = match crate::hq::worker::for_till(cfg, till.store(), till.clock.clone()) {
        Ok(Some(r)) => r,
        Ok(None) => return None,
        Err(e) => {
            tracing::error!(error = %e, "HQ replication is off");
            return None;
        }
    };
    // Catalogue versions the worker applied: reload the catalogue from the journal and hand it
    // to the screen, so the till sells at the prices it has just journaled (13021).
    let (cat_tx, mut cat_rx) = mpsc::unbounded_channel::<Vec<i64>>();
    let (store, currency, screen) = (till.store(), cfg.shop.currency, ev_tx.clone());
    tokio::spawn(async move {
        while let Some(versions) = cat_rx.recv().await {
            let loaded = store.run(|s| s.catalog_articles()).await;
            match loaded.map(|all| super::catalog_store::merged(currency, &all, &[])) {
                Ok(Ok(c)) => {
                    let catalog = crate::tui::NewCatalog(std::sync::Arc::new(c));
                    if screen
                        .send(AppEvent::CatalogChanged { catalog, versions })
                        .is_err()
                    {
                        break;
                    }
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e.text().en, "HQ catalogue applied but not loaded")
                }
                Err(e) => tracing::error!(error = %e, "HQ catalogue applied but not loaded"),
            }
        }
    });
    let (worker, mut behind) = rep.notify_catalog(cat_tx).spawn(cfg.hq.sync_every);
    let tx = ev_tx.clone();
    let _ = tx.send(AppEvent::Hq { behind: 0 });
    let forward = tokio::spawn(async move {
        while behind.changed().await.is_ok() {
            let n = u64::try_from(*behind.borrow_and_update()).unwrap_or(0);
            if tx.send(AppEvent::Hq { behind: n }).is_err() {
                break;
            }
        }
    });
    Some([worker, forward])
}
