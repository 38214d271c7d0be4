//! Shared harness for the engine end-to-end tests: an in-process simulator, a temp-dir
//! journal, a fast engine, helpers to act as the customer and to read the sim ledger.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kasse::api::ApiSettings;
use kasse::clock::{Clock, SystemClock};
use kasse::domain::money::Money;
use kasse::engine::acquirer::SimulatedAcquirer;
use kasse::engine::build::{ConnectSettings, Running, connect_with};
use kasse::engine::psp_server::PspServerConfig;
use kasse::engine::{
    ApiKind, Backends, EngineConfig, EngineEvent, NewSaleRequest, PayMethod, PaymentSnapshot,
    PaymentState,
};
use kasse::sim::{Ledger, LedgerPayment, SimConfig, SimHandle};
use kasse::store::{AsyncStore, Store};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

pub const WAIT: Duration = Duration::from_secs(20);

pub async fn start_sim(cfg: SimConfig) -> SimHandle {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    kasse::sim::serve(l, cfg).await.unwrap()
}

pub fn sim_config() -> SimConfig {
    SimConfig {
        tick_interval: Duration::from_millis(20),
        make_payment_timeout: Duration::from_secs(5),
        ..SimConfig::default()
    }
}

pub fn api_settings(base_url: &str) -> ApiSettings {
    let mut s = ApiSettings::new(
        base_url,
        kasse::sim::DEFAULT_MSN,
        kasse::sim::DEFAULT_CLIENT_ID,
        SecretString::from(kasse::sim::DEFAULT_CLIENT_SECRET),
        SecretString::from(kasse::sim::DEFAULT_SUBSCRIPTION_KEY),
    );
    s.psp_id = Some("6d0c1d1e-5c2b-4b0e-9d55-1d2f0a9b8c7d".into());
    s.retry.max_attempts = 2;
    s.retry.base_delay = Duration::from_millis(10);
    s.retry.max_delay = Duration::from_millis(50);
    s.retry.max_total = Duration::from_secs(2);
    s.timeouts.connect = Some(Duration::from_millis(500));
    s.timeouts.read = Some(Duration::from_secs(3));
    s
}

pub fn settings(base_url: &str) -> ConnectSettings {
    ConnectSettings {
        api: api_settings(base_url),
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

pub async fn open_store(dir: &std::path::Path) -> AsyncStore {
    AsyncStore::new(Store::open_in_dir(dir).unwrap()).unwrap()
}

pub async fn run_engine(
    settings: ConnectSettings,
    store: AsyncStore,
    clock: Arc<dyn Clock>,
    wrap: impl FnOnce(Backends) -> Backends,
) -> Running {
    connect_with(
        settings,
        store,
        clock,
        Arc::new(SimulatedAcquirer::new()),
        wrap,
    )
    .await
    .unwrap()
}

pub async fn simple(sim: &SimHandle, dir: &std::path::Path) -> Running {
    let store = open_store(dir).await;
    run_engine(
        settings(&sim.base_url()),
        store,
        Arc::new(SystemClock),
        |b| b,
    )
    .await
}

pub fn sale(amount: i64, api: ApiKind, method: PayMethod) -> NewSaleRequest {
    NewSaleRequest::single_amount(
        Money::nok(amount),
        method,
        api,
        Some("Kaffe og bolle".into()),
    )
}

pub fn push(api: ApiKind) -> PayMethod {
    let phone = match api {
        ApiKind::Epayment => "4791234567",
        _ => "91234567",
    };
    PayMethod::Push {
        customer: kasse::engine::provider::CustomerId::Phone(phone.into()),
    }
}

/// Wait for a snapshot of `id` matching `pred`; panics with the states seen on timeout.
pub async fn wait_for(
    rx: &mut broadcast::Receiver<EngineEvent>,
    id: i64,
    pred: impl Fn(&PaymentSnapshot) -> bool,
) -> PaymentSnapshot {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Ok(EngineEvent::Payment(s))) if s.id == id => {
                seen.push(s.state.code());
                if pred(&s) {
                    return s;
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event channel: {e}; states seen {seen:?}"),
            Err(_) => panic!("timed out; states seen for payment {id}: {seen:?}"),
        }
    }
}

pub async fn wait_state(
    rx: &mut broadcast::Receiver<EngineEvent>,
    id: i64,
    state: PaymentState,
) -> PaymentSnapshot {
    wait_for(rx, id, |s| s.state == state).await
}

pub async fn customer(sim: &SimHandle, reference: &str, action: &str) {
    let r = reqwest::Client::new()
        .post(format!(
            "{}/sim/v1/customer/{reference}/{action}",
            sim.base_url()
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "customer {action}: {}", r.status());
}

pub async fn advance_sim(sim_base: &str, seconds: u64) {
    let r = reqwest::Client::new()
        .post(format!("{sim_base}/sim/v1/clock/advance"))
        .json(&serde_json::json!({ "seconds": seconds }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "clock advance: {}", r.status());
}

pub async fn set_faults(sim_base: &str, faults: serde_json::Value) {
    let c = reqwest::Client::new();
    let r = if faults.is_null() {
        c.delete(format!("{sim_base}/sim/v1/faults"))
            .send()
            .await
            .unwrap()
    } else {
        c.post(format!("{sim_base}/sim/v1/faults"))
            .json(&faults)
            .send()
            .await
            .unwrap()
    };
    assert!(r.status().is_success(), "faults: {}", r.status());
}

pub fn ledger_payment(ledger: &Ledger, reference: &str) -> LedgerPayment {
    let found: Vec<&LedgerPayment> = ledger
        .payments
        .iter()
        .filter(|p| p.reference == reference)
        .collect();
    assert_eq!(found.len(), 1, "exactly one payment {reference} at the sim");
    found[0].clone()
}

pub fn ops(p: &LedgerPayment, name: &str) -> usize {
    p.operations
        .iter()
        .filter(|o| o.name == name && o.success)
        .count()
}

/// Journal entries of a payment (kind, outcome) for assertions.
pub async fn journal(store: &AsyncStore, payment_id: i64) -> Vec<(String, String)> {
    store
        .run(move |s| s.operations_for_payment(payment_id))
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.op.kind, o.op.outcome.as_str().to_owned()))
        .collect()
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

// ---------------------------------------------------------------------------------------------
// Fault wrappers: act once around one call, deterministically.
// ---------------------------------------------------------------------------------------------

use kasse::engine::acquirer::BoxFuture;
use kasse::engine::provider::{
    CreateSpec, Created, ModificationResult, Provider, ProviderError, ReadResult, ReceiptSender,
    ReceiptSpec,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A provider that passes every call to `inner()` except the ones a test changes: implement
/// [`Around`] (only `inner` is required) and wrap the value in [`Wrap`] to get a `Provider`.
/// One pass-through for every fault-injecting test provider.
pub trait Around: Send + Sync + 'static {
    fn inner(&self) -> &dyn Provider;
    fn kind(&self) -> ApiKind {
        self.inner().kind()
    }
    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        self.inner().create(spec)
    }
    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        self.inner().read(id)
    }
    /// Like `Provider::identify`'s default: this provider's own `read`.
    fn identify<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        self.read(id)
    }
    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.inner().capture(id, amount, key)
    }
    fn cancel<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        transaction_only: bool,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.inner().cancel(id, amount, transaction_only, key)
    }
    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.inner().refund(id, amount, key)
    }
}

/// An [`Around`] as a `Provider` (derefs to the wrapped value, for its counters).
pub struct Wrap<T>(pub T);

impl<T> std::ops::Deref for Wrap<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Around> Provider for Wrap<T> {
    fn kind(&self) -> ApiKind {
        self.0.kind()
    }
    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        self.0.create(spec)
    }
    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        self.0.read(id)
    }
    fn identify<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        self.0.identify(id)
    }
    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.0.capture(id, amount, key)
    }
    fn cancel<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        transaction_only: bool,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.0.cancel(id, amount, transaction_only, key)
    }
    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.0.refund(id, amount, key)
    }
}

/// Which call a [`FaultOnce`] wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Capture,
    Refund,
}

/// Around the first `op` call: switch the sim faults on, make the real call, switch them off.
pub struct FaultOnce {
    pub inner: Arc<dyn Provider>,
    pub sim_base: String,
    pub op: Op,
    pub faults: serde_json::Value,
    pub fired: AtomicBool,
}

impl FaultOnce {
    pub fn wrap(
        inner: Arc<dyn Provider>,
        sim_base: &str,
        op: Op,
        faults: serde_json::Value,
    ) -> Arc<dyn Provider> {
        Arc::new(Wrap(FaultOnce {
            inner,
            sim_base: sim_base.to_owned(),
            op,
            faults,
            fired: AtomicBool::new(false),
        }))
    }

    async fn around<T>(
        &self,
        op: Op,
        f: impl std::future::Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        if op == self.op && !self.fired.swap(true, Ordering::SeqCst) {
            set_faults(&self.sim_base, self.faults.clone()).await;
            let r = f.await;
            set_faults(&self.sim_base, serde_json::Value::Null).await;
            r
        } else {
            f.await
        }
    }
}

impl Around for FaultOnce {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(self.around(Op::Create, self.inner.create(spec)))
    }
    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(self.around(Op::Capture, self.inner.capture(id, amount, key)))
    }
    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(self.around(Op::Refund, self.inner.refund(id, amount, key)))
    }
}

/// A provider whose capture (or create) never answers: the process "stops" between
/// authorization and capture (the outbox row stays in flight), or before the create went out.
pub struct HangCapture {
    pub inner: Arc<dyn Provider>,
    pub calls: AtomicUsize,
}

pub struct HangCreate {
    pub inner: Arc<dyn Provider>,
}

impl Around for HangCreate {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn create<'a>(
        &'a self,
        _spec: &'a CreateSpec,
    ) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(std::future::pending())
    }
}

impl Around for HangCapture {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn capture<'a>(
        &'a self,
        _id: &'a str,
        _amount: Money,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::pending())
    }
}

/// Receipts wrapper: before the first send, run `before` (e.g. cut the network).
pub struct BeforeFirstReceipt {
    pub inner: Arc<dyn ReceiptSender>,
    pub before: Box<dyn Fn() + Send + Sync>,
    pub fired: AtomicBool,
}

impl ReceiptSender for BeforeFirstReceipt {
    fn send_receipt<'a>(
        &'a self,
        api: ApiKind,
        reference: &'a str,
        currency: kasse::domain::money::Currency,
        receipt: &'a ReceiptSpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        if !self.fired.swap(true, Ordering::SeqCst) {
            (self.before)();
        }
        self.inner.send_receipt(api, reference, currency, receipt)
    }
    fn send_category<'a>(
        &'a self,
        reference: &'a str,
        category: &'a kasse::engine::provider::CategorySpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        self.inner.send_category(reference, category)
    }
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy in front of the sim that can be switched off (connection refused) and on.
// ---------------------------------------------------------------------------------------------

pub struct Proxy {
    pub addr: std::net::SocketAddr,
    target: std::net::SocketAddr,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Proxy {
    pub async fn start(target: std::net::SocketAddr) -> Arc<Proxy> {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let p = Arc::new(Proxy {
            addr,
            target,
            task: std::sync::Mutex::new(None),
        });
        p.serve(l);
        p
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(&self, l: tokio::net::TcpListener) {
        let target = self.target;
        let t = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = l.accept().await else {
                    break;
                };
                conns.spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
            }
        });
        *self.task.lock().unwrap() = Some(t);
    }

    /// Network down: close the listener and every open connection.
    pub fn down(&self) {
        if let Some(t) = self.task.lock().unwrap().take() {
            t.abort();
        }
    }

    /// Network back on the same address.
    pub async fn up(&self) {
        let mut tries = 0;
        let l = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) => {
                    tries += 1;
                    assert!(tries < 100, "cannot rebind proxy: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        self.serve(l);
    }
}

/// Reads answer "throttled" while paused (the engine cannot see the customer's approval yet).
pub struct PausableReads {
    pub inner: Arc<dyn Provider>,
    pub paused: Arc<AtomicBool>,
}

impl Around for PausableReads {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        if self.paused.load(Ordering::SeqCst) {
            Box::pin(async {
                Err(ProviderError::new(
                    kasse::engine::provider::ErrorClass::Throttled,
                    kasse::lang::Text::new("pause", "pause"),
                    "reads paused by the test",
                ))
            })
        } else {
            self.inner.read(id)
        }
    }
}

/// Queue a refund of a captured ePayment/eCom payment the way staff refunds do it (the key is
/// derived from the reference, written with the row before any call) and kick the worker.
/// Returns the outbox row id.
pub async fn queue_refund(run: &Running, payment_id: i64, amount: Money) -> i64 {
    use kasse::engine::outbox_payload::Payload;
    use kasse::store::{Api, NewOutbox, OutboxKind};
    let now = time::OffsetDateTime::now_utc();
    let id = run
        .engine_store()
        .run(move |s| {
            let p = s.payment(payment_id)?.expect("payment row");
            let api = match p.api {
                Api::Epayment => ApiKind::Epayment,
                Api::Ecom => ApiKind::Ecom,
                Api::Psp => ApiKind::Psp,
            };
            let key = kasse::domain::refund::refund_key(&p.reference, api, 1).expect("refund key");
            let payload = Payload::Refund {
                api,
                id: p.reference.clone(),
                amount: amount.minor(),
                currency: amount.currency().code().to_owned(),
            };
            s.enqueue(
                &NewOutbox {
                    kind: OutboxKind::Refund,
                    payment_id: Some(payment_id),
                    reference: Some(p.reference.clone()),
                    idempotency_key: key,
                    payload_json: payload.to_json(),
                },
                now,
            )
        })
        .await
        .unwrap();
    run.engine.kick_worker();
    id
}
