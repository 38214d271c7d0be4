//! `kasse doctor` against the simulator: every check passes with the default MSN, and a sales
//! unit without push (error 5080) is reported with what to do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::cli::doctor::doctor;
use kasse::clock::{SeqIds, SystemClock};
use kasse::config::Config;
use kasse::lang::Lang;
use std::sync::Arc;

fn config(base: &str) -> Config {
    let toml = format!(
        "[vipps]\nenvironment = \"test\"\nbase_url = \"{base}\"\nmsn = \"123456\"\n\
         client_id = \"kasse-sim-client\"\nclient_secret = \"kasse-sim-secret\"\n\
         subscription_key = \"kasse-sim-subscription-key\"\n"
    );
    Config::from_toml_str(&toml, &|_| None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_all_ok_against_sim() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let code = doctor(
        &config(&sim.base_url()),
        dir.path(),
        Arc::new(SystemClock),
        Arc::new(SeqIds::default()),
        "4791234567",
        Lang::En,
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("[ok  ] database"), "{text}");
    assert!(text.contains("journal_mode=wal"), "{text}");
    assert!(text.contains("[ok  ] token"), "{text}");
    assert!(text.contains("[ok  ] push"), "{text}");
    assert!(text.ends_with("result: ok\n"), "{text}");
    // The test payment was cancelled: nothing was captured.
    let l = sim.ledger();
    assert_eq!(l.payments.len(), 1);
    assert_eq!(l.payments[0].captured, 0);
    assert_eq!(l.payments[0].state, "TERMINATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_push_not_enabled() {
    let mut cfg = sim_config();
    cfg.no_push_msns = vec![kasse::sim::DEFAULT_MSN.into()];
    let sim = start_sim(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let code = doctor(
        &config(&sim.base_url()),
        dir.path(),
        Arc::new(SystemClock),
        Arc::new(SeqIds::default()),
        "4791234567",
        Lang::En,
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("5080"), "{text}");
    assert!(text.contains("--qr"), "{text}");
}

fn ecom_config(base: &str) -> Config {
    let toml = format!(
        "[vipps]\nenvironment = \"test\"\nbase_url = \"{base}\"\nmsn = \"123456\"\napi = \"ecom\"\n\
         client_id = \"kasse-sim-client\"\nclient_secret = \"kasse-sim-secret\"\n\
         subscription_key = \"kasse-sim-subscription-key\"\n"
    );
    Config::from_toml_str(&toml, &|_| None).unwrap()
}

async fn run_doctor(cfg: &Config) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let code = doctor(
        cfg,
        dir.path(),
        Arc::new(SystemClock),
        Arc::new(SeqIds::default()),
        "4791234567",
        Lang::En,
        &mut out,
    )
    .await
    .unwrap();
    (code, String::from_utf8(out).unwrap())
}

/// With `api = "ecom"` the push check is eCom's own: a `skipLandingPage` initiate to the
/// 8-digit number, then a cancel; a sales unit that may not skip the landing page is error 38.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_ecom_push() {
    let sim = start_sim(sim_config()).await;
    let (code, text) = run_doctor(&ecom_config(&sim.base_url())).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("[ok  ] push"), "{text}");
    assert!(text.contains("eCom skipLandingPage accepted"), "{text}");
    let l = sim.ledger();
    assert_eq!(l.payments.len(), 1);
    assert_eq!(l.payments[0].captured, 0);

    let mut cfg = sim_config();
    cfg.no_push_msns = vec![kasse::sim::DEFAULT_MSN.into()];
    let sim = start_sim(cfg).await;
    let (code, text) = run_doctor(&ecom_config(&sim.base_url())).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("error 38"), "{text}");
    assert!(text.contains("--qr"), "{text}");
}

/// A sales unit in another currency than `shop.currency` (5040) is named with what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_a_currency_mismatch() {
    let mut cfg = sim_config();
    cfg.currency = "DKK".into();
    let sim = start_sim(cfg).await;
    let (code, text) = run_doctor(&config(&sim.base_url())).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("5040"), "{text}");
    assert!(text.contains("shop.currency"), "{text}");
    assert!(text.contains("123456"), "{text}");
}

/// One language per screen: in Norwegian every check and the result are Norwegian.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_in_norwegian_has_no_english_words() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let code = doctor(
        &config(&sim.base_url()),
        dir.path(),
        Arc::new(SystemClock),
        Arc::new(SeqIds::default()),
        "4791234567",
        Lang::Nb,
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("[ok  ] oppsett: komplett"), "{text}");
    assert!(
        text.contains("[ok  ] tilgang: tilgangstoken mottatt"),
        "{text}"
    );
    assert!(text.contains("PUSH_MESSAGE godtatt"), "{text}");
    assert!(text.ends_with("resultat: ok\n"), "{text}");
    for english in [
        "\nresult:",
        "complete",
        "received",
        "environment",
        "shop ",
        "till ",
        "open,",
        "local ",
        "accepted",
        "created",
        "cancelled",
    ] {
        assert!(!text.contains(english), "{english:?} in:\n{text}");
    }
}
