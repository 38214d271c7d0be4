#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse` binary's staff commands against one simulator (in this process): a paid
//! `kasse pay`, `kasse create-manager`, `kasse refund` printing the refund receipt to the
//! configured printer (a file), the ledger showing one refund with the amount, and
//! `kasse batch-capture` with nothing left to capture.

mod common;
use common::bin::pin_install_with_demo as pin_install;
use common::bin::text;
use std::time::Duration;

const PIN: &str = "135790";

fn run(args: &[&str], cfg: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    common::bin::kasse(args, cfg, dir, Some(PIN))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_refund_prints_the_refund_receipt() {
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
             [receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
            sim.base_url(),
            printer.display()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    pin_install(&data);
    let (c, d) = (cfg.clone(), data.clone());
    let out = tokio::task::spawn_blocking(move || {
        let pay = run(&["pay", "--amount", "100", "--phone", "4791234567"], &c, &d);
        let manager = run(&["create-manager", "--name", "Mona"], &c, &d);
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
        let batch = run(&["batch-capture"], &c, &d);
        (pay, manager, refund, batch)
    })
    .await
    .unwrap();
    let (pay, manager, refund, batch) = out;
    assert!(pay.status.success(), "{}", text(&pay));
    assert!(manager.status.success(), "{}", text(&manager));
    assert!(refund.status.success(), "{}", text(&refund));
    let stdout = String::from_utf8_lossy(&refund.stdout);
    assert!(
        stdout.contains("result: refunded reference=kasse-s1-t1-00000001-000001-a1 amount=30.00"),
        "{}",
        text(&refund)
    );
    assert!(
        stdout.contains("receipt: printed R-s1-t1-000001-1"),
        "{}",
        text(&refund)
    );
    let bytes = std::fs::read(&printer).unwrap();
    let printed = String::from_utf8_lossy(&bytes);
    assert!(printed.contains("RETUR / REFUND"), "{printed}");
    assert!(printed.contains("R-s1-t1-000001-1"), "{printed}");
    assert!(printed.contains("-30,00"), "{printed}");

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

    assert!(batch.status.success(), "{}", text(&batch));
    assert!(
        String::from_utf8_lossy(&batch.stdout).starts_with("result: nothing to capture"),
        "{}",
        text(&batch)
    );
}
