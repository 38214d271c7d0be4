//! Headless `kasse pay` / `kasse queue` against the simulator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::bin::pin_install_with_demo as pin_install;
use common::e2e as e2e_support;
use e2e_support::*;
use kasse::cli::pay::{PayArgs, pay, queue_drain, queue_list};
use kasse::domain::money::Currency;
use kasse::engine::{ApiKind, EngineEvent, PaymentState};
use kasse::lang::Lang;

fn args(qr: bool, json: bool) -> PayArgs {
    PayArgs {
        amount: "49,90".into(),
        phone: (!qr).then(|| "+47 912 34 567".into()),
        qr,
        api: ApiKind::Epayment,
        description: Some("Kiosk".into()),
        json,
        currency: Currency::Nok,
        lang: Lang::En,
    }
}

/// Approve the first payment the engine publishes once it waits for the customer.
fn approver(
    sim_base: String,
    mut rx: tokio::sync::broadcast::Receiver<EngineEvent>,
    action: &'static str,
) {
    tokio::spawn(async move {
        while let Ok(ev) = rx.recv().await {
            if let EngineEvent::Payment(s) = ev
                && s.state == PaymentState::WaitingForCustomer
            {
                let r = reqwest::Client::new()
                    .post(format!(
                        "{sim_base}/sim/v1/customer/{}/{action}",
                        s.reference
                    ))
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                break;
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_prints_states_and_paid_result() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let run = simple(&sim, dir.path()).await;
    approver(sim.base_url(), run.engine.subscribe(), "approve");
    let mut out = Vec::new();
    let code = pay(&run.engine, &args(false, false), &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("waiting_for_customer"), "{text}");
    assert!(
        text.contains("open_left=5:00 approve_left=10:00"),
        "countdown shown: {text}"
    );
    let last = text.lines().last().unwrap();
    assert_eq!(
        last,
        "result: paid reference=kasse-s1-t1-00000001-000001-a1 amount=49.90"
    );
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_json_lines_and_qr() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let run = simple(&sim, dir.path()).await;
    approver(sim.base_url(), run.engine.subscribe(), "reject");
    let mut out = Vec::new();
    let code = pay(&run.engine, &args(true, true), &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 1, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let (last, json_lines) = lines.split_last().unwrap();
    assert!(
        last.starts_with("result: rejected reference=kasse-s1-t1-00000001-000001-a1 reason="),
        "{last}"
    );
    let states: Vec<String> = json_lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert!(v["time"].as_str().unwrap().ends_with('Z'));
            assert_eq!(v["reference"], "kasse-s1-t1-00000001-000001-a1");
            v["state"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(states.first().map(String::as_str), Some("creating"));
    assert!(
        states.contains(&"waiting_for_customer".to_owned()),
        "{states:?}"
    );
    assert_eq!(states.last().map(String::as_str), Some("rejected"));
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_qr_text_draws_the_code() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let run = simple(&sim, dir.path()).await;
    approver(sim.base_url(), run.engine.subscribe(), "approve");
    let mut out = Vec::new();
    let code = pay(&run.engine, &args(true, false), &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains('▀') || text.contains('▄'), "QR drawn: {text}");
    assert!(text.contains("QR: http"), "{text}");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_refuses_bad_input_with_field_name() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let run = simple(&sim, dir.path()).await;
    let mut a = args(false, false);
    a.amount = "49,9x".into();
    let err = pay(&run.engine, &a, &mut Vec::new()).await.unwrap_err();
    assert!(
        err.message().en.contains("--amount"),
        "{}",
        err.message().en
    );
    let mut a = args(false, false);
    a.phone = None;
    let err = pay(&run.engine, &a, &mut Vec::new()).await.unwrap_err();
    assert!(err.message().en.contains("--phone"), "{}", err.message().en);
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_lists_and_drains() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let run = simple(&sim, dir.path()).await;
    approver(sim.base_url(), run.engine.subscribe(), "approve");
    let code = pay(&run.engine, &args(false, false), &mut Vec::new())
        .await
        .unwrap();
    assert_eq!(code, 0);
    let mut out = Vec::new();
    let code = queue_drain(&run.engine, std::time::Duration::from_secs(5), &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("capture"), "{text}");
    assert!(text.contains("done"), "{text}");
    let mut out = Vec::new();
    queue_list(&run.engine_store(), &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("rows: 1 open: 0 dead: 0"), "{text}");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_abort_signal_cancels_the_payment() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    pin_install(dir.path());
    let run = simple(&sim, dir.path()).await;
    let mut rx = run.engine.subscribe();
    let abort = async move {
        while let Ok(ev) = rx.recv().await {
            if let EngineEvent::Payment(s) = ev
                && s.state == PaymentState::WaitingForCustomer
            {
                break;
            }
        }
    };
    let mut out = Vec::new();
    let code = kasse::cli::pay::pay_with_abort(&run.engine, &args(false, false), &mut out, abort)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("result: cancelled reference=kasse-s1-t1-00000001-000001-a1 reason="),
        "{text}"
    );
    let p = ledger_payment(&sim.ledger(), "kasse-s1-t1-00000001-000001-a1");
    assert_eq!(p.state, "TERMINATED");
    run.shutdown().await;
}
