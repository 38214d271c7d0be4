#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Cash on paper: the golden ESC/POS bytes of a cash receipt open the drawer (and nothing
//! else does), the drawer-only job, and the durable print queue — a job queued while the
//! printer is down survives a restart and is printed once, not twice.

mod common;
use common::receipts as receipt_fixtures;
use kasse::app::Paper;
use kasse::config::Config;
use kasse::domain::money::Money;
use kasse::receipt::escpos::{DRAWER_KICK, EscPosOptions, drawer_pulse_only, render};
use kasse::receipt::model::Tender;
use kasse::receipt::printer::{PrintQueue, PrinterTarget, TEXT_DRAWER_LINE};
use kasse::store::{AsyncStore, NewPayment, NewSale, NewSaleLine, Store};
use kasse::tui::AppEvent;
use receipt_fixtures::*;
use std::sync::Arc;
use std::time::Duration;

/// `ESC @` (init), `ESC t 5` (PC865), then the 5-byte pulse `ESC p 0 25 250`.
const CASH_HEAD: [u8; 10] = [0x1B, 0x40, 0x1B, 0x74, 0x05, 0x1B, 0x70, 0x00, 0x19, 0xFA];

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn cash_only_sale() -> kasse::receipt::model::Sale {
    let mut s = normal_sale();
    s.tip = Money::nok(0);
    let total = gross(&s.basket);
    s.tenders = vec![Tender::cash(total, Money::nok(50_000))];
    s
}

#[test]
fn golden_cash_receipt_starts_with_init_code_page_and_the_drawer_pulse() {
    assert_eq!(DRAWER_KICK, [0x1B, 0x70, 0x00, 0x19, 0xFA]);
    for sale in [cash_only_sale(), split_sale()] {
        let bytes = render(&printable(&sale), &EscPosOptions::default()).unwrap();
        assert_eq!(
            &bytes[..CASH_HEAD.len()],
            &CASH_HEAD,
            "{:02x?}",
            &bytes[..12]
        );
        // Exactly one pulse, and the receipt ends with the full cut.
        let pulses = bytes.windows(5).filter(|w| *w == DRAWER_KICK).count();
        assert_eq!(pulses, 1);
        assert_eq!(&bytes[bytes.len() - 4..], &[0x1D, 0x56, 0x41, 0x00]);
    }
}

#[test]
fn no_pulse_without_cash_on_a_copy_or_when_switched_off() {
    let vipps = render(&printable(&normal_sale()), &EscPosOptions::default()).unwrap();
    assert!(!contains(&vipps, &DRAWER_KICK));
    assert_eq!(&vipps[..5], &CASH_HEAD[..5]);
    let off = EscPosOptions {
        drawer_kick: false,
        ..EscPosOptions::default()
    };
    assert!(!contains(
        &render(&printable(&cash_only_sale()), &off).unwrap(),
        &DRAWER_KICK
    ));
}

#[test]
fn the_drawer_alone_is_init_and_pulse() {
    assert_eq!(
        drawer_pulse_only(),
        vec![0x1B, 0x40, 0x1B, 0x70, 0x00, 0x19, 0xFA]
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("printer.bin");
    let q = PrintQueue::start(
        Arc::new(PrinterTarget::File(path.clone())),
        EscPosOptions::default(),
    )
    .unwrap();
    q.open_drawer().unwrap();
    q.wait_idle(Duration::from_secs(10));
    assert_eq!(std::fs::read(&path).unwrap(), drawer_pulse_only());
    // A reprint of a cash receipt does not open the drawer again.
    q.reprint(&printable(&cash_only_sale())).unwrap();
    q.wait_idle(Duration::from_secs(10));
    let all = std::fs::read(&path).unwrap();
    assert_eq!(all.windows(5).filter(|w| *w == DRAWER_KICK).count(), 1);
    q.shutdown();
}

#[test]
fn a_text_printer_notes_the_drawer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipts.txt");
    let q = PrintQueue::start_text(
        Arc::new(PrinterTarget::File(path.clone())),
        EscPosOptions::default(),
    )
    .unwrap();
    q.submit(&printable(&cash_only_sale())).unwrap();
    q.open_drawer().unwrap();
    q.wait_idle(Duration::from_secs(10));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("[skuff åpnet / drawer opened]").count(), 2);
    assert!(text.ends_with(TEXT_DRAWER_LINE));
}

// ------------------------------------------------------------------ durable print queue

fn cash_new_sale() -> NewSale {
    NewSale {
        shop_id: "s1".into(),
        till_id: "t1".into(),
        staff_id: None,
        currency: "NOK".into(),
        gross_total: 12_500,
        vat_total: 2_500,
        net_total: 10_000,
        training: false,
        tender: "cash".into(),
        description: None,
        lines: vec![NewSaleLine {
            product_id: Some("1001".into()),
            name: "Kaffe".into(),
            quantity: "1".into(),
            quantity_milli: 1000,
            unit: "pcs".into(),
            unit_price: 12_500,
            discount: 0,
            vat_rate: 2500,
            gross: 12_500,
            net: 10_000,
            vat: 2_500,
            is_return: false,
        }],
        payment: NewPayment {
            api: kasse::store::Api::Epayment,
            msn: "123456".into(),
            flow: kasse::store::Flow::Qr,
            customer_phone: None,
        },
        created_at: time::macros::datetime!(2026-11-21 12:00 UTC),
    }
}

fn file_printer_config(path: &std::path::Path) -> Config {
    Config::from_toml_str(
        &format!(
            "[receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
            path.display()
        ),
        &|_| None,
    )
    .unwrap()
}

async fn open(dir: &std::path::Path) -> AsyncStore {
    let d = dir.to_path_buf();
    let store = tokio::task::spawn_blocking(move || Store::open_in_dir(&d))
        .await
        .unwrap()
        .unwrap();
    AsyncStore::new(store).unwrap()
}

async fn start_paper(cfg: &Config, dir: &std::path::Path, store: &AsyncStore) -> (Paper, usize) {
    let (cfg, dir, store) = (cfg.clone(), dir.to_path_buf(), store.clone());
    tokio::task::spawn_blocking(move || Paper::start_durable(&cfg, &dir, false, store))
        .await
        .unwrap()
        .unwrap()
        .unwrap()
}

async fn pending(store: &AsyncStore) -> i64 {
    store.run(|s| s.pending_print_job_count()).await.unwrap()
}

async fn wait_drained(store: &AsyncStore) {
    for _ in 0..200 {
        if pending(store).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("print jobs still pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_queued_while_the_printer_is_down_prints_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // The printer is "down": its device path does not exist yet.
    let printer_dir = dir.path().join("printer");
    let printer = printer_dir.join("out.bin");
    let cfg = file_printer_config(&printer);

    // Run 1: a cash sale; its receipt cannot be printed.
    let store = open(dir.path()).await;
    let sale_id = store
        .run(|s| s.record_cash_sale(&cash_new_sale(), 20_000))
        .await
        .unwrap()
        .sale_id;
    let (paper, requeued) = start_paper(&cfg, dir.path(), &store).await;
    assert_eq!(requeued, 0);
    let ev = paper.print_cash(&store, sale_id, Money::nok(20_000)).await;
    match ev {
        Some(AppEvent::Error(t)) => assert!(t.en.contains("queued: printer error"), "{}", t.en),
        other => panic!("expected a queued-printer error, got {other:?}"),
    }
    assert_eq!(paper.queued(), 1);
    assert_eq!(pending(&store).await, 1, "written before printing");
    let stored = store.run(|s| s.pending_print_jobs()).await.unwrap();
    assert!(
        stored[0].bytes.starts_with(&CASH_HEAD),
        "the stored job is the ESC/POS stream with the drawer pulse"
    );
    // The till stops.
    drop(paper);
    drop(store);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!printer.exists());

    // Run 2: the printer is back; the pending job prints on start.
    std::fs::create_dir_all(&printer_dir).unwrap();
    let store = open(dir.path()).await;
    assert_eq!(pending(&store).await, 1, "the job survived the restart");
    let (paper, requeued) = start_paper(&cfg, dir.path(), &store).await;
    assert_eq!(requeued, 1);
    wait_drained(&store).await;
    let printed = std::fs::read(&printer).unwrap();
    assert_eq!(printed, stored[0].bytes, "exactly the queued bytes, once");
    // The same sale's receipt is not printed again (it had one), in this run or the next.
    assert!(
        paper
            .print_cash(&store, sale_id, Money::nok(20_000))
            .await
            .is_none()
    );
    drop(paper);
    drop(store);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Run 3: nothing pending, nothing printed twice.
    let store = open(dir.path()).await;
    let (paper, requeued) = start_paper(&cfg, dir.path(), &store).await;
    assert_eq!(requeued, 0);
    assert!(
        paper
            .print_cash(&store, sale_id, Money::nok(20_000))
            .await
            .is_none()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(std::fs::read(&printer).unwrap(), printed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprint_is_a_copy_without_the_drawer_pulse() {
    let dir = tempfile::tempdir().unwrap();
    let printer = dir.path().join("out.bin");
    let cfg = file_printer_config(&printer);
    let store = open(dir.path()).await;
    let ids = store
        .run(|s| s.record_cash_sale(&cash_new_sale(), 12_500))
        .await
        .unwrap();
    let (paper, _) = start_paper(&cfg, dir.path(), &store).await;
    assert!(
        paper
            .print_cash(&store, ids.sale_id, Money::nok(12_500))
            .await
            .is_none()
    );
    assert!(paper.reprint(&ids.receipt_number).await.is_none());
    wait_drained(&store).await;
    let bytes = std::fs::read(&printer).unwrap();
    assert_eq!(bytes.windows(5).filter(|w| *w == DRAWER_KICK).count(), 1);
    assert!(contains(&bytes, b"KOPI"), "the reprint is marked as a copy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_printer_that_comes_back_gets_the_queue_without_a_new_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let printer_dir = dir.path().join("printer");
    let printer = printer_dir.join("out.bin");
    let cfg = file_printer_config(&printer);
    let store = open(dir.path()).await;
    let sale_id = store
        .run(|s| s.record_cash_sale(&cash_new_sale(), 20_000))
        .await
        .unwrap()
        .sale_id;
    let (paper, _) = start_paper(&cfg, dir.path(), &store).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let paper = paper.with_events(tx);
    assert!(matches!(
        paper.print_cash(&store, sale_id, Money::nok(20_000)).await,
        Some(AppEvent::Error(_))
    ));
    assert_eq!(paper.queued(), 1);
    // The printer comes back; nobody prints anything new.
    std::fs::create_dir_all(&printer_dir).unwrap();
    let deadline = kasse::app::PRINTER_RETRY * 3;
    let drained = tokio::time::timeout(deadline, async {
        while let Some(ev) = rx.recv().await {
            if ev == (AppEvent::PrintQueue { queued: 0 }) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(drained, "the screen is told the queue is empty");
    assert_eq!(pending(&store).await, 0);
    assert!(std::fs::read(&printer).unwrap().starts_with(&CASH_HEAD));
}
