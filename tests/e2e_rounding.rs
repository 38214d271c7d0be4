#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Øreavrunding end to end: `app::execute(Command::CashSale)` on a real journal with the
//! `--demo` text printer. A 24,90 basket paid with 50,00 in cash owes 25,00: the journal keeps
//! the exact total and `cash_rounding = +10`, the cash_sale entry names it, the paper receipt
//! prints the rounding line and the rounded cash tender, and the X report's cash tender is the
//! rounded amount with the rounding sum shown. Nothing goes to Vipps (sim ledger).

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::app::{Paper, StaffAccess, execute};
use kasse::config::Config;
use kasse::domain::basket::{Basket, OrderLine, Quantity};
use kasse::domain::money::{Currency, Money};
use kasse::domain::staff::HashCost;
use kasse::domain::vat::VatRate;
use kasse::engine::ApiKind;
use kasse::lang::{Lang, Text};
use kasse::receipt::report::{Format, render};
use kasse::service::StaffDb;
use kasse::store::AsyncStore;
use kasse::tui::{AppEvent, Command};
use std::time::Duration;

fn basket(price: i64) -> Basket {
    let mut b = Basket::new(Currency::Nok);
    b.add(OrderLine {
        product_id: "1001".into(),
        name: "Kvikk Lunsj".into(),
        quantity: Quantity::pieces(1).unwrap(),
        unit_price: Money::nok(price),
        discount: Money::nok(0),
        vat: VatRate::FOOD,
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

async fn receipts_with(dir: &std::path::Path, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..400 {
        text = std::fs::read_to_string(dir.join("receipts.txt")).unwrap_or_default();
        if text.contains(needle) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rounded_cash_sale_is_journaled_printed_and_reported() {
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

    // Less than the rounded total is refused by the engine (the TUI makes it a split).
    match exec(Command::CashSale {
        basket: basket(2_490),
        received: Money::nok(2_490),
        staff_id: None,
    })
    .await
    {
        Some(AppEvent::CashSale(Err(t))) => assert!(t.en.contains("25,00"), "{}", t.en),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // 24,90 paid with 50,00: owes 25,00, change 25,00.
    let done = match exec(Command::CashSale {
        basket: basket(2_490),
        received: Money::nok(5_000),
        staff_id: None,
    })
    .await
    {
        Some(AppEvent::CashSale(Ok(d))) => d,
        other => panic!("expected a journaled cash sale, got {other:?}"),
    };
    assert_eq!(done.total, Money::nok(2_490), "the sale total stays exact");
    assert_eq!(done.change, Money::nok(2_500));

    // 24,40 paid with exactly 24,00: rounded down, no change.
    let down = match exec(Command::CashSale {
        basket: basket(2_440),
        received: Money::nok(2_400),
        staff_id: None,
    })
    .await
    {
        Some(AppEvent::CashSale(Ok(d))) => d,
        other => panic!("expected a journaled cash sale, got {other:?}"),
    };
    assert_eq!(down.change, Money::nok(0));

    let sales = store
        .run(|s| s.find_sales(&kasse::store::SaleQuery::default()))
        .await
        .unwrap();
    assert_eq!(
        sales.len(),
        2,
        "the refused sale was not journaled: {sales:?}"
    );
    let up = sales
        .iter()
        .find(|s| s.receipt_number == done.receipt_number)
        .unwrap();
    assert_eq!((up.gross_total, up.cash_rounding), (2_490, 10));
    let dn = sales
        .iter()
        .find(|s| s.receipt_number == down.receipt_number)
        .unwrap();
    assert_eq!((dn.gross_total, dn.cash_rounding), (2_440, -40));
    let ops = store
        .run({
            let id = up.id;
            move |s| s.operations_for_sale(id)
        })
        .await
        .unwrap();
    let entry = ops
        .iter()
        .find(|o| o.op.kind == "cash_sale")
        .and_then(|o| o.op.detail.clone())
        .unwrap();
    assert!(entry.contains("cash rounding 10"), "{entry}");
    assert!(entry.contains("cash given 5000, change 2500"), "{entry}");
    // Nothing went to Vipps.
    assert!(sim.ledger().payments.is_empty());

    // Paper: the rounding between the total and the tenders, the cash tender rounded.
    let text = receipts_with(dir.path(), &down.receipt_number).await;
    let start = text.find(&done.receipt_number).expect(&text);
    let receipt = &text[start..];
    let total = receipt.find("Totalt NOK").expect(receipt);
    let rounding = receipt.find("Øreavrunding").expect(receipt);
    let cash = receipt.find("Kontant").expect(receipt);
    assert!(total < rounding && rounding < cash, "{receipt}");
    assert!(receipt.contains("+0,10"), "{receipt}");
    assert!(text.contains("-0,40"), "{text}");
    let cash_line = receipt[cash..].lines().next().unwrap();
    assert!(cash_line.ends_with("25,00"), "{cash_line}");

    // X report: cash tender = 25,00 + 24,00 (what went into the drawer); rounding -0,30.
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    let now = time::OffsetDateTime::now_utc();
    let manager = db
        .create_first_manager("Mona", "135790", now)
        .await
        .unwrap();
    let x = db
        .x_report(
            Some(&manager),
            Some(now.date()),
            time::UtcOffset::UTC,
            None,
            now,
        )
        .await
        .unwrap();
    let n = x
        .sections
        .iter()
        .find(|s| !s.training && s.currency == "NOK")
        .unwrap();
    assert_eq!((n.sales.count, n.sales.gross), (2, 2_490 + 2_440));
    let cash_tender = n.tenders.iter().find(|t| t.tender == "cash").unwrap();
    assert_eq!((cash_tender.count, cash_tender.gross), (2, 2_500 + 2_400));
    assert_eq!(n.cash_rounding, -30);
    let vat: i64 = n.vat_rates.iter().map(|v| v.gross).sum();
    assert_eq!(vat, 2_490 + 2_440, "rounding is not in the VAT basis");
    let text_nb = render(&x, Format::Text, Lang::Nb);
    assert!(text_nb.contains("Øreavrunding"), "{text_nb}");
    assert!(text_nb.contains("-kr 0,30"), "{text_nb}");
    let text_en = render(&x, Format::Text, Lang::En);
    assert!(text_en.contains("Cash rounding"), "{text_en}");
    let csv = render(&x, Format::Csv, Lang::En);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("cash_rounding,0,NOK,") && l.contains(",-30,")),
        "{csv}"
    );
    let json = render(&x, Format::Json, Lang::En);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["sections"][0]["cash_rounding"], -30, "{json}");
    run.shutdown().await;
}
