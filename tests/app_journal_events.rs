#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The cashier's line corrections reach the fiscal journal through the real shell
//! (`app::execute`): a quantity lowered and a line deleted before completion are 13999 events
//! with their amounts, and the Z counts them as line corrections (§ 2-8-2 s); a quantity raised
//! is an ordinary registration and journals nothing.

mod common;
use common::staff as staff_support;
use common::tui as tui_support;
use kasse::app::StaffAccess;
use kasse::lang::Lang;
use kasse::tui::{App, Command};
use ratatui::crossterm::event::KeyCode;
use staff_support::{MANAGER_PIN, till};
use tui_support::{KVIKK, ctx, enter_text, press};

fn journal_cmds(cmds: &[Command]) -> usize {
    cmds.iter()
        .filter(|c| matches!(c, Command::Journal { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lowered_quantities_and_deleted_lines_are_line_corrections_in_z() {
    let t = till().await;
    let now = time::OffsetDateTime::now_utc();
    let manager =
        t.db.create_first_manager("Mona", MANAGER_PIN, now)
            .await
            .unwrap();
    let staff: StaffAccess = Ok(t.db.clone());
    let mut app = App::new(&ctx(Lang::Nb));

    // Kvikk Lunsj (kr 24,90) raised to 3: no correction.
    enter_text(&mut app, KVIKK);
    press(&mut app, KeyCode::F(3));
    let up = enter_text(&mut app, "3");
    assert_eq!(journal_cmds(&up), 0, "{up:?}");
    // Lowered to 1: a correction of 2 × 24,90.
    press(&mut app, KeyCode::F(3));
    let down = enter_text(&mut app, "1");
    assert_eq!(journal_cmds(&down), 1, "{down:?}");
    staff_support::drive(&t.run.engine, &mut app, None, &staff, down).await;
    // Deleted: a correction of 24,90.
    let deleted = press(&mut app, KeyCode::Delete);
    assert_eq!(journal_cmds(&deleted), 1, "{deleted:?}");
    assert!(app.basket.is_empty());
    staff_support::drive(&t.run.engine, &mut app, None, &staff, deleted).await;

    let events = t.store.run(|s| s.fiscal_events()).await.unwrap();
    let corrections: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| e.code == "13999")
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect();
    assert_eq!(corrections.len(), 2, "{corrections:?}");
    assert_eq!(corrections[0]["correction"], "quantity_reduced");
    assert_eq!(corrections[0]["amount_minor"], 4980);
    assert_eq!(corrections[1]["correction"], "line_deleted");
    assert_eq!(corrections[1]["amount_minor"], 2490);
    assert_eq!(corrections[1]["name"], "Kvikk Lunsj 47 g");

    // The Z's period is [from, to) at millisecond resolution: an event journaled in the very
    // millisecond of the Z belongs to the next Z. Leave a clear gap so both are in this one.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let times: Vec<_> = events
        .iter()
        .filter(|e| e.code == "13999")
        .map(|e| e.at)
        .collect();
    let z =
        t.db.close_period(
            &manager,
            time::UtcOffset::UTC,
            None,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let c = z.fiscal.line_corrections;
    assert_eq!(
        (c.count, c.amount),
        (2, 7470),
        "events at {times:?}, Z period {} – {}",
        z.period_from,
        z.period_to
    );
}
