//! Drawing the cash screen (opening float, withdrawal, deposit, the count before a Z). Pure:
//! reads the model only.

use crate::domain::cash::CashKind;
use crate::tui::app::App;
use crate::tui::staff::{CashField, money};
use crate::tui::strings_staff::St;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// The screen's title: what is being recorded.
pub fn title(app: &App) -> &'static str {
    let lang = app.lang;
    match app.staff.cash.kind {
        Some(CashKind::Float) => St::cash_float_title(lang),
        Some(CashKind::Withdrawal) => St::cash_withdrawal_title(lang),
        Some(CashKind::Deposit) => St::cash_deposit_title(lang),
        Some(CashKind::Difference) | None => St::cash_count_title(lang),
    }
}

/// A field that is not being edited: its label and value.
fn field_box(app: &App, frame: &mut Frame, area: Rect, label: &str, value: &str) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {label} "));
    frame.render_widget(
        Paragraph::new(Line::styled(value.to_owned(), app.theme.base)).block(block),
        area,
    );
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let c = &app.staff.cash;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", title(app)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(done) = &c.done {
        let mut lines = vec![
            Line::raw(""),
            Line::styled(
                format!(
                    "{}: {}",
                    done.kind.field().get(lang),
                    money(done.amount, app.basket.currency().code())
                ),
                app.theme.success,
            ),
        ];
        if !c.reason.trim().is_empty() {
            lines.push(Line::raw(format!(
                "{}: {}",
                St::reason(lang),
                c.reason.trim()
            )));
        }
        if let Some(nr) = done.nr {
            lines.push(Line::raw(format!("{}: {nr}", St::cash_nr(lang))));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(St::cash_done(lang), app.theme.hint));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let amount_label = if c.kind.is_none() {
        St::cash_counted(lang)
    } else {
        St::cash_amount(lang)
    };
    let hint = match c.kind {
        None | Some(CashKind::Difference) => St::cash_count_hint(lang),
        Some(CashKind::Float) => St::cash_float_hint(lang),
        Some(CashKind::Withdrawal | CashKind::Deposit) => St::cash_move_hint(lang),
    };
    let [amount, reason, hint_area] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(if c.needs_reason() { 3 } else { 0 }),
        Constraint::Min(1),
    ])
    .areas(inner);
    let editing = |f: CashField| c.field == f && c.waiting.is_none();
    if editing(CashField::Amount) {
        crate::tui::view_staff::input_box(app, frame, amount, amount_label);
    } else {
        field_box(app, frame, amount, amount_label, &c.amount);
    }
    if c.needs_reason() {
        if editing(CashField::Reason) {
            crate::tui::view_staff::input_box(app, frame, reason, St::cash_reason(lang));
        } else {
            field_box(app, frame, reason, St::cash_reason(lang), &c.reason);
        }
    }
    let text = if c.waiting.is_some() {
        St::cash_sending(lang)
    } else {
        hint
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text, app.theme.hint)).wrap(Wrap { trim: false }),
        hint_area,
    );
}
