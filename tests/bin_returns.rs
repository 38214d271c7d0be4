#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse` binary's `kasse return` against one simulator (in this process): a Vipps
//! sale returned by its receipt number (the ledger shows the refund), over-return refused
//! naming the line, a return without receipt refused for Vipps and done in cash (its return
//! receipt on the file printer says "Retur uten kvittering" and carries the drawer kick),
//! then `kasse journal verify` passes.

mod common;
use common::bin::pin_install;
use common::bin::text;
use std::time::Duration;

const PIN: &str = "135790";

fn run(args: &[&str], cfg: &std::path::Path, dir: &std::path::Path) -> std::process::Output {
    common::bin::kasse(args, cfg, dir, Some(PIN))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kasse_return_by_receipt_and_without_receipt() {
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
    let outs = tokio::task::spawn_blocking(move || {
        let reason = ["--reason", "feil vare"];
        vec![
            run(&["pay", "--amount", "100", "--phone", "4791234567"], &c, &d),
            run(&["create-manager", "--name", "Mona"], &c, &d),
            run(
                &[&["return", "s1-t1-000001", "--line", "1"][..], &reason[..]].concat(),
                &c,
                &d,
            ),
            run(
                &[
                    &["return", "s1-t1-000001", "--line", "1:1"][..],
                    &reason[..],
                ]
                .concat(),
                &c,
                &d,
            ),
            run(
                &[
                    "return",
                    "--no-receipt",
                    "--item",
                    "Genser=299,00@25",
                    "--tender",
                    "vipps",
                    "--reason",
                    "bytte",
                ],
                &c,
                &d,
            ),
            run(
                &[
                    "return",
                    "--no-receipt",
                    "--item",
                    "Genser=299,00@25",
                    "--reason",
                    "bytte",
                ],
                &c,
                &d,
            ),
            run(&["journal", "verify"], &c, &d),
        ]
    })
    .await
    .unwrap();
    let [pay, manager, back, again, vipps, cash, verify] = <[_; 7]>::try_from(outs).unwrap();
    assert!(pay.status.success(), "{}", text(&pay));
    assert!(manager.status.success(), "{}", text(&manager));

    // The Vipps sale's line back: a Vipps refund of it, nothing in cash.
    assert!(back.status.success(), "{}", text(&back));
    let out = String::from_utf8_lossy(&back.stdout);
    assert!(out.contains("result: returned"), "{}", text(&back));
    assert!(out.contains("cash=0.00 vipps=100.00"), "{}", text(&back));
    // Vipps confirmed it: its refund receipt is printed, as `kasse refund` does.
    assert!(
        out.contains("receipt: printed R-s1-t1-000001-1"),
        "{}",
        text(&back)
    );
    let p = sim
        .ledger()
        .payment("kasse-s1-t1-00000001-000001-a1")
        .cloned()
        .unwrap();
    assert_eq!((p.captured, p.refunded), (10_000, 10_000));

    // Once more: refused, naming the line and what is left.
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(out.contains("result: refused"), "{}", text(&again));
    assert!(out.contains("Linje 1"), "{}", text(&again));

    // Without receipt: Vipps refused; cash done, with the drawer kick and the words.
    assert_eq!(vipps.status.code(), Some(1), "{}", text(&vipps));
    assert!(
        String::from_utf8_lossy(&vipps.stdout).contains("bare betales tilbake kontant"),
        "{}",
        text(&vipps)
    );
    assert!(cash.status.success(), "{}", text(&cash));
    let out = String::from_utf8_lossy(&cash.stdout);
    assert!(
        out.contains("result: returned number=RU-s1-t1-000001 cash=299.00"),
        "{}",
        text(&cash)
    );
    assert!(
        out.contains("receipt: printed RU-s1-t1-000001, drawer opened"),
        "{}",
        text(&cash)
    );
    let bytes = std::fs::read(&printer).unwrap();
    let printed = String::from_utf8_lossy(&bytes);
    assert!(printed.contains("Retur uten kvittering"), "{printed}");
    let kick = kasse::receipt::escpos::DRAWER_KICK;
    assert_eq!(bytes.windows(kick.len()).filter(|w| *w == kick).count(), 1);

    assert!(verify.status.success(), "{}", text(&verify));
}
