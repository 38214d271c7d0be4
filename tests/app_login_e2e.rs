#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Login at the till end to end: `app::execute` logs a cashier in against a real staff journal
//! (wrong PIN first: refused and journaled), a Vipps sale and a cash sale made with that
//! cashier are journaled with their staff id, the paper receipts (file printer) say "Betjent
//! av <name>", the simulator's ledger has exactly one payment captured once, and the logout is
//! journaled with who.

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::app::{Paper, StaffAccess, execute};
use kasse::config::Config;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::money::{Currency, Money};
use kasse::domain::staff::{HashCost, Role};
use kasse::domain::vat::VatRate;
use kasse::engine::{ApiKind, EngineEvent, PaymentState};
use kasse::service::StaffDb;
use kasse::store::AsyncStore;
use kasse::tui::{AppEvent, Command, ManagerPin, PayMethod};
use std::time::Duration;

fn basket(price: i64) -> Basket {
    let mut b = Basket::new(Currency::Nok);
    b.add(OrderLine {
        product_id: "1001".into(),
        name: "Kaffe".into(),
        quantity: Quantity::pieces(1).unwrap(),
        unit_price: Money::nok(price),
        discount: Money::nok(0),
        vat: VatRate::STANDARD,
        is_return: false,
    })
    .unwrap();
    b
}

async fn file_paper(dir: &std::path::Path, store: &AsyncStore, path: &std::path::Path) -> Paper {
    let toml = format!(
        "[receipt.printer]\nkind = \"file\"\npath = \"{}\"\n",
        path.display()
    );
    let (dir, store) = (dir.to_path_buf(), store.clone());
    tokio::task::spawn_blocking(move || {
        let cfg = Config::from_toml_str(&toml, &|_| None).unwrap();
        Paper::start_durable(&cfg, &dir, false, store)
    })
    .await
    .unwrap()
    .unwrap()
    .expect("a file printer is configured")
    .0
}

/// The printed bytes once `needle` is in them (the printer runs on its own thread).
async fn printed_with(path: &std::path::Path, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..400 {
        text = String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
        if text.contains(needle) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashier_logs_in_sells_and_is_on_the_journal_and_the_receipt() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let store = run.engine_store();
    let printer = dir.path().join("printer.bin");
    let paper = file_paper(dir.path(), &store, &printer).await;

    // The staff journal in the same file: a manager and a cashier.
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    let now = time::OffsetDateTime::now_utc();
    let manager = db
        .create_first_manager("Mona Leder", "975310", now)
        .await
        .unwrap();
    let kari = db
        .create_staff(&manager, "Kari Nordmann", "2468", Role::Cashier, now)
        .await
        .unwrap();
    assert!(db.has_active_staff().await.unwrap());
    let staff: StaffAccess = Ok(db.clone());

    let http = reqwest::Client::new();
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

    // A wrong PIN first: refused with the tries left.
    match exec(Command::Login {
        request_id: 1,
        pin: ManagerPin::new("1111"),
    })
    .await
    {
        Some(AppEvent::LoggedIn {
            request_id: 1,
            result: Err(t),
        }) => assert!(t.en.contains("attempts left"), "{}", t.en),
        other => panic!("expected a refused login, got {other:?}"),
    }
    // Then Kari's PIN.
    let cashier = match exec(Command::Login {
        request_id: 2,
        pin: ManagerPin::new("2468"),
    })
    .await
    {
        Some(AppEvent::LoggedIn {
            request_id: 2,
            result: Ok(c),
        }) => c,
        other => panic!("expected Kari logged in, got {other:?}"),
    };
    assert_eq!(cashier.staff_id, kari.id);
    assert_eq!(cashier.name, "Kari Nordmann");
    assert_eq!(cashier.role, Role::Cashier);

    // A push sale with Kari as the cashier.
    let mut rx = run.engine.subscribe();
    assert_eq!(
        exec(Command::StartPayment {
            basket: basket(4_990),
            method: PayMethod::Push {
                phone_or_personal_qr: "4791234567".into()
            },
            staff_id: Some(cashier.staff_id.clone()),
        })
        .await,
        None
    );
    let id = loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Ok(EngineEvent::Payment(s))) => break s.id,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("no payment event: {other:?}"),
        }
    };
    let waiting = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    customer(&sim, &waiting.reference, "approve").await;
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&store).await;

    // Journal: the sale is Kari's.
    let reference = paid.reference.clone();
    let sale = store
        .run(move |s| {
            let p = s.payment(id)?.unwrap();
            s.sale(p.sale_id)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sale.sale.staff_id.as_deref(), Some(kari.id.as_str()));
    assert!(!sale.sale.training);

    // Exactly one payment at Vipps, captured once, nothing refunded.
    let ledger = sim.ledger();
    let p = ledger_payment(&ledger, &reference);
    assert_eq!((p.amount, p.captured, p.refunded), (4_990, 4_990, 0));

    // The paper receipt (as the till prints it when the sale is paid) names the cashier.
    assert_eq!(paper.print_paid(&store, id, &reference).await, None);
    let text = printed_with(&printer, "Kari Nordmann").await;
    assert!(text.contains(&sale.sale.receipt_number), "{text}");
    assert!(text.contains("Betjent av"), "{text}");
    assert!(text.contains("Kari Nordmann"), "{text}");
    assert!(
        !text.contains(&format!("Betjent av {}", kari.id)),
        "the name, not the id"
    );

    // A cash sale by Kari: journaled with her id, her name on its receipt.
    let done = match exec(Command::CashSale {
        basket: basket(2_000),
        received: Money::nok(5_000),
        staff_id: Some(cashier.staff_id.clone()),
    })
    .await
    {
        Some(AppEvent::CashSale(Ok(d))) => d,
        other => panic!("expected a cash sale, got {other:?}"),
    };
    let no = done.receipt_number.clone();
    let sales = store
        .run(|s| s.find_sales(&kasse::store::SaleQuery::default()))
        .await
        .unwrap();
    let cash = sales.iter().find(|s| s.receipt_number == no).unwrap();
    assert_eq!(cash.staff_id.as_deref(), Some(kari.id.as_str()));
    let text = printed_with(&printer, &no).await;
    let after = &text[text.find(&no).unwrap()..];
    assert!(after.contains("Kari Nordmann"), "{after}");
    // Still one payment at Vipps: cash never goes there.
    assert_eq!(sim.ledger().payments.len(), 1);

    // Logout: journaled with who; an unknown id is refused with a message.
    assert_eq!(
        exec(Command::Logout {
            staff_id: cashier.staff_id.clone()
        })
        .await,
        None
    );
    match exec(Command::Logout {
        staff_id: "st999".into(),
    })
    .await
    {
        Some(AppEvent::Error(t)) => assert!(t.en.contains("st999"), "{}", t.en),
        other => panic!("expected an error, got {other:?}"),
    }
    let actions = db
        .actions_between(
            now - time::Duration::minutes(1),
            time::OffsetDateTime::now_utc() + time::Duration::minutes(1),
        )
        .await
        .unwrap();
    let codes: Vec<(&str, Option<&str>, bool)> = actions
        .iter()
        .map(|a| (a.action.as_str(), a.staff_id.as_deref(), a.allowed))
        .collect();
    assert!(codes.contains(&("login_failed", None, false)), "{codes:?}");
    assert!(
        codes.contains(&("login", Some(kari.id.as_str()), true)),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("logout", Some(kari.id.as_str()), true)),
        "{codes:?}"
    );
    // Never a PIN in the journal.
    let dump = format!("{actions:?}");
    assert!(!dump.contains("2468") && !dump.contains("1111"), "{dump}");
    run.shutdown().await;
}
