#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real binary in a terminal (tmux) for the rough edges of issue #16: a busy PSP callback
//! port stops only a PSP till, the hint line and Ctrl-C, Ctrl-Q with a basket.

mod common;

use common::tmux::{BIN, Tmux, have_tmux, pin_install, wait_for_file};
use std::net::TcpListener;
use std::time::Duration;

/// A config for a till against a Vipps that refuses every connection (the till starts
/// offline), with the PSP callback listener on `busy` and the given API.
fn config(dir: &std::path::Path, api: &str, busy: u16) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[vipps]\nenvironment = \"sim\"\nbase_url = \"http://127.0.0.1:9\"\napi = \"{api}\"\n\
             [psp]\nmake_payment_listen = \"127.0.0.1:{busy}\"\n"
        ),
    )
    .unwrap();
    path
}

/// Item 1: the PSP callback port is taken by someone else. An ePayment till does not need
/// it and starts; a PSP till stops with a message naming `psp.make_payment_listen`.
#[test]
fn a_busy_psp_port_stops_only_a_psp_till() {
    if !have_tmux() {
        return;
    }
    // Someone else holds the port (8099 on a real machine; a free one here, as other tests
    // run at the same time).
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    pin_install(&data);

    let cfg = config(dir.path(), "epayment", busy);
    let cmd = format!(
        "{BIN} --config {} --data-dir {}; sleep 30",
        cfg.display(),
        data.display()
    );
    let till = Tmux::start("psp-port", 100, 30, &cmd);
    let s = till.wait_for("MSN 123456", Duration::from_secs(60));
    assert!(!s.contains("psp"), "{s}");
    till.keys(&["C-q"]);
    drop(till);

    // The same port with api = "psp": the till refuses to start and names the key.
    let cfg = config(dir.path(), "psp", busy);
    let err = dir.path().join("stderr");
    let status = dir.path().join("status");
    let cmd = format!(
        "{BIN} --config {} --data-dir {} 2> {}; echo $? > {}; sleep 30",
        cfg.display(),
        data.display(),
        err.display(),
        status.display()
    );
    let till = Tmux::start("psp-port-psp", 100, 30, &cmd);
    let code = wait_for_file(&status, Duration::from_secs(60));
    let screen = till.screen();
    drop(till);
    assert_ne!(code.trim(), "0", "{screen}");
    let err = std::fs::read_to_string(&err).unwrap();
    assert!(
        err.contains("psp.make_payment_listen"),
        "stderr:\n{err}\nscreen:\n{screen}"
    );
    assert!(err.contains(&busy.to_string()), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    drop(holder);
}

/// Item 2: in a real terminal at 120 columns the hint line starts with F12 (pay) and F1
/// (help); Ctrl-C does not quit and says which key does.
#[test]
fn hint_line_and_ctrl_c_in_a_real_terminal() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    pin_install(&dir.path().join("demo"));
    let status = dir.path().join("status");
    let cmd = format!(
        "{BIN} --demo --data-dir {}; echo $? > {}; sleep 30",
        dir.path().display(),
        status.display()
    );
    let till = Tmux::start("hints", 120, 40, &cmd);
    let s = till.wait_for("MSN 123456", Duration::from_secs(60));
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let hints = lines[lines.len() - 2].trim_start();
    assert!(hints.starts_with("F12 Til betaling  F1 Hjelp"), "{s}");
    till.keys(&["7038010001000", "Enter"]);
    till.wait_for("Kvikk Lunsj", Duration::from_secs(10));
    till.keys(&["C-c"]);
    let s = till.wait_for("Ctrl-Q avslutter", Duration::from_secs(10));
    assert!(s.contains("Kvikk Lunsj"), "{s}");
    assert!(!status.exists(), "Ctrl-C quit the till:\n{s}");
}

/// Item 4: Ctrl-Q with a basket asks; F8 parks it (journaled) and quits; after a restart the
/// parked basket is listed and recalled; Ctrl-D voids the whole basket (journaled).
#[test]
fn ctrl_q_parks_the_basket_which_survives_a_restart() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    pin_install(&dir.path().join("demo"));
    let run = |name: &str| {
        let status = dir.path().join(format!("status-{name}"));
        let cmd = format!(
            "{BIN} --demo --data-dir {}; echo $? > {}; sleep 30",
            dir.path().display(),
            status.display()
        );
        (Tmux::start(name, 100, 30, &cmd), status)
    };

    let (till, status) = run("park-1");
    till.wait_for("MSN 123456", Duration::from_secs(60));
    till.keys(&["7038010001000", "Enter", "7038010001017", "Enter"]);
    till.wait_for("Coca-Cola", Duration::from_secs(10));
    till.keys(&["C-q"]);
    let s = till.wait_for("Avslutte med varer i kurven?", Duration::from_secs(10));
    assert!(s.contains("Kurven har 2 linjer, kr 57,80."), "{s}");
    assert!(!status.exists(), "quit without asking");
    till.keys(&["F8"]);
    let code = wait_for_file(&status, Duration::from_secs(20));
    assert_eq!(code.trim(), "0", "{}", till.screen());
    drop(till);

    let (till, status) = run("park-2");
    let s = till.wait_for("Parkerte kurver: 1", Duration::from_secs(60));
    assert!(!s.contains("Kvikk Lunsj"), "{s}");
    till.keys(&["F9"]);
    till.wait_for("2 linjer", Duration::from_secs(10));
    till.keys(&["Enter"]);
    let s = till.wait_for("Coca-Cola", Duration::from_secs(10));
    assert!(s.contains("Kvikk Lunsj"), "{s}");
    till.keys(&["C-d"]);
    till.wait_for("Annullere hele kurven?", Duration::from_secs(10));
    till.keys(&["DC"]);
    till.wait_for("Kurven er annullert", Duration::from_secs(10));
    till.keys(&["C-q"]);
    let code = wait_for_file(&status, Duration::from_secs(20));
    assert_eq!(code.trim(), "0", "an empty basket quits at once");
    drop(till);

    let store = kasse::store::Store::open_in_dir(&dir.path().join("demo")).unwrap();
    assert!(store.parked_baskets().unwrap().is_empty());
    let codes: Vec<String> = store
        .fiscal_events()
        .unwrap()
        .into_iter()
        .map(|e| e.code)
        .filter(|c| ["13010", "13011", "13028"].contains(&c.as_str()))
        .collect();
    assert_eq!(codes, ["13010", "13011", "13028"]);
}

/// Item 6: the demo's X report reads the training sale back from the (simulated) Vipps — it
/// used to check nothing ("Lest: 0") and say all is well.
#[test]
fn demo_x_report_reconciles_the_training_sale() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    pin_install(&dir.path().join("demo"));
    let cmd = format!("{BIN} --demo --data-dir {}; sleep 30", dir.path().display());
    let till = Tmux::start("demo-x", 120, 40, &cmd);
    till.wait_for("MSN 123456", Duration::from_secs(60));
    till.keys(&["7038010001000", "Enter"]);
    till.wait_for("Kvikk Lunsj", Duration::from_secs(10));
    till.keys(&["F12", "F2"]);
    till.wait_for("Skann med Vipps-appen", Duration::from_secs(20));
    till.keys(&["F6"]);
    till.wait_for("BETALT", Duration::from_secs(30));
    till.keys(&["Enter", "F10"]);
    till.wait_for("1. Refunder", Duration::from_secs(10));
    till.keys(&["2"]);
    // The reconciliation follows the § 2-8-2 figures: page down to it.
    till.wait_for("X-RAPPORT", Duration::from_secs(30));
    let mut s = till.screen();
    for _ in 0..20 {
        if s.contains("Stemmer:") {
            break;
        }
        till.keys(&["PgDn"]);
        std::thread::sleep(Duration::from_millis(300));
        s = till.screen();
    }
    let s = till.wait_for("Stemmer:", Duration::from_secs(30));
    assert!(s.contains("Lest: 1"), "{s}");
    assert!(s.contains("Stemmer: 1"), "{s}");
}

/// Item 1, the other side: `kasse pay --api psp` (config says ePayment) starts the PSP
/// callback listener for that run, so the PSP sale is paid.
#[test]
fn pay_with_api_psp_starts_the_psp_listener_for_the_run() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(&dir.path().join("demo"));
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[vipps]\napi = \"epayment\"\npsp_id = \"00000000-0000-0000-0000-000000000000\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(BIN)
        .arg("--demo")
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "pay", "--api", "psp", "--amount", "20", "--phone", "91234567",
        ])
        .args(["--approve-after", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("result: paid reference="),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Item 1, recovery: a PSP payment an earlier `api = "psp"` run left unfinished still gets
/// its callback listener after the config moved to ePayment — proven by the busy port, which
/// now stops the start with the key named.
#[test]
fn an_unfinished_psp_payment_keeps_its_listener() {
    use kasse::store::{Api, Flow, NewPayment, NewSale, NewSaleLine};
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    pin_install(&data);
    {
        let mut s = kasse::store::Store::open_in_dir(&data).unwrap();
        s.begin_sale(&NewSale {
            shop_id: "s1".into(),
            till_id: "t1".into(),
            staff_id: None,
            currency: "NOK".into(),
            gross_total: 2000,
            vat_total: 400,
            net_total: 1600,
            training: false,
            tender: "vipps".into(),
            description: None,
            lines: vec![NewSaleLine {
                product_id: None,
                name: "Vare".into(),
                quantity: "1".into(),
                quantity_milli: 1000,
                unit: "pcs".into(),
                unit_price: 2000,
                discount: 0,
                vat_rate: 2500,
                gross: 2000,
                net: 1600,
                vat: 400,
                is_return: false,
            }],
            payment: NewPayment {
                api: Api::Psp,
                msn: "123456".into(),
                flow: Flow::Push,
                customer_phone: Some("91234567".into()),
            },
            created_at: time::OffsetDateTime::now_utc(),
        })
        .unwrap();
        assert_eq!(s.unfinished_payments().unwrap().len(), 1);
    }
    let cfg = config(dir.path(), "epayment", busy);
    if !have_tmux() {
        return;
    }
    let status = dir.path().join("status");
    let err = dir.path().join("stderr");
    let cmd = format!(
        "{BIN} --config {} --data-dir {} 2> {}; echo $? > {}; sleep 30",
        cfg.display(),
        data.display(),
        err.display(),
        status.display()
    );
    let till = Tmux::start("psp-recovery", 100, 30, &cmd);
    let code = wait_for_file(&status, Duration::from_secs(60));
    let screen = till.screen();
    drop(till);
    assert_ne!(code.trim(), "0", "{screen}");
    let err = std::fs::read_to_string(&err).unwrap();
    assert!(err.contains("psp.make_payment_listen"), "{err}\n{screen}");
    drop(holder);
}
