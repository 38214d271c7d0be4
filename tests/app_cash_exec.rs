#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `app::execute` for the cash commands against a real journal and the simulator, with the
//! `--demo` text printer (`<data_dir>/receipts.txt`): a cash sale is journaled and its receipt
//! printed with the drawer line, the drawer opens without a sale, F4 reprints a cash receipt
//! as a copy; and a split sale recovered as paid after a crash gets its paper receipt — once,
//! also across another restart.

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::app::{Paper, StaffAccess, execute, print_recovered, print_unprinted_cash};
use kasse::clock::SystemClock;
use kasse::config::Config;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::money::{Currency, Money};
use kasse::domain::vat::VatRate;
use kasse::engine::{ApiKind, NewSaleRequest, PaymentState};
use kasse::lang::Text;
use kasse::receipt::printer::TEXT_DRAWER_LINE;
use kasse::store::AsyncStore;
use kasse::tui::{AppEvent, Command};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

fn basket() -> Basket {
    let mut b = Basket::new(Currency::Nok);
    b.add(OrderLine {
        product_id: "1001".into(),
        name: "Kaffe".into(),
        quantity: Quantity::pieces(2).unwrap(),
        unit_price: Money::nok(4_990),
        discount: Money::nok(0),
        vat: VatRate::STANDARD,
        is_return: false,
    })
    .unwrap();
    b
}

async fn demo_paper(dir: &std::path::Path, store: &AsyncStore) -> Paper {
    let (dir, store) = (dir.to_path_buf(), store.clone());
    tokio::task::spawn_blocking(move || {
        let cfg = Config::from_toml_str("", &|_| None).unwrap();
        Paper::start_durable(&cfg, &dir, true, store)
    })
    .await
    .unwrap()
    .unwrap()
    .unwrap()
    .0
}

async fn receipts(dir: &std::path::Path, store: &AsyncStore) -> String {
    for _ in 0..200 {
        if store.run(|s| s.pending_print_job_count()).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    std::fs::read_to_string(dir.join("receipts.txt")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_sale_prints_with_the_drawer_and_the_drawer_opens_without_a_sale() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let store = run.engine_store();
    let paper = demo_paper(dir.path(), &store).await;
    let http = reqwest::Client::new();
    let staff: StaffAccess = Err(Text::new("-", "-"));
    let exec = |cmd: Command| {
        let (engine, http, paper, staff) = (&run.engine, &http, &paper, &staff);
        async move {
            execute(
                engine,
                ApiKind::Epayment,
                None,
                http,
                Some(paper),
                staff,
                cmd,
            )
            .await
        }
    };

    let ev = exec(Command::CashSale {
        basket: basket(),
        received: Money::nok(20_000),
        staff_id: None,
    })
    .await;
    let done = match ev {
        Some(AppEvent::CashSale(Ok(d))) => d,
        other => panic!("expected a journaled cash sale, got {other:?}"),
    };
    assert_eq!(done.total, Money::nok(9_980));
    // Øreavrunding: 99,80 is paid as 100,00 in cash.
    assert_eq!(done.change, Money::nok(10_000));
    let rec = store
        .run(|s| s.find_sales(&kasse::store::SaleQuery::default()))
        .await
        .unwrap();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].tender, "cash");
    assert_eq!(rec[0].status, kasse::store::SaleStatus::Paid);
    // Nothing went to Vipps.
    assert!(sim.ledger().payments.is_empty());

    // The receipt prints on its own task; wait for it.
    let mut text = String::new();
    for _ in 0..200 {
        text = receipts(dir.path(), &store).await;
        if text.contains(&done.receipt_number) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(text.contains(&done.receipt_number), "{text}");
    assert!(text.contains("Kontant"), "{text}");
    assert!(text.contains("Tilbake"), "the change is on paper: {text}");
    assert!(
        text.contains("Øreavrunding"),
        "the rounding is on paper: {text}"
    );
    assert_eq!(text.matches(TEXT_DRAWER_LINE.trim()).count(), 1, "{text}");

    // F4: a copy, no second drawer line.
    assert_eq!(
        exec(Command::ReprintReceipt {
            reference: done.receipt_number.clone(),
        })
        .await,
        None
    );
    let text = receipts(dir.path(), &store).await;
    assert!(text.contains("KOPI"), "{text}");
    assert_eq!(text.matches(TEXT_DRAWER_LINE.trim()).count(), 1, "{text}");

    // Ctrl-O after the manager PIN: just the drawer.
    assert_eq!(
        exec(Command::OpenDrawer).await,
        Some(AppEvent::DrawerOpened)
    );
    let text = receipts(dir.path(), &store).await;
    assert!(text.ends_with(TEXT_DRAWER_LINE), "{text}");
    assert_eq!(text.matches(TEXT_DRAWER_LINE.trim()).count(), 2);

    // A refused cash sale (less than the total) says why and writes nothing.
    match exec(Command::CashSale {
        basket: basket(),
        received: Money::nok(5_000),
        staff_id: None,
    })
    .await
    {
        Some(AppEvent::CashSale(Err(t))) => assert!(t.en.contains("less than"), "{}", t.en),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let n = store
        .run(|s| s.find_sales(&kasse::store::SaleQuery::default()))
        .await
        .unwrap()
        .len();
    assert_eq!(n, 1);

    // Every print is in the fiscal journal once the printer took it: the sales receipt with
    // its drawer opening, the copy, and the drawer opened without a sale.
    let mut codes = Vec::new();
    for _ in 0..200 {
        codes = store
            .run(|s| s.fiscal_events())
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.code != "13001")
            .map(|e| (e.code, e.sale_id.is_some()))
            .collect::<Vec<_>>();
        if codes.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        codes,
        [
            ("13012".to_string(), true),
            ("13005".to_string(), true),
            ("13014".to_string(), true),
            ("13005".to_string(), false),
        ]
    );
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_sale_recovered_as_paid_gets_its_receipt_once() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let base = sim.base_url();

    // Run 1: the customer approves, the capture never answers, the till dies.
    let store1 = open_store(dir.path()).await;
    let run1 = run_engine(settings(&base), store1, Arc::new(SystemClock), |mut b| {
        b.epayment = Arc::new(Wrap(HangCapture {
            inner: b.epayment.clone(),
            calls: AtomicUsize::new(0),
        }));
        b
    })
    .await;
    let mut rx = run1.engine.subscribe();
    let req =
        NewSaleRequest::from_basket(&basket(), push(ApiKind::Epayment), ApiKind::Epayment, None)
            .unwrap();
    let id = run1
        .engine
        .start_split_payment(req, Money::nok(2_000))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Capturing).await;
    run1.shutdown().await;
    drop(rx);

    // Run 2: recovery captures it; the receipt (both tenders) prints.
    let store2 = open_store(dir.path()).await;
    let run2 = run_engine(
        settings(&base),
        store2.clone(),
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    assert!(run2.recovered.iter().any(|r| r.snapshot.id == id));
    let deadline = tokio::time::Instant::now() + WAIT;
    while store2
        .run(move |s| s.payment(id))
        .await
        .unwrap()
        .unwrap()
        .state
        != kasse::store::PayState::Captured
    {
        assert!(tokio::time::Instant::now() < deadline, "not captured");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let p = ledger_payment(&sim.ledger(), &w.reference);
    assert_eq!((p.amount, p.captured), (7_980, 7_980));
    let paper = demo_paper(dir.path(), &store2).await;
    let events = print_recovered(&paper, &store2, &run2.recovered).await;
    assert!(events.is_empty(), "{events:?}");
    let text = receipts(dir.path(), &store2).await;
    assert_eq!(text.matches(&w.reference).count(), 1, "{text}");
    assert!(text.contains("Kontant"), "{text}");
    assert!(text.contains("20,00") && text.contains("79,80"), "{text}");
    // Again in the same run, and from a fresh till on the same journal: nothing new.
    assert!(
        print_recovered(&paper, &store2, &run2.recovered)
            .await
            .is_empty()
    );
    drop(paper);
    let paper = demo_paper(dir.path(), &store2).await;
    assert!(
        print_recovered(&paper, &store2, &run2.recovered)
            .await
            .is_empty()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receipts(dir.path(), &store2).await, text);
    run2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cash_sale_whose_receipt_was_never_queued_prints_on_the_next_start() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let store = run.engine_store();
    // The till stops right after the journal write, before the receipt was queued.
    let req = NewSaleRequest::from_basket(
        &basket(),
        kasse::engine::PayMethod::Qr,
        ApiKind::Epayment,
        None,
    )
    .unwrap();
    let ids = run
        .engine
        .record_cash_sale(req, Money::nok(10_000))
        .await
        .unwrap();
    // Next start: found and printed with the cash handed over and the change, once.
    let paper = demo_paper(dir.path(), &store).await;
    assert!(print_unprinted_cash(&paper, &store).await.is_empty());
    let text = receipts(dir.path(), &store).await;
    assert!(text.contains(&ids.receipt_number), "{text}");
    assert_eq!(text.matches("  Mottatt").count(), 1, "printed once: {text}");
    assert!(text.contains("100,00") && text.contains("0,20"), "{text}");
    assert!(print_unprinted_cash(&paper, &store).await.is_empty());
    let paper = demo_paper(dir.path(), &store).await;
    assert!(print_unprinted_cash(&paper, &store).await.is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receipts(dir.path(), &store).await, text);
    run.shutdown().await;
}
