//! Tills for the HQ tests: several tills (own data dir, own till id, one shared simulator) that
//! replicate to one PostgreSQL, with a staff database each, cash and Vipps sales, and the
//! replicator from `kasse::hq`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use kasse::clock::SystemClock;
use kasse::domain::money::Money;
use kasse::domain::staff::HashCost;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::{Running, connect_with};
use kasse::engine::{ApiKind, EngineConfig, NewSaleRequest};
use kasse::hq::worker::Replicator;
use kasse::service::StaffDb;
use kasse::sim::SimHandle;
use kasse::store::{AsyncStore, Store};
use secrecy::SecretString;

pub const MANAGER_PIN: &str = "135790";

/// One till of the chain.
pub struct HqTill {
    pub shop_id: String,
    pub till_id: String,
    pub run: Running,
    pub store: AsyncStore,
    pub db: StaffDb,
    pub dir: tempfile::TempDir,
}

/// A till `shop_id`/`till_id` on the shared simulator, with a fresh journal and a manager.
pub async fn till(sim: &SimHandle, shop_id: &str, till_id: &str) -> HqTill {
    let dir = tempfile::tempdir().unwrap();
    till_in(sim, shop_id, till_id, dir).await
}

/// [`till`] on an existing data dir (a restored backup, say).
pub async fn till_in(
    sim: &SimHandle,
    shop_id: &str,
    till_id: &str,
    dir: tempfile::TempDir,
) -> HqTill {
    let store = AsyncStore::new(Store::open_in_dir(dir.path()).unwrap()).unwrap();
    let mut settings = super::staff::settings(&sim.base_url());
    settings.engine = EngineConfig::new(shop_id, till_id, kasse::sim::DEFAULT_MSN).fast();
    let run = connect_with(
        settings,
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(SimulatedAcquirer::new()),
        |b| b,
    )
    .await
    .unwrap();
    let db = StaffDb::new(store.clone(), shop_id, till_id)
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    HqTill {
        shop_id: shop_id.into(),
        till_id: till_id.into(),
        run,
        store,
        db,
        dir,
    }
}

impl HqTill {
    /// A cash sale of `kroner` (whole kroner: no øreavrunding).
    pub async fn cash_sale(&self, kroner: i64) {
        let req = NewSaleRequest::single_amount(
            Money::nok(kroner * 100),
            super::staff::push(ApiKind::Epayment),
            ApiKind::Epayment,
            Some("Kaffe".into()),
        );
        self.run
            .engine
            .record_cash_sale(req, Money::nok(kroner * 100))
            .await
            .unwrap();
    }

    /// The replicator for this till towards `url`.
    pub fn replicator(&self, url: &str, batch_rows: usize) -> Replicator {
        let pool = kasse::hq::pool(&SecretString::from(url.to_owned())).unwrap();
        Replicator::new(
            self.store.clone(),
            pool,
            Arc::new(SystemClock),
            self.shop_id.clone(),
            self.till_id.clone(),
            batch_rows,
        )
    }

    /// The till's first manager Mona (MANAGER_PIN, logged in) and a cashier Kari (2468).
    pub async fn mona_and_kari(&self, now: time::OffsetDateTime) -> kasse::domain::staff::Session {
        let manager = self
            .db
            .create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap();
        self.db
            .create_staff(
                &manager,
                "Kari",
                "2468",
                kasse::domain::staff::Role::Cashier,
                now,
            )
            .await
            .unwrap();
        manager
    }

    pub async fn behind(&self) -> i64 {
        self.store.run(|s| s.hq_lag()).await.unwrap()
    }
}

/// `kasse hq migrate` on a fresh database.
pub async fn migrated(url: &str) {
    let pool = kasse::hq::pool(&SecretString::from(url.to_owned())).unwrap();
    kasse::hq::migrate::migrate(&pool).await.unwrap();
}

/// Feed rows at HQ per install: (count, max seq) — 0 duplicates and 0 gaps means count == max.
pub async fn hq_streams(url: &str) -> Vec<(String, i64, i64)> {
    let c = super::pg::client(url).await;
    c.query(
        "SELECT install_id, count(*)::bigint, max(seq) FROM hq_feed GROUP BY install_id ORDER BY 1",
        &[],
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

pub const WAIT: Duration = Duration::from_secs(30);

impl HqTill {
    /// A Vipps (ePayment push) sale of `amount` øre that the simulated customer approves;
    /// waits until it is paid and the outbox is drained. Returns the reference.
    pub async fn vipps_sale(&self, sim: &SimHandle, amount: i64) -> String {
        use kasse::engine::{EngineEvent, PaymentState};
        let engine = self.run.engine.clone();
        let mut rx = engine.subscribe();
        let req = NewSaleRequest::single_amount(
            Money::nok(amount),
            super::staff::push(ApiKind::Epayment),
            ApiKind::Epayment,
            Some("Kaffe og bolle".into()),
        );
        let id = engine.start_payment(req).await.unwrap();
        let mut reference = None;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Ok(EngineEvent::Payment(s))) if s.id == id => {
                    if s.state == PaymentState::WaitingForCustomer && reference.is_none() {
                        let r = reqwest::Client::new()
                            .post(format!(
                                "{}/sim/v1/customer/{}/approve",
                                sim.base_url(),
                                s.reference
                            ))
                            .header("content-type", "application/json")
                            .body("{}")
                            .send()
                            .await
                            .unwrap();
                        assert!(r.status().is_success(), "approve: {}", r.status());
                        reference = Some(s.reference.clone());
                    }
                    if s.state == PaymentState::Paid {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => panic!("sale {id} not paid in time"),
            }
        }
        super::staff::outbox_drained(&self.store).await;
        reference.unwrap()
    }

    /// A manager's refund of `amount` øre of the sale `reference`, confirmed by Vipps.
    pub async fn refund(
        &self,
        manager: &kasse::domain::staff::Session,
        reference: &str,
        amount: i64,
    ) {
        use kasse::domain::refund::{RefundMode, RefundRequest, RefundStatus};
        use kasse::service::refund;
        let now = time::OffsetDateTime::now_utc();
        let req = RefundRequest {
            reference: reference.into(),
            mode: RefundMode::Amount(amount),
            reason: "varen var skadet".into(),
        };
        let rec = refund::refund(&self.db, manager, &req, now).await.unwrap();
        self.run.engine.kick_worker();
        let st = refund::wait_for(
            &self.db,
            &self.run.engine,
            &rec.idempotency_key,
            refund::WaitLimits::timeout(WAIT),
        )
        .await
        .unwrap();
        assert_eq!(st, RefundStatus::Done);
        refund::settle_sale_status(&self.db, &rec, now)
            .await
            .unwrap();
    }
}

/// A signed-able cash sale of kr 75 (2 lines) on 2026-03-01, `i` seconds after 08:00 UTC.
pub fn bench_like_sale(i: i64) -> kasse::store::NewSale {
    use kasse::store::{Api, Flow, NewPayment, NewSale, NewSaleLine};
    let line = |n: &str, gross: i64| NewSaleLine {
        product_id: Some(n.into()),
        name: n.into(),
        quantity: "1".into(),
        quantity_milli: 1000,
        unit: "pcs".into(),
        unit_price: gross,
        discount: 0,
        vat_rate: 2500,
        gross,
        net: gross * 4 / 5,
        vat: gross - gross * 4 / 5,
        is_return: false,
    };
    NewSale {
        created_at: time::macros::datetime!(2026-03-01 08:00:00 UTC) + time::Duration::seconds(i),
        shop_id: "s1".into(),
        till_id: "t1".into(),
        staff_id: Some("101".into()),
        currency: "NOK".into(),
        gross_total: 7500,
        vat_total: 1500,
        net_total: 6000,
        training: false,
        tender: "cash".into(),
        description: None,
        lines: vec![line("1001", 5000), line("1002", 2500)],
        payment: NewPayment {
            api: Api::Epayment,
            msn: "123456".into(),
            flow: Flow::Push,
            customer_phone: None,
        },
    }
}

/// A SAF-T export request for `from..=to` (UTC, a test company).
pub fn saft_request(from: time::Date, to: time::Date) -> kasse::service::saft::ExportRequest {
    kasse::service::saft::ExportRequest {
        from,
        to,
        company: kasse::fiscal::saft::Company {
            org_number: kasse::fiscal::saft::OrgNumber::parse(Some("999999999")).unwrap(),
            name: "Kiosken på hjørnet AS".into(),
            vat_registered: true,
            street_address: None,
        },
        currency: "NOK".into(),
        created: time::macros::datetime!(2026-12-06 12:00:00),
        offset: time::UtcOffset::UTC,
        user_id: None,
    }
}
