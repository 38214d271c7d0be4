//! Every `kasse` subcommand: the clap definitions, which commands own the data directory, and
//! the dispatch. Each command's body lives in its own file; they call the shell (`app`), the
//! services and the engine, print their results as `key: value` lines and answer an exit code.

use crate::app::{self, Options};
use crate::lang::Lang;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

mod back_office;
pub mod cash;
pub mod catalog;
pub mod display;
pub mod doctor;
pub mod fiscal;
pub mod hq;
pub mod ops;
pub mod pay;
mod pay_fmt;
pub mod returns;
pub mod sim;
pub mod staff;

#[derive(Debug, Parser)]
#[command(
    name = "kasse",
    version,
    about = "Terminal point-of-sale for Vipps MobilePay"
)]
pub struct Cli {
    /// Config file (default: the platform config dir, e.g. ~/.config/kasse/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where the journal and logs live (default: the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Run on the embedded Vipps simulator with a demo database (TRAINING, no account needed).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Customer-operated kiosk mode (no staff functions; quitting needs the PIN).
    #[arg(long)]
    pub kiosk: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Run the stateful Vipps simulator on its own.
    Sim(sim::SimArgs),
    /// One sale without the screen (kiosks, scripts, support).
    Pay(pay::PayCli),
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
    Refund(crate::cli::staff::RefundArgs),
    /// Goods back at the counter: RECEIPT --line N[:QTY]... --reason TEXT (cash part in cash,
    /// Vipps part as a refund), or --no-receipt --item NAME=AMOUNT (cash only); manager PIN.
    Return(crate::cli::returns::ReturnArgs),
    /// X report (the open period) or Z report (--z: closes everything since the last Z; manager
    /// PIN from KASSE_PIN); --number N shows a stored Z again.
    Report(crate::cli::staff::ReportArgs),
    /// Cash management: float|withdraw|deposit AMOUNT [--reason TEXT] (PIN from KASSE_PIN;
    /// a manager's for withdraw/deposit), or list (the open period's drawer).
    Cash(crate::cli::cash::CashArgs),
    /// Capture every authorized-but-uncaptured payment of the day (manager PIN from
    /// KASSE_PIN); progress on stderr.
    BatchCapture(crate::cli::staff::BatchCaptureArgs),
    /// Refund a list of sales: REF[=AMOUNT]... --reason TEXT (manager PIN from KASSE_PIN);
    /// progress on stderr.
    BatchRefund(crate::cli::staff::BatchRefundArgs),
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
    /// A manager (KASSE_MANAGER_PIN) stops a staff member of this till logging in (someone
    /// who left, a PIN that got out). Journaled with the reason; members from HQ are changed
    /// with `kasse hq staff deactivate`.
    DeactivateStaff {
        /// The staff id (see `kasse list-staff`), e.g. st002.
        #[arg(long)]
        id: String,
        /// Why (journaled).
        #[arg(long)]
        reason: String,
    },
    /// A manager (KASSE_MANAGER_PIN) lets a deactivated staff member log in again.
    ActivateStaff {
        #[arg(long)]
        id: String,
        #[arg(long)]
        reason: String,
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
    Journal(fiscal::JournalArgs),
    /// SAF-T Cash Register export: --from YYYY-MM-DD --to YYYY-MM-DD [--out PATH].
    Saft(fiscal::SaftArgs),
    /// The article catalogue: `kasse catalog import FILE.csv` (price changes journaled).
    Catalog(catalog::CatalogArgs),
    /// Headquarters (PostgreSQL, [hq] database_url): migrate, sync, status, report, verify.
    Hq(hq::HqArgs),
    /// The address to open on the customer display ([display] listen), with the pairing
    /// token for a non-loopback address.
    DisplayUrl,
    /// The customer display in this terminal (a second screen facing the customer), following
    /// the running till; `q` closes it.
    Display {
        /// The display's address (`kasse display-url`, or what `--demo` prints). Default: from
        /// [display] listen.
        #[arg(long)]
        url: Option<String>,
    },
    /// Restore a backup into an EMPTY data dir: verified, new install id, then every
    /// unfinished payment is read back from Vipps.
    Restore {
        /// The backup file (kasse-….sqlite3).
        file: PathBuf,
    },
}

/// How a command uses the data directory (see README, "One process per database").
fn ownership(cmd: Option<&Cmd>) -> Option<(&'static str, Option<crate::lang::Text>)> {
    use ops::money_hint;
    match cmd {
        None => Some(("kasse (till)", None)),
        Some(Cmd::Pay(_)) => Some(("kasse pay", Some(money_hint("betalingen", "the payment")))),
        Some(Cmd::Queue { drain: true, .. }) => Some((
            "kasse queue --drain",
            Some(crate::lang::Text::new(
                "Den kjørende kassen sender køen selv.",
                "The running till sends the queue itself.",
            )),
        )),
        Some(Cmd::Refund(_)) => {
            Some(("kasse refund", Some(money_hint("refusjonen", "the refund"))))
        }
        Some(Cmd::Return(_)) => Some(("kasse return", Some(money_hint("returen", "the return")))),
        Some(Cmd::Report(a)) if a.z => Some((
            "kasse report --z",
            Some(money_hint("Z-rapporten", "the Z report")),
        )),
        Some(Cmd::Cash(a)) if a.kind().is_some() => Some((
            "kasse cash",
            Some(money_hint("kontantbevegelsen", "the cash movement")),
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
        Some(Cmd::DeactivateStaff { .. }) => Some(("kasse deactivate-staff", None)),
        Some(Cmd::ActivateStaff { .. }) => Some(("kasse activate-staff", None)),
        Some(Cmd::Journal(fiscal::JournalArgs {
            cmd: fiscal::JournalCmd::RotateKey { .. },
        })) => Some(("kasse journal rotate-key", None)),
        Some(Cmd::CreateManager { .. }) => Some(("kasse create-manager", None)),
        Some(Cmd::Catalog(_)) => Some((
            "kasse catalog import",
            Some(crate::lang::Text::new(
                "Kassen leser varekatalogen når den starter: lukk kassen, importer, og start den igjen.",
                "The till reads the catalogue when it starts: close the till, import, then start it again.",
            )),
        )),
        Some(Cmd::Hq(hq::HqArgs {
            cmd: hq::HqCmd::Sync { .. },
        })) => Some((
            "kasse hq sync",
            Some(crate::lang::Text::new(
                "Den kjørende kassen sender til HK selv.",
                "The running till sends to HQ itself.",
            )),
        )),
        // Read-only beside the till; restore locks for itself; the simulator has no journal.
        Some(
            Cmd::Queue { .. }
            | Cmd::Report(_)
            | Cmd::Cash(_)
            | Cmd::Reprint { .. }
            | Cmd::Doctor { .. }
            | Cmd::ListStaff
            | Cmd::Backup { .. }
            | Cmd::Restore { .. }
            | Cmd::DisplayUrl
            | Cmd::Display { .. }
            | Cmd::Journal(_)
            | Cmd::Saft(_)
            | Cmd::Hq(_)
            | Cmd::Sim(_),
        ) => None,
    }
}

fn say(lang: Lang, t: &crate::lang::Text) {
    eprintln!("kasse: {}", t.get(lang));
}

/// Run the command line: load the config, find the data dir, take the lock when the command
/// owns the journal, and dispatch. Answers the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let opts = Options {
        config: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        demo: cli.demo,
        kiosk: cli.kiosk,
    };
    if let Some(Cmd::Sim(args)) = cli.command {
        return match sim::run_cli(args).await {
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
        return ops::restore_command(&opts, config, dir, file).await;
    }
    let _log_guard = app::init_logging(&dir);
    tracing::info!(
        demo = opts.demo,
        "kasse {} starting",
        env!("CARGO_PKG_VERSION")
    );
    crate::ops::perms::secure_and_log(&dir);
    // One process owns a database: the till and every command that runs recovery, the outbox
    // worker or writes the journal hold the data dir's lock until they exit.
    let _dir_lock = match ownership(cli.command.as_ref()) {
        Some((name, hint)) => match ops::own_data_dir(&dir, name, hint.as_ref()) {
            Ok(l) => Some(l),
            Err(t) => {
                say(lang, &t);
                return 3;
            }
        },
        None => None,
    };

    use back_office::StaffCmd;
    match cli.command {
        Some(Cmd::Doctor { phone }) => doctor::command(&opts, config, &dir, lang, &phone).await,
        Some(Cmd::Pay(p)) => pay::command(&opts, config, dir, lang, p).await,
        Some(Cmd::Queue { drain, max_wait }) => {
            pay::queue_command(&opts, config, dir, lang, drain, max_wait).await
        }
        Some(Cmd::Refund(args)) => {
            back_office::staff_command(&opts, config, dir, lang, StaffCmd::Refund(args)).await
        }
        Some(Cmd::Return(args)) => {
            back_office::staff_command(&opts, config, dir, lang, StaffCmd::Return(args)).await
        }
        Some(Cmd::Report(args)) => {
            back_office::staff_command(&opts, config, dir, lang, StaffCmd::Report(args)).await
        }
        Some(Cmd::Cash(args)) => {
            back_office::staff_command(&opts, config, dir, lang, StaffCmd::Cash(args)).await
        }
        Some(Cmd::BatchCapture(args)) => {
            back_office::staff_command(&opts, config, dir, lang, StaffCmd::BatchCapture(args)).await
        }
        Some(Cmd::BatchRefund(args)) => {
            back_office::staff_command(&opts, config, dir, lang, StaffCmd::BatchRefund(args)).await
        }
        Some(Cmd::Reprint { receipt }) => {
            back_office::staff_command(&opts, config, dir, lang, StaffCmd::Reprint(receipt)).await
        }
        Some(Cmd::CreateManager { name }) => {
            back_office::create_manager(&config, &dir, lang, &name).await
        }
        Some(Cmd::AddStaff { name, role }) => {
            back_office::add_staff(&config, &dir, lang, &name, &role).await
        }
        Some(Cmd::ListStaff) => back_office::list_staff(&config, &dir, lang).await,
        Some(Cmd::DeactivateStaff { id, reason }) => {
            back_office::set_staff_active(&config, &dir, lang, &id, false, &reason).await
        }
        Some(Cmd::ActivateStaff { id, reason }) => {
            back_office::set_staff_active(&config, &dir, lang, &id, true, &reason).await
        }
        Some(Cmd::Backup { to }) => ops::backup_command(&config, &dir, to, lang).await,
        Some(Cmd::Journal(a)) => fiscal::journal_command(&dir, a, lang).await,
        Some(Cmd::Saft(a)) => fiscal::saft_command(&config, &dir, a, lang).await,
        Some(Cmd::Catalog(a)) => catalog::command(&config, &dir, a, lang).await,
        Some(Cmd::Hq(a)) => hq::command(&config, &dir, a, lang).await,
        Some(Cmd::DisplayUrl) => display::run(
            &config,
            &dir,
            opts.demo,
            lang,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        ),
        Some(Cmd::Display { url }) => display::terminal(&config, &dir, opts.demo, url, lang).await,
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
