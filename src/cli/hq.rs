//! `kasse hq migrate | sync | status | report | verify | saft | catalog import | staff add`:
//! headquarters' commands. Wiring only:
//! the work (and all PostgreSQL SQL) is in `hq`.
//!
//! `sync` owns the till's data directory (the running till replicates by itself); the others
//! only read PostgreSQL and never touch a till's journal.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use time::Date;

use crate::config::Config;
use crate::hq::{self, HqError};
use crate::lang::{Lang, Text};
use crate::store::{AsyncStore, Store};

/// `kasse hq …`.
#[derive(Debug, clap::Args)]
pub struct HqArgs {
    #[command(subcommand)]
    pub cmd: HqCmd,
}

/// Output format of `kasse hq report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Csv,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum HqCmd {
    /// Create or upgrade HQ's PostgreSQL schema ([hq] database_url).
    Migrate,
    /// Send everything HQ has not acknowledged now; returns once this till is caught up.
    Sync {
        /// Give up after this many seconds (exit 1).
        #[arg(long, default_value_t = 120)]
        max_wait: u64,
    },
    /// Each till (install) HQ knows: last seen time and how far behind it is.
    Status,
    /// Figures per till, per shop and for the chain for one business day.
    Report {
        /// The business day (YYYY-MM-DD, local time of this machine).
        #[arg(long, value_parser = crate::cli::fiscal::parse_day)]
        date: Date,
        /// Only this shop.
        #[arg(long)]
        shop: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Re-check every till's signature chain from HQ's copy (exit 1 names the first break).
    Verify {
        /// Only this shop.
        #[arg(long)]
        shop: Option<String>,
    },
    /// One SAF-T Cash Register file for a shop with all its tills, from HQ's copy (valid
    /// against Skatteetaten's XSD; each till's signature chain verifies from the file).
    Saft {
        /// The shop.
        #[arg(long)]
        shop: String,
        #[command(flatten)]
        period: crate::cli::fiscal::SaftArgs,
    },
    /// The chain's catalogue: publish a price list for the tills to pull.
    #[command(subcommand)]
    Catalog(HqCatalogCmd),
    /// Staff for a shop's tills: `hq staff add --shop S --name N --role cashier|manager`, the
    /// PIN read from KASSE_PIN and hashed here (only the hash is sent).
    #[command(subcommand)]
    Staff(HqStaffCmd),
}

#[derive(Debug, clap::Subcommand)]
pub enum HqStaffCmd {
    /// Add a staff member; every till of the shop takes them in when it next syncs with HQ.
    Add {
        #[arg(long)]
        shop: String,
        #[arg(long)]
        name: String,
        /// cashier or manager.
        #[arg(long)]
        role: String,
    },
    /// Stop an HQ member logging in at the shop's tills (someone who left, a lost PIN).
    Deactivate(HqStaffChangeArgs),
    /// Let a deactivated HQ member log in again.
    Activate(HqStaffChangeArgs),
    /// Give an HQ member a new PIN (read from KASSE_PIN; only its hash is sent).
    Pin(HqStaffChangeArgs),
}

/// Which HQ member (`hq_staff_id` from `hq staff add`; at the tills `hq<id>`) and why.
#[derive(Debug, clap::Args)]
pub struct HqStaffChangeArgs {
    #[arg(long)]
    pub shop: String,
    /// HQ's id of the member (the number in `hq<id>`).
    #[arg(long)]
    pub id: i64,
    /// Why (journaled at every till).
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, clap::Subcommand)]
pub enum HqCatalogCmd {
    /// Publish a catalogue file (the same CSV as `kasse catalog import`, checked the same way:
    /// any bad row publishes nothing) as a new version. Each till of the shop (or, without
    /// --shop, of the whole chain) applies it when it next syncs with HQ.
    Import {
        /// The CSV (or TOML) file.
        file: std::path::PathBuf,
        /// Only this shop's tills (default: every shop).
        #[arg(long)]
        shop: Option<String>,
    },
}

fn say(lang: Lang, t: &Text) {
    eprintln!("kasse: {}", t.get(lang));
}

fn out(s: &str) {
    let mut o = std::io::stdout();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

fn pool(config: &Config) -> Result<hq::Pool, HqError> {
    match &config.hq.database_url {
        Some(url) => hq::pool_with(url, config.hq.ca_file.as_deref()),
        None => Err(HqError::NotConfigured),
    }
}

/// Run `kasse hq …`: exit 0 when done, 1 on errors (or a chain that does not verify), 2 when
/// HQ is not configured.
pub async fn command(config: &Config, dir: &Path, args: HqArgs, lang: Lang) -> i32 {
    let r = match args.cmd {
        HqCmd::Migrate => migrate(config).await,
        HqCmd::Sync { max_wait } => sync(config, dir, max_wait, lang).await,
        HqCmd::Status => status(config).await,
        HqCmd::Report { date, shop, format } => report(config, date, shop, format, lang).await,
        HqCmd::Verify { shop } => verify(config, shop, lang).await,
        HqCmd::Saft { shop, period } => saft(config, &shop, &period, lang).await,
        HqCmd::Staff(HqStaffCmd::Add { shop, name, role }) => {
            staff_add(config, &shop, &name, &role, lang).await
        }
        HqCmd::Staff(HqStaffCmd::Deactivate(a)) => {
            staff_change(config, &a, hq::staff::Change::Deactivate, lang).await
        }
        HqCmd::Staff(HqStaffCmd::Activate(a)) => {
            staff_change(config, &a, hq::staff::Change::Activate, lang).await
        }
        HqCmd::Staff(HqStaffCmd::Pin(a)) => {
            let raw = std::env::var("KASSE_PIN").unwrap_or_default();
            match crate::domain::staff::Pin::new(&raw) {
                Ok(pin) => {
                    let len = raw.chars().count();
                    drop(raw);
                    staff_change(config, &a, hq::staff::Change::Pin(pin, len), lang).await
                }
                Err(e) => {
                    say(lang, &e.message());
                    Ok(1)
                }
            }
        }
        HqCmd::Catalog(HqCatalogCmd::Import { file, shop }) => {
            catalog_import(config, &file, shop, lang).await
        }
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            say(lang, &e.text());
            if matches!(e, HqError::NotConfigured | HqError::BadUrl) {
                2
            } else {
                1
            }
        }
    }
}

async fn migrate(config: &Config) -> Result<i32, HqError> {
    let pool = pool(config)?;
    let (before, after) = hq::migrate::migrate(&pool).await?;
    out(&format!(
        "schema_version_before: {before}\nschema_version: {after}\n"
    ));
    Ok(0)
}

async fn sync(config: &Config, dir: &Path, max_wait: u64, lang: Lang) -> Result<i32, HqError> {
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let d = dir.to_path_buf();
    let store = tokio::task::spawn_blocking(move || Store::open_in_dir(&d))
        .await
        .map_err(|e| HqError::Db(e.to_string()))??;
    let store = AsyncStore::new(store)?;
    let rep = hq::worker::Replicator::new(
        store,
        pool,
        Arc::new(crate::clock::SystemClock),
        config.shop.shop_id.clone(),
        config.shop.till_id.clone(),
        config.hq.batch_rows,
    );
    let sent = rep.sync(Duration::from_secs(max_wait)).await?;
    out(&format!("sent: {sent}\nbehind: {}\n", rep.behind().await?));
    let arrived = rep.pull_staff().await?;
    out(&format!("staff_arrived: {}\n", arrived.len()));
    let changes = rep.pull_staff_changes().await?;
    out(&format!("staff_changes: {}\n", changes.len()));
    let applied = rep.pull_catalog().await?;
    let mut s = format!("catalog_versions: {}\n", applied.len());
    let mut code = 0;
    for a in &applied {
        match &a.refused {
            None => s.push_str(&format!(
                "catalog_version: {} articles: {} added: {} price_changes: {}\n",
                a.version, a.articles, a.added, a.price_changes
            )),
            Some(p) => {
                code = 1;
                say(
                    lang,
                    &Text::new(
                        format!(
                            "HK-varekatalog versjon {} ble ikke tatt i bruk: {}",
                            a.version, p.nb
                        ),
                        format!(
                            "HQ catalogue version {} was not applied: {}",
                            a.version, p.en
                        ),
                    ),
                );
            }
        }
    }
    out(&s);
    Ok(code)
}

async fn catalog_import(
    config: &Config,
    file: &Path,
    shop: Option<String>,
    lang: Lang,
) -> Result<i32, HqError> {
    // Checked before HQ is even asked: a bad file publishes nothing.
    let (_, rows) = match crate::app::catalog_store::read_import(file) {
        Ok(r) => r,
        Err(t) => {
            say(lang, &t);
            return Ok(1);
        }
    };
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let articles: Vec<_> = rows.into_iter().map(|(_, a)| a).collect();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let version = hq::catalog::publish(&pool, shop.as_deref(), &name, &articles).await?;
    out(&format!(
        "catalog_version: {version}\narticles: {}\nscope: {}\n",
        articles.len(),
        shop.as_deref()
            .map_or_else(|| "chain".to_string(), |s| format!("shop {s}"))
    ));
    Ok(0)
}

async fn status(config: &Config) -> Result<i32, HqError> {
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let rows = hq::report::status(&pool).await?;
    let mut s =
        String::from("shop_id\ttill_id\tinstall_id\tlast_seq\tlag\tlast_seen_at\tseconds_ago\n");
    for r in rows {
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            r.shop_id, r.till_id, r.install_id, r.last_seq, r.lag, r.last_seen_at, r.seconds_ago
        ));
    }
    out(&s);
    Ok(0)
}

async fn report(
    config: &Config,
    date: Date,
    shop: Option<String>,
    format: Format,
    lang: Lang,
) -> Result<i32, HqError> {
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let r = hq::report::report(&pool, date, offset, shop.as_deref()).await?;
    match format {
        Format::Text => out(&r.to_text(lang)),
        Format::Csv => out(&r.to_csv()),
        Format::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&r).map_err(|e| HqError::Db(e.to_string()))?
        )),
    }
    Ok(0)
}

async fn verify(config: &Config, shop: Option<String>, lang: Lang) -> Result<i32, HqError> {
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let verdicts = hq::verify::verify(&pool, shop.as_deref()).await?;
    let mut s = String::new();
    let mut code = 0;
    for v in &verdicts {
        match &v.failure {
            None => s.push_str(&format!(
                "{}/{} ({}): ok, {} {}\n",
                v.shop_id,
                v.till_id,
                v.install_id,
                v.verified,
                lang.pick("transaksjoner", "transactions")
            )),
            Some(t) => {
                code = 1;
                s.push_str(&format!(
                    "{}/{} ({}): {} {}\n",
                    v.shop_id,
                    v.till_id,
                    v.install_id,
                    lang.pick("FEIL:", "BROKEN:"),
                    t.get(lang)
                ));
            }
        }
    }
    if verdicts.is_empty() {
        s.push_str(lang.pick(
            "Ingen signerte transaksjoner hos HK ennå.\n",
            "No signed transactions at HQ yet.\n",
        ));
    }
    out(&s);
    Ok(code)
}

/// `kasse hq saft`: the file is written as `….xml.part` and renamed once complete; HQ lists it
/// in `hq_saft_exports`.
async fn saft(
    config: &Config,
    shop: &str,
    args: &crate::cli::fiscal::SaftArgs,
    lang: Lang,
) -> Result<i32, HqError> {
    use crate::cli::fiscal::{PartFile, export_request};
    let refuse = |t: &Text| {
        say(lang, t);
        Ok(1)
    };
    let org = match crate::fiscal::saft::OrgNumber::parse(config.shop.org_number.as_deref()) {
        Ok(o) => o,
        Err(e) => return refuse(&e.text()),
    };
    if args.from > args.to {
        return refuse(&Text::new(
            "--from må være før eller lik --to.",
            "--from must be on or before --to.",
        ));
    }
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let (req, path) = export_request(config, org, args, time::OffsetDateTime::now_utc());
    let (part, writer) = match PartFile::create(&path) {
        Ok(p) => p,
        Err(t) => return refuse(&t),
    };
    let (writer, summary) = match hq::saft::write_shop_saft(&pool, shop, &req, writer).await {
        Ok(v) => v,
        Err(e) => {
            part.discard();
            return match e {
                hq::saft::HqSaftError::Hq(e) => Err(e),
                e => refuse(&e.text()),
            };
        }
    };
    if let Err(t) = part.commit(writer) {
        return refuse(&t);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = hq::saft::record_export(&pool, shop, &req, &name, summary).await?;
    // The file is HQ's copy as it is now: say when a till may not have sent everything yet.
    for warning in hq::saft::completeness(&pool, shop, &req).await? {
        say(lang, &warning);
    }
    out(&format!(
        "result: saft written path={} shop={shop} transactions={} events={} hq_export_id={id}\n",
        path.display(),
        summary.transactions,
        summary.events
    ));
    Ok(0)
}

async fn staff_change(
    config: &Config,
    a: &HqStaffChangeArgs,
    change: hq::staff::Change,
    lang: Lang,
) -> Result<i32, HqError> {
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let cost = crate::domain::staff::HashCost::Standard;
    match hq::staff::change(&pool, &a.shop, a.id, &change, &a.reason, cost).await {
        Ok(id) => {
            out(&format!(
                "hq_staff_change: {id}\nstaff_id_at_tills: hq{}\n",
                a.id
            ));
            Ok(0)
        }
        Err(hq::staff::AddError::Refused(t)) => {
            say(lang, &t);
            Ok(1)
        }
        Err(hq::staff::AddError::Hq(e)) => Err(e),
    }
}

async fn staff_add(
    config: &Config,
    shop: &str,
    name: &str,
    role: &str,
    lang: Lang,
) -> Result<i32, HqError> {
    use crate::domain::staff::{HashCost, Pin, Role};
    let role = match role {
        "cashier" => Role::Cashier,
        "manager" => Role::Manager,
        _ => {
            say(
                lang,
                &Text::new(
                    format!("--role: «{role}» er ikke cashier eller manager."),
                    format!("--role: \"{role}\" is not cashier or manager."),
                ),
            );
            return Ok(1);
        }
    };
    let raw = std::env::var("KASSE_PIN").unwrap_or_default();
    let pin = match Pin::new(&raw) {
        Ok(p) => p,
        Err(e) => {
            say(lang, &e.message());
            return Ok(1);
        }
    };
    let pool = pool(config)?;
    hq::migrate::check(&pool).await?;
    let len = raw.chars().count();
    drop(raw);
    match hq::staff::add(&pool, shop, name, role, &pin, len, HashCost::Standard).await {
        Ok(id) => {
            out(&format!("hq_staff_id: {id}\nstaff_id_at_tills: hq{id}\n"));
            Ok(0)
        }
        Err(hq::staff::AddError::Refused(t)) => {
            say(lang, &t);
            Ok(1)
        }
        Err(hq::staff::AddError::Hq(e)) => Err(e),
    }
}
