#![forbid(unsafe_code)]
//! `kasse`: the cashier's screen, the headless commands and the simulator.

use clap::{Parser, Subcommand};
use kasse::app::{self, Options};
use kasse::engine::ApiKind;
use kasse::lang::Lang;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "kasse",
    version,
    about = "Terminal point-of-sale for Vipps MobilePay"
)]
struct Cli {
    /// Config file (default: the platform config dir, e.g. ~/.config/kasse/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Where the journal and logs live (default: the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Run on the embedded Vipps simulator with a demo database (TRAINING, no account needed).
    #[arg(long, global = true)]
    demo: bool,
    /// Customer-operated kiosk mode (no staff functions; quitting needs the PIN).
    #[arg(long)]
    kiosk: bool,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the stateful Vipps simulator on its own.
    Sim(kasse::sim::SimArgs),
    /// One sale without the screen (kiosks, scripts, support).
    Pay(PayCli),
    /// List the outbox (follow-up work waiting for Vipps); --drain sends it and exits.
    Queue {
        #[arg(long)]
        drain: bool,
        /// How long --drain may take, in seconds.
        #[arg(long, default_value_t = 60)]
        max_wait: u64,
    },
    /// Check config, database, clock, token and whether push is enabled for the MSN.
    Doctor {
        /// Test user's phone number for the push check (test environment and simulator only).
        #[arg(long, default_value = "4791234567")]
        phone: String,
    },
    /// Refund a sale (manager PIN from KASSE_PIN).
    Refund(kasse::staff::headless::RefundArgs),
    /// X report (any time) or Z report (--z, closes the day; manager PIN from KASSE_PIN).
    Report(kasse::staff::headless::ReportArgs),
    /// Capture every authorized-but-uncaptured payment of the day (manager PIN from
    /// KASSE_PIN); progress on stderr.
    BatchCapture(kasse::staff::headless::BatchCaptureArgs),
    /// Refund a list of sales: REF[=AMOUNT]... --reason TEXT (manager PIN from KASSE_PIN);
    /// progress on stderr.
    BatchRefund(kasse::staff::headless::BatchRefundArgs),
    /// Print a receipt again, marked COPY: a receipt number, a Vipps reference, or a refund
    /// number (R-…, a refund Vipps confirmed).
    Reprint {
        /// Receipt number, refund number (R-…) or Vipps reference.
        receipt: String,
    },
    /// A manager adds a staff member: the new member's PIN from KASSE_PIN, the authorizing
    /// manager's PIN from KASSE_MANAGER_PIN.
    AddStaff {
        /// The staff member's name as shown at the till and on receipts.
        #[arg(long)]
        name: String,
        /// cashier or manager.
        #[arg(long)]
        role: String,
    },
    /// List staff members with their roles (never PINs).
    ListStaff,
    /// First run: create the first manager (PIN from KASSE_PIN, 6–8 digits).
    CreateManager {
        /// The manager's name as shown in the journal and on receipts.
        #[arg(long)]
        name: String,
    },
    /// Consistent online copy of the journal (works while the till runs), verified with
    /// integrity_check, 0600: kasse-YYYYMMDD-HHMMSS-<install id>.sqlite3.
    Backup {
        /// Folder for the copy (default: [backup] dir, else <data dir>/backups).
        #[arg(long, value_name = "DIR")]
        to: Option<PathBuf>,
    },
    /// The signed electronic journal: public-key, verify [--from D --to D], rotate-key.
    Journal(kasse::cli::fiscal::JournalArgs),
    /// SAF-T Cash Register export: --from YYYY-MM-DD --to YYYY-MM-DD [--out PATH].
    Saft(kasse::cli::fiscal::SaftArgs),
    /// Restore a backup into an EMPTY data dir: verified, new install id, then every
    /// unfinished payment is read back from Vipps.
    Restore {
        /// The backup file (kasse-….sqlite3).
        file: PathBuf,
    },
}

/// How a command uses the data directory (see README, "One process per database").
fn ownership(cmd: Option<&Cmd>) -> Option<(&'static str, Option<kasse::lang::Text>)> {
    use kasse::ops::cli::money_hint;
    match cmd {
        None => Some(("kasse (till)", None)),
        Some(Cmd::Pay(_)) => Some(("kasse pay", Some(money_hint("betalingen", "the payment")))),
        Some(Cmd::Queue { drain: true, .. }) => Some((
            "kasse queue --drain",
            Some(kasse::lang::Text::new(
                "Den kjørende kassen sender køen selv.",
                "The running till sends the queue itself.",
            )),
        )),
        Some(Cmd::Refund(_)) => {
            Some(("kasse refund", Some(money_hint("refusjonen", "the refund"))))
        }
        Some(Cmd::Report(a)) if a.z => Some((
            "kasse report --z",
            Some(money_hint("Z-rapporten", "the Z report")),
        )),
        Some(Cmd::BatchCapture(_)) => Some((
            "kasse batch-capture",
            Some(money_hint("«capture alle»", "\"capture all\"")),
        )),
        Some(Cmd::BatchRefund(_)) => Some((
            "kasse batch-refund",
            Some(money_hint("refusjonene", "the refunds")),
        )),
        Some(Cmd::AddStaff { .. }) => Some(("kasse add-staff", None)),
        Some(Cmd::CreateManager { .. }) => Some(("kasse create-manager", None)),
        Some(Cmd::Journal(kasse::cli::fiscal::JournalArgs {
            cmd: kasse::cli::fiscal::JournalCmd::RotateKey { .. },
        })) => Some(("kasse journal rotate-key", None)),
        // Read-only beside the till; restore locks for itself; the simulator has no journal.
        Some(
            Cmd::Queue { .. }
            | Cmd::Report(_)
            | Cmd::Reprint { .. }
            | Cmd::Doctor { .. }
            | Cmd::ListStaff
            | Cmd::Backup { .. }
            | Cmd::Restore { .. }
            | Cmd::Journal(_)
            | Cmd::Saft(_)
            | Cmd::Sim(_),
        ) => None,
    }
}

#[derive(Debug, clap::Args)]
struct PayCli {
    /// Amount, as a cashier types it: 49,90 or 49.90 or "kr 49".
    #[arg(long)]
    amount: String,
    /// Send a push to this phone number.
    #[arg(long, conflicts_with = "qr")]
    phone: Option<String>,
    /// Show a QR code for the customer to scan.
    #[arg(long)]
    qr: bool,
    /// Which Vipps API (default: from the config).
    #[arg(long, value_parser = ["epayment", "ecom", "psp"])]
    api: Option<String>,
    /// Text shown in the customer's app.
    #[arg(long)]
    description: Option<String>,
    /// One JSON object per state change.
    #[arg(long)]
    json: bool,
    /// With --demo: the simulated customer approves after this many seconds.
    #[arg(long, default_value_t = 3)]
    approve_after: u64,
}

enum StaffCmd {
    Refund(kasse::staff::headless::RefundArgs),
    Report(kasse::staff::headless::ReportArgs),
    BatchCapture(kasse::staff::headless::BatchCaptureArgs),
    BatchRefund(kasse::staff::headless::BatchRefundArgs),
    Reprint(String),
}

/// The paper queue for a headless command: durable (its jobs in the journal's `print_jobs`, so
/// a receipt printed here is not printed again by the till's catch-up) when the command owns
/// the journal; plain for the read-only commands (`report` X, `reprint`: copies) beside a till.
async fn headless_paper(
    config: &kasse::config::Config,
    dir: &std::path::Path,
    journal: Option<kasse::store::AsyncStore>,
    demo: bool,
) -> Result<Option<app::Paper>, kasse::lang::Text> {
    let (cfg, dir) = (config.clone(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || match journal {
        Some(store) => {
            app::Paper::start_durable(&cfg, &dir, demo, store).map(|p| p.map(|(p, _)| p))
        }
        None => app::Paper::start(&cfg, &dir, demo),
    })
    .await
    .unwrap_or_else(|e| Err(kasse::lang::Text::new(format!("{e}"), format!("{e}"))))
}

async fn staff_command(
    opts: &Options,
    config: kasse::config::Config,
    dir: PathBuf,
    lang: Lang,
    cmd: StaffCmd,
) -> i32 {
    // X reports and reprints read the journal beside a running till: no engine, no lock.
    let read_only = match &cmd {
        StaffCmd::Reprint(_) => true,
        StaffCmd::Report(a) => !a.z,
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
        Some(t) => app::staff_ctx(t),
        None => kasse::ops::cli::read_only_ctx(&cfg, &data, opts.demo).await,
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
            let (code, rec) = kasse::staff::headless::refund_with_record(&ctx, &a, &mut out).await;
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
                        for ev in app::print_unprinted_refunds(&paper, &ctx.db, &ctx.store).await {
                            if let kasse::tui::AppEvent::Error(t) = ev {
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
        StaffCmd::Report(a) => {
            let (code, report) = kasse::staff::headless::report_with(&ctx, &a, &mut out).await;
            // A new Z (not a stored copy): the automatic backup to `[backup] dir`.
            if let (true, Some((_, false)), Some(to)) = (a.z, &report, &cfg.backup.dir) {
                match kasse::ops::cli::backup(&data, to).await {
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
                            let t = kasse::receipt::printer::PrintError::NoPrinter.text();
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
                    let t = kasse::receipt::printer::PrintError::NoPrinter.text();
                    println!("result: not printed reason={}", t.get(lang));
                    1
                }
                Err(t) => {
                    println!("result: not printed reason={}", t.get(lang));
                    1
                }
            }
        }
        StaffCmd::BatchCapture(a) => {
            let mut err = std::io::stderr();
            kasse::staff::headless::batch_capture(&ctx, &a, &mut out, &mut err).await
        }
        StaffCmd::BatchRefund(a) => {
            let mut err = std::io::stderr();
            kasse::staff::headless::batch_refund(&ctx, &a, &mut out, &mut err).await
        }
    };
    if let Some(t) = till {
        t.shutdown().await;
    }
    code
}

fn say(lang: Lang, t: &kasse::lang::Text) {
    eprintln!("kasse: {}", t.get(lang));
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The local offset must be read before threads start.
    let _ = time::UtcOffset::current_local_offset();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kasse: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli));
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

async fn run(cli: Cli) -> i32 {
    let opts = Options {
        config: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        demo: cli.demo,
        kiosk: cli.kiosk,
    };
    if let Some(Cmd::Sim(args)) = cli.command {
        return match kasse::sim::run_cli(args).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("kasse sim: {e}");
                1
            }
        };
    }
    let config = match app::load_config(&opts) {
        Ok(c) => c,
        Err(e) => {
            say(Lang::default(), e.text());
            return 2;
        }
    };
    let lang = config.ui.language;
    let dir = match app::data_dir(&opts) {
        Ok(d) => d,
        Err(e) => {
            say(lang, e.text());
            return 2;
        }
    };
    if let Some(Cmd::Restore { file }) = &cli.command {
        return kasse::ops::cli::restore_command(&opts, config, dir, file).await;
    }
    let _log_guard = app::init_logging(&dir);
    tracing::info!(
        demo = opts.demo,
        "kasse {} starting",
        env!("CARGO_PKG_VERSION")
    );
    kasse::ops::perms::secure_and_log(&dir);
    // One process owns a database: the till and every command that runs recovery, the outbox
    // worker or writes the journal hold the data dir's lock until they exit.
    let _dir_lock = match ownership(cli.command.as_ref()) {
        Some((name, hint)) => match kasse::ops::cli::own_data_dir(&dir, name, hint.as_ref()) {
            Ok(l) => Some(l),
            Err(t) => {
                say(lang, &t);
                return 3;
            }
        },
        None => None,
    };

    match cli.command {
        Some(Cmd::Journal(a)) => kasse::cli::fiscal::journal_command(&dir, a, lang).await,
        Some(Cmd::Saft(a)) => kasse::cli::fiscal::saft_command(&config, &dir, a, lang).await,
        Some(Cmd::Doctor { phone }) => {
            let mut out = std::io::stdout();
            let clock = std::sync::Arc::new(kasse::clock::SystemClock);
            let ids = std::sync::Arc::new(kasse::clock::RandomIds);
            let mut cfg = config;
            let sim = if opts.demo {
                match app::start_sim(None).await {
                    Ok(sim) => {
                        cfg.vipps.base_url = sim.base_url();
                        Some(sim)
                    }
                    Err(e) => {
                        say(lang, e.text());
                        return 1;
                    }
                }
            } else {
                None
            };
            let code =
                kasse::engine::doctor::doctor(&cfg, &dir, clock, ids, &phone, lang, &mut out)
                    .await
                    .unwrap_or(1);
            if let Some(sim) = sim {
                let _ = sim.shutdown().await;
            }
            code
        }
        Some(Cmd::Pay(p)) => {
            let api = match p.api.as_deref() {
                Some(s) => ApiKind::parse(s).unwrap_or_default(),
                None => kasse::engine::doctor::api_of(config.vipps.api),
            };
            let currency = config.shop.currency;
            let auto = opts
                .demo
                .then(|| std::time::Duration::from_secs(p.approve_after));
            let till = match app::start_till(&opts, config, dir, auto).await {
                Ok(t) => t,
                Err(e) => {
                    say(lang, e.text());
                    return 1;
                }
            };
            let args = kasse::engine::headless::PayArgs {
                amount: p.amount,
                phone: p.phone,
                qr: p.qr,
                api,
                description: p.description,
                json: p.json,
                currency,
                lang,
            };
            let mut out = std::io::stdout();
            // Ctrl-C aborts safely: cancel, then read back (an approval in the meantime is
            // reported, never lost).
            let abort = async {
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            let code = match kasse::engine::headless::pay_with_abort(
                till.engine(),
                &args,
                &mut out,
                abort,
            )
            .await
            {
                Ok(c) => c,
                Err(e) => {
                    let _ = writeln!(out, "result: error reason={}", e.message().get(lang));
                    1
                }
            };
            till.shutdown().await;
            code
        }
        Some(Cmd::Queue { drain: false, .. }) => {
            let store = match kasse::ops::cli::read_only_store(&dir).await {
                Ok(s) => s,
                Err(t) => {
                    say(lang, &t);
                    return 1;
                }
            };
            match kasse::engine::headless::queue_list(&store, &mut std::io::stdout()).await {
                Ok(c) => c,
                Err(e) => {
                    say(lang, &e.message());
                    1
                }
            }
        }
        Some(Cmd::Queue { drain, max_wait }) => {
            let till = match app::start_till(&opts, config, dir, None).await {
                Ok(t) => t,
                Err(e) => {
                    say(lang, e.text());
                    return 1;
                }
            };
            let mut out = std::io::stdout();
            let r = if drain {
                kasse::engine::headless::queue_drain(
                    till.engine(),
                    std::time::Duration::from_secs(max_wait),
                    &mut out,
                )
                .await
            } else {
                kasse::engine::headless::queue_list(&till.store(), &mut out).await
            };
            till.shutdown().await;
            match r {
                Ok(c) => c,
                Err(e) => {
                    say(lang, &e.message());
                    1
                }
            }
        }
        Some(Cmd::Refund(args)) => {
            staff_command(&opts, config, dir, lang, StaffCmd::Refund(args)).await
        }
        Some(Cmd::Report(args)) => {
            staff_command(&opts, config, dir, lang, StaffCmd::Report(args)).await
        }
        Some(Cmd::BatchCapture(args)) => {
            staff_command(&opts, config, dir, lang, StaffCmd::BatchCapture(args)).await
        }
        Some(Cmd::BatchRefund(args)) => {
            staff_command(&opts, config, dir, lang, StaffCmd::BatchRefund(args)).await
        }
        Some(Cmd::Reprint { receipt }) => {
            staff_command(&opts, config, dir, lang, StaffCmd::Reprint(receipt)).await
        }
        Some(Cmd::CreateManager { name }) => {
            let pin = match kasse::staff::headless::pin_from_env() {
                Some(p) => p,
                None => {
                    eprintln!("kasse: PIN: set KASSE_PIN to the new manager's PIN (6–8 digits).");
                    return 2;
                }
            };
            match app::create_first_manager(&config, &dir, &name, &pin).await {
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
        Some(Cmd::AddStaff { name, role }) => {
            let role = match role.trim() {
                "cashier" => kasse::staff::Role::Cashier,
                "manager" => kasse::staff::Role::Manager,
                other => {
                    say(
                        lang,
                        &kasse::lang::Text::new(
                            format!("--role «{other}»: skriv cashier eller manager."),
                            format!("--role \"{other}\": write cashier or manager."),
                        ),
                    );
                    return 1;
                }
            };
            let Some(pin) = kasse::staff::headless::pin_from_env() else {
                say(
                    lang,
                    &kasse::lang::Text::new(
                        "PIN: sett KASSE_PIN til den nye ansattes PIN (4–8 sifre; leder 6–8).",
                        "PIN: set KASSE_PIN to the new staff member's PIN (4–8 digits; manager 6–8).",
                    ),
                );
                return 1;
            };
            let Some(manager_pin) = std::env::var("KASSE_MANAGER_PIN")
                .ok()
                .filter(|s| !s.is_empty())
                .map(secrecy::SecretString::from)
            else {
                say(
                    lang,
                    &kasse::lang::Text::new(
                        "Leder-PIN: sett KASSE_MANAGER_PIN til PIN-en til lederen som legger til den ansatte.",
                        "Manager PIN: set KASSE_MANAGER_PIN to the PIN of the manager adding the staff member.",
                    ),
                );
                return 1;
            };
            match app::add_staff(&config, &dir, &name, role, &pin, &manager_pin).await {
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
        Some(Cmd::ListStaff) => match app::list_staff(&config, &dir).await {
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
        },
        Some(Cmd::Backup { to }) => kasse::ops::cli::backup_command(&config, &dir, to, lang).await,
        Some(Cmd::Sim(_) | Cmd::Restore { .. }) => 0,
        None => {
            let till = match app::start_till(&opts, config, dir, None).await {
                Ok(t) => t,
                Err(e) => {
                    say(lang, e.text());
                    return 1;
                }
            };
            let r = app::run_tui(&opts, &till).await;
            till.shutdown().await;
            match r {
                Ok(()) => 0,
                Err(e) => {
                    say(lang, e.text());
                    1
                }
            }
        }
    }
}
