//! One kasse process owns a data directory.
//!
//! The till and every command that runs recovery or the outbox worker hold an exclusive lock
//! (`File::try_lock`, an OS advisory lock released when the process ends, also on a crash or
//! SIGKILL) on `<data dir>/kasse.lock`. After the lock is held the file is rewritten with the
//! owner's pid, command and start time, so a second process can say who owns the directory.
//! A stale file (its owner died) is simply locked and overwritten: the OS lock, not the file's
//! existence, decides.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::lang::Text;

/// Name of the lock file inside the data directory.
pub const LOCK_FILE_NAME: &str = "kasse.lock";

/// Who holds a data directory (as written in its lock file).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owner {
    pub pid: Option<u32>,
    pub command: String,
    /// RFC 3339 start time as the owner wrote it.
    pub started: String,
}

impl Owner {
    fn parse(text: &str) -> Owner {
        let mut o = Owner::default();
        for line in text.lines() {
            match line.split_once('=') {
                Some(("pid", v)) => o.pid = v.trim().parse().ok(),
                Some(("command", v)) => v.trim().clone_into(&mut o.command),
                Some(("started", v)) => v.trim().clone_into(&mut o.started),
                _ => {}
            }
        }
        o
    }

    /// "pid 1234, `kasse` (the till), started 2026-12-04 09:01:00 UTC" for the messages.
    pub fn describe(&self) -> String {
        let pid = self
            .pid
            .map_or_else(|| "pid ?".to_owned(), |p| format!("pid {p}"));
        let command = if self.command.is_empty() {
            "?"
        } else {
            &self.command
        };
        let started = OffsetDateTime::parse(
            &self.started,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()
        .and_then(|t| {
            let local = time::UtcOffset::current_local_offset().map_or(t, |off| t.to_offset(off));
            local
                .format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second]"
                ))
                .ok()
        })
        .unwrap_or_else(|| "?".to_owned());
        format!("{pid}, «{command}», started {started}")
    }
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it.
    Held { dir: PathBuf, owner: Owner },
    /// The lock file could not be created, opened or locked.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl LockError {
    /// The message for the operator: who owns the directory and what to do. `what` tells a
    /// money-moving command where to do it instead (None: "stop it first").
    pub fn message(&self, hint: Option<&Text>) -> Text {
        match self {
            LockError::Held { dir, owner } => {
                let who = owner.describe();
                let (nb_hint, en_hint) = match hint {
                    Some(t) => (t.nb.clone(), t.en.clone()),
                    None => (
                        "Bruk den kjørende kassen, eller stopp den først.".to_owned(),
                        "Use the running till, or stop it first.".to_owned(),
                    ),
                };
                Text::new(
                    format!(
                        "En annen kasse-prosess ({who}) eier databasen i «{}». {nb_hint}",
                        dir.display()
                    ),
                    format!(
                        "Another kasse process ({who}) owns the database in \"{}\". {en_hint}",
                        dir.display()
                    ),
                )
            }
            LockError::Io { path, error } => Text::new(
                format!(
                    "Kan ikke låse «{}»: {error}. Sjekk at datamappen er skrivbar.",
                    path.display()
                ),
                format!(
                    "Cannot lock \"{}\": {error}. Check that the data directory is writable.",
                    path.display()
                ),
            ),
        }
    }
}

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
}

impl DirLock {
    /// Take the exclusive lock on `dir` for `command` (e.g. `kasse`, `kasse refund`) or say
    /// who holds it. Never waits.
    pub fn acquire(dir: &Path, command: &str, now: OffsetDateTime) -> Result<DirLock, LockError> {
        let path = dir.join(LOCK_FILE_NAME);
        let io = |error: std::io::Error| LockError::Io {
            path: path.clone(),
            error,
        };
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                // The owner writes its details right after locking; give it a moment.
                for _ in 0..20 {
                    text.clear();
                    let _ = file.seek(SeekFrom::Start(0));
                    let _ = file.read_to_string(&mut text);
                    if text.contains("started=") {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                return Err(LockError::Held {
                    dir: dir.to_path_buf(),
                    owner: Owner::parse(&text),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let body = format!(
            "pid={}\ncommand={}\nstarted={}\n",
            std::process::id(),
            command.replace(['\n', '\r'], " "),
            crate::clock::rfc3339_millis(now)
        );
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(body.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(DirLock { file, path })
    }

    /// Path of the lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Who holds `dir` right now, without taking the lock (None: nobody).
    pub fn holder(dir: &Path) -> Option<Owner> {
        let path = dir.join(LOCK_FILE_NAME);
        let mut file = OpenOptions::new().read(true).write(true).open(path).ok()?;
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                None
            }
            Err(_) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                Some(Owner::parse(&text))
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_names_the_owner_and_release_frees_it() {
        let dir = tempfile::tempdir().unwrap();
        let now = time::macros::datetime!(2026-12-04 09:01:00 UTC);
        let held = DirLock::acquire(dir.path(), "kasse", now).unwrap();
        assert_eq!(
            DirLock::holder(dir.path()).map(|o| o.pid),
            Some(Some(std::process::id()))
        );
        let err = DirLock::acquire(dir.path(), "kasse refund", now).unwrap_err();
        let LockError::Held { owner, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(owner.pid, Some(std::process::id()));
        assert_eq!(owner.command, "kasse");
        let m = err.message(None);
        assert!(
            m.en.contains(&format!("pid {}", std::process::id())),
            "{m:?}"
        );
        assert!(m.en.contains("stop it first"), "{m:?}");
        drop(held);
        assert!(DirLock::holder(dir.path()).is_none());
        // A stale file from a dead owner does not block.
        let again = DirLock::acquire(dir.path(), "kasse pay", now).unwrap();
        let text = std::fs::read_to_string(again.path()).unwrap();
        assert!(text.contains("command=kasse pay"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(again.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
