//! Refund receipts print exactly once for every refund Vipps confirmed: while the till
//! waited, later through the outbox worker (network back), or after a restart (catch-up on
//! start). A refund Vipps refused for good prints none. The paper is a file printer (ESC/POS
//! bytes appended to a file): every printed job ends with one paper cut (`GS V`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::app::{Paper, print_unprinted_refunds, spawn_refund_receipts};
use kasse::clock::SystemClock;
use kasse::config::Config;
use kasse::domain::refund::{RefundMode, RefundRequest, RefundStatus};
use kasse::domain::staff::{HashCost, Session};
use kasse::engine::acquirer::BoxFuture;
use kasse::engine::provider::{ErrorClass, ModificationResult, Provider, ProviderError};
use kasse::engine::{ApiKind, NetworkState, PaymentState};
use kasse::service::StaffDb;
use kasse::service::refund;
use kasse::store::{AsyncStore, DB_FILE_NAME};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

const MANAGER_PIN: &str = "135790";

fn paper_config(file: &Path) -> Config {
    Config::from_toml_str(
        &format!(
            "[receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
            file.display()
        ),
        &|_| None,
    )
    .unwrap()
}

/// The staff functions over the till's store (its one writer).
fn staff_db(store: &AsyncStore) -> StaffDb {
    StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast)
}

async fn manager(db: &StaffDb) -> Session {
    let now = OffsetDateTime::now_utc();
    if db.needs_first_manager().await.unwrap() {
        db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap()
    } else {
        db.login(MANAGER_PIN, now).await.unwrap()
    }
}

/// Jobs printed to the file printer (one paper cut `GS V` per job).
fn printed_jobs(file: &Path) -> usize {
    let bytes = std::fs::read(file).unwrap_or_default();
    bytes.windows(2).filter(|w| w == &[0x1d, 0x56]).count()
}

fn printed_text(file: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned()
}

/// Receipt jobs (not copies) in the journal's `print_jobs` for this number.
fn receipt_jobs(dir: &Path, number: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    conn.query_row(
        "SELECT count(*) FROM print_jobs WHERE receipt_number = ?1 AND kind = 'receipt'",
        [number],
        |r| r.get(0),
    )
    .unwrap()
}

async fn wait_printed(file: &Path, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while printed_jobs(file) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} jobs printed, wanted {n}",
            printed_jobs(file)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_network(engine: &kasse::engine::Engine, want: NetworkState) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while engine.network() != want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "network never {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A paid ePayment sale of `amount` øre; returns (payment id, reference).
async fn paid(
    run: &kasse::engine::build::Running,
    sim: &kasse::sim::SimHandle,
    amount: i64,
) -> (i64, String) {
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(amount, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(sim, &w.reference, "approve").await;
    wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&run.engine_store()).await;
    (id, w.reference)
}

fn req(reference: &str, amount: i64) -> RefundRequest {
    RefundRequest {
        reference: reference.into(),
        mode: RefundMode::Amount(amount),
        reason: "varen var skadet".into(),
    }
}

async fn start_paper(cfg: &Config, dir: &Path, store: &AsyncStore) -> Paper {
    let (cfg, dir, store) = (cfg.clone(), dir.to_owned(), store.clone());
    tokio::task::spawn_blocking(move || Paper::start_durable(&cfg, &dir, false, store))
        .await
        .unwrap()
        .unwrap()
        .unwrap()
        .0
}

async fn refund_number(db: &StaffDb, id: i64) -> String {
    let db = db.clone();
    db.run(move |db| db.refund_receipt(id))
        .await
        .unwrap()
        .refund_number
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_queued_offline_prints_one_receipt_when_vipps_confirms() {
    let sim = start_sim(sim_config()).await;
    let proxy = Proxy::start(sim.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.bin");
    let store = open_store(dir.path()).await;
    let run = run_engine(
        settings(&proxy.base_url()),
        store.clone(),
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let db = staff_db(&store);
    let session = manager(&db).await;
    let (_id, reference) = paid(&run, &sim, 10_000).await;

    let (tx, mut screen) = tokio::sync::mpsc::unbounded_channel();
    let paper = start_paper(&paper_config(&file), dir.path(), &store)
        .await
        .with_events(tx);
    let printer = spawn_refund_receipts(paper.clone(), db.clone(), &run.engine);

    // The network goes; the refund is recorded and queued, Vipps cannot confirm it.
    proxy.down();
    let now = OffsetDateTime::now_utc();
    let rec = refund::refund(&db, &session, &req(&reference, 3_000), now)
        .await
        .unwrap();
    run.engine.kick_worker();
    wait_network(&run.engine, NetworkState::Offline).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        db.refund_status(&rec.idempotency_key).await.unwrap(),
        RefundStatus::Pending
    );
    assert_eq!(printed_jobs(&file), 0, "no receipt before Vipps confirmed");
    // A till asking for the receipt now is told it prints on confirmation.
    let early = paper.print_refund(&db, rec.id).await.unwrap_err();
    assert!(early.en.contains("not confirmed"), "{early:?}");
    assert!(early.nb.contains("ikke bekreftet"), "{early:?}");
    assert_eq!(printed_jobs(&file), 0);

    // Network back: the worker gets it confirmed, the receipt prints on the engine event.
    proxy.up().await;
    run.engine.kick_worker();
    outbox_drained(&store).await;
    wait_printed(&file, 1).await;
    let number = refund_number(&db, rec.id).await;
    assert!(
        printed_text(&file).contains(&number),
        "refund number on paper"
    );
    // The screen is told (a refund screen showing it queued turns to REFUNDED).
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, screen.recv()).await {
            Ok(Some(kasse::tui::AppEvent::RefundConfirmed {
                refund_number,
                receipt,
            })) => {
                assert_eq!(refund_number, number);
                assert_eq!(receipt, kasse::tui::msg::ReceiptNote::Printed);
                break;
            }
            Ok(Some(_)) => {}
            other => panic!("no RefundConfirmed for the screen: {other:?}"),
        }
    }
    // A till that also waited for it (or a late duplicate) does not print it again.
    assert_eq!(paper.print_refund(&db, rec.id).await.unwrap(), number);
    let again = print_unprinted_refunds(&paper, &db).await;
    assert!(again.is_empty(), "{again:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(printed_jobs(&file), 1, "exactly one refund receipt");
    assert_eq!(receipt_jobs(dir.path(), &number), 1);
    // The sale is marked partially refunded by the confirmation.
    let sale = store
        .run({
            let r = reference.clone();
            move |s| {
                let p = s.payment_by_reference(&r)?.unwrap();
                s.sale(p.sale_id)
            }
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sale.sale.status,
        kasse::store::SaleStatus::PartiallyRefunded
    );
    // Vipps moved the money once.
    let p = ledger_payment(&sim.ledger(), &reference);
    assert_eq!(p.refunded, 3_000);
    assert_eq!(ops(&p, "REFUNDED"), 1, "{p:?}");
    printer.abort();
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_confirmed_across_a_restart_prints_once_on_the_next_start() {
    let sim = start_sim(sim_config()).await;
    let proxy = Proxy::start(sim.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.bin");
    let cfg = paper_config(&file);
    let reference;
    let rec;
    {
        // Run 1: queued offline, then the till stops before Vipps answers.
        let store = open_store(dir.path()).await;
        let run = run_engine(
            settings(&proxy.base_url()),
            store.clone(),
            Arc::new(SystemClock),
            |b| b,
        )
        .await;
        let db = staff_db(&store);
        let session = manager(&db).await;
        reference = paid(&run, &sim, 8_000).await.1;
        let paper = start_paper(&cfg, dir.path(), &store).await;
        let printer = spawn_refund_receipts(paper, db.clone(), &run.engine);
        proxy.down();
        rec = refund::refund(
            &db,
            &session,
            &req(&reference, 8_000),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        run.engine.kick_worker();
        wait_network(&run.engine, NetworkState::Offline).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        printer.abort();
        run.shutdown().await;
    }
    assert_eq!(printed_jobs(&file), 0);
    proxy.up().await;
    {
        // Run 2 (e.g. `kasse queue --drain`): Vipps confirms while no printer listens.
        let store = open_store(dir.path()).await;
        let run = run_engine(
            settings(&proxy.base_url()),
            store.clone(),
            Arc::new(SystemClock),
            |b| b,
        )
        .await;
        run.engine.kick_worker();
        outbox_drained(&store).await;
        let db = staff_db(&store);
        assert_eq!(
            db.refund_status(&rec.idempotency_key).await.unwrap(),
            RefundStatus::Done
        );
        run.shutdown().await;
    }
    assert_eq!(printed_jobs(&file), 0);
    let number;
    {
        // Run 3: the till starts; the catch-up prints the refund receipt.
        let store = open_store(dir.path()).await;
        let run = run_engine(
            settings(&proxy.base_url()),
            store.clone(),
            Arc::new(SystemClock),
            |b| b,
        )
        .await;
        let db = staff_db(&store);
        let paper = start_paper(&cfg, dir.path(), &store).await;
        let printer = spawn_refund_receipts(paper, db.clone(), &run.engine);
        wait_printed(&file, 1).await;
        number = refund_number(&db, rec.id).await;
        assert!(printed_text(&file).contains(&number));
        // The whole sale is refunded now.
        let r = reference.clone();
        let sale = store
            .run(move |s| {
                let p = s.payment_by_reference(&r)?.unwrap();
                s.sale(p.sale_id)
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sale.sale.status, kasse::store::SaleStatus::Refunded);
        tokio::time::sleep(Duration::from_millis(300)).await;
        printer.abort();
        run.shutdown().await;
    }
    {
        // Run 4: nothing new; the receipt is not printed a second time.
        let store = open_store(dir.path()).await;
        let run = run_engine(
            settings(&proxy.base_url()),
            store.clone(),
            Arc::new(SystemClock),
            |b| b,
        )
        .await;
        let db = staff_db(&store);
        let paper = start_paper(&cfg, dir.path(), &store).await;
        let printer = spawn_refund_receipts(paper, db.clone(), &run.engine);
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(printed_jobs(&file), 1, "exactly one refund receipt");
        assert_eq!(receipt_jobs(dir.path(), &number), 1);
        printer.abort();
        run.shutdown().await;
    }
    let p = ledger_payment(&sim.ledger(), &reference);
    assert_eq!(p.refunded, 8_000);
    assert_eq!(ops(&p, "REFUNDED"), 1, "{p:?}");
}

/// ePayment with refunds refused for good (as Vipps does for e.g. a refund over the captured
/// amount made elsewhere).
struct RefusingRefunds(Arc<dyn Provider>);

impl Around for RefusingRefunds {
    fn inner(&self) -> &dyn Provider {
        &*self.0
    }
    fn refund<'a>(
        &'a self,
        _id: &'a str,
        _amount: kasse::domain::money::Money,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async {
            let mut e = ProviderError::new(
                ErrorClass::Rejected,
                kasse::lang::Text::new("beløpet er for høyt", "the amount is too high"),
                "refund refused by the test",
            );
            e.http_status = Some(400);
            Err(e)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_vipps_refuses_prints_no_receipt_and_says_why() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.bin");
    let store = open_store(dir.path()).await;
    let run = run_engine(
        settings(&sim.base_url()),
        store.clone(),
        Arc::new(SystemClock),
        |mut b| {
            b.epayment = Arc::new(Wrap(RefusingRefunds(b.epayment.clone())));
            b
        },
    )
    .await;
    let db = staff_db(&store);
    let session = manager(&db).await;
    let (_id, reference) = paid(&run, &sim, 5_000).await;
    let paper = start_paper(&paper_config(&file), dir.path(), &store).await;
    let mut events = run.engine.subscribe();
    let printer = spawn_refund_receipts(paper.clone(), db.clone(), &run.engine);
    let rec = refund::refund(
        &db,
        &session,
        &req(&reference, 1_000),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    run.engine.kick_worker();
    // The engine says so, with the reason, for the screen.
    let deadline = tokio::time::Instant::now() + WAIT;
    let reason = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(kasse::engine::EngineEvent::RefundFailed {
                idempotency_key,
                reason,
                ..
            })) if idempotency_key == rec.idempotency_key => break reason,
            Ok(Ok(_)) => {}
            other => panic!("no RefundFailed event: {other:?}"),
        }
    };
    assert!(reason.en.contains("too high"), "{reason:?}");
    let screen = kasse::app::app_event(kasse::engine::EngineEvent::RefundFailed {
        payment_id: 0,
        idempotency_key: rec.idempotency_key.clone(),
        reason,
    });
    match screen {
        Some(kasse::tui::AppEvent::Error(t)) => {
            assert!(t.en.contains("Vipps refused a refund"), "{t:?}");
            assert!(t.en.contains("too high"), "{t:?}");
            assert!(t.nb.contains("avviste"), "{t:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        db.refund_status(&rec.idempotency_key).await.unwrap(),
        RefundStatus::Failed(_)
    ));
    let refused = paper.print_refund(&db, rec.id).await.unwrap_err();
    assert!(refused.en.contains("refused"), "{refused:?}");
    assert!(print_unprinted_refunds(&paper, &db).await.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(printed_jobs(&file), 0, "no receipt for a refused refund");
    let p = ledger_payment(&sim.ledger(), &reference);
    assert_eq!(p.refunded, 0);
    printer.abort();
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catch_up_skips_refunds_from_before_the_durable_print_queue() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paper.bin");
    let store = open_store(dir.path()).await;
    let run = run_engine(
        settings(&sim.base_url()),
        store.clone(),
        Arc::new(SystemClock),
        |b| b,
    )
    .await;
    let db = staff_db(&store);
    let session = manager(&db).await;
    let (_id, reference) = paid(&run, &sim, 4_000).await;
    // Confirmed while no printer listens.
    let rec = refund::refund(
        &db,
        &session,
        &req(&reference, 1_000),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    run.engine.kick_worker();
    outbox_drained(&store).await;
    assert_eq!(
        db.refund_status(&rec.idempotency_key).await.unwrap(),
        RefundStatus::Done
    );
    let set_since = |when: &str| {
        let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'print_jobs_since'",
            [when],
        )
        .unwrap();
    };
    let paper = start_paper(&paper_config(&file), dir.path(), &store).await;
    // As if the refund was made before this version: not printed on the upgrade.
    set_since("2999-01-01T00:00:00.000Z");
    assert!(print_unprinted_refunds(&paper, &db).await.is_empty());
    assert_eq!(printed_jobs(&file), 0);
    // Made since: printed by the catch-up, once.
    set_since("2000-01-01T00:00:00.000Z");
    assert!(print_unprinted_refunds(&paper, &db).await.is_empty());
    assert!(print_unprinted_refunds(&paper, &db).await.is_empty());
    wait_printed(&file, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(printed_jobs(&file), 1);
    run.shutdown().await;
}
