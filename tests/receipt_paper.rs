#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Paper receipts from the till shell (`app::Paper`): a paid sale on the simulator is rebuilt
//! from the journal and printed — in `--demo` as text to `<data_dir>/receipts.txt`, marked
//! TRAINING; a reprint is marked COPY; a dead printer never blocks anything and the cashier is
//! told "receipt queued: printer error".

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::app::Paper;
use kasse::config::Config;
use kasse::engine::{ApiKind, PaymentSnapshot, PaymentState};
use kasse::tui::AppEvent;

async fn paid_sale(
    sim: &kasse::sim::SimHandle,
    dir: &std::path::Path,
) -> (kasse::engine::build::Running, PaymentSnapshot) {
    let run = simple(sim, dir).await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, push(ApiKind::Epayment)))
        .await
        .unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(sim, &w.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    (run, paid)
}

fn config(text: &str) -> Config {
    Config::from_toml_str(text, &|_| None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_training_text_and_reprints_a_copy() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let (run, paid) = paid_sale(&sim, dir.path()).await;
    let cfg = config(
        "[shop]\nname = \"Bakeri Øst AS\"\naddress = [\"Storgata 1\"]\norg_number = \"987654321\"\n[receipt]\nfooter = [\"Takk for handelen!\"]\n",
    );
    let paper = Paper::start(&cfg, dir.path(), true)
        .unwrap()
        .expect("demo prints text");
    let store = run.engine_store();
    assert_eq!(
        paper.print_paid(&store, paid.id, &paid.reference).await,
        None
    );
    // A late duplicate "paid" update prints nothing more.
    assert_eq!(
        paper.print_paid(&store, paid.id, &paid.reference).await,
        None
    );
    let text = std::fs::read_to_string(dir.path().join("receipts.txt")).unwrap();
    // Marked at the top and at the bottom.
    assert_eq!(text.matches("TRENING / TRAINING").count(), 2, "{text}");
    assert!(!text.contains("Betjent av"), "no cashier signed in: {text}");
    assert!(text.contains("Bakeri Øst AS"), "{text}");
    assert!(text.contains("Org.nr. 987 654 321 MVA"), "{text}");
    assert!(text.contains(&paid.receipt_number), "{text}");
    assert!(text.contains(&paid.reference), "{text}");
    assert!(text.contains("49,90"), "{text}");
    assert!(text.contains("Takk for handelen!"), "{text}");
    assert!(!text.contains("COPY"), "{text}");
    let once = text.matches(&paid.receipt_number).count();
    for line in text.lines() {
        assert!(line.chars().count() <= 48, "{line:?}");
    }

    assert_eq!(paper.reprint(&paid.reference).await, None);
    let text = std::fs::read_to_string(dir.path().join("receipts.txt")).unwrap();
    let (original, copy) = text.split_at(text.find("KOPI / COPY").expect("a COPY mark"));
    assert!(!original.contains("COPY"));
    assert!(copy.contains(&paid.reference), "{copy}");
    assert_eq!(
        text.matches(&paid.receipt_number).count(),
        2 * once,
        "{text}"
    );

    // Nothing printed for an unknown reference: the cashier is told so.
    assert!(matches!(
        paper.reprint("no-such-ref").await,
        Some(AppEvent::Error(_))
    ));
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_printer_outside_demo_means_no_paper() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        Paper::start(&config(""), dir.path(), false)
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_printer_queues_the_job_and_tells_the_cashier() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let (run, paid) = paid_sale(&sim, dir.path()).await;
    // Nothing listens on this port: the connect is refused at once.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = config(&format!(
        "[receipt.printer]\nkind = \"network\"\naddress = \"127.0.0.1:{port}\"\ntimeout_ms = 300\n"
    ));
    let paper = Paper::start(&cfg, dir.path(), false).unwrap().unwrap();
    let ev = paper
        .print_paid(&run.engine_store(), paid.id, &paid.reference)
        .await;
    match ev {
        Some(AppEvent::Error(t)) => {
            assert!(t.en.starts_with("Receipt "), "{t:?}");
            assert!(t.en.contains("queued: printer error"), "{t:?}");
            assert!(t.nb.contains("i kø: skriverfeil"), "{t:?}");
            assert!(t.en.contains(&paid.receipt_number), "{t:?}");
        }
        other => panic!("expected a printer error, got {other:?}"),
    }
    // The sale itself is untouched: still paid at Vipps, the journal says so.
    let p = ledger_payment(&sim.ledger(), &paid.reference);
    assert_eq!(p.captured, 4990);
    run.shutdown().await;
}
