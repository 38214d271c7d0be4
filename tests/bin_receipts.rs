#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse` binary: `kasse reprint` (a sale receipt by receipt number or reference,
//! a refund receipt by refund number, all as COPY; exit 1 with the reason for anything
//! else) and `kasse report --print` (X report; Z report; the same Z again = the stored
//! snapshot as COPY) to a file printer, against one simulator in this process; and
//! `kasse --demo report --print` to receipts.txt marked TRAINING.

mod common;
use common::bin::pin_install_with_demo as pin_install;
use common::bin::text;
use std::process::Command;
use std::time::Duration;

use common::bin::BIN;
const PIN: &str = "135790";

fn run(args: &[&str], cfg: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    common::bin::kasse(args, cfg, dir, Some(PIN))
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Printed jobs in the file printer (one cut `GS V` each).
fn cuts(bytes: &[u8]) -> usize {
    bytes.windows(2).filter(|w| w == &[0x1d, 0x56]).count()
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprint_and_printed_reports_through_the_binary() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = kasse::sim::serve(
        l,
        kasse::sim::SimConfig {
            auto_approve_after: Some(Duration::from_millis(300)),
            ..kasse::sim::SimConfig::default()
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let printer = dir.path().join("printer.bin");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[vipps]\nbase_url = \"{}\"\n[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n\
             [ui]\nlanguage = \"en\"\n\
             [receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
            sim.base_url(),
            printer.display()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    pin_install(&data);
    let (c, d, p) = (cfg.clone(), data.clone(), printer.clone());
    tokio::task::spawn_blocking(move || {
        let pay = run(&["pay", "--amount", "100", "--phone", "4791234567"], &c, &d);
        assert!(pay.status.success(), "{}", text(&pay));
        let manager = run(&["create-manager", "--name", "Mona"], &c, &d);
        assert!(manager.status.success(), "{}", text(&manager));
        let refund = run(
            &[
                "refund",
                "kasse-s1-t1-00000001-000001-a1",
                "--amount",
                "30",
                "--reason",
                "damaged",
            ],
            &c,
            &d,
        );
        assert!(refund.status.success(), "{}", text(&refund));
        assert!(
            stdout(&refund).contains("receipt: printed R-s1-t1-000001-1"),
            "{}",
            text(&refund)
        );
        let after_refund = std::fs::read(&p).unwrap();
        assert_eq!(cuts(&after_refund), 1, "one refund receipt");

        // The refund receipt again, as COPY.
        let again = run(&["reprint", "R-s1-t1-000001-1"], &c, &d);
        assert_eq!(again.status.code(), Some(0), "{}", text(&again));
        assert_eq!(
            stdout(&again).trim_end(),
            "result: printed refund R-s1-t1-000001-1 copy",
            "{}",
            text(&again)
        );
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(cuts(&bytes), 2);
        let printed = String::from_utf8_lossy(&bytes[after_refund.len()..]).into_owned();
        assert!(printed.contains("KOPI / COPY"), "{printed}");
        assert!(printed.contains("RETUR / REFUND"), "{printed}");
        assert!(printed.contains("R-s1-t1-000001-1"), "{printed}");

        // The sale receipt, by receipt number and by Vipps reference.
        for key in ["s1-t1-000001", "kasse-s1-t1-00000001-000001-a1"] {
            let before = std::fs::read(&p).unwrap().len();
            let sale = run(&["reprint", key], &c, &d);
            assert_eq!(sale.status.code(), Some(0), "{}", text(&sale));
            assert_eq!(
                stdout(&sale).trim_end(),
                "result: printed receipt s1-t1-000001 copy"
            );
            let bytes = std::fs::read(&p).unwrap();
            let new = String::from_utf8_lossy(&bytes[before..]).into_owned();
            assert!(new.contains("KOPI / COPY"), "{new}");
            assert!(new.contains("100,00"), "{new}");
            assert!(!new.contains("RETUR / REFUND"), "{new}");
        }

        // Anything else: exit 1 with the reason, nothing printed.
        let before = std::fs::read(&p).unwrap().len();
        let missing = run(&["reprint", "s1-t1-999999"], &c, &d);
        assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
        assert!(
            stdout(&missing).starts_with(
                "result: not printed reason=No receipt, refund or payment s1-t1-999999 found"
            ),
            "{}",
            text(&missing)
        );
        let no_refund = run(&["reprint", "R-s1-t1-000001-9"], &c, &d);
        assert_eq!(no_refund.status.code(), Some(1), "{}", text(&no_refund));
        assert_eq!(std::fs::read(&p).unwrap().len(), before);

        // X report on paper (in the receipt language, Norwegian by default).
        let x = run(&["report", "--print"], &c, &d);
        assert_eq!(x.status.code(), Some(0), "{}", text(&x));
        let out = stdout(&x);
        assert!(out.contains("X REPORT"), "{out}");
        let last = out.lines().last().unwrap_or_default().to_owned();
        assert!(
            last.starts_with("result: printed X-") && !last.ends_with("copy"),
            "{out}"
        );
        let bytes = std::fs::read(&p).unwrap();
        let new = String::from_utf8_lossy(&bytes[before..]).into_owned();
        assert!(new.contains("X-RAPPORT (avslutter ikke dagen)"), "{new}");
        assert!(!new.contains("COPY") && !new.contains("TRAINING"), "{new}");

        // Z report: taken and printed; printed again by number = the stored snapshot, COPY.
        let before = bytes.len();
        let z = run(&["report", "--z", "--print"], &c, &d);
        assert_eq!(z.status.code(), Some(0), "{}", text(&z));
        assert_eq!(
            stdout(&z).lines().last(),
            Some("result: printed Z-1"),
            "{}",
            text(&z)
        );
        let z2 = run(&["report", "--number", "1", "--print"], &c, &d);
        assert_eq!(z2.status.code(), Some(0), "{}", text(&z2));
        assert_eq!(
            stdout(&z2).lines().last(),
            Some("result: printed Z-1 copy"),
            "{}",
            text(&z2)
        );
        let bytes = std::fs::read(&p).unwrap();
        let new = String::from_utf8_lossy(&bytes[before..]).into_owned();
        assert_eq!(count(&new, "Z-RAPPORT nr. 1"), 2, "{new}");
        assert_eq!(
            count(&new, "KOPI / COPY"),
            2,
            "the copy is marked top and bottom: {new}"
        );
        // A second Z the same day closes the next period (nothing since no. 1: a zero Z).
        let z3 = run(&["report", "--z"], &c, &d);
        assert_eq!(z3.status.code(), Some(0), "{}", text(&z3));
        assert!(stdout(&z3).contains("Z REPORT no. 2"), "{}", text(&z3));
        // A stored Z that does not exist is named.
        let z4 = run(&["report", "--number", "9"], &c, &d);
        assert_eq!(z4.status.code(), Some(1), "{}", text(&z4));
    })
    .await
    .unwrap();

    // Vipps moved the money once: one capture, one refund.
    let p = sim
        .ledger()
        .payment("kasse-s1-t1-00000001-000001-a1")
        .cloned()
        .unwrap();
    assert_eq!((p.captured, p.refunded), (10_000, 3_000));
    assert_eq!(
        p.operations
            .iter()
            .filter(|o| o.name == "REFUNDED" && o.success)
            .count(),
        1
    );
}

#[test]
fn demo_report_print_goes_to_receipts_txt_marked_training() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let out = Command::new(BIN)
        .args(["--demo", "--data-dir"])
        .arg(dir.path())
        .args(["report", "--print", "--no-reconcile"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout(&out)
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("result: printed X-"),
        "{}",
        text(&out)
    );
    let paper = std::fs::read_to_string(dir.path().join("demo/receipts.txt")).unwrap();
    assert!(paper.contains("*** TRENING / TRAINING ***"), "{paper}");
    assert!(
        paper.contains("X-RAPPORT") || paper.contains("X REPORT"),
        "{paper}"
    );
}

#[test]
fn reprint_without_a_printer_says_so() {
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[vipps]\nbase_url = \"http://127.0.0.1:9\"\n[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n[ui]\nlanguage = \"en\"\n",
    )
    .unwrap();
    let out = run(&["reprint", "s1-t1-000001"], &cfg, &dir.path().join("data"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).starts_with("result: not printed reason="),
        "{}",
        text(&out)
    );
}
