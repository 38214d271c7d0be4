#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `app::execute` runs `Command::VerifyManagerPin` against a real staff journal (temp dir,
//! cheap PIN hashing): a manager's PIN is accepted and journaled, a wrong PIN and a cashier's
//! PIN are refused with the reason, and a journal that could not be opened says so.

mod common;
use common::staff as staff_support;
use kasse::app::{StaffAccess, execute};
use kasse::domain::staff::Role;
use kasse::engine::ApiKind;
use kasse::lang::Text;
use kasse::tui::{AppEvent, Command, ManagerPermission, ManagerPin};
use staff_support::{CASHIER_PIN, MANAGER_PIN, till};
use time::OffsetDateTime;

async fn check(
    t: &staff_support::Till,
    staff: &StaffAccess,
    request_id: u64,
    pin: &str,
    permission: ManagerPermission,
) -> AppEvent {
    let http = reqwest::Client::new();
    execute(
        &t.run.engine,
        ApiKind::Epayment,
        None,
        &http,
        None,
        staff,
        Command::VerifyManagerPin {
            request_id,
            pin: ManagerPin::new(pin),
            permission,
        },
    )
    .await
    .expect("VerifyManagerPin always answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_pin_ok_wrong_pin_and_cashier_are_answered_and_journaled() {
    let t = till().await;
    let t0 = OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let boss =
        t.db.create_first_manager("Mona", MANAGER_PIN, t0)
            .await
            .unwrap();
    t.db.create_staff(&boss, "Kari", CASHIER_PIN, Role::Cashier, t0)
        .await
        .unwrap();
    let staff: StaffAccess = Ok(t.db.clone());

    // The manager's PIN: ok, and the decision is journaled with who and what.
    let ev = check(&t, &staff, 1, MANAGER_PIN, ManagerPermission::PriceOverride).await;
    assert_eq!(
        ev,
        AppEvent::ManagerPin {
            request_id: 1,
            ok: true,
            reason: None
        }
    );

    // A wrong PIN: refused with the staff module's reason.
    let ev = check(&t, &staff, 2, "9999", ManagerPermission::LeaveKiosk).await;
    match ev {
        AppEvent::ManagerPin {
            request_id: 2,
            ok: false,
            reason: Some(r),
        } => {
            assert!(r.en.contains("wrong PIN"), "{}", r.en);
            assert!(r.nb.contains("feil PIN"), "{}", r.nb);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A cashier's PIN: logged in, but not a manager.
    let ev = check(
        &t,
        &staff,
        3,
        CASHIER_PIN,
        ManagerPermission::VoidAfterAuthorization,
    )
    .await;
    match ev {
        AppEvent::ManagerPin {
            request_id: 3,
            ok: false,
            reason: Some(r),
        } => assert!(r.en.contains("needs a manager"), "{}", r.en),
        other => panic!("expected a refusal, got {other:?}"),
    }

    let actions =
        t.db.actions_between(t0, OffsetDateTime::now_utc() + time::Duration::seconds(1))
            .await
            .unwrap();
    let allowed: Vec<_> = actions
        .iter()
        .filter(|a| a.action == "price_override")
        .collect();
    assert_eq!(allowed.len(), 1);
    assert!(allowed[0].allowed);
    assert_eq!(allowed[0].staff_id.as_deref(), Some(boss.staff_id()));
    assert!(actions.iter().any(|a| a.action == "login_failed"));
    let void = actions
        .iter()
        .find(|a| a.action == "void_after_authorization")
        .expect("refused void journaled");
    assert!(!void.allowed);
    // The PIN is never journaled.
    for a in &actions {
        let row = format!("{a:?}");
        assert!(
            !row.contains(MANAGER_PIN) && !row.contains(CASHIER_PIN),
            "{row}"
        );
    }
    t.run.shutdown().await;
    let _ = t.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_could_not_be_opened_refuses_with_the_reason() {
    let t = till().await;
    let staff: StaffAccess = Err(Text::new(
        "Kan ikke sjekke leder-PIN: databasen mangler",
        "Cannot check the manager PIN: the database is missing",
    ));
    let ev = check(&t, &staff, 9, MANAGER_PIN, ManagerPermission::LeaveKiosk).await;
    match ev {
        AppEvent::ManagerPin {
            request_id: 9,
            ok: false,
            reason: Some(r),
        } => assert!(r.en.contains("Cannot check the manager PIN")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    t.run.shutdown().await;
    let _ = t.sim.shutdown().await;
}
