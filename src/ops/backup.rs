//! `kasse backup`, the automatic backups (after every Z, every N hours while the till runs)
//! and `kasse restore`.
//!
//! A backup is a consistent online copy made with SQLite's backup API while the till keeps
//! selling: written to a private temp file in the target folder, fsynced, verified with a full
//! `PRAGMA integrity_check`, made 0600, then renamed to
//! `kasse-YYYYMMDD-HHMMSS-<install id>.sqlite3` (so a half-written file never carries a
//! backup's name) and journaled (`operations.kind = 'backup'`).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::config::Config;
use crate::lang::Text;
use crate::store::{DB_FILE_NAME, OpOutcome, Store, StoreError};

use super::perms;

/// A finished, verified backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupDone {
    pub path: PathBuf,
    pub bytes: u64,
    pub schema_version: i64,
}

/// The folder a backup goes to: `--to`, else `[backup] dir`, else `<data dir>/backups`.
pub fn target_dir(to: Option<&Path>, config: &crate::config::Config, data_dir: &Path) -> PathBuf {
    to.map(Path::to_path_buf)
        .or_else(|| config.backup.dir.clone())
        .unwrap_or_else(|| data_dir.join("backups"))
}

/// `kasse-20261204-090100-<id>.sqlite3` (UTC time; `id` reduced to safe characters).
pub fn file_name(at: OffsetDateTime, id: &str) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    format!(
        "kasse-{:04}{:02}{:02}-{:02}{:02}{:02}-{id}.sqlite3",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn io_text(what: &str, path: &Path, e: &std::io::Error) -> Text {
    Text::new(
        format!("Sikkerhetskopi: kan ikke {what} «{}»: {e}.", path.display()),
        format!("Backup: cannot {what} \"{}\": {e}.", path.display()),
    )
}

/// Back up the journal in `data_dir` into the folder `to` as `file_name(now, id)`. Blocking
/// (run it off the UI task). A failed backup removes its temp file, is journaled as failed and
/// returns why.
pub fn backup_now(
    data_dir: &Path,
    to: &Path,
    id: &str,
    now: OffsetDateTime,
) -> Result<BackupDone, Text> {
    let db = data_dir.join(DB_FILE_NAME);
    let result = backup_inner(&db, to, id, now);
    let (outcome, detail) = match &result {
        Ok(d) => (
            OpOutcome::Ok,
            format!(
                "{} ({} bytes, schema v{})",
                d.path.display(),
                d.bytes,
                d.schema_version
            ),
        ),
        Err(t) => (OpOutcome::Info, format!("backup failed: {}", t.en)),
    };
    if let Err(e) = crate::store::journal_note(&db, "backup", outcome, &detail, now) {
        tracing::error!(error = %e, "backup not journaled");
    }
    // The fiscal journal's own record: the journal was exported to external storage (13020).
    if result.is_ok()
        && let Err(e) = crate::store::journal_backup_event(&db, &format!("backup {detail}"), now)
    {
        tracing::error!(error = %e, "backup not journaled in the fiscal journal");
    }
    match &result {
        Ok(d) => {
            tracing::info!(path = %d.path.display(), bytes = d.bytes, "backup written and verified")
        }
        Err(t) => tracing::error!(reason = %t.en, "backup failed"),
    }
    result
}

fn backup_inner(db: &Path, to: &Path, id: &str, now: OffsetDateTime) -> Result<BackupDone, Text> {
    if !db.is_file() {
        return Err(StoreError::NoJournal {
            path: db.to_path_buf(),
        }
        .message());
    }
    perms::create_private_dir(to)
        .map_err(|e| io_text("lage mappen / create the folder", to, &e))?;
    let name = file_name(now, id);
    let dest = to.join(&name);
    if dest.exists() {
        return Err(Text::new(
            format!(
                "Sikkerhetskopi: «{}» finnes allerede; vent ett sekund og prøv igjen.",
                dest.display()
            ),
            format!(
                "Backup: \"{}\" already exists; wait a second and try again.",
                dest.display()
            ),
        ));
    }
    let tmp = to.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(perms::FILE_MODE);
    }
    drop(
        opts.open(&tmp)
            .map_err(|e| io_text("lage / create", &tmp, &e))?,
    );
    let cleanup = |t: Text| {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(tmp.with_extension("tmp-journal"));
        t
    };
    crate::store::backup_file(db, &tmp).map_err(|e| cleanup(e.message()))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| cleanup(io_text("skrive / write", &tmp, &e)))?;
    let schema_version = crate::store::verify_file(&tmp).map_err(|e| {
        let m = e.message();
        cleanup(Text::new(
            format!(
                "Sikkerhetskopien besto ikke kontrollen og er slettet: {}",
                m.nb
            ),
            format!("The backup failed verification and was deleted: {}", m.en),
        ))
    })?;
    perms::ensure_mode(&tmp, perms::FILE_MODE)
        .map_err(|e| cleanup(io_text("beskytte / protect", &tmp, &e)))?;
    std::fs::rename(&tmp, &dest).map_err(|e| cleanup(io_text("gi navn til / name", &dest, &e)))?;
    if let Ok(d) = std::fs::File::open(to) {
        let _ = d.sync_all();
    }
    let bytes = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
    Ok(BackupDone {
        path: dest,
        bytes,
        schema_version,
    })
}

/// Is `dir` empty enough to restore into (missing, or nothing but an empty `logs/` and a lock
/// file)?
fn restorable_dir(dir: &Path) -> Result<(), Text> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_text("lese / read", dir, &e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let empty_logs = name == "logs"
            && std::fs::read_dir(entry.path()).is_ok_and(|mut d| {
                d.all(|f| f.is_ok_and(|f| f.metadata().is_ok_and(|m| m.len() == 0)))
            });
        if name == super::lock::LOCK_FILE_NAME || empty_logs {
            continue;
        }
        return Err(Text::new(
            format!(
                "Gjenoppretting: datamappen «{}» er ikke tom ({name}). Gjenopprett bare inn i en tom mappe (--data-dir NY_MAPPE); kasse overskriver aldri en journal.",
                dir.display()
            ),
            format!(
                "Restore: the data directory \"{}\" is not empty ({name}). Restore only into an empty directory (--data-dir NEW_DIR); kasse never overwrites a journal.",
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// Restore step 1 (blocking): refuse a non-empty `data_dir`, verify `file` (integrity check, a
/// kasse journal this binary can open) and copy it in as the journal, 0600 and fsynced.
/// `data_dir` may already hold this process's lock file. Returns the file's schema version.
pub fn restore_copy(file: &Path, data_dir: &Path) -> Result<i64, Text> {
    restorable_dir(data_dir)?;
    let version = crate::store::verify_file(file).map_err(|e| {
        let m = e.message();
        Text::new(
            format!(
                "Gjenoppretting: «{}» kan ikke brukes: {}",
                file.display(),
                m.nb
            ),
            format!("Restore: \"{}\" cannot be used: {}", file.display(), m.en),
        )
    })?;
    perms::create_private_dir(data_dir).map_err(|e| io_text("lage / create", data_dir, &e))?;
    let dest = data_dir.join(DB_FILE_NAME);
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(perms::FILE_MODE);
    }
    let copy = || -> std::io::Result<()> {
        let mut out = opts.open(&dest)?;
        let mut src = std::fs::File::open(file)?;
        std::io::copy(&mut src, &mut out)?;
        out.sync_all()?;
        Ok(())
    };
    if let Err(e) = copy() {
        let _ = std::fs::remove_file(&dest);
        return Err(io_text("kopiere til / copy to", &dest, &e));
    }
    perms::ensure_mode(&dest, perms::FILE_MODE)
        .map_err(|e| io_text("beskytte / protect", &dest, &e))?;
    if let Ok(d) = std::fs::File::open(data_dir) {
        let _ = d.sync_all();
    }
    Ok(version)
}

fn install_id_for_name(dir: &Path) -> String {
    Store::open_read_only(dir)
        .ok()
        .and_then(|s| s.current_install_id().ok().flatten())
        .unwrap_or_else(|| "noinstall".to_owned())
}

/// One backup of `dir` into `to` (blocking pool). Prints nothing.
pub async fn backup(dir: &Path, to: &Path) -> Result<BackupDone, Text> {
    let (dir, to) = (dir.to_path_buf(), to.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let id = install_id_for_name(&dir);
        backup_now(&dir, &to, &id, time::OffsetDateTime::now_utc())
    })
    .await
    .map_err(|e| Text::new(format!("Sikkerhetskopi: {e}"), format!("Backup: {e}")))?
}

/// The automatic backup after a Z (only with `[backup] dir`), off the caller's task.
pub fn backup_after_z(config: &Config, dir: &Path) {
    let Some(to) = config.backup.dir.clone() else {
        return;
    };
    let dir = dir.to_path_buf();
    tokio::spawn(async move {
        if let Err(t) = backup(&dir, &to).await {
            tracing::error!(reason = %t.en, "automatic backup after the Z failed");
        }
    });
}

/// Every `[backup] every_hours` while the till runs, a backup to `[backup] dir` (on its own
/// task; the first one after one interval). None when not configured.
pub fn spawn_periodic_backups(config: &Config, dir: &Path) -> Option<tokio::task::JoinHandle<()>> {
    let to = config.backup.dir.clone()?;
    let hours = config.backup.every_hours?;
    let every = std::time::Duration::from_secs(u64::from(hours) * 3600);
    let dir = dir.to_path_buf();
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(t) = backup(&dir, &to).await {
                tracing::error!(reason = %t.en, "periodic backup failed");
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time() {
        let t = time::macros::datetime!(2026-12-04 09:01:02 UTC);
        assert_eq!(
            file_name(t, "ab/c d-1"),
            "kasse-20261204-090102-abcd-1.sqlite3"
        );
    }

    #[cfg(unix)]
    #[test]
    fn backup_is_private_verified_journaled_and_restorable() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        perms::create_private_dir(&data).unwrap();
        let mut s = crate::store::Store::open_in_dir(&data).unwrap();
        s.meta_set("marker", "7").unwrap();
        let now = time::macros::datetime!(2026-12-04 09:01:02 UTC);
        s.journal_app_start("s1", "t1", "9.9.9", false, now)
            .unwrap();
        let to = tmp.path().join("usb");
        let done = backup_now(&data, &to, "i1", now).unwrap();
        assert!(done.path.ends_with("kasse-20261204-090102-i1.sqlite3"));
        let mode = std::fs::metadata(&done.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(&to)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "temp files left: {names:?}");
        // Journaled in the live journal.
        drop(s);
        let c = rusqlite::Connection::open(data.join(DB_FILE_NAME)).unwrap();
        let n: i64 = c
            .query_row(
                "SELECT count(*) FROM operations WHERE kind = 'backup' AND outcome = 'ok'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
        // And in the fiscal journal: the journal exported to external storage (13020), by
        // the till that started here.
        let (till, detail): (String, String) = c
            .query_row(
                "SELECT till_id, detail FROM fiscal_events WHERE code = '13020'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(till, "t1");
        assert!(
            detail.contains("kasse-20261204-090102-i1.sqlite3"),
            "{detail}"
        );
        drop(c);
        // The same second again is refused, not overwritten.
        assert!(backup_now(&data, &to, "i1", now).is_err());
        // Restore refuses a non-empty dir, accepts an empty one.
        assert!(restore_copy(&done.path, &data).is_err());
        let fresh = tmp.path().join("fresh");
        restore_copy(&done.path, &fresh).unwrap();
        let s = crate::store::Store::open_in_dir(&fresh).unwrap();
        assert_eq!(s.meta_get("marker").unwrap().as_deref(), Some("7"));
    }
}

#[cfg(test)]
mod schedule_tests {
    use super::*;

    fn config_with_backup(dir: &Path, every_hours: u32) -> Config {
        let toml = format!(
            "[backup]\ndir = \"{}\"\nevery_hours = {every_hours}\n",
            dir.display()
        );
        Config::from_toml_str(&toml, &|_| None).unwrap()
    }

    fn backups_in(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "sqlite3"))
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn wait_for_backup(dir: &Path) -> Vec<PathBuf> {
        for _ in 0..400 {
            let found = backups_in(dir);
            if !found.is_empty() {
                return found;
            }
            tokio::task::yield_now().await;
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        backups_in(dir)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_z_triggers_a_backup_to_the_configured_dir_only() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        drop(Store::open_in_dir(&data).unwrap());
        // Without [backup] dir: nothing.
        backup_after_z(&Config::from_toml_str("", &|_| None).unwrap(), &data);
        let usb = tmp.path().join("usb");
        backup_after_z(&config_with_backup(&usb, 0), &data);
        let found = wait_for_backup(&usb).await;
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(crate::store::verify_file(&found[0]).is_ok());
        assert!(
            !data.join("backups").exists(),
            "a backup went to the default dir"
        );
    }

    #[test]
    fn periodic_backups_run_every_n_hours_and_only_when_configured() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        drop(Store::open_in_dir(&data).unwrap());
        let usb = tmp.path().join("usb");
        // A paused test clock: time moves only when the runtime would otherwise wait.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async move {
            assert!(spawn_periodic_backups(&config_with_backup(&usb, 0), &data).is_none());
            let task = spawn_periodic_backups(&config_with_backup(&usb, 1), &data).unwrap();
            // Not before the first interval.
            tokio::time::sleep(std::time::Duration::from_secs(3599)).await;
            assert!(backups_in(&usb).is_empty());
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            for _ in 0..400 {
                if !backups_in(&usb).is_empty() {
                    break;
                }
                tokio::task::yield_now().await;
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            task.abort();
            let found = backups_in(&usb);
            assert_eq!(found.len(), 1, "{found:?}");
            assert!(crate::store::verify_file(&found[0]).is_ok());
        });
    }
}
