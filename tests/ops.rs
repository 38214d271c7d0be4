#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue #12, the operations rules, with the real `kasse` binary:
//! - one process owns a database: while `kasse pay` (holding the lock, engine running) waits for
//!   the customer, a second money-moving command is refused with a message naming the running
//!   process, while read-only commands (`queue`, `list-staff`, `report` X, `backup`) work
//!   beside it and the sale still pays;
//! - data dir 0700, journal/logs/backups 0600, loosened modes fixed on start (and logged);
//! - a config parse error never echoes a secret;
//! - backup → restore into an empty dir with a new install id and recovery.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kasse");

fn config(dir: &Path) -> PathBuf {
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n[ui]\nlanguage = \"en\"\n",
    )
    .unwrap();
    cfg
}

fn cmd(tmp: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("KASSE_PIN")
        .env_remove("KASSE_MANAGER_PIN")
        .env_remove("KASSE_BASE_URL")
        .arg("--config")
        .arg(config(tmp))
        .arg("--data-dir")
        .arg(tmp.join("data"))
        .args(args);
    c
}

fn run(tmp: &Path, args: &[&str]) -> Output {
    cmd(tmp, args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_second_process_cannot_start_the_engine_but_can_read() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let demo = t.join("data").join("demo");
    // The owner: a demo sale whose customer approves after 8 s (engine, recovery, worker).
    let owner = cmd(
        t,
        &[
            "--demo",
            "pay",
            "--amount",
            "49,90",
            "--phone",
            "4791234567",
            "--approve-after",
            "8",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let lock = demo.join("kasse.lock");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = std::fs::read_to_string(&lock).unwrap_or_default();
        if body.contains("started=") && demo.join("kasse.sqlite3").exists() {
            assert!(body.contains(&format!("pid={}", owner.id())), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "the owner never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let it write the sale (the payment row) before the readers look.
    std::thread::sleep(Duration::from_millis(1500));

    // Money-moving commands are refused, naming the running process and what to do.
    let pid = format!("pid {}", owner.id());
    let mut refused = 0;
    for args in [
        &["--demo", "refund", "s1-t1-000001", "--reason", "test"][..],
        &["--demo", "queue", "--drain"][..],
        &["--demo", "report", "--z"][..],
        &["--demo", "batch-capture"][..],
        &["--demo", "pay", "--amount", "10", "--qr"][..],
    ] {
        let o = run(t, args);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&pid), "{args:?}: {err}");
        assert!(err.contains("kasse pay"), "{args:?}: {err}");
        assert!(
            err.contains("stop the till first") || err.contains("sends the queue itself"),
            "{args:?}: {err}"
        );
        refused += 1;
    }
    assert_eq!(refused, 5);
    // A TUI start is refused the same way (before the terminal is touched).
    let o = run(t, &["--demo"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&pid));

    // Read-only commands work beside it.
    let o = run(t, &["--demo", "queue"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(t, &["--demo", "list-staff"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run(t, &["--demo", "report", "--no-reconcile"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let backups = t.join("backups");
    let o = run(t, &["--demo", "backup", "--to", backups.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("result: backup written"));

    // The owner was not disturbed: the sale pays.
    let out = owner.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("result: paid"));

    // Released at exit: the next owner gets it.
    let o = run(t, &["--demo", "queue", "--drain", "--max-wait", "5"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    #[cfg(unix)]
    {
        assert_eq!(mode(&demo), 0o700);
        assert_eq!(mode(&t.join("data")), 0o700);
        assert_eq!(mode(&demo.join("kasse.sqlite3")), 0o600);
        assert_eq!(mode(&demo.join("kasse.lock")), 0o600);
        assert_eq!(mode(&demo.join("logs")), 0o700);
        for f in std::fs::read_dir(demo.join("logs")).unwrap() {
            assert_eq!(mode(&f.unwrap().path()), 0o600);
        }
        let files: Vec<_> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(mode(&files[0]), 0o600);
        assert_eq!(mode(&backups), 0o700);
    }
}

#[cfg(unix)]
#[test]
fn loosened_modes_are_fixed_on_start_and_logged() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = run(t, &["queue", "--drain", "--max-wait", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let data = t.join("data");
    // The first start's own files are private already.
    for f in std::fs::read_dir(data.join("logs")).unwrap() {
        let f = f.unwrap().path();
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    let db = data.join("kasse.sqlite3");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(mode(&db), 0o644, "the fault was not set up");
    let o = run(t, &["queue"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&data), 0o700);
    let mut logged = String::new();
    for f in std::fs::read_dir(data.join("logs")).unwrap() {
        logged.push_str(&std::fs::read_to_string(f.unwrap().path()).unwrap());
    }
    assert!(logged.contains("file mode fixed"), "{logged}");
    assert!(
        logged.contains("was=\"644\"") || logged.contains("was=644"),
        "{logged}"
    );
}

#[test]
fn a_config_error_never_shows_the_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[vipps]\nenvironment = \"test\"\nclient_secret = \"V3ryS3cret-Value-42\n",
    )
    .unwrap();
    let o = Command::new(BIN)
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .arg("queue")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let all = text(&o);
    assert!(
        all.contains("client_secret"),
        "the line is still named: {all}"
    );
    assert!(!all.contains("V3ryS3cret"), "{all}");
}

#[test]
fn backup_and_restore_into_an_empty_dir_with_a_new_install_id() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = run(
        t,
        &[
            "--demo",
            "pay",
            "--amount",
            "20",
            "--phone",
            "4791234567",
            "--approve-after",
            "0",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let paid = String::from_utf8_lossy(&o.stdout).into_owned();
    let reference = paid
        .split_whitespace()
        .find_map(|w| w.strip_prefix("reference="))
        .unwrap()
        .to_owned();
    let backups = t.join("b");
    let o = run(t, &["--demo", "backup", "--to", backups.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let old = {
        let s = kasse::store::Store::open_read_only(&t.join("data").join("demo")).unwrap();
        // Minted with the first reference once the references use it; until then none.
        s.current_install_id()
            .unwrap()
            .unwrap_or_else(|| "noinstall".to_owned())
    };
    assert!(
        name.starts_with("kasse-") && name.ends_with(&format!("-{old}.sqlite3")),
        "{name}"
    );

    // Not into a directory that has a journal.
    let o = run(t, &["--demo", "restore", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("not empty"),
        "{}",
        text(&o)
    );

    // Not a damaged file.
    let bad = t.join("bad.sqlite3");
    let mut bytes = std::fs::read(&file).unwrap();
    // From a page header on: the end of a nearly empty page is unused space.
    let mid = bytes.len() / 2 / 4096 * 4096;
    bytes[mid..mid + 1024].fill(0x5A);
    std::fs::write(&bad, &bytes).unwrap();
    let mut c = Command::new(BIN);
    let o = c
        .arg("--config")
        .arg(config(t))
        .arg("--data-dir")
        .arg(t.join("other"))
        .args(["--demo", "restore", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // Into an empty one: verified, new install id, recovery ran.
    let o = Command::new(BIN)
        .arg("--config")
        .arg(config(t))
        .arg("--data-dir")
        .arg(t.join("new"))
        .args(["--demo", "restore", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("new install id"), "{out}");
    assert!(out.contains("result: restored"), "{out}");
    let restored = t.join("new").join("demo");
    let s = kasse::store::Store::open_read_only(&restored).unwrap();
    let installs = s.installs().unwrap();
    let last = installs.last().unwrap();
    assert_ne!(last.install_id, old);
    assert!(
        last.reason.starts_with("restored from"),
        "{:?}",
        last.reason
    );
    assert!(out.contains(&last.install_id), "{out}");
    // The sale came along.
    let p = s.payment_by_reference(&reference).unwrap().unwrap();
    assert_eq!(p.state, kasse::store::PayState::Captured, "{p:?}");
    #[cfg(unix)]
    assert_eq!(mode(&restored.join("kasse.sqlite3")), 0o600);
}

fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok()
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screen(sock: &str) -> String {
    tmux(&["-L", sock, "capture-pane", "-p", "-t", "kasse"])
}

fn wait_for(sock: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let s = screen(sock);
        if s.contains(needle) {
            return s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            tmux(&["-L", sock, "kill-server"]);
            panic!("timed out waiting for {needle:?}; screen:\n{s}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn keys(sock: &str, keys: &[&str]) {
    for k in keys {
        tmux(&["-L", sock, "send-keys", "-t", "kasse", k]);
        std::thread::sleep(Duration::from_millis(80));
    }
}

/// Start the kiosk in tmux; returns the socket name.
fn start_kiosk(t: &Path, run: u32) -> String {
    let cfg = t.join("kiosk.toml");
    std::fs::write(
        &cfg,
        "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n[ui]\nlanguage = \"en\"\nkiosk_pin = \"2580\"\n",
    )
    .unwrap();
    let sock = format!("kasse-ops-{}-{run}", std::process::id());
    let cmd = format!(
        "{BIN} --demo --kiosk --config {} --data-dir {}",
        cfg.display(),
        t.join("data").display()
    );
    tmux(&[
        "-L",
        &sock,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "kasse",
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    wait_for(&sock, "MSN 123456");
    sock
}

#[test]
fn the_kiosk_pin_lockout_survives_a_restart() {
    if !have_tmux() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for the pseudo-terminal test in CI"
        );
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let sock = start_kiosk(t, 1);
    // Three wrong PINs lock the prompt.
    for _ in 0..3 {
        keys(&sock, &["C-q", "1111", "Enter"]);
    }
    wait_for(&sock, "Too many wrong PINs");
    // The lock was saved before the till went away (hard kill, no clean exit).
    let demo = t.join("data").join("demo");
    let start = Instant::now();
    loop {
        let s = kasse::store::Store::open_read_only(&demo).unwrap();
        if s.kiosk_lockout().unwrap().1.is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "lockout never saved"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux(&["-L", &sock, "kill-server"]);
    // Wait for the process to be gone (its lock released).
    let start = Instant::now();
    while kasse::ops::lock::DirLock::holder(&demo).is_some() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the till did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Restarted: the PIN prompt stays blocked while the minute runs (it does not even open;
    // the sale screen goes on as usual).
    let sock = start_kiosk(t, 2);
    keys(&sock, &["C-q"]);
    let s = wait_for(&sock, "Too many wrong PINs");
    assert!(!s.contains("Wrong PIN"), "{s}");
    assert!(!s.contains("Staff PIN to quit"), "{s}");
    assert!(s.contains("Selling goes on as usual"), "{s}");
    tmux(&["-L", &sock, "kill-server"]);
}

/// A backup taken while a payment waits for the customer: the restore reads it back from
/// Vipps (here: the restore's own simulator, which never saw it, so it is settled as unknown
/// there) and reports it; nothing is left unfinished.
#[test]
fn restore_reads_every_unfinished_payment_back() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let demo = t.join("data").join("demo");
    let mut owner = cmd(
        t,
        &[
            "--demo",
            "pay",
            "--amount",
            "30",
            "--phone",
            "4791234567",
            "--approve-after",
            "60",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Wait until the payment is journaled and waiting for the customer.
    let start = Instant::now();
    let reference = loop {
        let found = kasse::store::Store::open_read_only(&demo)
            .ok()
            .and_then(|s| s.unfinished_payments().ok())
            .and_then(|v| {
                v.into_iter()
                    .find(|p| p.state != kasse::store::PayState::Creating)
                    .map(|p| p.reference)
            });
        if let Some(r) = found {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no waiting payment"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let backups = t.join("b");
    let o = run(t, &["--demo", "backup", "--to", backups.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    owner.kill().unwrap();
    owner.wait().unwrap();
    let file = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let o = Command::new(BIN)
        .arg("--config")
        .arg(config(t))
        .arg("--data-dir")
        .arg(t.join("new"))
        .args(["--demo", "restore", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.contains(&format!("recovered: reference={reference}")),
        "{out}"
    );
    assert!(out.contains("unfinished_payments_read=1"), "{out}");
    // Read back, and what is still unfinished is so only because the customer's 10 minutes
    // are not over (a payment Vipps may still complete is never failed early).
    let s = kasse::store::Store::open_read_only(&t.join("new").join("demo")).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for p in s.unfinished_payments().unwrap() {
        assert!(
            p.approval_deadline_at.is_some_and(|d| d > now),
            "left unfinished after its window: {p:?}"
        );
        assert!(
            p.last_read_at.is_some() || p.state != kasse::store::PayState::Creating,
            "{p:?}"
        );
    }
}

#[test]
fn a_z_report_backs_up_to_the_configured_second_location() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let usb = t.join("usb");
    let cfg = t.join("z.toml");
    std::fs::write(
        &cfg,
        format!(
            "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n[ui]\nlanguage = \"en\"\n[backup]\ndir = \"{}\"\n",
            usb.display()
        ),
    )
    .unwrap();
    let kasse = |args: &[&str]| {
        Command::new(BIN)
            .env("KASSE_PIN", "135790")
            .arg("--config")
            .arg(&cfg)
            .arg("--data-dir")
            .arg(t.join("data"))
            .args(args)
            .output()
            .unwrap()
    };
    let o = kasse(&["create-manager", "--name", "Mona"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!usb.exists());
    let o = kasse(&["report", "--z", "--no-reconcile"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("backup: "), "{out}");
    let files: Vec<_> = std::fs::read_dir(&usb)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    kasse::store::verify_file(&files[0]).unwrap();
    // The Z is in the copy.
    let c = rusqlite::Connection::open(&files[0]).unwrap();
    let z: i64 = c
        .query_row("SELECT count(*) FROM z_reports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(z, 1);
    // A stored Z printed again is a copy, not a new Z: no second backup.
    std::thread::sleep(Duration::from_millis(1100));
    let o = kasse(&["report", "--number", "1", "--no-reconcile"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read_dir(&usb).unwrap().count(), 1);
    // The next Z (the period since no. 1) is a new Z: backed up again.
    let o = kasse(&["report", "--z", "--no-reconcile"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read_dir(&usb).unwrap().count(), 2);
}
