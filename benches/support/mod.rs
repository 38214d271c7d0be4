//! Shared pieces of the plain-main benchmarks: the in-process simulator, engine settings,
//! a read-counting provider wrapper and percentile maths.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kasse::api::ApiSettings;
use kasse::engine::acquirer::BoxFuture;
use kasse::engine::build::ConnectSettings;
use kasse::engine::provider::{
    CreateSpec, Created, ModificationResult, Provider, ProviderError, ReadResult,
};
use kasse::engine::psp_server::PspServerConfig;
use kasse::engine::{ApiKind, EngineConfig};
use kasse::sim::{SimConfig, SimHandle};
use kasse::store::{AsyncStore, Store};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub async fn start_sim(cfg: SimConfig) -> SimHandle {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    kasse::sim::serve(l, cfg).await.unwrap()
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
    s
}

/// Production engine settings (default poll policy, outbox back-off, probe) on the sim.
pub fn settings(base_url: &str, till: &str) -> ConnectSettings {
    ConnectSettings {
        api: api_settings(base_url),
        engine: EngineConfig::new("s1", till, kasse::sim::DEFAULT_MSN),
        ecom_callback_prefix: "https://kasse.example/vipps".into(),
        ecom_fallback_url: "https://kasse.example/fallback".into(),
        psp_redirect_url: "https://kasse.example/psp-return".into(),
        psp_server: Some(PspServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            public_url: None,
            token: SecretString::from("make-payment-token-for-benches"),
        }),
        category_image: None,
    }
}

pub fn open_store(dir: &std::path::Path) -> AsyncStore {
    AsyncStore::new(Store::open_in_dir(dir).unwrap()).unwrap()
}

/// Counts `read` calls (GET of the payment) per payment id, with their instants.
pub struct CountingReads {
    pub inner: Arc<dyn Provider>,
    pub reads: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
}

impl Provider for CountingReads {
    fn kind(&self) -> ApiKind {
        self.inner.kind()
    }
    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        self.inner.create(spec)
    }
    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        if let Ok(mut m) = self.reads.lock() {
            m.entry(id.to_owned()).or_default().push(Instant::now());
        }
        self.inner.read(id)
    }
    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: kasse::domain::money::Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.inner.capture(id, amount, key)
    }
    fn cancel<'a>(
        &'a self,
        id: &'a str,
        amount: kasse::domain::money::Money,
        transaction_only: bool,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.inner.cancel(id, amount, transaction_only, key)
    }
    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: kasse::domain::money::Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        self.inner.refund(id, amount, key)
    }
}

/// Nearest-rank percentile of sorted samples (`p` in 0..=100).
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn verdict(ok: bool) -> &'static str {
    if ok { "MEETS" } else { "MISSES" }
}

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Print the machine note every bench starts with.
pub fn machine_note(name: &str) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "optimised"
    };
    println!("== {name} ({profile} build, {cores} cores, load avg {load})");
}
