//! Files holding staff or money data are readable by the till's user only: the data directory
//! and its `logs/` folder 0700; the database, its `-wal`/`-shm`, the lock file, logs, training
//! receipts and backups 0600. [`secure_data_dir`] checks and fixes them on every start and
//! returns what it changed (the caller logs it). On non-Unix systems it does nothing.

use std::path::{Path, PathBuf};

/// Mode for directories holding kasse data.
pub const DIR_MODE: u32 = 0o700;
/// Mode for files holding kasse data.
pub const FILE_MODE: u32 = 0o600;

/// One mode that was wrong and has been fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub path: PathBuf,
    pub was: u32,
    pub now: u32,
}

/// Create `dir` (and missing parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(DIR_MODE);
    }
    b.create(dir)
}

/// Set `path` to `mode` if it exists with another mode (permission bits only).
pub fn ensure_mode(path: &Path, mode: u32) -> std::io::Result<Option<Fixed>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            return Ok(None);
        }
        let was = meta.permissions().mode() & 0o7777;
        if was == mode {
            return Ok(None);
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        Ok(Some(Fixed {
            path: path.to_path_buf(),
            was,
            now: mode,
        }))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(None)
    }
}

/// Check and fix the data directory: the directory and `logs/` 0700, the journal files, the
/// lock file, every log and `receipts.txt` 0600. Returns what was fixed.
pub fn secure_data_dir(dir: &Path) -> std::io::Result<Vec<Fixed>> {
    let mut fixed = Vec::new();
    fixed.extend(ensure_mode(dir, DIR_MODE)?);
    for name in [
        crate::store::DB_FILE_NAME,
        "kasse.sqlite3-wal",
        "kasse.sqlite3-shm",
        "kasse.sqlite3-journal",
        super::lock::LOCK_FILE_NAME,
        "receipts.txt",
    ] {
        fixed.extend(ensure_mode(&dir.join(name), FILE_MODE)?);
    }
    let logs = dir.join("logs");
    if logs.is_dir() {
        fixed.extend(ensure_mode(&logs, DIR_MODE)?);
        for entry in std::fs::read_dir(&logs)? {
            let p = entry?.path();
            if p.is_file() {
                fixed.extend(ensure_mode(&p, FILE_MODE)?);
            }
        }
    }
    // The demo database lives in its own folder inside the data dir.
    let demo = dir.join("demo");
    if demo.is_dir() && dir.file_name().is_some_and(|n| n != "demo") {
        fixed.extend(secure_data_dir(&demo)?);
    }
    Ok(fixed)
}

/// Create `<prefix>.YYYY-MM-DD` for the UTC day of `now` and the next one (the daily log
/// files' names) as empty 0600 files if they do not exist, so the log appender opens private
/// files.
pub fn precreate_daily_logs(logs: &Path, prefix: &str, now: time::OffsetDateTime) {
    for day in [now, now + time::Duration::days(1)] {
        let d = day.to_offset(time::UtcOffset::UTC).date();
        let path = logs.join(format!(
            "{prefix}.{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ));
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(FILE_MODE);
        }
        if let Err(e) = opts.open(&path) {
            tracing::debug!(path = %path.display(), error = %e, "log file not pre-created");
        }
    }
}

/// [`secure_data_dir`], logging each fix (a warning: someone or something loosened them).
pub fn secure_and_log(dir: &Path) {
    match secure_data_dir(dir) {
        Ok(fixed) => {
            for f in fixed {
                tracing::warn!(
                    path = %f.path.display(),
                    was = format!("{:o}", f.was),
                    now = format!("{:o}", f.now),
                    "file mode fixed (kasse data is private to the till's user)"
                );
            }
        }
        Err(e) => tracing::error!(dir = %dir.display(), error = %e, "cannot check file modes"),
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn loose_modes_are_fixed_and_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::create_dir(dir.join("logs")).unwrap();
        for f in [
            "kasse.sqlite3",
            "kasse.sqlite3-wal",
            "logs/kasse.log.2026-12-04",
        ] {
            std::fs::write(dir.join(f), b"x").unwrap();
            std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let fixed = secure_data_dir(&dir).unwrap();
        assert_eq!(fixed.len(), 5, "{fixed:?}");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("logs")), 0o700);
        assert_eq!(mode(&dir.join("kasse.sqlite3")), 0o600);
        assert_eq!(mode(&dir.join("kasse.sqlite3-wal")), 0o600);
        assert_eq!(mode(&dir.join("logs/kasse.log.2026-12-04")), 0o600);
        assert!(
            secure_data_dir(&dir).unwrap().is_empty(),
            "second pass fixed again"
        );
    }

    #[test]
    fn daily_logs_are_created_private() {
        let tmp = tempfile::tempdir().unwrap();
        let now = time::macros::datetime!(2026-12-31 23:30:00 +01:00);
        precreate_daily_logs(tmp.path(), "kasse.log", now);
        for name in ["kasse.log.2026-12-31", "kasse.log.2027-01-01"] {
            assert_eq!(mode(&tmp.path().join(name)), 0o600, "{name}");
        }
    }
}
