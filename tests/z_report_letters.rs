#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Z report's content, letter by letter (kassasystemforskrifta § 2-8-2 first paragraph;
//! letters f, h, m, p, q and s as Skatteetaten's FAQ cites them, the others in the order of
//! Skatteetaten's SAF-T `eventReport`, which follows the paragraph): one test per letter, each
//! against the model and the printed text. Then the grand totals across Zs and restarts, and
//! the X/Z reports in the electronic journal (13008/13009).
//!
//! One period at one till: Kari sells for cash (a discounted coffee and a bun) and with Vipps
//! (a cake, of which 20,00 is refunded); Mona sells for cash; a Vipps sale is cancelled; a
//! training sale; a receipt copy, a provisional and a delivery receipt, two price changes,
//! three price look-ups (as journal events) and one drawer opening without a sale.

mod common;
use common::reports::{cash_sale, line, new_sale, refunded, vipps_sale};
use kasse::domain::report::{NO_GROUP, Report};
use kasse::domain::staff::HashCost;
use kasse::fiscal::saft::codes::EventKind;
use kasse::lang::Lang;
use kasse::receipt::report::{Format, render};
use kasse::service::StaffDb;
use kasse::store::fiscal::NewFiscalEvent;
use kasse::store::{AsyncStore, DB_FILE_NAME, PrintJobKind, SaleStatus, Store};
use time::macros::datetime;
use time::{Duration, OffsetDateTime, UtcOffset};

const T0: OffsetDateTime = datetime!(2026-11-21 09:00:00 UTC);
const Z_AT: OffsetDateTime = datetime!(2026-11-21 18:00:00 UTC);

struct Period {
    db: StaffDb,
    store: AsyncStore,
    manager: kasse::domain::staff::Session,
    dir: tempfile::TempDir,
}

async fn period() -> Period {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_in_dir(dir.path()).unwrap();
    let store = AsyncStore::new(s).unwrap();
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast)
        .with_company(Some("987654321"), Some("Bakeri Bolle"));
    let manager = db.create_first_manager("Mona", "135790", T0).await.unwrap();
    db.create_staff(
        &manager,
        "Kari",
        "2468",
        kasse::domain::staff::Role::Cashier,
        T0,
    )
    .await
    .unwrap();
    let kari = db.login("2468", T0).await.unwrap();
    let (mona_id, kari_id) = (manager.staff_id().to_owned(), kari.staff_id().to_owned());
    let at = |m: i64| T0 + Duration::minutes(m);
    let cake = store
        .run(move |s| {
            let mut coffee = line("Kaffe", 2500, 4000, 1000);
            coffee.discount = 1000;
            let (first, first_receipt) = cash_sale(
                s,
                &new_sale(
                    at(1),
                    Some(&kari_id),
                    vec![coffee, line("Bolle", 1500, 3500, 1000)],
                    false,
                    "cash",
                ),
            );
            let (second, _) = cash_sale(
                s,
                &new_sale(
                    at(2),
                    Some(&mona_id),
                    vec![line("Avis", 0, 4000, 1000)],
                    false,
                    "cash",
                ),
            );
            let (_, _, cake) = vipps_sale(
                s,
                &new_sale(
                    at(3),
                    Some(&kari_id),
                    vec![line("Kake", 1500, 6000, 1000)],
                    false,
                    "vipps",
                ),
                SaleStatus::Paid,
            );
            vipps_sale(
                s,
                &new_sale(
                    at(4),
                    Some(&kari_id),
                    vec![line("Te", 2500, 2500, 1000)],
                    false,
                    "vipps",
                ),
                SaleStatus::Cancelled,
            );
            cash_sale(
                s,
                &new_sale(
                    at(5),
                    Some(&kari_id),
                    vec![line("Øving", 2500, 10_000, 1000)],
                    true,
                    "cash",
                ),
            );
            s.add_print_job(PrintJobKind::Copy, &first_receipt, b"copy", at(6))?;
            let ev = |kind, sale_id, m| NewFiscalEvent {
                shop_id: "s1",
                till_id: "t1",
                kind,
                at: at(m),
                staff_id: None,
                sale_id,
                detail: String::new(),
            };
            s.fiscal_event(&ev(EventKind::ProvisionalReceipt, Some(first), 7))?;
            s.fiscal_event(&ev(EventKind::DeliveryReceipt, Some(second), 8))?;
            for m in 9..11 {
                s.fiscal_event(&ev(EventKind::PriceChange, None, m))?;
            }
            for m in 11..14 {
                s.fiscal_event(&ev(EventKind::PriceLookup, None, m))?;
            }
            // s: a line deleted before completion (the shell's JSON text), and another 13999
            // event that is no line correction.
            s.fiscal_event(&NewFiscalEvent {
                detail: r#"{"correction":"line_deleted","name":"Bolle","amount_minor":1500}"#
                    .into(),
                ..ev(EventKind::Other, None, 14)
            })?;
            s.fiscal_event(&NewFiscalEvent {
                detail: "refund requested".into(),
                ..ev(EventKind::Other, None, 14)
            })?;
            // Another till's event is not this till's.
            s.fiscal_event(&NewFiscalEvent {
                till_id: "t2",
                ..ev(EventKind::PriceChange, None, 14)
            })?;
            Ok(cake)
        })
        .await
        .unwrap();
    db.open_drawer_no_sale(&manager, "veksel", at(15))
        .await
        .unwrap();
    refunded(&db, &store, &manager, &cake, 2_000, at(16)).await;
    Period {
        db,
        store,
        manager,
        dir,
    }
}

async fn z() -> (Report, String) {
    let p = period().await;
    let z =
        p.db.close_period(&p.manager, UtcOffset::UTC, None, Z_AT)
            .await
            .unwrap();
    let text = render(&z, Format::Text, Lang::Nb);
    (z, text)
}

/// The rendered line starting with `label` (after trimming the indent).
fn text_line<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in\n{text}"))
}

#[tokio::test]
async fn z_letter_a_org_number() {
    let (z, text) = z().await;
    assert_eq!(z.fiscal.company.org_number.as_deref(), Some("987654321"));
    assert_eq!(z.fiscal.company.name.as_deref(), Some("Bakeri Bolle"));
    assert_eq!(
        text_line(&text, "Org.nr."),
        "Org.nr.: 987654321  Bakeri Bolle"
    );
}

#[tokio::test]
async fn z_letter_b_date_and_time() {
    let (z, text) = z().await;
    assert_eq!(z.generated_at, "2026-11-21T18:00:00.000Z");
    assert_eq!(z.business_date, "2026-11-21");
    assert!(text.contains("Laget: 2026-11-21T18:00:00.000Z"), "{text}");
}

#[tokio::test]
async fn z_letter_c_z_number() {
    let p = period().await;
    let z1 =
        p.db.close_period(&p.manager, UtcOffset::UTC, None, Z_AT)
            .await
            .unwrap();
    let z2 =
        p.db.close_period(&p.manager, UtcOffset::UTC, None, Z_AT + Duration::hours(1))
            .await
            .unwrap();
    assert_eq!((z1.number, z2.number), (Some(1), Some(2)));
    assert!(render(&z2, Format::Text, Lang::Nb).contains("Z-RAPPORT nr. 2"));
}

#[tokio::test]
async fn z_letter_d_till() {
    let (z, text) = z().await;
    assert_eq!((z.shop_id.as_str(), z.till_id.as_str()), ("s1", "t1"));
    assert!(text.contains("Butikk: s1  Kasse: t1"), "{text}");
}

#[tokio::test]
async fn z_letter_e_cash_sales() {
    let (z, text) = z().await;
    // Kari's cash sale 75,00, Mona's 40,00, Kari's Vipps 60,00.
    assert_eq!(z.fiscal.cash_sales.count, 3);
    assert_eq!(z.fiscal.cash_sales.amount, 7_500 + 4_000 + 6_000);
    assert!(
        text_line(&text, "Kontantsalg").ends_with("kr 175,00"),
        "{text}"
    );
}

#[tokio::test]
async fn z_letter_f_main_groups() {
    let (z, text) = z().await;
    // No article groups in the catalogue yet: every sold line is "04999 Other".
    assert_eq!(z.fiscal.groups.len(), 1);
    let g = &z.fiscal.groups[0];
    assert_eq!((g.group.as_str(), g.count, g.gross), (NO_GROUP, 4, 17_500));
    assert!(
        text_line(&text, "04999 Øvrige").ends_with("kr 175,00"),
        "{text}"
    );
}

#[tokio::test]
async fn z_letter_g_payment_methods() {
    let (z, text) = z().await;
    let s = &z.sections[0];
    assert!(!s.training);
    let tender = |t: &str| s.tenders.iter().find(|x| x.tender == t).unwrap();
    assert_eq!((tender("cash").count, tender("cash").gross), (2, 11_500));
    assert_eq!((tender("vipps").count, tender("vipps").gross), (1, 6_000));
    assert!(text.contains("Betalingsmidler:"), "{text}");
}

#[tokio::test]
async fn z_letter_h_operators_cash_sales_by_payment_method() {
    let (z, text) = z().await;
    let ops: Vec<(&str, &str, i64, i64)> = z
        .fiscal
        .operators
        .iter()
        .map(|o| (o.name.as_str(), o.tender.as_str(), o.count, o.gross))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("Kari", "cash", 1, 7_500),
            ("Kari", "vipps", 1, 6_000),
            ("Mona", "cash", 1, 4_000),
        ]
    );
    assert!(
        text_line(&text, "Kari Vipps").ends_with("kr 60,00"),
        "{text}"
    );
    // The tender in the cashier's language (one language per screen and report).
    assert!(
        text_line(&text, "Kari Kontant").ends_with("kr 75,00"),
        "{text}"
    );
}

#[tokio::test]
async fn z_letter_i_tips() {
    let (z, text) = z().await;
    assert_eq!((z.fiscal.tips.count, z.fiscal.tips.amount), (0, 0));
    assert!(text_line(&text, "Tips").ends_with("kr 0,00"));
}

#[tokio::test]
async fn z_letter_j_vat_per_rate() {
    let (z, text) = z().await;
    let rates: Vec<(i64, i64)> = z.sections[0]
        .vat_rates
        .iter()
        .map(|v| (v.rate, v.gross))
        .collect();
    // 25 % coffee; 15 % bun and cake; 0 % paper.
    assert_eq!(rates, vec![(2500, 4_000), (1500, 9_500), (0, 4_000)]);
    assert!(text.contains("MVA per sats (salg):"), "{text}");
}

#[tokio::test]
async fn z_letter_k_opening_float() {
    let (z, text) = z().await;
    assert_eq!(z.fiscal.opening_float, 0);
    assert!(text_line(&text, "Vekselbeholdning").ends_with("kr 0,00"));
}

#[tokio::test]
async fn z_letter_l_sales_receipts() {
    let (z, text) = z().await;
    assert_eq!(z.fiscal.receipts, 3);
    assert_eq!(
        text_line(&text, "Salgskvitteringer")
            .split_whitespace()
            .last(),
        Some("3")
    );
}

#[tokio::test]
async fn z_letter_m_drawer_openings_without_sale() {
    let (z, text) = z().await;
    assert_eq!(z.drawer_opens_no_sale, 1);
    assert!(text_line(&text, "Skuff åpnet uten salg").ends_with('1'));
}

#[tokio::test]
async fn z_letter_n_copy_receipts() {
    let (z, text) = z().await;
    assert_eq!((z.fiscal.copies.count, z.fiscal.copies.amount), (1, 7_500));
    assert!(text_line(&text, "Kopikvitteringer").ends_with("kr 75,00"));
}

#[tokio::test]
async fn z_letter_o_provisional_receipts() {
    let (z, text) = z().await;
    let p = z.fiscal.provisional;
    assert_eq!((p.count, p.amount), (1, 7_500));
    assert!(text_line(&text, "Foreløpig kvittering").ends_with("kr 75,00"));
}

#[tokio::test]
async fn z_letter_p_returns() {
    let (z, text) = z().await;
    // The refund of 20,00 on the cake.
    let r = z.fiscal.returns;
    assert_eq!((r.count, r.amount), (1, 2_000));
    assert!(text_line(&text, "Returer").ends_with("kr 20,00"));
}

#[tokio::test]
async fn z_letter_q_discounts() {
    let (z, text) = z().await;
    let d = z.fiscal.discounts;
    assert_eq!((d.count, d.amount), (1, 1_000));
    assert!(text_line(&text, "Rabatter").ends_with("kr 10,00"));
}

#[tokio::test]
async fn z_letter_r_voids() {
    let (z, text) = z().await;
    let v = z.fiscal.voids;
    assert_eq!((v.count, v.amount), (1, 2_500));
    assert!(text_line(&text, "Annulleringer").ends_with("kr 25,00"));
}

#[tokio::test]
async fn z_letter_s_line_corrections() {
    let (z, text) = z().await;
    let c = z.fiscal.line_corrections;
    assert_eq!((c.count, c.amount), (1, 1_500));
    assert!(text_line(&text, "Linjekorreksjoner").ends_with("kr 15,00"));
}

#[tokio::test]
async fn z_letter_t_price_look_ups() {
    let (z, text) = z().await;
    assert_eq!(z.fiscal.price_lookups, 3);
    assert!(text_line(&text, "Prisforespørsler").ends_with('3'));
}

#[tokio::test]
async fn z_letter_u_price_changes() {
    let (z, text) = z().await;
    // Two at this till; the other till's change is not counted.
    assert_eq!(z.fiscal.price_changes, 2);
    assert!(text_line(&text, "Prisendringer").ends_with('2'));
}

#[tokio::test]
async fn z_letter_v_delivery_receipts() {
    let (z, text) = z().await;
    let d = z.fiscal.deliveries;
    assert_eq!((d.count, d.amount), (1, 4_000));
    assert!(text_line(&text, "Utleveringskvittering").ends_with("kr 40,00"));
}

#[tokio::test]
async fn z_letter_w_training_receipts() {
    let (z, text) = z().await;
    let t = z.fiscal.training;
    assert_eq!((t.count, t.amount), (1, 10_000));
    assert!(text_line(&text, "Treningskvitteringer").ends_with("kr 100,00"));
}

#[tokio::test]
async fn z_letter_x_grand_totals() {
    let (z, text) = z().await;
    let g = &z.fiscal.grand_totals;
    assert_eq!(g.len(), 1);
    // Sales before returns (training not counted), returns, net.
    assert_eq!(
        (g[0].currency.as_str(), g[0].sales, g[0].returns, g[0].net),
        ("NOK", 17_500, 2_000, 15_500)
    );
    assert!(text.contains("Grand total siden første bruk:"), "{text}");
    assert!(text_line(&text, "Netto  ").ends_with("kr 155,00"), "{text}");
}

/// X has the same content as the Z would have, and closes nothing.
#[tokio::test]
async fn x_has_the_z_content_without_closing() {
    let p = period().await;
    let x =
        p.db.x_report(None, None, UtcOffset::UTC, None, Z_AT)
            .await
            .unwrap();
    let z =
        p.db.close_period(&p.manager, UtcOffset::UTC, None, Z_AT)
            .await
            .unwrap();
    assert_eq!(x.number, None);
    assert_eq!(x.fiscal, z.fiscal);
    assert_eq!(x.sections, z.sections);
    assert_eq!(
        (x.period_from.as_str(), x.period_to.as_str()),
        (z.period_from.as_str(), z.period_to.as_str())
    );
}

/// Both reports are in the electronic journal in full: the event's text is the report.
#[tokio::test]
async fn x_and_z_are_journaled_in_full() {
    let p = period().await;
    let x =
        p.db.x_report(None, None, UtcOffset::UTC, None, Z_AT)
            .await
            .unwrap();
    let z =
        p.db.close_period(
            &p.manager,
            UtcOffset::UTC,
            None,
            Z_AT + Duration::minutes(1),
        )
        .await
        .unwrap();
    let events = p.store.run(|s| s.fiscal_events()).await.unwrap();
    let of = |code: &str| -> Vec<Report> {
        events
            .iter()
            .filter(|e| e.code == code)
            .map(|e| serde_json::from_str(&e.detail).unwrap())
            .collect()
    };
    assert_eq!(of("13008"), vec![x]);
    assert_eq!(of("13009"), vec![z.clone()]);
    let zev = events.iter().find(|e| e.code == "13009").unwrap();
    assert_eq!(zev.staff_id.as_deref(), Some(p.manager.staff_id()));
    // …and the Z still prints at the till: the paper document carries the same content.
    let doc = kasse::app::report_document(&z, Lang::Nb, false, false);
    let paper = doc.lines.join("\n");
    assert!(paper.contains("Grand total"), "{paper}");
}

/// Grand totals: stored with each Z, cumulative, never decreasing, across restarts; the
/// database refuses a lower row and any change.
#[tokio::test]
async fn grand_totals_survive_restarts_and_never_decrease() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = (0i64, 0i64);
    let mut last: Option<(i64, i64)> = None;
    for round in 0..4i64 {
        let s = Store::open_in_dir(dir.path()).unwrap();
        let store = AsyncStore::new(s).unwrap();
        let db = StaffDb::new(store.clone(), "s1", "t1")
            .unwrap()
            .with_hash_cost(HashCost::Fast);
        let manager = if round == 0 {
            db.create_first_manager("Mona", "135790", T0).await.unwrap()
        } else {
            db.login("135790", T0).await.unwrap()
        };
        let at = T0 + Duration::hours(round * 24);
        let sold = 1_000 * (round + 1);
        let back = if round % 2 == 1 { 500 } else { 0 };
        let reference = store
            .run(move |s| {
                let sale = new_sale(
                    at,
                    None,
                    vec![line("Vare", 2500, sold, 1000)],
                    false,
                    "vipps",
                );
                Ok(vipps_sale(s, &sale, SaleStatus::Paid).2)
            })
            .await
            .unwrap();
        if back > 0 {
            refunded(
                &db,
                &store,
                &manager,
                &reference,
                back,
                at + Duration::minutes(1),
            )
            .await;
        }
        expected = (expected.0 + sold, expected.1 + back);
        let z = db
            .close_period(&manager, UtcOffset::UTC, None, at + Duration::hours(1))
            .await
            .unwrap();
        let g = &z.fiscal.grand_totals[0];
        assert_eq!((g.sales, g.returns), expected, "round {round}");
        assert_eq!(g.net, g.sales - g.returns);
        if let Some((s, r)) = last {
            assert!(g.sales >= s && g.returns >= r);
        }
        last = Some((g.sales, g.returns));
        drop(db);
        drop(store);
    }
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    let e = conn
        .execute(
            "INSERT INTO z_grand_totals VALUES ('s1', 't1', 5, 'NOK', 1, 0, 1)",
            [],
        )
        .unwrap_err();
    assert!(e.to_string().contains("never decrease"), "{e}");
    let e = conn
        .execute("UPDATE z_grand_totals SET sales = 0", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(conn.execute("DELETE FROM z_grand_totals", []).is_err());
}

/// A Z waits for a payment still in progress (else it would complete inside a closed period),
/// and names its receipt.
#[tokio::test]
async fn z_waits_for_a_payment_in_progress() {
    let p = period().await;
    let receipt = p
        .store
        .run(|s| {
            let ids = s.begin_sale(&new_sale(
                T0 + Duration::hours(2),
                None,
                vec![line("Kaffe", 2500, 4000, 1000)],
                false,
                "vipps",
            ))?;
            Ok(s.sale(ids.sale_id)?.map(|r| r.sale.receipt_number))
        })
        .await
        .unwrap()
        .unwrap();
    let e =
        p.db.close_period(&p.manager, UtcOffset::UTC, None, Z_AT)
            .await
            .unwrap_err();
    assert!(
        e.message().en.contains("payment is still in progress"),
        "{}",
        e.message().en
    );
    assert!(e.message().en.contains(&receipt), "{}", e.message().en);
    drop(p.dir);
}
