//! Shared harness for the staff tests: an in-process simulator, a temp-dir journal, a fast
//! engine, a staff database with cheap PIN hashing, and a way to make a paid sale.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kasse::api::ApiSettings;
use kasse::clock::SystemClock;
use kasse::domain::money::Money;
use kasse::domain::staff::HashCost;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::{ConnectSettings, Running, connect_with};
use kasse::engine::provider::CustomerId;
use kasse::engine::psp_server::PspServerConfig;
use kasse::engine::{
    ApiKind, Backends, EngineConfig, EngineEvent, NewSaleRequest, PayMethod, PaymentState,
};
use kasse::service::StaffDb;
use kasse::sim::{SimConfig, SimHandle};
use kasse::store::{AsyncStore, Store};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

pub const WAIT: Duration = Duration::from_secs(20);
pub const MANAGER_PIN: &str = "135790";
pub const CASHIER_PIN: &str = "2468";

pub async fn start_sim() -> SimHandle {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    kasse::sim::serve(
        l,
        SimConfig {
            tick_interval: Duration::from_millis(20),
            make_payment_timeout: Duration::from_secs(5),
            ..SimConfig::default()
        },
    )
    .await
    .unwrap()
}

pub fn settings(base_url: &str) -> ConnectSettings {
    let mut api = ApiSettings::new(
        base_url,
        kasse::sim::DEFAULT_MSN,
        kasse::sim::DEFAULT_CLIENT_ID,
        SecretString::from(kasse::sim::DEFAULT_CLIENT_SECRET),
        SecretString::from(kasse::sim::DEFAULT_SUBSCRIPTION_KEY),
    );
    api.psp_id = Some("6d0c1d1e-5c2b-4b0e-9d55-1d2f0a9b8c7d".into());
    api.retry.max_attempts = 2;
    api.retry.base_delay = Duration::from_millis(10);
    api.retry.max_delay = Duration::from_millis(50);
    api.retry.max_total = Duration::from_secs(2);
    api.timeouts.connect = Some(Duration::from_millis(500));
    api.timeouts.read = Some(Duration::from_secs(3));
    ConnectSettings {
        api,
        engine: EngineConfig::new("s1", "t1", kasse::sim::DEFAULT_MSN).fast(),
        ecom_callback_prefix: "https://kasse.example/vipps".into(),
        ecom_fallback_url: "https://kasse.example/fallback".into(),
        psp_redirect_url: "https://kasse.example/psp-return".into(),
        psp_server: Some(PspServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: None,
            token: SecretString::from("make-payment-token-for-tests"),
        }),
        category_image: None,
    }
}

pub struct Till {
    pub sim: SimHandle,
    pub run: Running,
    pub store: AsyncStore,
    pub db: StaffDb,
    pub _dir: tempfile::TempDir,
}

/// Simulator + engine + staff db on a fresh journal.
pub async fn till() -> Till {
    till_with(|b| b).await
}

/// Like [`till`], with the engine's backends wrapped (fault injection).
pub async fn till_with(wrap: impl FnOnce(Backends) -> Backends) -> Till {
    let sim = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncStore::new(Store::open_in_dir(dir.path()).unwrap()).unwrap();
    let run = connect_with(
        settings(&sim.base_url()),
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(SimulatedAcquirer::new()),
        wrap,
    )
    .await
    .unwrap();
    let db = StaffDb::new(store.clone(), "s1", "t1")
        .unwrap()
        .with_hash_cost(HashCost::Fast);
    Till {
        sim,
        run,
        store,
        db,
        _dir: dir,
    }
}

pub fn push(api: ApiKind) -> PayMethod {
    let phone = match api {
        ApiKind::Epayment => "4791234567",
        _ => "91234567",
    };
    PayMethod::Push {
        customer: CustomerId::Phone(phone.into()),
    }
}

async fn wait_state(
    rx: &mut broadcast::Receiver<EngineEvent>,
    id: i64,
    state: PaymentState,
) -> kasse::engine::PaymentSnapshot {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(EngineEvent::Payment(s))) if s.id == id => {
                seen.push(s.state.code());
                if s.state == state {
                    return s;
                }
            }
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event channel: {e}; states {seen:?}"),
            Err(_) => panic!("timed out; states seen {seen:?}"),
        }
    }
}

/// Start a sale and let the simulated customer approve it; returns (payment id, reference).
pub async fn approved_sale(t: &Till, amount: i64, api: ApiKind) -> (i64, String) {
    let engine = t.run.engine.clone();
    let mut rx = engine.subscribe();
    let req = NewSaleRequest::single_amount(
        Money::nok(amount),
        push(api),
        api,
        Some("Kaffe og bolle".into()),
    );
    let id = engine.start_payment(req).await.unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    let r = reqwest::Client::new()
        .post(format!(
            "{}/sim/v1/customer/{}/approve",
            t.sim.base_url(),
            w.reference
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "approve: {}", r.status());
    (id, w.reference)
}

/// Wait until the journal shows payment `id` in `state`.
pub async fn journal_state(store: &AsyncStore, id: i64, state: kasse::store::PayState) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let p = store.run(move |s| s.payment(id)).await.unwrap().unwrap();
        if p.state == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "payment {id} is {:?}",
            p.state
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A paid sale of `amount` øre through the engine (the simulated customer approves).
/// Returns the reference.
pub async fn paid_sale(t: &Till, amount: i64, api: ApiKind) -> String {
    let engine = t.run.engine.clone();
    let mut rx = engine.subscribe();
    let req = NewSaleRequest::single_amount(
        Money::nok(amount),
        push(api),
        api,
        Some("Kaffe og bolle".into()),
    );
    let id = engine.start_payment(req).await.unwrap();
    let w = wait_state(&mut rx, id, PaymentState::WaitingForCustomer).await;
    let r = reqwest::Client::new()
        .post(format!(
            "{}/sim/v1/customer/{}/approve",
            t.sim.base_url(),
            w.reference
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "approve: {}", r.status());
    let paid = wait_state(&mut rx, id, PaymentState::Paid).await;
    outbox_drained(&t.store).await;
    paid.reference
}

/// Wait until the outbox has no open rows.
pub async fn outbox_drained(store: &AsyncStore) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let open = store.run(|s| s.pending_count()).await.unwrap();
        if open == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "outbox still has {open} open rows"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Run screen commands as the shell does (`app::execute_with_progress`), feed every event —
/// progress and answer — back into `update`, and repeat for the follow-up commands. Returns
/// every event the screen saw.
pub async fn drive(
    engine: &kasse::engine::Engine,
    app: &mut kasse::tui::App,
    paper: Option<&kasse::app::Paper>,
    staff: &kasse::app::StaffAccess,
    cmds: Vec<kasse::tui::Command>,
) -> Vec<kasse::tui::AppEvent> {
    let http = reqwest::Client::new();
    let mut seen = Vec::new();
    let mut queue = cmds;
    while !queue.is_empty() {
        let cmd = queue.remove(0);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let last = kasse::app::execute_with_progress(
            engine,
            ApiKind::Epayment,
            None,
            &http,
            paper,
            staff,
            cmd,
            Some(&tx),
        )
        .await;
        drop(tx);
        let mut evs = Vec::new();
        while let Some(ev) = rx.recv().await {
            evs.push(ev);
        }
        evs.extend(last);
        for ev in evs {
            seen.push(ev.clone());
            queue.extend(kasse::tui::update(app, kasse::tui::Msg::App(ev)));
        }
    }
    seen
}
