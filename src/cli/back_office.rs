//! The back office on the command line: refunds, X/Z reports, batch capture/refund, reprints,
//! and staff administration (first manager, add, list).

use crate::app::{self, Options};
use crate::config::Config;
use crate::lang::Lang;
use std::path::{Path, PathBuf};

use super::say;
use crate::lang::Text;
use std::sync::Arc;

pub(super) enum StaffCmd {
    Refund(crate::cli::staff::RefundArgs),
    Return(crate::cli::returns::ReturnArgs),
    Report(crate::cli::staff::ReportArgs),
    BatchCapture(crate::cli::staff::BatchCaptureArgs),
    BatchRefund(crate::cli::staff::BatchRefundArgs),
    Reprint(String),
    Cash(crate::cli::cash::CashArgs),
}

/// The paper queue for a headless command: durable (its jobs in the journal's `print_jobs`, so
/// a receipt printed here is not printed again by the till's catch-up) when the command owns
/// the journal; plain for the read-only commands (`report` X, `reprint`: copies) beside a till.
async fn headless_paper(
    config: &crate::config::Config,
    dir: &std::path::Path,
    journal: Option<crate::store::AsyncStore>,
    demo: bool,
) -> Result<Option<app::Paper>, crate::lang::Text> {
    let (cfg, dir) = (config.clone(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || match journal {
        Some(store) => {
            app::Paper::start_durable(&cfg, &dir, demo, store).map(|p| p.map(|(p, _)| p))
        }
        None => app::Paper::start(&cfg, &dir, demo),
    })
    .await
    .unwrap_or_else(|e| Err(crate::lang::Text::new(format!("{e}"), format!("{e}"))))
}

pub(super) async fn staff_command(
    opts: &Options,
    config: crate::config::Config,
    dir: PathBuf,
    lang: Lang,
    cmd: StaffCmd,
) -> i32 {
    // X reports and reprints read the journal beside a running till: no engine, no lock.
    let read_only = match &cmd {
        StaffCmd::Reprint(_) => true,
        StaffCmd::Report(a) => !a.z,
        StaffCmd::Cash(a) => a.kind().is_none(),
        _ => false,
    };
    let (cfg, data) = (config.clone(), dir.clone());
    let till = if read_only {
        None
    } else {
        match app::start_till(opts, config, dir, None).await {
            Ok(t) => Some(t),
            Err(e) => {
                say(lang, e.text());
                return 1;
            }
        }
    };
    let ctx = match &till {
        Some(t) => staff_ctx(t),
        None => super::ops::read_only_ctx(&cfg, &data, opts.demo).await,
    };
    let ctx = match ctx {
        Ok(c) => c,
        Err(t) => {
            say(lang, &t);
            if let Some(t) = till {
                t.shutdown().await;
            }
            return 1;
        }
    };
    let journal = till.as_ref().map(app::Till::store);
    let mut out = std::io::stdout();
    let code = match cmd {
        StaffCmd::Refund(a) => {
            let (code, rec) = crate::cli::staff::refund_with_record(&ctx, &a, &mut out).await;
            // The refund receipt, when a printer is configured (in --demo: receipts.txt), once
            // Vipps confirmed it; one still queued prints when a till gets it confirmed.
            if let Some(rec) = rec {
                match headless_paper(&cfg, &data, journal.clone(), opts.demo).await {
                    Ok(Some(paper)) => {
                        match paper.print_refund(&ctx.db, rec.id).await {
                            Ok(number) => println!("receipt: printed {number}"),
                            Err(t) => say(lang, &t),
                        }
                        // Refunds an earlier run left without a receipt.
                        for ev in app::print_unprinted_refunds(&paper, &ctx.db).await {
                            if let crate::tui::AppEvent::Error(t) = ev {
                                say(lang, &t);
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(t) => say(lang, &t),
                }
            }
            code
        }
        StaffCmd::Return(a) => {
            let (code, (cash, refund)) = crate::cli::returns::run(&ctx, &a, &mut out).await;
            // The return receipt ("Returkvittering"): a cash tender, so the job opens the
            // drawer (in --demo: receipts.txt says so); a confirmed Vipps part alone prints its
            // refund receipt, as `kasse refund` does.
            if cash.is_some() || refund.is_some() {
                match headless_paper(&cfg, &data, journal.clone(), opts.demo).await {
                    Ok(Some(paper)) => {
                        if let Some(c) = cash {
                            match paper.print_cash_return(&ctx.db, c.id).await {
                                Ok(number) => println!("receipt: printed {number}, drawer opened"),
                                Err(t) => say(lang, &t),
                            }
                        } else if let Some(id) = refund {
                            match paper.print_refund(&ctx.db, id).await {
                                Ok(number) => println!("receipt: printed {number}"),
                                Err(t) => say(lang, &t),
                            }
                        }
                    }
                    Ok(None) => {}
                    Err(t) => say(lang, &t),
                }
            }
            code
        }
        StaffCmd::Report(a) => {
            let (code, report) = crate::cli::staff::report_with(&ctx, &a, &mut out).await;
            // A new Z (not a stored copy): the automatic backup to `[backup] dir`.
            if let (true, Some((_, false)), Some(to)) = (a.z, &report, &cfg.backup.dir) {
                match crate::ops::backup::backup(&data, to).await {
                    Ok(d) => println!("backup: {}", d.path.display()),
                    Err(t) => say(lang, &t),
                }
            }
            match (a.print, report) {
                (true, Some((report, copy))) => {
                    match headless_paper(&cfg, &data, journal.clone(), opts.demo).await {
                        Ok(Some(paper)) => match paper.print_report(&report, copy).await {
                            Ok(id) => {
                                let copy = if copy { " copy" } else { "" };
                                println!("result: printed {id}{copy}");
                                code
                            }
                            Err(t) => {
                                println!("result: not printed reason={}", t.get(lang));
                                1
                            }
                        },
                        Ok(None) => {
                            let t = crate::receipt::printer::PrintError::NoPrinter.text();
                            println!("result: not printed reason={}", t.get(lang));
                            1
                        }
                        Err(t) => {
                            println!("result: not printed reason={}", t.get(lang));
                            1
                        }
                    }
                }
                _ => code,
            }
        }
        StaffCmd::Reprint(key) => {
            match headless_paper(&cfg, &data, journal.clone(), opts.demo).await {
                Ok(Some(paper)) => {
                    match paper
                        .reprint_from_journal(&ctx.store, Some(&ctx.db), &key)
                        .await
                    {
                        Ok(what) => {
                            println!("result: printed {what} copy");
                            0
                        }
                        Err(t) => {
                            println!("result: not printed reason={}", t.get(lang));
                            1
                        }
                    }
                }
                Ok(None) => {
                    let t = crate::receipt::printer::PrintError::NoPrinter.text();
                    println!("result: not printed reason={}", t.get(lang));
                    1
                }
                Err(t) => {
                    println!("result: not printed reason={}", t.get(lang));
                    1
                }
            }
        }
        StaffCmd::Cash(a) => {
            let (code, recorded) = crate::cli::cash::cash(&ctx, &a, &mut out).await;
            // The drawer opens for the money (a drawer kick when a printer is configured).
            if recorded {
                match headless_paper(&cfg, &data, journal.clone(), opts.demo).await {
                    Ok(Some(paper)) => {
                        if let Some(crate::tui::AppEvent::Error(t)) = paper.open_drawer().await {
                            say(lang, &t);
                        }
                    }
                    Ok(None) => {}
                    Err(t) => say(lang, &t),
                }
            }
            code
        }
        StaffCmd::BatchCapture(a) => {
            let mut err = std::io::stderr();
            crate::cli::staff::batch_capture(&ctx, &a, &mut out, &mut err).await
        }
        StaffCmd::BatchRefund(a) => {
            let mut err = std::io::stderr();
            crate::cli::staff::batch_refund(&ctx, &a, &mut out, &mut err).await
        }
    };
    if let Some(t) = till {
        t.shutdown().await;
    }
    code
}

/// `kasse create-manager NAME` (PIN from `KASSE_PIN`): the first manager of this till.
pub(super) async fn create_manager(config: &Config, dir: &Path, lang: Lang, name: &str) -> i32 {
    let pin = match crate::cli::staff::pin_from_env() {
        Some(p) => p,
        None => {
            eprintln!("kasse: PIN: set KASSE_PIN to the new manager's PIN (6–8 digits).");
            return 2;
        }
    };
    match app::create_first_manager(config, dir, name, &pin, time::OffsetDateTime::now_utc()).await
    {
        Ok(()) => {
            println!("result: manager created name={name}");
            0
        }
        Err(t) => {
            say(lang, &t);
            1
        }
    }
}

/// `kasse add-staff NAME --role cashier|manager` (PINs from `KASSE_PIN` and
/// `KASSE_MANAGER_PIN`): a manager adds a staff member.
pub(super) async fn add_staff(
    config: &Config,
    dir: &Path,
    lang: Lang,
    name: &str,
    role: &str,
) -> i32 {
    let role = match role.trim() {
        "cashier" => crate::domain::staff::Role::Cashier,
        "manager" => crate::domain::staff::Role::Manager,
        other => {
            say(
                lang,
                &crate::lang::Text::new(
                    format!("--role «{other}»: skriv cashier eller manager."),
                    format!("--role \"{other}\": write cashier or manager."),
                ),
            );
            return 1;
        }
    };
    let Some(pin) = crate::cli::staff::pin_from_env() else {
        say(
            lang,
            &crate::lang::Text::new(
                "PIN: sett KASSE_PIN til den nye ansattes PIN (4–8 siffer; leder 6–8).",
                "PIN: set KASSE_PIN to the new staff member's PIN (4–8 digits; manager 6–8).",
            ),
        );
        return 1;
    };
    let Some(manager_pin) =
        manager_pin_from_env(lang, "legger til den ansatte", "adding the staff member")
    else {
        return 1;
    };
    match app::add_staff(
        config,
        dir,
        name,
        role,
        &pin,
        &manager_pin,
        time::OffsetDateTime::now_utc(),
    )
    .await
    {
        Ok(m) => {
            println!(
                "result: staff added name={} role={}",
                m.name,
                m.role.as_str()
            );
            0
        }
        Err(t) => {
            say(lang, &t);
            1
        }
    }
}

/// `kasse list-staff`: names and roles (never PINs).
/// The authorizing manager's PIN from KASSE_MANAGER_PIN, or a message saying to set it (the
/// manager "who …" `nb` / `en`).
fn manager_pin_from_env(lang: Lang, nb: &str, en: &str) -> Option<secrecy::SecretString> {
    let pin = std::env::var("KASSE_MANAGER_PIN")
        .ok()
        .filter(|s| !s.is_empty())
        .map(secrecy::SecretString::from);
    if pin.is_none() {
        say(
            lang,
            &crate::lang::Text::new(
                format!("Leder-PIN: sett KASSE_MANAGER_PIN til PIN-en til lederen som {nb}."),
                format!("Manager PIN: set KASSE_MANAGER_PIN to the PIN of the manager {en}."),
            ),
        );
    }
    pin
}

pub(super) async fn set_staff_active(
    config: &Config,
    dir: &Path,
    lang: Lang,
    id: &str,
    active: bool,
    reason: &str,
) -> i32 {
    let Some(manager_pin) = manager_pin_from_env(lang, "gjør endringen", "making the change")
    else {
        return 1;
    };
    let now = time::OffsetDateTime::now_utc();
    match app::set_staff_active(config, dir, id, active, reason, &manager_pin, now).await {
        Ok(m) => {
            println!(
                "result: staff {} id={} name={}",
                if m.active { "activated" } else { "deactivated" },
                m.id,
                m.name
            );
            0
        }
        Err(t) => {
            say(lang, &t);
            1
        }
    }
}

pub(super) async fn list_staff(config: &Config, dir: &Path, lang: Lang) -> i32 {
    match app::list_staff(config, dir).await {
        Ok(list) if list.is_empty() => {
            println!("result: no staff (create the first manager with kasse create-manager)");
            0
        }
        Ok(list) => {
            for m in list {
                println!(
                    "staff: id={} role={} active={} name={}",
                    m.id,
                    m.role.as_str(),
                    if m.active { "yes" } else { "no" },
                    m.name
                );
            }
            0
        }
        Err(t) => {
            say(lang, &t);
            1
        }
    }
}

/// The staff side of the journal (PINs, refunds, reports) for a running till.
pub(super) fn staff_ctx(till: &app::Till) -> Result<crate::cli::staff::HeadlessCtx, Text> {
    let db = crate::service::StaffDb::new(
        till.store(),
        &till.config.shop.shop_id,
        &till.config.shop.till_id,
    )
    .map(|db| crate::app::with_company(db, &till.config))
    .map_err(|e| e.message())?
    .with_training(till.engine().identity().2);
    Ok(crate::cli::staff::HeadlessCtx {
        db,
        store: till.store(),
        engine: Some(till.engine().clone()),
        reader: Some(Arc::new(crate::service::reconcile::VippsReader::new(
            till.running.vipps.clone(),
        ))),
        clock: t_clock(till),
        lang: till.lang,
        utc_offset: time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
        currency: till.config.shop.currency,
        pin: super::staff::pin_from_env(),
    })
}

fn t_clock(till: &app::Till) -> Arc<dyn crate::clock::Clock> {
    till.clock.clone()
}
