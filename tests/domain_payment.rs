#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every transition of the payment state machine, named by behaviour.

use kasse::domain::payment::{
    CancelOrigin, Effect, Event, Payment, Phase, PollPolicy, ProviderStatus,
};
use kasse::lang::Text;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AMOUNT: i64 = 4990;

fn t0() -> OffsetDateTime {
    datetime!(2026-11-21 12:00:00 UTC)
}
fn at(secs: i64) -> OffsetDateTime {
    t0() + Duration::seconds(secs)
}
fn reason() -> Text {
    Text::new("grunn", "reason")
}
fn created(opened: Option<OffsetDateTime>) -> Event {
    Event::Read(ProviderStatus::Created { opened })
}
fn authorized(captured: i64) -> Event {
    Event::Read(ProviderStatus::Authorized {
        authorized: AMOUNT,
        captured,
        refunded: 0,
        cancelled: 0,
    })
}
fn read_at(effects: &[Effect]) -> OffsetDateTime {
    match effects {
        [Effect::ReadStatus { at }] => *at,
        other => panic!("expected one ReadStatus, got {other:?}"),
    }
}

/// A payment created at t0 (create answered at t0).
fn waiting() -> Payment {
    let mut p = Payment::new(AMOUNT, t0());
    p.handle(t0(), Event::Created { at: t0() });
    p
}

/// A payment the cashier aborted at t0+10s (cancel sent).
fn cancelling() -> Payment {
    let mut p = waiting();
    let e = p.handle(at(10), Event::CancelRequested);
    assert_eq!(
        e,
        vec![Effect::Cancel {
            transaction_only: true
        }]
    );
    p
}

#[test]
fn new_payment_is_creating_and_not_terminal() {
    let p = Payment::new(AMOUNT, t0());
    assert_eq!(p.code(), "creating");
    assert!(!p.is_terminal());
    assert!(!p.needs_attention());
    assert_eq!(p.amount(), AMOUNT);
}

#[test]
fn created_schedules_first_read_one_second_later() {
    let mut p = Payment::new(AMOUNT, t0());
    let e = p.handle(at(0), Event::Created { at: t0() });
    assert_eq!(p.code(), "waiting_for_customer");
    assert_eq!(read_at(&e), at(1));
    assert_eq!(p.next_read(), Some(at(1)));
}

#[test]
fn created_answer_processed_late_reads_no_earlier_than_now() {
    let mut p = Payment::new(AMOUNT, t0());
    let e = p.handle(at(3), Event::Created { at: t0() });
    assert_eq!(read_at(&e), at(3));
}

#[test]
fn definite_create_failure_fails_with_the_reason() {
    let mut p = Payment::new(AMOUNT, t0());
    let e = p.handle(
        at(1),
        Event::CreateFailed {
            definite: true,
            reason: reason(),
            retry_after: None,
        },
    );
    assert!(e.is_empty());
    assert_eq!(p.phase(), &Phase::Failed { reason: reason() });
    assert!(p.is_terminal());
    assert_eq!(p.reason(), Some(reason()));
}

#[test]
fn uncertain_create_reads_back_before_anything_else() {
    let mut p = Payment::new(AMOUNT, t0());
    let e = p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: None,
        },
    );
    assert_eq!(p.code(), "create_uncertain");
    assert_eq!(read_at(&e), at(7));
    assert!(!p.is_terminal());
}

#[test]
fn throttled_create_waits_for_retry_after_before_the_next_call() {
    // 429 on create with Retry-After: 30 s — the read-back (and so any re-send of the create)
    // comes no sooner than 30 s later, not after the usual 2 s back-off.
    let mut p = Payment::new(AMOUNT, t0());
    let e = p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: Some(Duration::seconds(30)),
        },
    );
    assert_eq!(p.code(), "create_uncertain");
    assert_eq!(read_at(&e), at(35));
}

#[test]
fn repeated_uncertain_creates_back_off_to_respect_the_create_rate_limit() {
    let mut p = Payment::new(AMOUNT, t0());
    let mut now = t0();
    let mut gaps = vec![];
    for _ in 0..5 {
        let e = p.handle(
            now,
            Event::CreateFailed {
                definite: false,
                reason: reason(),
                retry_after: None,
            },
        );
        let read = read_at(&e);
        gaps.push((read - now).whole_seconds());
        assert_eq!(
            p.handle(read, Event::Read(ProviderStatus::NotFound)),
            vec![Effect::RetryCreate]
        );
        now = read;
    }
    assert_eq!(gaps, vec![2, 4, 8, 16, 30]);
}

#[test]
fn uncertain_create_not_found_retries_create_with_the_same_key() {
    let mut p = Payment::new(AMOUNT, t0());
    p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: None,
        },
    );
    let e = p.handle(at(6), Event::Read(ProviderStatus::NotFound));
    assert_eq!(e, vec![Effect::RetryCreate]);
    assert_eq!(p.code(), "creating");
    // The retried create succeeds: normal waiting.
    let e = p.handle(at(7), Event::Created { at: at(7) });
    assert_eq!(p.code(), "waiting_for_customer");
    assert_eq!(read_at(&e), at(8));
}

#[test]
fn uncertain_create_not_found_after_ten_minutes_fails_instead_of_retrying() {
    let mut p = Payment::new(AMOUNT, t0());
    p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: None,
        },
    );
    let e = p.handle(at(601), Event::Read(ProviderStatus::NotFound));
    assert!(e.is_empty());
    assert_eq!(p.code(), "failed");
    assert!(p.reason().unwrap().en.contains("never reached Vipps"));
}

#[test]
fn uncertain_create_that_exists_waits_for_the_customer_counting_from_the_read() {
    let mut p = Payment::new(AMOUNT, t0());
    p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: None,
        },
    );
    let e = p.handle(at(6), created(None));
    assert_eq!(p.code(), "waiting_for_customer");
    assert_eq!(p.created_at(), Some(at(6)));
    assert_eq!(read_at(&e), at(7));
}

#[test]
fn uncertain_create_found_authorized_captures() {
    let mut p = Payment::new(AMOUNT, t0());
    p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: None,
        },
    );
    let e = p.handle(at(6), authorized(0));
    assert_eq!(e, vec![Effect::Capture { amount: AMOUNT }]);
    assert_eq!(p.code(), "capturing");
}

#[test]
fn stray_read_while_creating_decides_nothing() {
    let mut p = Payment::new(AMOUNT, t0());
    assert!(
        p.handle(at(1), Event::Read(ProviderStatus::NotFound))
            .is_empty()
    );
    assert!(p.handle(at(1), authorized(0)).is_empty());
    assert_eq!(p.code(), "creating");
}

#[test]
fn waiting_reads_about_once_a_second() {
    let mut p = waiting();
    for s in 1..30 {
        let e = p.handle(at(s), created(None));
        assert_eq!(read_at(&e), at(s + 1));
        assert_eq!(p.code(), "waiting_for_customer");
    }
}

#[test]
fn opened_signal_moves_to_waiting_for_approval() {
    let mut p = waiting();
    let e = p.handle(at(20), created(Some(at(15))));
    assert_eq!(p.code(), "waiting_for_approval");
    assert_eq!(p.opened_at(), Some(at(15)));
    assert_eq!(read_at(&e), at(21));
    // Opening changes what the screen says, not the deadline: still created + 10 min.
    assert_eq!(p.deadlines().unwrap().final_at, at(600));
}

#[test]
fn without_open_signal_phase_two_starts_by_time_at_five_minutes() {
    let mut p = waiting();
    assert!(p.handle(at(299), Event::Tick).is_empty());
    assert_eq!(p.code(), "waiting_for_customer");
    p.handle(at(300), Event::Tick);
    assert_eq!(p.code(), "waiting_for_approval");
    assert_eq!(p.deadlines().unwrap().final_at, at(600));
}

#[test]
fn waiting_does_not_give_up_at_five_minutes() {
    let mut p = waiting();
    let e = p.handle(at(330), created(None));
    assert_eq!(p.code(), "waiting_for_approval");
    assert_eq!(read_at(&e), at(331));
    let e = p.handle(at(599), created(None));
    assert_eq!(read_at(&e), at(600));
    assert!(!p.is_terminal());
}

#[test]
fn waiting_then_authorized_requests_capture() {
    let mut p = waiting();
    let e = p.handle(at(40), authorized(0));
    assert_eq!(e, vec![Effect::Capture { amount: AMOUNT }]);
    assert_eq!(p.code(), "capturing");
    assert_eq!(p.next_read(), None);
}

#[test]
fn capture_of_the_expected_amount_is_paid() {
    let mut p = waiting();
    p.handle(at(40), authorized(0));
    assert!(
        p.handle(at(41), Event::CaptureDone { captured: AMOUNT })
            .is_empty()
    );
    assert_eq!(p.code(), "paid");
    assert!(p.is_terminal());
    assert!(!p.needs_attention());
}

#[test]
fn capture_of_another_amount_is_a_mismatch_needing_attention() {
    let mut p = waiting();
    p.handle(at(40), authorized(0));
    p.handle(at(41), Event::CaptureDone { captured: 100 });
    assert_eq!(p.code(), "amount_mismatch");
    assert!(p.is_terminal());
    assert!(p.needs_attention());
    let r = p.reason().unwrap();
    assert!(r.en.contains("1.00") && r.en.contains("49.90"), "{r:?}");
}

#[test]
fn authorized_for_another_amount_is_a_mismatch_and_not_captured() {
    let mut p = waiting();
    let e = p.handle(
        at(40),
        Event::Read(ProviderStatus::Authorized {
            authorized: 100,
            captured: 0,
            refunded: 0,
            cancelled: 0,
        }),
    );
    assert!(e.is_empty());
    assert_eq!(p.code(), "amount_mismatch");
    assert!(p.needs_attention());
}

#[test]
fn uncertain_capture_is_verified_by_a_read_then_paid_if_it_went_through() {
    let mut p = waiting();
    p.handle(at(40), authorized(0));
    let e = p.handle(
        at(45),
        Event::CaptureFailed {
            definite: false,
            reason: reason(),
        },
    );
    assert_eq!(p.code(), "authorized");
    assert_eq!(read_at(&e), at(47));
    assert!(p.handle(at(47), authorized(AMOUNT)).is_empty());
    assert_eq!(p.code(), "paid");
}

#[test]
fn uncertain_capture_not_applied_is_captured_again() {
    let mut p = waiting();
    p.handle(at(40), authorized(0));
    p.handle(
        at(45),
        Event::CaptureFailed {
            definite: false,
            reason: reason(),
        },
    );
    let e = p.handle(at(47), authorized(0));
    assert_eq!(e, vec![Effect::Capture { amount: AMOUNT }]);
    assert_eq!(p.code(), "capturing");
}

#[test]
fn refused_capture_needs_attention_with_the_reason() {
    let mut p = waiting();
    p.handle(at(40), authorized(0));
    p.handle(
        at(41),
        Event::CaptureFailed {
            definite: true,
            reason: reason(),
        },
    );
    assert_eq!(p.phase(), &Phase::CaptureFailed { reason: reason() });
    assert!(p.is_terminal());
    assert!(p.needs_attention());
}

#[test]
fn already_captured_on_read_is_paid_without_capturing_again() {
    let (mut p, e) = Payment::resume(AMOUNT, t0(), Some(t0()), at(100));
    assert_eq!(p.code(), "create_uncertain");
    assert_eq!(read_at(&e), at(100));
    assert!(p.handle(at(100), authorized(AMOUNT)).is_empty());
    assert_eq!(p.code(), "paid");
}

#[test]
fn resumed_pending_payment_keeps_its_original_deadline() {
    let (mut p, _) = Payment::resume(AMOUNT, t0(), Some(t0()), at(200));
    let e = p.handle(at(200), created(None));
    assert_eq!(p.code(), "waiting_for_customer");
    assert_eq!(read_at(&e), at(201));
    assert_eq!(p.deadlines().unwrap().final_at, at(600));
}

#[test]
fn not_found_right_after_a_restart_resends_the_same_create_while_the_window_is_open() {
    // Journal: sale written at t0, the create never answered; restart at 9 min.
    let (mut p, _) = Payment::resume(AMOUNT, t0(), None, at(540));
    let e = p.handle(at(540), Event::Read(ProviderStatus::NotFound));
    assert_eq!(
        e,
        vec![Effect::RetryCreate],
        "not there yet: same create again"
    );
    assert!(!p.is_terminal());
    // The create was answered at 3 min (journal deadline: 13 min): a 404 at 11 min after a
    // restart is still "not there yet".
    let (mut p, _) = Payment::resume(AMOUNT, t0(), Some(at(180)), at(660));
    let e = p.handle(at(660), Event::Read(ProviderStatus::NotFound));
    assert_eq!(e, vec![Effect::RetryCreate]);
    // Past the journal's window: failed, with a reason, and nothing sent.
    let (mut p, _) = Payment::resume(AMOUNT, t0(), None, at(601));
    let e = p.handle(at(601), Event::Read(ProviderStatus::NotFound));
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(p.code(), "failed");
    assert!(p.reason().is_some());
}

#[test]
fn resumed_payment_reads_with_the_tills_own_poll_policy() {
    let policy = PollPolicy {
        interval: time::Duration::seconds(3),
        first_delay: time::Duration::seconds(3),
        ..PollPolicy::default()
    };
    let (mut p, e) = Payment::resume_with_policy(AMOUNT, t0(), Some(t0()), at(200), policy);
    assert_eq!(read_at(&e), at(200));
    let e = p.handle(at(200), created(None));
    assert_eq!(p.code(), "waiting_for_customer");
    // The default policy reads again after 1 s (see the test above); this one after 3 s.
    assert_eq!(read_at(&e), at(203));
}

#[test]
fn customer_rejection_is_rejected_with_a_reason() {
    let mut p = waiting();
    p.handle(at(30), Event::Read(ProviderStatus::Aborted));
    assert_eq!(p.code(), "rejected");
    assert!(p.is_terminal());
    assert!(p.reason().unwrap().nb.contains("avviste"));
    assert_eq!(p.next_read(), None);
}

#[test]
fn provider_expiry_is_expired_and_termination_is_cancelled() {
    let mut p = waiting();
    p.handle(at(600), Event::Read(ProviderStatus::Expired));
    assert_eq!(p.code(), "expired");
    assert!(p.reason().is_some());
    let mut p = waiting();
    p.handle(at(60), Event::Read(ProviderStatus::Terminated));
    assert_eq!(p.code(), "cancelled");
    assert!(p.reason().is_some());
}

#[test]
fn provider_failure_fails_with_its_reason() {
    let mut p = waiting();
    p.handle(
        at(60),
        Event::Read(ProviderStatus::Failed { reason: reason() }),
    );
    assert_eq!(p.phase(), &Phase::Failed { reason: reason() });
}

#[test]
fn not_found_while_waiting_keeps_polling_until_the_deadline() {
    let mut p = waiting();
    let e = p.handle(at(2), Event::Read(ProviderStatus::NotFound));
    assert_eq!(read_at(&e), at(3));
    assert_eq!(p.code(), "waiting_for_customer");
    p.handle(at(600), Event::Read(ProviderStatus::NotFound));
    assert_eq!(p.code(), "failed");
}

#[test]
fn final_deadline_tick_reads_once_more() {
    let mut p = waiting();
    p.handle(at(300), Event::Tick);
    let e = p.handle(at(600), Event::Tick);
    assert_eq!(read_at(&e), at(600));
    assert!(!p.is_terminal(), "only a read decides");
    // Only once.
    assert!(p.handle(at(601), Event::Tick).is_empty());
}

#[test]
fn final_read_still_created_cancels_transaction_only_and_reads_back() {
    let mut p = waiting();
    let e = p.handle(at(600), created(None));
    assert_eq!(
        e,
        vec![Effect::Cancel {
            transaction_only: true
        }]
    );
    assert_eq!(
        p.phase(),
        &Phase::Cancelling {
            origin: CancelOrigin::Deadline
        }
    );
    let e = p.handle(at(601), Event::CancelDone);
    assert_eq!(read_at(&e), at(601));
    assert!(!p.is_terminal());
    p.handle(at(601), Event::Read(ProviderStatus::Terminated));
    assert_eq!(p.code(), "cancelled");
}

#[test]
fn deadline_cancel_then_provider_expired_is_expired() {
    let mut p = waiting();
    p.handle(at(600), created(None));
    p.handle(
        at(601),
        Event::CancelFailed {
            definite: true,
            reason: reason(),
        },
    );
    p.handle(at(601), Event::Read(ProviderStatus::Expired));
    assert_eq!(p.code(), "expired");
}

#[test]
fn approval_racing_the_deadline_cancel_is_captured() {
    let mut p = waiting();
    p.handle(at(600), created(None));
    let e = p.handle(
        at(601),
        Event::CancelFailed {
            definite: true,
            reason: reason(),
        },
    );
    assert_eq!(read_at(&e), at(601));
    let e = p.handle(at(601), authorized(0));
    assert_eq!(e, vec![Effect::Capture { amount: AMOUNT }]);
    p.handle(at(602), Event::CaptureDone { captured: AMOUNT });
    assert_eq!(p.code(), "paid");
}

#[test]
fn opened_never_cuts_the_ten_minute_window_short() {
    let mut p = waiting();
    p.handle(at(10), created(Some(at(10))));
    assert_eq!(p.code(), "waiting_for_approval");
    // Opened + 5 min has passed, but created + 10 min has not: keep reading, never cancel.
    for s in [310, 400, 599] {
        let e = p.handle(at(s), created(None));
        assert_eq!(read_at(&e), at(s + 1), "at {s}");
        assert!(p.handle(at(s), Event::Tick).is_empty(), "tick at {s}");
        assert_eq!(p.code(), "waiting_for_approval");
    }
    // The customer approves at 9:59: captured, not cancelled.
    let mut q = p.clone();
    assert_eq!(
        q.handle(at(599), authorized(0)),
        vec![Effect::Capture { amount: AMOUNT }]
    );
    // Only at created + 10 min does a CREATED read lead to the cancel.
    let e = p.handle(at(600), created(None));
    assert_eq!(
        e,
        vec![Effect::Cancel {
            transaction_only: true
        }]
    );
}

#[test]
fn cashier_abort_cancels_transaction_only_then_a_read_confirms_cancelled() {
    let mut p = cancelling();
    assert_eq!(p.code(), "cancelling");
    let e = p.handle(at(11), Event::CancelDone);
    assert_eq!(read_at(&e), at(11));
    assert!(!p.is_terminal());
    p.handle(at(11), Event::Read(ProviderStatus::Terminated));
    assert_eq!(p.code(), "cancelled");
}

#[test]
fn uncertain_cancel_is_decided_by_a_read() {
    let mut p = cancelling();
    let e = p.handle(
        at(20),
        Event::CancelFailed {
            definite: false,
            reason: reason(),
        },
    );
    assert_eq!(read_at(&e), at(20));
    assert_eq!(p.code(), "cancelling");
}

#[test]
fn cancel_not_yet_effective_is_retried_no_faster_than_the_gap() {
    let mut p = cancelling();
    p.handle(
        at(11),
        Event::CancelFailed {
            definite: true,
            reason: reason(),
        },
    ); // 6250
    // Still CREATED 1 s later: read again, don't hammer cancel.
    let e = p.handle(at(11), created(None));
    assert_eq!(read_at(&e), at(12));
    let e = p.handle(at(25), created(None));
    assert_eq!(
        e,
        vec![Effect::Cancel {
            transaction_only: true
        }]
    );
}

#[test]
fn approval_racing_a_cashier_abort_asks_the_cashier() {
    let mut p = cancelling();
    p.handle(
        at(11),
        Event::CancelFailed {
            definite: true,
            reason: reason(),
        },
    ); // 6060
    let e = p.handle(at(11), authorized(0));
    assert!(matches!(e.as_slice(), [Effect::Notify(_)]));
    assert_eq!(p.code(), "authorized_after_cancel");
    assert!(p.needs_attention());
    assert!(!p.is_terminal());
    assert!(p.reason().unwrap().en.contains("complete the sale or void"));
    // Nothing happens by itself.
    assert!(p.handle(at(60), Event::Tick).is_empty());
    assert!(p.handle(at(60), authorized(0)).is_empty());
}

#[test]
fn cashier_completes_after_the_race_and_the_sale_is_paid() {
    let mut p = cancelling();
    p.handle(at(11), authorized(0));
    let e = p.handle(at(20), Event::CompleteRequested);
    assert_eq!(e, vec![Effect::Capture { amount: AMOUNT }]);
    p.handle(at(21), Event::CaptureDone { captured: AMOUNT });
    assert_eq!(p.code(), "paid");
}

#[test]
fn cashier_voids_after_the_race_and_a_read_confirms_voided() {
    let mut p = cancelling();
    p.handle(at(11), authorized(0));
    let e = p.handle(at(20), Event::VoidRequested);
    assert_eq!(
        e,
        vec![Effect::Cancel {
            transaction_only: false
        }]
    );
    assert_eq!(p.code(), "voiding");
    let e = p.handle(at(21), Event::CancelDone);
    assert_eq!(read_at(&e), at(21));
    p.handle(
        at(21),
        Event::Read(ProviderStatus::Authorized {
            authorized: AMOUNT,
            captured: 0,
            refunded: 0,
            cancelled: AMOUNT,
        }),
    );
    assert_eq!(p.code(), "voided");
    assert!(p.is_terminal());
    assert!(p.reason().is_some());
}

#[test]
fn refused_void_returns_to_the_cashiers_choice_with_the_reason() {
    let mut p = cancelling();
    p.handle(at(11), authorized(0));
    p.handle(at(20), Event::VoidRequested);
    let e = p.handle(
        at(21),
        Event::CancelFailed {
            definite: true,
            reason: reason(),
        },
    );
    assert_eq!(e, vec![Effect::Notify(reason())]);
    assert_eq!(p.code(), "authorized_after_cancel");
    assert_eq!(p.reason(), Some(reason()));
}

#[test]
fn abort_while_creating_cancels_as_soon_as_created() {
    let mut p = Payment::new(AMOUNT, t0());
    assert!(p.handle(at(0), Event::CancelRequested).is_empty());
    let e = p.handle(at(1), Event::Created { at: at(1) });
    assert_eq!(
        e,
        vec![Effect::Cancel {
            transaction_only: true
        }]
    );
    assert_eq!(p.code(), "cancelling");
}

#[test]
fn abort_during_uncertain_create_that_never_landed_is_cancelled() {
    let mut p = Payment::new(AMOUNT, t0());
    p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: None,
        },
    );
    p.handle(at(5), Event::CancelRequested);
    let e = p.handle(at(6), Event::Read(ProviderStatus::NotFound));
    assert!(e.is_empty(), "no RetryCreate after an abort");
    assert_eq!(p.code(), "cancelled");
    assert!(p.reason().unwrap().en.contains("before it reached Vipps"));
}

#[test]
fn abort_during_uncertain_create_that_was_approved_asks_the_cashier() {
    let mut p = Payment::new(AMOUNT, t0());
    p.handle(
        at(5),
        Event::CreateFailed {
            definite: false,
            reason: reason(),
            retry_after: None,
        },
    );
    p.handle(at(5), Event::CancelRequested);
    p.handle(at(6), authorized(0));
    assert_eq!(p.code(), "authorized_after_cancel");
}

#[test]
fn abort_after_approval_is_refused_with_a_notice() {
    let mut p = waiting();
    p.handle(at(40), authorized(0));
    let e = p.handle(at(41), Event::CancelRequested);
    assert!(matches!(e.as_slice(), [Effect::Notify(_)]));
    assert_eq!(p.code(), "capturing");
}

#[test]
fn cashier_abort_during_deadline_cancel_turns_a_race_into_a_question() {
    let mut p = waiting();
    p.handle(at(600), created(None));
    p.handle(at(600), Event::CancelRequested);
    p.handle(at(601), authorized(0));
    assert_eq!(p.code(), "authorized_after_cancel");
}

#[test]
fn rate_limited_read_honours_retry_after() {
    let mut p = waiting();
    let e = p.handle(
        at(1),
        Event::ReadFailed {
            retry_after: Some(Duration::seconds(20)),
            offline: false,
        },
    );
    assert_eq!(read_at(&e), at(21));
    assert!(!p.is_offline());
}

#[test]
fn transport_errors_back_off_flag_offline_and_recover() {
    let mut p = waiting();
    let mut now = at(1);
    let mut gaps = vec![];
    for _ in 0..6 {
        let e = p.handle(
            now,
            Event::ReadFailed {
                retry_after: None,
                offline: true,
            },
        );
        let next = read_at(&e);
        gaps.push((next - now).whole_seconds());
        now = next;
    }
    assert_eq!(gaps, vec![2, 4, 8, 16, 30, 30]);
    assert!(p.is_offline());
    let e = p.handle(now, created(None));
    assert!(!p.is_offline());
    assert_eq!((read_at(&e) - now).whole_seconds(), 1);
}

#[test]
fn never_more_than_sixty_reads_per_minute() {
    // Even if results come back instantly and the engine reads at every ReadStatus.
    let mut p = waiting();
    let mut reads = vec![];
    let mut now = at(1);
    for i in 0..300 {
        let ev = if i % 3 == 0 {
            Event::ReadFailed {
                retry_after: Some(Duration::ZERO),
                offline: false,
            }
        } else {
            created(None)
        };
        let e = p.handle(now, ev);
        let next = read_at(&e);
        reads.push(next);
        // Results arrive "instantly": also tick in between.
        p.handle(now, Event::Tick);
        now = next;
        if now >= at(590) {
            break;
        }
    }
    for (i, r) in reads.iter().enumerate() {
        let in_window = reads[i..]
            .iter()
            .filter(|x| **x < *r + Duration::minutes(1))
            .count();
        assert!(in_window <= 60, "{in_window} reads in the minute from {r}");
    }
}

#[test]
fn countdowns_follow_the_phases() {
    let mut p = waiting();
    let c = p.countdowns(at(60));
    assert_eq!(c.phase, "waiting_for_customer");
    assert_eq!(c.open_left, Some(Duration::seconds(240)));
    assert_eq!(c.approve_left, Some(Duration::seconds(540)));
    p.handle(at(100), created(Some(at(90))));
    let c = p.countdowns(at(100));
    assert_eq!(c.phase, "waiting_for_approval");
    assert_eq!(c.open_left, None);
    assert_eq!(c.approve_left, Some(Duration::seconds(290)));
    // Never negative.
    assert_eq!(p.countdowns(at(1000)).approve_left, Some(Duration::ZERO));
    p.handle(at(101), authorized(0));
    let c = p.countdowns(at(101));
    assert_eq!(
        (c.open_left, c.approve_left, c.phase),
        (None, None, "capturing")
    );
    assert_eq!(Payment::new(AMOUNT, t0()).countdowns(t0()).open_left, None);
}

#[test]
fn next_wakeup_is_the_next_read_or_a_deadline() {
    let p = waiting();
    assert_eq!(p.next_wakeup(t0()), Some(at(1)));
    let mut p = waiting();
    p.handle(
        at(1),
        Event::ReadFailed {
            retry_after: Some(Duration::seconds(120)),
            offline: false,
        },
    );
    assert_eq!(p.next_wakeup(at(1)), Some(at(121)));
    p.handle(
        at(400),
        Event::ReadFailed {
            retry_after: Some(Duration::seconds(120)),
            offline: false,
        },
    );
    assert_eq!(p.next_wakeup(at(400)), Some(at(520)));
    // An overdue read stays due (the engine reads at once).
    assert_eq!(p.next_wakeup(at(530)), Some(at(520)));
    // With the read far away, the open deadline (5 min) is the next wakeup.
    let mut p = waiting();
    p.handle(
        at(100),
        Event::ReadFailed {
            retry_after: Some(Duration::seconds(120)),
            offline: false,
        },
    );
    p.handle(
        at(200),
        Event::ReadFailed {
            retry_after: Some(Duration::seconds(120)),
            offline: false,
        },
    );
    assert_eq!(p.next_wakeup(at(200)), Some(at(300)));
}

#[test]
fn terminal_payments_ignore_every_event() {
    let mut p = waiting();
    p.handle(at(30), Event::Read(ProviderStatus::Aborted));
    let snapshot = p.clone();
    for ev in [
        Event::Tick,
        authorized(0),
        Event::CancelRequested,
        Event::CaptureDone { captured: AMOUNT },
        Event::Created { at: at(31) },
        Event::ReadFailed {
            retry_after: None,
            offline: true,
        },
        Event::CompleteRequested,
        Event::VoidRequested,
    ] {
        assert!(p.handle(at(31), ev).is_empty());
    }
    assert_eq!(p, snapshot);
}

#[test]
fn codes_are_stable() {
    let cases = [
        (Phase::Creating, "creating"),
        (Phase::CreateUncertain, "create_uncertain"),
        (Phase::WaitingForCustomer, "waiting_for_customer"),
        (Phase::WaitingForApproval, "waiting_for_approval"),
        (Phase::Authorized, "authorized"),
        (Phase::Capturing, "capturing"),
        (Phase::Paid, "paid"),
        (
            Phase::Cancelling {
                origin: CancelOrigin::Cashier,
            },
            "cancelling",
        ),
        (
            Phase::AuthorizedAfterCancel { note: None },
            "authorized_after_cancel",
        ),
        (Phase::Voiding, "voiding"),
        (Phase::Voided, "voided"),
        (Phase::Rejected, "rejected"),
        (Phase::Expired, "expired"),
        (Phase::Cancelled, "cancelled"),
        (Phase::Failed { reason: reason() }, "failed"),
        (Phase::CaptureFailed { reason: reason() }, "capture_failed"),
        (
            Phase::AmountMismatch { reason: reason() },
            "amount_mismatch",
        ),
    ];
    for (phase, code) in cases {
        assert_eq!(phase.code(), code);
    }
}

#[test]
fn payment_round_trips_through_json_for_the_journal() {
    let mut p = waiting();
    p.handle(at(20), created(Some(at(15))));
    let json = serde_json::to_string(&p).unwrap();
    let back: Payment = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn poll_policy_delay_table() {
    let p = PollPolicy::default();
    let s = Duration::seconds;
    let cases: [(u32, Option<Duration>, Duration); 10] = [
        (0, None, s(1)),
        (1, None, s(2)),
        (2, None, s(4)),
        (3, None, s(8)),
        (4, None, s(16)),
        (5, None, s(30)),
        (40, None, s(30)),
        (1, Some(s(10)), s(10)),
        (4, Some(s(3)), s(16)),
        (1, Some(s(3600)), s(120)),
    ];
    for (failures, retry_after, want) in cases {
        assert_eq!(
            p.delay(failures, retry_after),
            want,
            "{failures} {retry_after:?}"
        );
    }
}

#[test]
fn poll_policy_rate_limit_table() {
    let p = PollPolicy {
        max_per_minute: 3,
        ..PollPolicy::default()
    };
    let recent = [at(0), at(10), at(20)];
    assert_eq!(p.rate_limited(at(21), &recent[..2]), at(21));
    assert_eq!(p.rate_limited(at(21), &recent), at(60));
    assert_eq!(p.rate_limited(at(70), &recent), at(70));
    assert_eq!(p.rate_limited(at(5), &[]), at(5));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = Event> {
        let status = prop_oneof![
            Just(ProviderStatus::NotFound),
            Just(ProviderStatus::Created { opened: None }),
            (0i64..600).prop_map(|s| ProviderStatus::Created {
                opened: Some(at(s))
            }),
            Just(ProviderStatus::Authorized {
                authorized: AMOUNT,
                captured: 0,
                refunded: 0,
                cancelled: 0
            }),
            Just(ProviderStatus::Authorized {
                authorized: AMOUNT,
                captured: AMOUNT,
                refunded: 0,
                cancelled: 0
            }),
            Just(ProviderStatus::Authorized {
                authorized: AMOUNT,
                captured: 0,
                refunded: 0,
                cancelled: AMOUNT
            }),
            Just(ProviderStatus::Aborted),
            Just(ProviderStatus::Expired),
            Just(ProviderStatus::Terminated),
            Just(ProviderStatus::Failed {
                reason: Text::new("f", "f")
            }),
        ];
        prop_oneof![
            (0i64..700).prop_map(|s| Event::Created { at: at(s) }),
            (any::<bool>(), proptest::option::of(0i64..300)).prop_map(|(definite, ra)| {
                Event::CreateFailed {
                    definite,
                    reason: reason(),
                    retry_after: ra.map(Duration::seconds),
                }
            }),
            status.prop_map(Event::Read),
            (proptest::option::of(0i64..300), any::<bool>()).prop_map(|(ra, offline)| {
                Event::ReadFailed {
                    retry_after: ra.map(Duration::seconds),
                    offline,
                }
            }),
            prop_oneof![Just(AMOUNT), Just(0i64), Just(1i64)]
                .prop_map(|captured| Event::CaptureDone { captured }),
            any::<bool>().prop_map(|definite| Event::CaptureFailed {
                definite,
                reason: reason()
            }),
            Just(Event::CancelRequested),
            Just(Event::CancelDone),
            any::<bool>().prop_map(|definite| Event::CancelFailed {
                definite,
                reason: reason()
            }),
            Just(Event::CompleteRequested),
            Just(Event::VoidRequested),
            Just(Event::Tick),
        ]
    }

    proptest! {
        #[test]
        fn machine_invariants_hold_for_any_event_sequence(
            steps in proptest::collection::vec((0i64..40, event()), 1..80)
        ) {
            let mut p = Payment::new(AMOUNT, t0());
            let mut now = t0();
            let mut performed_reads: Vec<OffsetDateTime> = vec![];
            for (dt, ev) in steps {
                now += Duration::seconds(dt);
                let before = p.clone();
                let is_read = matches!(ev, Event::Read(_));
                let approved_read = matches!(
                    ev,
                    Event::Read(ProviderStatus::Authorized { captured: 0, cancelled: 0, .. })
                );
                let effects = p.handle(now, ev.clone());
                // Terminal states absorb everything.
                if before.is_terminal() {
                    prop_assert_eq!(&p, &before);
                    prop_assert!(effects.is_empty());
                    continue;
                }
                for e in &effects {
                    match e {
                        Effect::ReadStatus { at } => {
                            prop_assert!(*at >= now);
                            performed_reads.push(*at);
                        }
                        Effect::Capture { amount } => {
                            prop_assert!(*amount > 0 && *amount <= AMOUNT);
                            prop_assert!(
                                matches!(ev, Event::Read(ProviderStatus::Authorized { .. }) | Event::CompleteRequested),
                                "capture without an approval read or cashier choice: {:?}", ev
                            );
                        }
                        _ => {}
                    }
                }
                // Only a read decides that no money moved.
                if matches!(p.phase(), Phase::Rejected | Phase::Expired | Phase::Cancelled)
                    && !matches!(before.phase(), Phase::Rejected | Phase::Expired | Phase::Cancelled)
                {
                    prop_assert!(is_read, "{:?} -> {} on {:?}", before.phase(), p.code(), ev);
                }
                // An approval is never dropped.
                if approved_read && before.phase() != &Phase::Creating {
                    prop_assert!(
                        matches!(
                            p.phase(),
                            Phase::Capturing | Phase::AuthorizedAfterCancel { .. } | Phase::Voiding
                        ),
                        "approval read in {:?} left {:?}", before.phase(), p.phase()
                    );
                }
                // Countdowns never negative.
                let c = p.countdowns(now);
                prop_assert!(c.open_left.is_none_or(|d| d >= Duration::ZERO));
                prop_assert!(c.approve_left.is_none_or(|d| d >= Duration::ZERO));
                prop_assert_eq!(c.phase, p.code());
            }
            performed_reads.sort();
            for (i, r) in performed_reads.iter().enumerate() {
                let n = performed_reads[i..].iter().filter(|x| **x < *r + Duration::minutes(1)).count();
                prop_assert!(n <= 60, "{} reads scheduled within a minute", n);
            }
        }
    }
}

#[test]
fn countdown_seconds_round_up_and_format_as_minutes() {
    use kasse::domain::payment::format_mmss;
    let p = waiting();
    let c = p.countdowns(t0() + Duration::milliseconds(500));
    assert_eq!(c.open_secs(), Some(300));
    assert_eq!(c.approve_secs(), Some(600));
    assert_eq!(format_mmss(Duration::seconds(599)), "9:59");
    assert_eq!(format_mmss(Duration::milliseconds(4_200)), "0:05");
    assert_eq!(format_mmss(Duration::seconds(-3)), "0:00");
    assert_eq!(p.countdowns(at(300)).open_secs(), Some(0));
}

#[test]
fn resumed_payment_found_fully_released_is_voided_not_paid() {
    let (mut p, _) = Payment::resume(AMOUNT, t0(), Some(t0()), at(100));
    let e = p.handle(
        at(100),
        Event::Read(ProviderStatus::Authorized {
            authorized: AMOUNT,
            captured: 0,
            refunded: 0,
            cancelled: AMOUNT,
        }),
    );
    assert!(e.is_empty());
    assert_eq!(p.code(), "voided");
}

#[test]
fn partly_cancelled_reservation_is_a_mismatch_for_staff() {
    let mut p = waiting();
    p.handle(
        at(30),
        Event::Read(ProviderStatus::Authorized {
            authorized: AMOUNT,
            captured: 0,
            refunded: 0,
            cancelled: 100,
        }),
    );
    assert_eq!(p.code(), "amount_mismatch");
    assert!(p.needs_attention());
}

/// ePayment does not say when the customer opened the payment: an expiry is reported with the
/// time it happened and the customer's two windows, never as "not approved within 10 minutes"
/// for a payment that expired at 5 minutes.
#[test]
fn an_epayment_expiry_says_when_not_why() {
    let mut p = waiting();
    assert!(!p.open_signal());
    p.handle(at(302), Event::Read(ProviderStatus::Expired));
    assert_eq!(p.phase(), &Phase::Expired);
    let r = p.reason().unwrap();
    assert!(
        r.en.starts_with("The payment expired after 5:02 without approval"),
        "{}",
        r.en
    );
    assert!(r.nb.contains("utløp etter 5:02"), "{}", r.nb);
    assert!(!r.en.contains("10 minutes"), "{}", r.en);
}

/// eCom says when it was opened: the expiry names the window that ran out.
#[test]
fn an_ecom_expiry_names_the_window_that_ran_out() {
    let mut unopened = Payment::new(AMOUNT, t0()).with_open_signal(true);
    unopened.handle(t0(), Event::Created { at: t0() });
    unopened.handle(at(301), Event::Read(ProviderStatus::Expired));
    assert!(
        unopened
            .reason()
            .unwrap()
            .en
            .starts_with("The customer did not open the payment within 5 minutes"),
        "{:?}",
        unopened.reason()
    );
    let mut opened = Payment::new(AMOUNT, t0()).with_open_signal(true);
    opened.handle(t0(), Event::Created { at: t0() });
    opened.handle(at(60), created(Some(at(60))));
    assert_eq!(opened.code(), "waiting_for_approval");
    opened.handle(at(361), Event::Read(ProviderStatus::Expired));
    assert!(
        opened
            .reason()
            .unwrap()
            .en
            .starts_with("The customer opened the payment but did not approve it within 5 minutes"),
        "{:?}",
        opened.reason()
    );
}
