//! Drawing the staff screens (menu, refund, X/Z report, batch corrections). Pure: reads the
//! model only.

use crate::domain::refund::RefundStatus;
use crate::lang::Lang;
use crate::tui::app::{App, ManagerAction, Screen};
use crate::tui::msg::{ReceiptNote, StaffRefundProgress};
use crate::tui::staff::{RefundField, RefundKind, RefundStep, ReportKind, StaffEntry, money};
use crate::tui::strings_staff::{self as ss, St};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Gauge, HighlightSpacing, Paragraph, Row, Table, TableState, Wrap,
};

/// The banner title of a staff screen.
pub fn screen_title(app: &App) -> Option<&'static str> {
    Some(match app.screen {
        Screen::Staff => St::screen_staff(app.lang),
        Screen::Refund => St::screen_refund(app.lang),
        Screen::Report => St::screen_report(app.lang),
        Screen::Batch => St::screen_batch(app.lang),
        Screen::Cash => St::screen_cash(app.lang),
        Screen::Return => crate::tui::view_return::title(app.lang),
        _ => return None,
    })
}

/// The manager PIN prompt's title for a staff action.
pub fn manager_label(app: &App) -> Option<&'static str> {
    Some(match &app.manager.asking {
        Some(ManagerAction::Refund) => St::prompt_manager_refund(app.lang),
        Some(ManagerAction::Return) => crate::tui::view_return::manager_prompt(app.lang),
        Some(ManagerAction::ZReport) => St::prompt_manager_z(app.lang),
        Some(ManagerAction::Batch) => St::prompt_manager_batch(app.lang),
        Some(ManagerAction::AcknowledgeOutbox) => St::prompt_manager_ack(app.lang),
        Some(ManagerAction::Cash)
            if app.staff.cash.kind == Some(crate::domain::cash::CashKind::Float) =>
        {
            St::prompt_float_pin(app.lang)
        }
        Some(ManagerAction::Cash) => St::prompt_manager_cash(app.lang),
        _ => return None,
    })
}

/// Draw the staff screen in `area` (the body between banner and toast line).
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    match app.screen {
        Screen::Staff => render_menu(app, frame, area),
        Screen::Refund => render_refund(app, frame, area),
        Screen::Report => render_report(app, frame, area),
        Screen::Batch => render_batch(app, frame, area),
        Screen::Cash => crate::tui::view_cash::render(app, frame, area),
        Screen::Return => crate::tui::view_return::render(app, frame, area),
        _ => {}
    }
}

pub(crate) fn boxed(title: &str) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "))
}

pub(crate) fn right(s: impl Into<String>) -> Cell<'static> {
    Cell::from(Line::from(s.into()).alignment(Alignment::Right))
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// 2000 → "2", 500 → "0,5".
pub(crate) fn milli(q: i64) -> String {
    let whole = q / 1000;
    let frac = (q % 1000).abs();
    if frac == 0 {
        whole.to_string()
    } else {
        let f = format!("{frac:03}");
        format!("{whole},{}", f.trim_end_matches('0'))
    }
}

/// A journal state (sale or payment) in the cashier's language.
fn state_word(lang: Lang, state: &str) -> &str {
    match state {
        "paid" | "captured" => lang.pick("betalt", "paid"),
        "partially_refunded" => lang.pick("delvis refundert", "partly refunded"),
        "refunded" => lang.pick("refundert", "refunded"),
        "cancelled" | "voided" => lang.pick("kansellert", "cancelled"),
        "authorized" => lang.pick("godkjent, ikke trukket", "authorized, not captured"),
        "capturing" => lang.pick("trekkes", "capturing"),
        "failed" => lang.pick("feilet", "failed"),
        "open" | "pending" => lang.pick("åpen", "open"),
        other => other,
    }
}

pub(crate) fn local_time(app: &App, t: time::OffsetDateTime) -> String {
    let t = t.to_offset(app.utc_offset);
    format!(
        "{:02}.{:02} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.hour(),
        t.minute()
    )
}

pub(crate) fn input_box(app: &App, frame: &mut Frame, area: Rect, label: &str) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {label} "))
        .border_style(app.theme.hint);
    let inner = block.inner(area);
    let width = usize::from(inner.width.saturating_sub(1));
    let scroll = app.input.visual_scroll(width);
    let chars: Vec<char> = app.input.value().chars().collect();
    let cursor = app.input.cursor().min(chars.len());
    let before: String = chars[..cursor].iter().skip(scroll).collect();
    let after: String = chars[cursor..].iter().collect();
    let line = Line::from(vec![
        Span::raw(before),
        Span::styled("▏", app.theme.hint),
        Span::raw(after),
    ]);
    frame.render_widget(Paragraph::new(line).block(block), area);
}

// ---------------------------------------------------------------- menu

fn render_menu(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let block = boxed(St::menu_title(lang));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::raw("")];
    for (i, e) in StaffEntry::ALL.iter().enumerate() {
        let marked = i == app.staff.menu;
        let mut text = format!(
            "{} {}. {}",
            if marked { "›" } else { " " },
            i + 1,
            e.label(lang)
        );
        if e.needs_manager() {
            text.push_str(&format!("  ({})", St::menu_manager(lang)));
        }
        let style = if marked {
            app.theme.selection
        } else {
            app.theme.base
        };
        lines.push(Line::styled(text, style));
    }
    if !app.manager_pins {
        lines.push(Line::raw(""));
        lines.push(Line::styled(St::err_needs_manager(lang), app.theme.warning));
    }
    if app.demo {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            crate::tui::login::L::training_pin(lang),
            app.theme.training,
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

// ---------------------------------------------------------------- refund

fn render_refund(app: &App, frame: &mut Frame, area: Rect) {
    match app.staff.refund.step {
        RefundStep::Search | RefundStep::Loading => render_search(app, frame, area),
        RefundStep::Form => render_form(app, frame, area),
        RefundStep::Confirm => render_confirm(app, frame, area),
        RefundStep::Sending | RefundStep::Done => render_refund_result(app, frame, area),
    }
}

fn render_search(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.refund;
    let [input, hint, list] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    input_box(app, frame, input, St::search_label(lang));
    let status = if r.step == RefundStep::Loading {
        St::loading_sale(lang)
    } else if r.waiting.is_some() {
        St::searching(lang)
    } else {
        St::search_hint(lang)
    };
    frame.render_widget(
        Paragraph::new(format!(" {status}")).style(app.theme.muted),
        hint,
    );
    let wide = list.width >= 100;
    let rows: Vec<Row> = r
        .hits
        .iter()
        .map(|h| {
            let mut cells = vec![
                Cell::from(h.receipt_number.clone()),
                Cell::from(local_time(app, h.created_at)),
                right(money(h.gross_total, &h.currency).to_string()),
                Cell::from(if h.training {
                    format!(
                        "{} ({})",
                        state_word(lang, &h.status),
                        crate::tui::strings::S::training_short(lang)
                    )
                } else {
                    state_word(lang, &h.status).to_owned()
                }),
                Cell::from(
                    h.phone_last_digits
                        .as_ref()
                        .map(|d| format!("…{d}"))
                        .unwrap_or_default(),
                ),
            ];
            if wide {
                cells.push(Cell::from(h.references.last().cloned().unwrap_or_default()));
            }
            Row::new(cells)
        })
        .collect();
    let mut header = vec![
        Cell::from(St::col_receipt(lang)),
        Cell::from(St::col_time(lang)),
        right(St::col_amount(lang)),
        Cell::from(St::col_status(lang)),
        Cell::from(St::col_phone(lang)),
    ];
    let mut widths = vec![
        Constraint::Length(14),
        Constraint::Length(11),
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Length(6),
    ];
    if wide {
        header.push(Cell::from(St::col_reference(lang)));
        widths.push(Constraint::Length(26));
    }
    let title = if r.query.is_empty() {
        St::screen_refund(lang).to_owned()
    } else {
        format!(
            "{} «{}» ({})",
            St::screen_refund(lang),
            r.query,
            r.hits.len()
        )
    };
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(app.theme.title))
        .row_highlight_style(app.theme.selection)
        .highlight_symbol("›")
        .highlight_spacing(HighlightSpacing::Always)
        .block(boxed(&title));
    let selected = (!r.hits.is_empty()).then_some(r.selected);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, list, &mut state);
}

fn sale_summary(app: &App) -> Vec<Line<'static>> {
    let lang = app.lang;
    let Some(ctx) = &app.staff.refund.ctx else {
        return Vec::new();
    };
    let m = |v: i64| money(v, &ctx.currency).to_string();
    let mut first = format!(
        "{} {}  ·  {}",
        St::col_receipt(lang),
        ctx.receipt_number,
        ctx.reference
    );
    if ctx.training {
        first.push_str(&format!(
            "  ·  {}",
            crate::tui::strings::S::training_short(lang)
        ));
    }
    vec![
        Line::styled(first, app.theme.title),
        Line::raw(format!(
            "{}: {}   {}: {}   {}: {}",
            St::captured(lang),
            m(ctx.captured),
            St::refunded(lang),
            m(ctx.refunded),
            St::refundable(lang),
            m(ctx.refundable())
        )),
    ]
}

fn render_form(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.refund;
    let Some(ctx) = &r.ctx else {
        return;
    };
    let [summary, kinds, lines, input, hint] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(sale_summary(app)), summary);
    let mark = |k: RefundKind| if r.kind == k { "(•)" } else { "( )" };
    let mut spans = Vec::new();
    for (k, label, key) in [
        (RefundKind::Full, St::kind_full(lang), "F2"),
        (RefundKind::Amount, St::kind_amount(lang), "F3"),
        (RefundKind::Lines, St::kind_lines(lang), "F4"),
    ] {
        let style = if r.kind == k {
            app.theme.selection
        } else {
            app.theme.base
        };
        spans.push(Span::styled(format!("{} {key} {label}", mark(k)), style));
        spans.push(Span::raw("   "));
    }
    if r.kind == RefundKind::Amount && !r.amount.is_empty() {
        spans.push(Span::styled(
            format!("{}: {}", St::kind_amount(lang), r.amount),
            app.theme.hint,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), kinds);

    let per_line = r.kind == RefundKind::Lines;
    let rows: Vec<Row> = ctx
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let refunded_q = if l.refunded_milli > 0 {
                milli(l.refunded_milli)
            } else {
                String::new()
            };
            let typed = r.line_qty.get(i).cloned().unwrap_or_default();
            let name = if l.is_return {
                format!("{} {}", crate::tui::strings::S::return_word(lang), l.name)
            } else {
                l.name.clone()
            };
            Row::new(vec![
                Cell::from(format!("{}", l.line_no)),
                Cell::from(name),
                right(l.quantity.clone()),
                right(money(l.gross, &ctx.currency).to_string()),
                right(refunded_q),
                right(if per_line { typed } else { String::new() }),
            ])
        })
        .collect();
    let header = Row::new(vec![
        Cell::from("#"),
        Cell::from(crate::tui::strings::S::col_item(lang)),
        right(crate::tui::strings::S::col_qty(lang)),
        right(crate::tui::strings::S::col_sum(lang)),
        right(St::col_refunded(lang)),
        right(St::col_refund(lang)),
    ])
    .style(app.theme.title);
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(12),
            Constraint::Length(10),
            Constraint::Length(9),
        ],
    )
    .header(header)
    .row_highlight_style(app.theme.selection)
    .highlight_symbol("›")
    .highlight_spacing(HighlightSpacing::Always)
    .block(boxed(St::sale_lines(lang)));
    let mut state = TableState::default().with_selected(per_line.then_some(r.line));
    frame.render_stateful_widget(table, lines, &mut state);

    let label = match (r.field, r.kind) {
        (RefundField::Value, RefundKind::Amount) => St::field_amount(lang),
        (RefundField::Value, RefundKind::Lines) => St::field_qty(lang),
        _ => St::field_reason(lang),
    };
    input_box(app, frame, input, label);
    let reason_note = if r.field != RefundField::Reason && !r.reason.is_empty() {
        format!("  ·  {}: {}", St::reason(lang), r.reason)
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(format!(" {}{reason_note}", St::form_hint(lang))).style(app.theme.muted),
        hint,
    );
}

fn render_confirm(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.refund;
    let (Some(ctx), Some(plan)) = (&r.ctx, &r.plan) else {
        return;
    };
    let block = boxed(St::confirm_title(lang));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let m = |v: i64| money(v, &ctx.currency).to_string();
    let mut lines = sale_summary(app);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("{}: {}", St::to_refund(lang), m(plan.amount)),
        app.theme.total,
    ));
    for l in &plan.lines {
        let q = l
            .quantity_milli
            .map(|q| format!("{} × ", milli(q)))
            .unwrap_or_default();
        let rate = crate::domain::refund::format_rate(l.vat_rate);
        lines.push(Line::raw(match l.line_no {
            Some(n) => format!(
                "  {q}{n}. {}  {}  ({} {rate})",
                l.name,
                m(l.gross),
                crate::tui::strings::S::vat_word(lang),
            ),
            None => format!("  {}  {}", ss::vat_share(lang, &rate), m(l.gross)),
        }));
    }
    if let Some(req) = &r.request {
        lines.push(Line::raw(format!("{}: {}", St::reason(lang), req.reason)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(St::confirm_hint(lang), app.theme.hint));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn render_refund_result(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.refund;
    let block = boxed(St::screen_refund(lang));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::raw("")];
    match &r.progress {
        None => lines.push(Line::styled(St::sending(lang), app.theme.warning).centered()),
        Some(StaffRefundProgress::Queued { amount, key }) => {
            lines.push(Line::styled(St::queued_wait(lang), app.theme.warning).centered());
            lines.push(Line::styled(amount.to_string(), app.theme.total).centered());
            lines.push(Line::styled(key.clone(), app.theme.muted).centered());
        }
        Some(StaffRefundProgress::Refunded {
            amount,
            refund_number,
            receipt,
        }) => {
            lines.push(Line::styled(St::result_refunded(lang), app.theme.success).centered());
            lines.push(Line::styled(amount.to_string(), app.theme.total).centered());
            lines.push(Line::raw(""));
            lines.push(Line::raw(ss::refunded_amount(lang, *amount, refund_number)));
            lines.push(match receipt {
                ReceiptNote::Printed => Line::raw(St::receipt_printed(lang)),
                ReceiptNote::NoPrinter => Line::styled(St::receipt_none(lang), app.theme.muted),
                ReceiptNote::Problem(t) => Line::styled(t.get(lang).to_owned(), app.theme.error),
            });
        }
        Some(StaffRefundProgress::Pending {
            amount,
            refund_number,
        }) => {
            lines.push(Line::styled(St::result_pending(lang), app.theme.warning).centered());
            lines.push(Line::styled(amount.to_string(), app.theme.total).centered());
            lines.push(Line::raw(""));
            lines.push(Line::raw(St::result_pending_detail(lang)));
            lines.push(Line::styled(refund_number.clone(), app.theme.muted));
        }
        Some(StaffRefundProgress::Failed { reason }) => {
            lines.push(Line::styled(St::result_failed(lang), app.theme.error).centered());
            lines.push(Line::raw(""));
            lines.push(Line::styled(reason.get(lang).to_owned(), app.theme.error));
        }
        Some(StaffRefundProgress::Refused { reason }) => {
            lines.push(Line::styled(St::result_refused(lang), app.theme.error).centered());
            lines.push(Line::raw(""));
            lines.push(Line::styled(reason.get(lang).to_owned(), app.theme.error));
        }
    }
    if r.step == RefundStep::Done {
        lines.push(Line::raw(""));
        lines.push(Line::styled(St::back_to_menu(lang), app.theme.hint));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

// ---------------------------------------------------------------- report

fn render_report(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let rep = &app.staff.report;
    let title = match rep.kind {
        ReportKind::X => St::x_title(lang),
        ReportKind::Z => St::z_title(lang),
    };
    let block = boxed(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut head: Vec<Line> = Vec::new();
    if let Some(z) = &rep.refusal {
        head.push(Line::styled(St::z_refused(lang), app.theme.error));
        head.push(Line::styled(z.reason.get(lang).to_owned(), app.theme.error));
        if z.outbox_unresolved > 0 {
            head.push(Line::raw(ss::z_blocking(
                lang,
                z.outbox_unresolved,
                z.dead_unacknowledged,
            )));
        }
        head.push(Line::styled(
            if z.dead_unacknowledged > 0 {
                St::z_ack_offer(lang)
            } else {
                St::z_wait_offer(lang)
            },
            app.theme.hint,
        ));
    } else if let Some(t) = &rep.error {
        head.push(Line::styled(t.get(lang).to_owned(), app.theme.error));
    } else if rep.report.is_none() {
        head.push(Line::styled(
            match rep.kind {
                ReportKind::X => St::report_loading(lang),
                ReportKind::Z => St::z_closing(lang),
            },
            app.theme.warning,
        ));
    } else if rep.checking {
        head.push(Line::styled(St::checking_vipps(lang), app.theme.warning));
    }
    if let Some(r) = &rep.report
        && rep.kind == ReportKind::Z
        && rep.refusal.is_none()
        && let Some(n) = r.number
    {
        head.push(Line::styled(
            ss::z_done(lang, n, &r.business_date),
            app.theme.success,
        ));
    }
    let Some(r) = &rep.report else {
        // No report (loading, refused, failed): the message gets the whole box.
        frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: true }), inner);
        return;
    };
    let head_height = u16::try_from(head.len()).unwrap_or(0);
    let [top, body] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(head), top);
    {
        let text = crate::receipt::report::render_text(r, lang);
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .scroll((rep.scroll, 0)),
            body,
        );
    }
}

// ---------------------------------------------------------------- batch

fn outcome_word(lang: Lang, s: &RefundStatus) -> &'static str {
    match s {
        RefundStatus::Done => St::ok_word(lang),
        RefundStatus::Failed(_) => St::failed_word(lang),
        RefundStatus::Pending | RefundStatus::Recorded => St::pending_word(lang),
    }
}

fn render_batch(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let b = &app.staff.batch;
    let [list, gauge, note] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(3),
        Constraint::Length(2),
    ])
    .areas(area);
    let rows: Vec<Row> = b
        .candidates
        .iter()
        .map(|c| {
            let outcome = b
                .outcomes
                .as_ref()
                .and_then(|o| o.iter().find(|o| o.reference == c.reference));
            let status = match outcome {
                Some(o) => match &o.refused {
                    Some(t) => short(t.get(lang), 40),
                    None => outcome_word(lang, &o.status).to_owned(),
                },
                None => state_word(lang, &c.state).to_owned(),
            };
            Row::new(vec![
                Cell::from(c.receipt_number.clone()),
                Cell::from(local_time(app, c.created_at)),
                right(money(c.remaining(), &c.currency).to_string()),
                Cell::from(c.api.code()),
                Cell::from(status),
            ])
        })
        .collect();
    let header = Row::new(vec![
        Cell::from(St::col_receipt(lang)),
        Cell::from(St::col_time(lang)),
        right(St::col_amount(lang)),
        Cell::from("API"),
        Cell::from(St::col_status(lang)),
    ])
    .style(app.theme.title);
    let table = Table::new(
        rows,
        [
            Constraint::Length(14),
            Constraint::Length(11),
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Fill(1),
        ],
    )
    .header(header)
    .row_highlight_style(app.theme.selection)
    .highlight_symbol("›")
    .highlight_spacing(HighlightSpacing::Always)
    .block(boxed(St::batch_title(lang)));
    let selected = (!b.candidates.is_empty()).then_some(b.selected);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, list, &mut state);

    let total = b.total.max(1);
    let ratio = (b.done.min(total) as f64) / (total as f64);
    let label = if b.total == 0 {
        String::from("–")
    } else {
        ss::done_of(lang, b.done, b.total)
    };
    frame.render_widget(
        Gauge::default()
            .block(boxed(St::progress(lang)))
            .gauge_style(app.theme.gauge)
            .ratio(if b.total == 0 { 0.0 } else { ratio })
            .label(label),
        gauge,
    );
    let text = if let Some(t) = &b.error {
        Line::styled(t.get(lang).to_owned(), app.theme.error)
    } else if b.loading {
        Line::styled(St::batch_loading(lang), app.theme.warning)
    } else if b.running {
        let last = b
            .last
            .as_ref()
            .map(|p| format!("  {} {}", p.reference, if p.ok { "✓" } else { "✗" }))
            .unwrap_or_default();
        Line::styled(
            format!("{}{last}", St::batch_running(lang)),
            app.theme.warning,
        )
    } else if let Some(o) = &b.outcomes {
        let ok = o.iter().filter(|o| o.status == RefundStatus::Done).count();
        Line::styled(
            format!(
                "{}: {} {}, {} {}",
                St::batch_done(lang),
                ok,
                St::ok_word(lang),
                o.len() - ok,
                St::failed_word(lang)
            ),
            app.theme.success,
        )
    } else if b.candidates.is_empty() {
        Line::styled(St::batch_none(lang), app.theme.muted)
    } else {
        Line::styled(St::batch_hint(lang), app.theme.hint)
    };
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), note);
}
