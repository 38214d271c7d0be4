//! The commands' side of [`super`]: which command owns the data directory, the read-only
//! context for commands that run beside the till, `kasse backup`, `kasse restore` and the
//! automatic backups. Wiring only (called from `main.rs` and `app::run_tui`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::app::{AppError, Options};
use crate::config::Config;
use crate::lang::{Lang, Text};
use crate::store::{AsyncStore, Store};

use crate::ops::backup::backup;
use crate::ops::lock::DirLock;

/// Take the data directory for a command that runs recovery, the outbox worker or writes the
/// journal (the till, `pay`, `queue --drain`, `refund`, `report --z`, `batch-*`, staff
/// changes, `restore`). `hint` tells a money-moving command what to do instead while the till
/// runs. The lock is released when the returned value drops (or the process ends).
pub fn own_data_dir(dir: &Path, command: &str, hint: Option<&Text>) -> Result<DirLock, Text> {
    DirLock::acquire(dir, command, time::OffsetDateTime::now_utc()).map_err(|e| e.message(hint))
}

/// What to tell a money-moving command while another process owns the directory.
pub fn money_hint(what_nb: &str, what_en: &str) -> Text {
    Text::new(
        format!(
            "Gjør {what_nb} i den kjørende kassen (F10 Ansatt-meny), eller stopp kassen først og kjør kommandoen på nytt."
        ),
        format!(
            "Do {what_en} in the running till (F10 staff menu), or stop the till first and run the command again."
        ),
    )
}

/// The journal opened read-only on its own thread (no migrations, no outbox reset). A fresh
/// install (no journal yet) gets an empty one first, created under the data dir's lock, so an
/// X report or the queue list works before the first sale.
pub async fn read_only_store(dir: &Path) -> Result<AsyncStore, Text> {
    let d = dir.to_path_buf();
    let store = tokio::task::spawn_blocking(move || match Store::open_read_only(&d) {
        Err(crate::store::StoreError::NoJournal { .. }) => {
            let lock = own_data_dir(&d, "kasse (first start)", None)?;
            drop(Store::open_in_dir(&d).map_err(|e| e.message())?);
            drop(lock);
            Store::open_read_only(&d).map_err(|e| e.message())
        }
        other => other.map_err(|e| e.message()),
    })
    .await
    .map_err(|e| Text::new(format!("Databasefeil: {e}"), format!("Database error: {e}")))??;
    AsyncStore::new(store).map_err(|e| e.message())
}

/// A context for `report` (X) and `reprint` beside a running till: the journal read-only, no
/// engine; X reports reconcile through their own read-only Vipps client (not in `--demo`,
/// where each command's simulator knows nothing of the till's payments). The staff journal's
/// connection only appends the X report's audit row (`staff_actions`).
pub async fn read_only_ctx(
    config: &Config,
    dir: &Path,
    demo: bool,
) -> Result<crate::cli::staff::HeadlessCtx, Text> {
    let store = read_only_store(dir).await?;
    let d = dir.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || Store::open_beside(&d))
        .await
        .map_err(|e| Text::new(format!("Databasefeil: {e}"), format!("Database error: {e}")))?
        .map_err(|e| e.message())?;
    let writer = AsyncStore::new(writer).map_err(|e| e.message())?;
    let db = crate::service::StaffDb::new(writer, &config.shop.shop_id, &config.shop.till_id)
        .map(|db| crate::app::with_company(db, config))
        .map_err(|e| e.message())?;
    let reader: Option<Arc<dyn crate::service::reconcile::PaymentReader>> = if demo {
        None
    } else {
        crate::api::Vipps::new(config.api_settings())
            .ok()
            .map(|v| Arc::new(crate::service::reconcile::VippsReader::new(v)) as _)
    };
    Ok(crate::cli::staff::HeadlessCtx {
        db,
        store,
        engine: None,
        reader,
        clock: Arc::new(crate::clock::SystemClock),
        lang: config.ui.language,
        utc_offset: time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
        currency: config.shop.currency,
        pin: crate::cli::staff::pin_from_env(),
    })
}

/// `kasse backup [--to DIR]`: works while the till runs (online copy). Exit 0 / 1.
pub async fn backup_command(config: &Config, dir: &Path, to: Option<PathBuf>, lang: Lang) -> i32 {
    let to = crate::ops::backup::target_dir(to.as_deref(), config, dir);
    match backup(dir, &to).await {
        Ok(d) => {
            println!(
                "result: backup written path={} bytes={} schema=v{} verified=integrity_check",
                d.path.display(),
                d.bytes,
                d.schema_version
            );
            0
        }
        Err(t) => {
            println!("result: backup failed reason={}", t.get(lang));
            1
        }
    }
}

/// `kasse restore FILE`: into an empty data directory (locked meanwhile), verified, 0600, a
/// new install id (references stay unique on the MSN), then recovery reads every unfinished
/// payment back from Vipps. Prints each step; exit 0 / 1.
pub async fn restore_command(opts: &Options, config: Config, dir: PathBuf, file: &Path) -> i32 {
    let lang = config.ui.language;
    let say = |t: &Text| eprintln!("kasse: {}", t.get(lang));
    let lock = match own_data_dir(&dir, "kasse restore", None) {
        Ok(l) => l,
        Err(t) => {
            say(&t);
            return 1;
        }
    };
    let (f, d) = (file.to_path_buf(), dir.clone());
    let copied =
        tokio::task::spawn_blocking(move || crate::ops::backup::restore_copy(&f, &d)).await;
    let version = match copied {
        Ok(Ok(v)) => v,
        Ok(Err(t)) => {
            println!("result: not restored reason={}", t.get(lang));
            return 1;
        }
        Err(e) => {
            println!("result: not restored reason={e}");
            return 1;
        }
    };
    println!(
        "restore: copied {} into {} (verified, schema v{version})",
        file.display(),
        dir.display()
    );
    let (d, reason) = (dir.clone(), format!("restored from {}", file.display()));
    let renewed = tokio::task::spawn_blocking(move || {
        let mut s = Store::open_in_dir(&d)?;
        let old = s.current_install_id()?;
        let new = s.renew_install_id(&reason, time::OffsetDateTime::now_utc())?;
        Ok::<_, crate::store::StoreError>((old, new))
    })
    .await;
    match renewed {
        Ok(Ok((old, new))) => println!(
            "restore: new install id {new} (was {}); references made from now on cannot collide with the original till's",
            old.as_deref().unwrap_or("none")
        ),
        Ok(Err(e)) => {
            println!("result: not restored reason={}", e.message().get(lang));
            return 1;
        }
        Err(e) => {
            println!("result: not restored reason={e}");
            return 1;
        }
    }
    crate::ops::perms::secure_and_log(&dir);
    // Recovery: start the engine once (it reads every unfinished payment back from Vipps).
    let till = match crate::app::start_till(opts, config, dir.clone(), None).await {
        Ok(t) => t,
        Err(AppError::Message(t)) => {
            println!(
                "result: restored, recovery not run reason={} (start the till to run it)",
                t.get(lang)
            );
            return 1;
        }
    };
    let recovered = till.running.recovered.clone();
    for r in &recovered {
        println!(
            "recovered: reference={} was={} now={} amount={} — {}",
            r.snapshot.reference,
            r.was.code(),
            r.snapshot.state.code(),
            r.snapshot.amount,
            r.outcome.get(lang)
        );
    }
    let open = till
        .store()
        .run(|s| s.pending_count())
        .await
        .unwrap_or_default();
    till.shutdown().await;
    drop(lock);
    println!(
        "result: restored unfinished_payments_read={} outbox_open={open}",
        recovered.len()
    );
    0
}
