#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse` binary: the cashier's screen in a pseudo-terminal (tmux) on `--demo`,
//! the headless `pay`, the standalone simulator, and readable errors for bad input.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_kasse");

fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok()
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_for(sock: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux(&["-L", sock, "capture-pane", "-p", "-t", "kasse"]);
        if screen.contains(needle) {
            return screen;
        }
        if start.elapsed() > Duration::from_secs(60) {
            tmux(&["-L", sock, "kill-server"]);
            panic!("timed out waiting for {needle:?}; screen:\n{screen}");
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

/// Scan two products, pay by QR, approve as the customer, see the paid screen, quit cleanly.
#[test]
fn demo_sale_by_qr_in_a_real_terminal() {
    if !have_tmux() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for the pseudo-terminal test in CI"
        );
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let sock = format!("kasse-test-{}", std::process::id());
    let status_file = dir.path().join("exit-status");
    let cmd = format!(
        "{BIN} --demo --data-dir {}; echo $? > {}",
        dir.path().display(),
        status_file.display()
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
        "80",
        "-y",
        "24",
        &cmd,
    ]);
    tmux(&["-L", &sock, "set", "-g", "escape-time", "0"]);

    let screen = wait_for(&sock, "MSN 123456");
    assert!(
        screen.contains("ØVING"),
        "TRAINING banner missing:\n{screen}"
    );

    // A barcode scanner types digits and Enter.
    keys(&sock, &["7038010001000", "Enter"]);
    wait_for(&sock, "Kvikk Lunsj");
    keys(&sock, &["7038010001017", "Enter"]);
    wait_for(&sock, "Coca-Cola");
    keys(&sock, &["F12"]);
    keys(&sock, &["F2"]);
    let screen = wait_for(&sock, "kasse-s1-t1-00000001-000001-a1");
    assert!(screen.contains("kr 57,80"), "amount missing:\n{screen}");
    assert!(
        screen.contains('▀') || screen.contains('▄'),
        "no QR drawn:\n{screen}"
    );

    // Act as the customer's phone: approve.
    keys(&sock, &["F6"]);
    let screen = wait_for(&sock, "BETALT");
    assert!(screen.contains("kr 57,80"), "{screen}");

    keys(&sock, &["Enter", "C-q"]);
    let start = Instant::now();
    while !status_file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "kasse did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::fs::read_to_string(&status_file).unwrap();
    let screen = tmux(&["-L", &sock, "capture-pane", "-p", "-t", "kasse"]);
    tmux(&["-L", &sock, "kill-server"]);
    assert_eq!(status.trim(), "0", "exit status; screen:\n{screen}");
    // The alternate screen is gone: the shell prompt area no longer shows the app.
    assert!(
        !screen.contains("MSN 123456"),
        "terminal not restored:\n{screen}"
    );

    // The journal has exactly this sale, paid.
    let store = kasse::store::Store::open_in_dir(&dir.path().join("demo")).unwrap();
    let p = store
        .payment_by_reference("kasse-s1-t1-00000001-000001-a1")
        .unwrap()
        .expect("payment in journal");
    assert_eq!(p.amount, 5780);
    assert_eq!(p.state.as_str(), "captured");
    assert!(store.unfinished_payments().unwrap().is_empty());

    // Secrets never reach the log.
    for entry in std::fs::read_dir(dir.path().join("demo/logs")).unwrap() {
        let log = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!log.contains("kasse-sim-secret"), "client secret in log");
        assert!(
            !log.contains("kasse-sim-subscription-key"),
            "subscription key in log"
        );
    }
}

#[test]
fn headless_pay_on_the_demo_simulator_is_paid() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let out = Command::new(BIN)
        .args(["--demo", "--data-dir"])
        .arg(dir.path())
        .args(["pay", "--amount", "49,90", "--qr", "--approve-after", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "result: paid reference=kasse-s1-t1-00000001-000001-a1 amount=49.90",
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
}

#[test]
fn headless_pay_json_lines_carry_time_state_and_countdowns() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let out = Command::new(BIN)
        .args(["--demo", "--data-dir"])
        .arg(dir.path())
        .args([
            "pay",
            "--amount",
            "20",
            "--phone",
            "+47 912 34 567",
            "--json",
        ])
        .args(["--approve-after", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let objects: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(objects.len() >= 2, "{stdout}");
    for o in &objects {
        let t = o["time"].as_str().unwrap();
        assert!(t.ends_with('Z') && t.contains('.'), "time {t}");
        assert!(o["state"].is_string());
        assert!(o["reference"].is_string());
    }
    assert_eq!(objects.last().unwrap()["state"], "paid", "{stdout}");
    assert!(out.status.success());
}

#[test]
fn bad_amount_is_refused_with_a_message_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let out = Command::new(BIN)
        .args(["--demo", "--data-dir"])
        .arg(dir.path())
        .args(["pay", "--amount", "12,345", "--qr"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("Beløp") || all.contains("Amount"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn a_bad_config_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[vipps]\nmsm = \"123456\"\n").unwrap();
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("queue")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("msm"), "{err}");
}

#[test]
fn sim_prints_where_it_listens_first() {
    let mut child = Command::new(BIN)
        .args(["sim", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let port: u16 = line.trim().rsplit(':').next().unwrap().parse().unwrap();
    assert!(port > 0);
}

#[test]
fn unreachable_vipps_fails_the_sale_at_once_with_no_money_taken() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    // The PSP endpoint on a free port: the default one may be taken on a shared machine.
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n").unwrap();
    // Port 9 (discard) on loopback: nothing listens, every connect is refused.
    let started = Instant::now();
    let out = Command::new(BIN)
        .env("KASSE_BASE_URL", "http://127.0.0.1:9")
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["pay", "--amount", "50", "--qr"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("result: failed reference=kasse-s1-t1-00000001-000001-a1 reason="),
        "{stdout}"
    );
    assert!(last.contains("Ingen penger er trukket"), "{stdout}");
    // Not the 10-minute wait of an uncertain payment: nothing ever reached Vipps.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let store = kasse::store::Store::open_in_dir(dir.path()).unwrap();
    assert!(store.unfinished_payments().unwrap().is_empty());
}

#[test]
fn a_corrupt_database_stops_the_app_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let db = dir.path().join("kasse.sqlite3");
    std::fs::write(&db, b"this is not a database").unwrap();
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("queue")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kasse.sqlite3"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), b"this is not a database");
}

/// Pin the install id of the database in `dir` (and of the demo database under it) to
/// `00000001`, so the references this test expects are predictable.
fn pin_install(dir: &std::path::Path) {
    for d in [dir.to_path_buf(), dir.join("demo")] {
        kasse::store::Store::open_in_dir(&d)
            .unwrap()
            .with_id_gen(std::sync::Arc::new(kasse::clock::FixedFirstIds::pinned(1)))
            .install_id()
            .unwrap();
    }
}
