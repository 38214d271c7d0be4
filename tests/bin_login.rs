#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse` binary and staff at the till: `kasse add-staff` / `kasse list-staff`
//! (PINs from the environment, never printed), the `--demo` training manager logged in
//! automatically in a real terminal (tmux) with the sale journaled as training and sold by
//! them, and a headless demo sale journaled with `training = 1`.

mod common;
use common::bin::pin_install_with_demo as pin_install;
use common::bin::text;
use std::process::Command;
use std::time::{Duration, Instant};

use common::bin::BIN;

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n[ui]\nlanguage = \"en\"\n",
    )
    .unwrap();
    cfg
}

fn kasse(
    dir: &std::path::Path,
    args: &[&str],
    pin: Option<&str>,
    manager_pin: Option<&str>,
) -> std::process::Output {
    let mut c = Command::new(BIN);
    c.env_remove("KASSE_PIN")
        .env_remove("KASSE_MANAGER_PIN")
        .env_remove("KASSE_BASE_URL")
        .arg("--config")
        .arg(config(dir))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args);
    if let Some(p) = pin {
        c.env("KASSE_PIN", p);
    }
    if let Some(p) = manager_pin {
        c.env("KASSE_MANAGER_PIN", p);
    }
    c.output().unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn add_staff_and_list_staff_through_the_real_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let add = |name: &str, role: &str, pin: Option<&str>, by: Option<&str>| {
        kasse(dir, &["add-staff", "--name", name, "--role", role], pin, by)
    };

    // Fresh install: nobody yet.
    let o = kasse(dir, &["list-staff"], None, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout(&o).contains("result: no staff"), "{}", text(&o));
    // No manager yet: nobody can authorize.
    let o = add("Kari Nordmann", "cashier", Some("2468"), Some("975310"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("wrong PIN"), "{}", text(&o));

    let o = kasse(
        dir,
        &["create-manager", "--name", "Mona Leder"],
        Some("975310"),
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = add("Kari Nordmann", "cashier", Some("2468"), Some("975310"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        stdout(&o).trim(),
        "result: staff added name=Kari Nordmann role=cashier"
    );

    // Clear reasons, exit 1, nothing added.
    let o = add("Per", "cashier", Some("1111"), Some("9999"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("wrong PIN"), "{}", text(&o));
    let o = add("Per", "boss", Some("1111"), Some("975310"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("--role \"boss\": write cashier or manager"),
        "{}",
        text(&o)
    );
    let o = add("Per", "cashier", None, Some("975310"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("set KASSE_PIN"), "{}", text(&o));
    let o = add("Per", "cashier", Some("1111"), None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("set KASSE_MANAGER_PIN"), "{}", text(&o));
    let o = add("Per", "cashier", Some("2468"), Some("975310"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("PIN: cannot be used"), "{}", text(&o));
    let o = add("Per", "cashier", Some("12"), Some("975310"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("PIN"), "{}", text(&o));
    // A cashier cannot add staff.
    let o = add("Per", "cashier", Some("1111"), Some("2468"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("needs a manager"), "{}", text(&o));

    let o = add("Ola Leder", "manager", Some("135790"), Some("975310"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        stdout(&o).trim(),
        "result: staff added name=Ola Leder role=manager"
    );

    let o = kasse(dir, &["list-staff"], None, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            "staff: id=st001 role=manager active=yes name=Mona Leder",
            "staff: id=st002 role=cashier active=yes name=Kari Nordmann",
            "staff: id=st003 role=manager active=yes name=Ola Leder",
        ],
        "{}",
        text(&o)
    );
    // Never a PIN or a hash, on screen or in the log.
    for pin in ["975310", "2468", "135790", "$argon2"] {
        assert!(!out.contains(pin), "{pin} listed:\n{out}");
    }
    for entry in std::fs::read_dir(dir.join("data/logs")).unwrap() {
        let log = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for pin in ["975310", "2468", "135790"] {
            assert!(!log.contains(&format!("={pin}")), "PIN in log");
        }
    }
}

#[test]
fn a_headless_demo_sale_is_journaled_as_training() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--demo", "--data-dir"])
        .arg(tmp.path())
        .args(["pay", "--amount", "49,90", "--qr", "--approve-after", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let store = kasse::store::Store::open_in_dir(&tmp.path().join("demo")).unwrap();
    let sales = store
        .find_sales(&kasse::store::SaleQuery::default())
        .unwrap();
    assert_eq!(sales.len(), 1);
    assert!(
        sales[0].training,
        "demo sale journaled as real: {:?}",
        sales[0]
    );
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

/// `--demo`: no PIN typed, the training manager sells; the sale is journaled as training and
/// as theirs; Ctrl-L logs out to the login screen, which shows the training PIN; 1234 logs in.
#[test]
fn demo_logs_in_the_training_manager_and_journals_training_sales() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for the pseudo-terminal test in CI"
        );
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let sock = format!("kasse-login-{}", std::process::id());
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
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    tmux(&["-L", &sock, "set", "-g", "escape-time", "0"]);
    let screen = wait_for(&sock, "MSN 123456");
    assert!(screen.contains("Øvingsleder"), "not logged in:\n{screen}");
    assert!(!screen.contains("Logg inn med PIN"), "{screen}");

    keys(&sock, &["7038010001000", "Enter"]);
    wait_for(&sock, "Kvikk Lunsj");
    keys(&sock, &["F12", "F2"]);
    wait_for(&sock, "kasse-s1-t1-00000001-000001-a1");
    keys(&sock, &["F6"]);
    wait_for(&sock, "BETALT");
    keys(&sock, &["Enter"]);
    wait_for(&sock, "Kurven er tom");

    // Log out: the login screen with the training PIN; log in again with it.
    keys(&sock, &["C-l"]);
    let screen = wait_for(&sock, "Logg inn med PIN");
    assert!(screen.contains("Øving: leder-PIN 1234"), "{screen}");
    keys(&sock, &["1234", "Enter"]);
    wait_for(&sock, "Kurven er tom");

    keys(&sock, &["C-q"]);
    let start = Instant::now();
    while !status_file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "kasse did not exit"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux(&["-L", &sock, "kill-server"]);
    assert_eq!(std::fs::read_to_string(&status_file).unwrap().trim(), "0");

    let store = kasse::store::Store::open_in_dir(&dir.path().join("demo")).unwrap();
    let p = store
        .payment_by_reference("kasse-s1-t1-00000001-000001-a1")
        .unwrap()
        .expect("payment in journal");
    let sale = store.sale(p.sale_id).unwrap().unwrap();
    assert!(sale.sale.training, "demo sale journaled as real");
    assert_eq!(sale.sale.staff_id.as_deref(), Some("st001"));
    assert_eq!(
        store.staff_name("st001").unwrap().as_deref(),
        Some("Øvingsleder")
    );
    // The demo receipt names the training manager.
    let receipts = std::fs::read_to_string(dir.path().join("demo/receipts.txt")).unwrap();
    assert!(receipts.contains("Øvingsleder"), "{receipts}");
}

/// `kasse deactivate-staff` / `kasse activate-staff`: a manager stops a member of this till
/// logging in (their PIN is then just a wrong PIN) and lets them in again; journaled with the
/// reason; nobody deactivates themself; HQ's members are changed at HQ.
#[test]
fn deactivate_and_activate_staff_through_the_real_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = kasse(
        dir,
        &["create-manager", "--name", "Mona Leder"],
        Some("975310"),
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let add = |name: &str, role: &str, pin: &str, by: &str| {
        kasse(
            dir,
            &["add-staff", "--name", name, "--role", role],
            Some(pin),
            Some(by),
        )
    };
    assert_eq!(
        add("Kari", "cashier", "2468", "975310").status.code(),
        Some(0)
    );
    let change = |what: &str, id: &str, by: Option<&str>| {
        kasse(dir, &[what, "--id", id, "--reason", "sluttet"], None, by)
    };
    // A cashier cannot; a manager can.
    let o = change("deactivate-staff", "st002", Some("2468"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("needs a manager"), "{}", text(&o));
    let o = change("deactivate-staff", "st002", None);
    assert!(text(&o).contains("set KASSE_MANAGER_PIN"), "{}", text(&o));
    let o = change("deactivate-staff", "st002", Some("975310"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        stdout(&o).trim(),
        "result: staff deactivated id=st002 name=Kari"
    );
    let o = kasse(dir, &["list-staff"], None, None);
    assert!(
        stdout(&o).contains("id=st002 role=cashier active=no name=Kari"),
        "{}",
        text(&o)
    );
    // Kari's PIN is now just a wrong PIN (before: a cashier's, "needs a manager").
    let o = add("Per", "cashier", "1111", "2468");
    assert!(text(&o).contains("wrong PIN"), "{}", text(&o));
    // Twice, themself, unknown, from HQ: refused (exit 1) with the reason.
    for (id, reason) in [
        ("st002", "already deactivated"),
        ("st001", "cannot deactivate yourself"),
        ("st099", "--id"),
        ("hq4", "kasse hq staff deactivate --id 4"),
    ] {
        let o = change("deactivate-staff", id, Some("975310"));
        assert_eq!(o.status.code(), Some(1), "{id}: {}", text(&o));
        assert!(text(&o).contains(reason), "{id}: {}", text(&o));
    }
    // Back again: the PIN works (a cashier's: "needs a manager").
    let o = change("activate-staff", "st002", Some("975310"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        stdout(&o).trim(),
        "result: staff activated id=st002 name=Kari"
    );
    let o = add("Per", "cashier", "1111", "2468");
    assert!(text(&o).contains("needs a manager"), "{}", text(&o));
}
