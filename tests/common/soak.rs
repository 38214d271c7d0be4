//! Shared pieces of the reliability soaks: the in-process simulator, engine settings, a TCP
//! proxy that can take "the network" away, the journal read back, the money invariants
//! (simulator ledger vs journal) and the secrets scan.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kasse::api::ApiSettings;
use kasse::engine::EngineConfig;
use kasse::engine::build::ConnectSettings;
use kasse::engine::psp_server::PspServerConfig;
use kasse::sim::{Ledger, SimConfig, SimHandle};
use kasse::store::{AsyncStore, PayState, SaleQuery, SaleRecord, SaleStatus, Store};
use secrecy::SecretString;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

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
    s.retry.base_delay = Duration::from_millis(20);
    s.retry.max_delay = Duration::from_millis(200);
    s.retry.max_total = Duration::from_secs(5);
    s.timeouts.connect = Some(Duration::from_millis(500));
    s.timeouts.read = Some(Duration::from_secs(2));
    s
}

/// Fast engine timings (test polling, fast outbox back-off, 50 ms offline probe).
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
            token: SecretString::from("make-payment-token-for-soak"),
        }),
        category_image: None,
    }
}

pub fn open_store(dir: &Path) -> AsyncStore {
    AsyncStore::new(Store::open_in_dir(dir).unwrap()).unwrap()
}

/// Every sale in the journal with its lines and payments.
pub fn journal(dir: &Path) -> Vec<SaleRecord> {
    let s = Store::open_in_dir(dir).unwrap();
    journal_of(&s)
}

pub fn journal_of(s: &Store) -> Vec<SaleRecord> {
    let rows = s
        .find_sales(&SaleQuery {
            limit: Some(1_000_000),
            ..SaleQuery::default()
        })
        .unwrap();
    rows.into_iter()
        .map(|r| s.sale(r.id).unwrap().unwrap())
        .collect()
}

/// Counts of what the soak saw, for the report line.
#[derive(Debug, Default)]
pub struct Tally {
    pub sales: usize,
    pub payments: usize,
    pub paid: usize,
    pub failed_clearly: usize,
    pub sim_payments: usize,
    pub captured_minor: i64,
    /// PSP payments whose `updatestatus` CAPTURED report reached the simulator more than once
    /// (a retry after a dropped answer). The simulator adds each report to `captured`; the money
    /// itself moves at the acquirer, which the caller checks.
    pub psp_repeated_reports: usize,
}

/// Compare the simulator's ledger with the journal. Returns the violations (empty = all
/// invariants hold) and the tally.
///
/// - 0 lost: every payment with money captured at the simulator is `captured` in the journal
///   with the same amount; every journal `captured` payment is captured at the simulator.
/// - 0 double captures / refunds: at most one successful capture key per payment, captured ≤
///   amount, refunded ≤ captured.
/// - 0 authorized payments left uncaptured at the simulator.
/// - every sale paid, or failed clearly: terminal state, sale not open, a reason recorded.
pub fn check_invariants(ledger: &Ledger, journal: &[SaleRecord]) -> (Vec<String>, Tally) {
    let mut bad = Vec::new();
    let mut t = Tally {
        sales: journal.len(),
        sim_payments: ledger.payments.len(),
        ..Tally::default()
    };
    let mut by_ref: HashMap<&str, (&SaleRecord, &kasse::store::PaymentRow)> = HashMap::new();
    for s in journal {
        for p in &s.payments {
            by_ref.insert(p.reference.as_str(), (s, p));
            if let Some(id) = &p.psp_transaction_id {
                by_ref.insert(id.as_str(), (s, p));
            }
        }
    }
    for lp in &ledger.payments {
        let name = lp.reference.as_str();
        let capture_names = ["CAPTURED", "CAPTURE"];
        let capture_keys: HashSet<Option<&String>> = lp
            .operations
            .iter()
            .filter(|o| o.success && capture_names.contains(&o.name.as_str()))
            .map(|o| o.idempotency_key.as_ref())
            .collect();
        let refund_keys: HashSet<Option<&String>> = lp
            .operations
            .iter()
            .filter(|o| o.success && (o.name == "REFUNDED" || o.name == "REFUND"))
            .map(|o| o.idempotency_key.as_ref())
            .collect();
        if !psp_report_only(lp) && capture_keys.len() > 1 {
            bad.push(format!(
                "{name}: {} successful captures with different keys",
                capture_keys.len()
            ));
        }
        if refund_keys.len() > 1 {
            bad.push(format!(
                "{name}: {} successful refunds with different keys",
                refund_keys.len()
            ));
        }
        let psp = lp.api == kasse::sim::Api::Psp;
        if psp && lp.captured > lp.amount {
            t.psp_repeated_reports += 1;
        }
        if !psp && lp.captured > lp.amount {
            bad.push(format!(
                "{name}: captured {} > amount {}",
                lp.captured, lp.amount
            ));
        }
        if lp.refunded > lp.captured {
            bad.push(format!(
                "{name}: refunded {} > captured {}",
                lp.refunded, lp.captured
            ));
        }
        let reserved_left =
            lp.state == "AUTHORIZED" || lp.state == "RESERVE" || lp.state == "RESERVED";
        if reserved_left && lp.captured == 0 && lp.cancelled == 0 {
            bad.push(format!(
                "{name}: authorized at the simulator but never captured or released ({})",
                lp.state
            ));
        }
        let journal_side = by_ref.get(name).or_else(|| {
            lp.psp_transaction_id
                .as_deref()
                .and_then(|id| by_ref.get(id))
        });
        match journal_side {
            None => bad.push(format!(
                "{name}: at the simulator ({}, captured {}) but not in the journal",
                lp.state, lp.captured
            )),
            Some((_, p)) => {
                if lp.captured > 0 && p.state != PayState::Captured {
                    bad.push(format!(
                        "{name}: captured {} at the simulator but {} in the journal",
                        lp.captured, p.state
                    ));
                }
                if !psp && p.state == PayState::Captured && p.amounts.captured != lp.captured {
                    bad.push(format!(
                        "{name}: journal captured {} but simulator captured {}",
                        p.amounts.captured, lp.captured
                    ));
                }
            }
        }
        if !psp {
            t.captured_minor += lp.captured - lp.refunded;
        }
    }
    let sim_refs: HashSet<&str> = ledger
        .payments
        .iter()
        .flat_map(|p| std::iter::once(p.reference.as_str()).chain(p.psp_transaction_id.as_deref()))
        .collect();
    for s in journal {
        let paid = s.payments.iter().any(|p| p.state == PayState::Captured);
        for p in &s.payments {
            t.payments += 1;
            if !p.state.is_terminal() {
                bad.push(format!(
                    "{}: still {} in the journal after recovery",
                    p.reference, p.state
                ));
            }
            if p.state == PayState::Captured {
                let at_sim = sim_refs.contains(p.reference.as_str())
                    || p.psp_transaction_id
                        .as_deref()
                        .is_some_and(|id| sim_refs.contains(id));
                if !at_sim {
                    bad.push(format!(
                        "{}: captured in the journal but unknown to the simulator",
                        p.reference
                    ));
                }
            }
        }
        if paid {
            t.paid += 1;
            if s.sale.status != SaleStatus::Paid {
                bad.push(format!(
                    "sale {}: payment captured but sale {}",
                    s.sale.receipt_number, s.sale.status
                ));
            }
        } else {
            let clear = s.sale.status != SaleStatus::Open
                && s.payments.iter().all(|p| {
                    p.state.is_terminal() && p.reason.as_deref().is_some_and(|r| !r.is_empty())
                });
            if clear {
                t.failed_clearly += 1;
            } else {
                bad.push(format!(
                    "sale {}: neither paid nor clearly failed (sale {}, payments {:?})",
                    s.sale.receipt_number,
                    s.sale.status,
                    s.payments
                        .iter()
                        .map(|p| (p.state.as_str(), p.reason.clone()))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    (bad, t)
}

fn psp_report_only(lp: &kasse::sim::LedgerPayment) -> bool {
    lp.api == kasse::sim::Api::Psp
}

/// PSP money moves at the acquirer: every journal-captured PSP payment must be captured there
/// exactly once, for its amount.
pub fn check_acquirer(
    acquirer: &kasse::engine::acquirer::SimulatedAcquirer,
    journal: &[SaleRecord],
) -> Vec<String> {
    let mut bad = Vec::new();
    for s in journal {
        for p in &s.payments {
            if p.api != kasse::store::Api::Psp {
                continue;
            }
            let Some(id) = &p.psp_transaction_id else {
                continue;
            };
            let at_acquirer = acquirer.captured(id).unwrap_or(0);
            if p.state == PayState::Captured && at_acquirer != p.amounts.captured {
                bad.push(format!(
                    "{}: journal captured {} but the acquirer captured {at_acquirer}",
                    p.reference, p.amounts.captured
                ));
            }
            if at_acquirer > p.amount {
                bad.push(format!(
                    "{}: acquirer captured {at_acquirer} > amount {}",
                    p.reference, p.amount
                ));
            }
            if p.state != PayState::Captured && at_acquirer > 0 {
                bad.push(format!(
                    "{}: acquirer captured {at_acquirer} but the journal says {}",
                    p.reference, p.state
                ));
            }
        }
    }
    bad
}

/// The secrets the soak must never find written down.
pub fn secrets(sim: &SimHandle) -> Vec<String> {
    let mut s = vec![
        kasse::sim::DEFAULT_CLIENT_SECRET.to_owned(),
        kasse::sim::DEFAULT_SUBSCRIPTION_KEY.to_owned(),
    ];
    s.extend(sim.state().lock().tokens.keys().cloned());
    s
}

/// Every file under `dir` (recursively).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Scan files (raw bytes: logs, SQLite database, WAL) and captured output for any secret.
/// Returns `(what, where)` for every hit.
pub fn scan_for_secrets(
    secrets: &[String],
    files: &[PathBuf],
    captured: &[(&str, &[u8])],
) -> Vec<String> {
    let mut hits = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).unwrap_or_default();
        for s in secrets {
            if contains(&bytes, s.as_bytes()) {
                hits.push(format!("{} found in {}", redact(s), f.display()));
            }
        }
    }
    for (name, bytes) in captured {
        for s in secrets {
            if contains(bytes, s.as_bytes()) {
                hits.push(format!("{} found in {name}", redact(s)));
            }
        }
    }
    hits
}

fn redact(s: &str) -> String {
    format!(
        "secret of {} chars starting {:?}",
        s.len(),
        &s[..s.len().min(4)]
    )
}

/// A TCP proxy in front of the simulator: `down()` refuses new connections and cuts the open
/// ones (the network is gone), `up()` serves again on the same port.
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    target: std::net::SocketAddr,
    online: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
    cut: Arc<tokio::sync::Notify>,
}

impl Proxy {
    pub async fn start(target: std::net::SocketAddr) -> Proxy {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let mut p = Proxy {
            addr,
            target,
            online: Arc::new(AtomicBool::new(true)),
            task: None,
            cut: Arc::new(tokio::sync::Notify::new()),
        };
        p.serve(l);
        p
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn serve(&mut self, l: tokio::net::TcpListener) {
        let target = self.target;
        let online = self.online.clone();
        let cut = self.cut.clone();
        self.task = Some(tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = l.accept().await else {
                    return;
                };
                if !online.load(Ordering::SeqCst) {
                    continue;
                }
                let cut = cut.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        }));
    }

    /// The network goes away: the port refuses connections, open ones are cut.
    pub fn down(&mut self) {
        self.online.store(false, Ordering::SeqCst);
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.cut.notify_waiters();
    }

    /// The network comes back on the same address.
    pub async fn up(&mut self) {
        self.online.store(true, Ordering::SeqCst);
        let mut tries = 0;
        let l = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) => {
                    tries += 1;
                    assert!(tries < 100, "cannot rebind {}: {e}", self.addr);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        self.serve(l);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
