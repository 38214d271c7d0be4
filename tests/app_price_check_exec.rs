#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The price check (F2 on the sale screen) through the command executor: the screen's
//! `Command::Journal` with a price look-up lands in the fiscal journal as 13022 with the
//! operator, and the X report counts it (§ 2-8-2 letter t).

mod common;
use common::staff as staff_support;
use kasse::app::{StaffAccess, execute};
use kasse::domain::money::Money;
use kasse::domain::staff::Role;
use kasse::engine::ApiKind;
use kasse::tui::{Command, TillEvent};
use staff_support::{CASHIER_PIN, MANAGER_PIN, till};
use time::OffsetDateTime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_check_is_journaled_as_13022_and_counted_in_the_x_report() {
    let t = till().await;
    let t0 = OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let boss =
        t.db.create_first_manager("Mona", MANAGER_PIN, t0)
            .await
            .unwrap();
    let kari =
        t.db.create_staff(&boss, "Kari", CASHIER_PIN, Role::Cashier, t0)
            .await
            .unwrap()
            .id;
    let staff: StaffAccess = Ok(t.db.clone());
    let http = reqwest::Client::new();
    let ev = execute(
        &t.run.engine,
        ApiKind::Epayment,
        None,
        &http,
        None,
        &staff,
        Command::Journal {
            event: TillEvent::PriceLookup {
                code: "7038010001017".into(),
                name: "Coca-Cola 0,5 l".into(),
                price: Money::nok(3290),
            },
            staff_id: Some(kari.clone()),
        },
    )
    .await;
    assert_eq!(ev, None);
    let events = t.store.run(|s| s.fiscal_events()).await.unwrap();
    let look: Vec<_> = events.iter().filter(|e| e.code == "13022").collect();
    assert_eq!(look.len(), 1, "{events:#?}");
    assert_eq!(look[0].staff_id.as_deref(), Some(kari.as_str()));
    assert_eq!(
        look[0].detail,
        "price look-up 7038010001017 \"Coca-Cola 0,5 l\": 32.90 NOK (shown, not added)"
    );
    let x =
        t.db.x_report(
            None,
            None,
            time::UtcOffset::UTC,
            None,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(x.fiscal.price_lookups, 1);
}
