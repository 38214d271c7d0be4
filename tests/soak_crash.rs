//! Crash soak: the real `kasse` binary takes payments against the simulator and is killed with
//! SIGKILL at random moments, then restarted (recovery runs on every start). At the end the
//! simulator's ledger is compared with the journal: nothing lost, nothing captured twice, no
//! authorization left hanging, every sale paid or clearly failed. Then the logs, the database
//! file and everything the processes printed are scanned for secrets.
//!
//! `KASSE_SOAK_REINSTALLS` times during the run the database is recreated (a new disk, a
//! reinstall: a fresh data directory on the same MSN, shop and till) while the old one still
//! holds whatever the last kill left unfinished; at the end every database is brought up to
//! date and the ledger is checked against all of them together: 0 lost, 0 double, 0 false
//! paid (no reference minted twice, nothing paid in a journal that the simulator did not
//! capture for it), 0 authorized left uncaptured.
//!
//! Short form (default): 10 kills, 1 reinstall. Long form: `KASSE_SOAK_KILLS=300
//! KASSE_SOAK_REINSTALLS=5 cargo test --release --test soak_crash -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::soak as soak_support;
use kasse::sim::SimConfig;
use rand::Rng;
use soak_support::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KASSE: &str = env!("CARGO_BIN_EXE_kasse");

fn write_config(dir: &Path, base_url: &str) -> std::path::PathBuf {
    let p = dir.join("config.toml");
    std::fs::write(
        &p,
        format!(
            "[vipps]\nenvironment = \"sim\"\nbase_url = \"{base_url}\"\napi = \"epayment\"\n\
             connect_timeout_ms = 1000\nread_timeout_ms = 5000\n\
             [shop]\nshop_id = \"s1\"\ntill_id = \"t1\"\nlanguage = \"en\"\n\
             [psp]\nmake_payment_listen = \"127.0.0.1:0\"\n"
        ),
    )
    .unwrap();
    p
}

fn kasse(config: &Path, data: &Path) -> Command {
    let mut c = Command::new(KASSE);
    for k in [
        "KASSE_CLIENT_ID",
        "KASSE_CLIENT_SECRET",
        "KASSE_SUBSCRIPTION_KEY",
        "KASSE_MSN",
        "KASSE_BASE_URL",
        "KASSE_MAKE_PAYMENT_TOKEN",
        "KASSE_KIOSK_PIN",
    ] {
        c.env_remove(k);
    }
    c.env("KASSE_LOG", "debug")
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Payments in the journal (read-only; 0 before the database exists).
fn payment_count(data: &Path) -> i64 {
    read_only(data)
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM payments", [], |r| r.get(0))
                .ok()
        })
        .unwrap_or(0)
}

/// The state of the newest payment in the journal.
fn newest_payment_state(data: &Path) -> Option<String> {
    read_only(data)?
        .query_row(
            "SELECT state FROM payments ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok()
}

fn read_only(data: &Path) -> Option<rusqlite::Connection> {
    let path = data.join(kasse::store::DB_FILE_NAME);
    if !path.exists() {
        return None;
    }
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .ok()?;
    c.busy_timeout(Duration::from_millis(500)).ok()?;
    Some(c)
}

/// Simulator latency on every Vipps call (`None` = faults off).
async fn set_latency(base: &str, ms: Option<[u64; 2]>) {
    let c = reqwest::Client::new();
    let r = match ms {
        Some(ms) => c
            .post(format!("{base}/sim/v1/faults"))
            .json(&serde_json::json!({ "latency_ms": ms }))
            .send()
            .await
            .unwrap(),
        None => c
            .delete(format!("{base}/sim/v1/faults"))
            .send()
            .await
            .unwrap(),
    };
    assert!(r.status().is_success(), "faults: {}", r.status());
}

fn pay(config: &Path, data: &Path, amount: &str) -> Command {
    let mut c = kasse(config, data);
    c.args(["pay", "--amount", amount, "--phone", "+47 912 34 567"]);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_and_leaks_no_secret() {
    let kills_wanted = env_usize("KASSE_SOAK_KILLS", 10);
    let reinstalls_wanted = env_usize("KASSE_SOAK_REINSTALLS", 1);
    let sim = start_sim(SimConfig {
        rate_limits: false,
        auto_approve_after: Some(Duration::from_millis(300)),
        tick_interval: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut data = dir.path().join("data-0");
    let mut data_dirs = Vec::new();
    let mut reinstalls = 0usize;
    let config = write_config(dir.path(), &sim.base_url());
    let mut captured: Vec<u8> = Vec::new();
    let mut rng = rand::rng();
    let (mut kills, mut runs, mut paid_runs) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    while kills < kills_wanted {
        runs += 1;
        let amount = format!(
            "{},{:02}",
            rng.random_range(1..500),
            rng.random_range(0..100)
        );
        let mut child = pay(&config, &data, &amount).spawn().unwrap();
        let kill_after = Duration::from_millis(rng.random_range(0..2500));
        let end = Instant::now() + kill_after;
        let mut exited = None;
        while Instant::now() < end {
            if let Some(st) = child.try_wait().unwrap() {
                exited = Some(st);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if exited.is_none() {
            // SIGKILL on Unix.
            child.kill().unwrap();
            kills += 1;
        }
        let out = child.wait_with_output().unwrap();
        if exited.is_some_and(|s| s.success()) {
            paid_runs += 1;
        }
        captured.extend_from_slice(&out.stdout);
        captured.extend_from_slice(&out.stderr);
        // Recreate the database at evenly spread kills: the old one is left as the kill left it.
        if reinstalls < reinstalls_wanted
            && kills >= (reinstalls + 1) * kills_wanted / (reinstalls_wanted + 1)
        {
            data_dirs.push(data.clone());
            reinstalls += 1;
            data = dir.path().join(format!("data-{reinstalls}"));
        }
    }
    // Restarts during push creation: every Vipps call now waits 300–600 ms at the simulator,
    // and each run is killed as soon as its payment is journaled (+ 0–250 ms), so the push
    // create is in flight (not yet arrived, or arrived and unanswered). The next run must
    // re-send the same create (same reference and key, the full phone number from the journal)
    // and the customer's approval must end paid — never "failed" while the window is open.
    let push_kills_wanted = env_usize("KASSE_SOAK_PUSH_KILLS", 3);
    let (mut push_kills, mut mid_create) = (0usize, 0usize);
    set_latency(&sim.base_url(), Some([300, 600])).await;
    let mut attempts = 0;
    while push_kills < push_kills_wanted && attempts < push_kills_wanted * 4 {
        attempts += 1;
        runs += 1;
        let before = payment_count(&data);
        let mut child = pay(&config, &data, "777,77").spawn().unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        let mut exited = false;
        while payment_count(&data) == before {
            if child.try_wait().unwrap().is_some() || Instant::now() > until {
                exited = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if !exited {
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..250))).await;
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                kills += 1;
                push_kills += 1;
                if newest_payment_state(&data).as_deref() == Some("creating") {
                    mid_create += 1;
                }
            }
        }
        let out = child.wait_with_output().unwrap();
        captured.extend_from_slice(&out.stdout);
        captured.extend_from_slice(&out.stderr);
    }
    set_latency(&sim.base_url(), None).await;
    assert!(
        mid_create > 0,
        "no kill landed while a push create was in flight ({push_kills} push kills)"
    );

    data_dirs.push(data.clone());
    // Restart until the journal has nothing unfinished: one more sale (recovery runs first),
    // then `kasse queue --drain` for the outbox.
    let last = pay(&config, &data, "10,00").output().unwrap();
    captured.extend_from_slice(&last.stdout);
    captured.extend_from_slice(&last.stderr);
    let last_out = String::from_utf8_lossy(&last.stdout).to_string();
    assert!(
        last.status.success(),
        "a sale after {kills} kills did not pay: {last_out}"
    );
    // Every database, the replaced ones too, settles: recovery on start, then the outbox.
    for d_dir in &data_dirs {
        let mut drained = false;
        for _ in 0..3 {
            let d = kasse(&config, d_dir)
                .args(["queue", "--drain", "--max-wait", "30"])
                .output()
                .unwrap();
            captured.extend_from_slice(&d.stdout);
            captured.extend_from_slice(&d.stderr);
            let unfinished = kasse::store::Store::open_in_dir(d_dir)
                .unwrap()
                .unfinished_payments()
                .unwrap()
                .len();
            if d.status.success() && unfinished == 0 {
                drained = true;
                break;
            }
        }
        assert!(
            drained,
            "{}: the outbox or the journal did not settle after 3 restarts",
            d_dir.display()
        );
    }

    let ledger = sim.ledger();
    let mut journal_all = Vec::new();
    let mut install_ids = std::collections::HashSet::new();
    for d_dir in &data_dirs {
        let s = kasse::store::Store::open_in_dir(d_dir).unwrap();
        assert!(
            install_ids.insert(s.install_id().unwrap()),
            "two databases share an install id"
        );
        journal_all.extend(journal(d_dir));
    }
    assert_eq!(install_ids.len(), reinstalls + 1);
    // 0 false paid: no reference was ever minted twice, so no sale can claim another's payment.
    let mut refs = std::collections::HashMap::new();
    for s in &journal_all {
        for p in &s.payments {
            *refs.entry(p.reference.clone()).or_insert(0usize) += 1;
        }
    }
    let twice: Vec<_> = refs.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "references minted twice: {twice:?}");
    let (bad, t) = check_invariants(&ledger, &journal_all);
    println!(
        "crash soak: {runs} runs, {kills} SIGKILLs ({mid_create} of {push_kills} during push \
         creation), {reinstalls} reinstalls, {paid_runs} runs paid before their kill, \
         {} sales ({} paid, {} failed clearly), {} payments at the simulator, \
         {:.2} NOK captured, {:.1} s",
        t.sales,
        t.paid,
        t.failed_clearly,
        t.sim_payments,
        t.captured_minor as f64 / 100.0,
        started.elapsed().as_secs_f64()
    );
    assert!(bad.is_empty(), "invariants broken:\n{}", bad.join("\n"));
    assert_eq!(t.paid + t.failed_clearly, t.sales);
    // Every sale killed during push creation was re-sent and approved: none failed.
    let push_failed: Vec<String> = journal_all
        .iter()
        .filter(|s| s.sale.gross_total == 77_777)
        .filter(|s| {
            !s.payments
                .iter()
                .any(|p| p.state == kasse::store::PayState::Captured)
        })
        .map(|s| {
            format!(
                "{}: {:?}",
                s.sale.receipt_number,
                s.payments
                    .iter()
                    .map(|p| (p.state.as_str(), p.reason.clone()))
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    assert!(
        push_failed.is_empty(),
        "sales killed during push creation did not end paid:\n{}",
        push_failed.join("\n")
    );
    // The full phone number is gone once a payment is final.
    let conn = rusqlite::Connection::open_with_flags(
        data.join(kasse::store::DB_FILE_NAME),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let kept: i64 = conn
        .query_row(
            "SELECT count(*) FROM payments WHERE customer_phone IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        kept, 0,
        "full phone numbers left after every payment is final"
    );
    assert!(t.paid > 0, "no sale was ever paid");

    // Secrets: logs, the database (and WAL), and all captured output.
    let secrets = secrets(&sim);
    assert!(secrets.len() >= 3, "the simulator issued no token?");
    let files: Vec<_> = data_dirs.iter().flat_map(|d| files_under(d)).collect();
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("kasse.log")),
        "no log file written: {files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with("kasse.sqlite3")),
        "no database: {files:?}"
    );
    let hits = scan_for_secrets(&secrets, &files, &[("process output", &captured)]);
    println!(
        "secrets scan: {} secrets ({} access tokens) over {} files and {} bytes of output: {} hits",
        secrets.len(),
        secrets.len() - 2,
        files.len(),
        captured.len(),
        hits.len()
    );
    assert!(
        hits.is_empty(),
        "secrets written down:\n{}",
        hits.join("\n")
    );
}
