//! `render(&App, &mut Frame)`: pure drawing. Views read the model, the theme and the time in
//! the model; they never do IO or change state.

use crate::domain::basket::{Basket, BasketTotals};
use crate::domain::money::Money;
use crate::lang::Lang;
use crate::tui::app::{
    App, MIN_HEIGHT, MIN_WIDTH, ManagerAction, PayKind, Prompt, Screen, ToastKind,
};
use crate::tui::keymap::{Action, Mode};
use crate::tui::msg::{NetworkState, PaymentStatusView, PaymentView};
use crate::tui::qr::{QrMatrix, QrWidget};
use crate::tui::strings::{self, S};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, HighlightSpacing, LineGauge, Paragraph, Row, Table, TableState,
    Wrap,
};
use std::time::Duration;

/// Width of the total / receipt panel on the right.
fn side_width(area: Rect) -> u16 {
    if area.width >= 110 { 40 } else { 32 }
}

/// Draw the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(app, frame, area);
        return;
    }
    let [main, status] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    render_status_bar(app, frame, status);

    let qr = qr_for(app, main);
    if let Some(matrix) = &qr {
        // QR payment: the code takes the full height on the left; everything else on the right.
        let (cols, _) = matrix.cells();
        let [left, right] =
            Layout::horizontal([Constraint::Length(cols), Constraint::Fill(1)]).areas(main);
        frame.render_widget(
            QrWidget {
                matrix,
                fg: app.theme.qr_fg,
                bg: app.theme.qr_bg,
            },
            left,
        );
        // The column beside the code is narrow: the hints wrap over up to three rows.
        let [banner, body, toast, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(3),
        ])
        .areas(right);
        render_banner(app, frame, banner);
        render_paying(app, frame, body, true);
        render_toast(app, frame, toast);
        render_hints(app, frame, hints);
    } else {
        let [banner, body, toast, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(main);
        render_banner(app, frame, banner);
        render_toast(app, frame, toast);
        render_hints(app, frame, hints);
        let [left, side] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(side_width(body))])
                .areas(body);
        match app.screen {
            Screen::Sale => {
                render_sale(app, frame, left);
                render_total_panel(app, frame, side);
            }
            Screen::Payment => {
                render_choose_payment(app, frame, left);
                render_total_panel(app, frame, side);
            }
            Screen::Paying => {
                render_paying(app, frame, left, false);
                render_total_panel(app, frame, side);
            }
            Screen::Result => {
                render_result(app, frame, left);
                // Only a paid sale has a receipt; a failed one keeps its basket.
                if app.result_paid() {
                    render_receipt(app, frame, side);
                } else {
                    render_total_panel(app, frame, side);
                }
            }
            Screen::Staff
            | Screen::Refund
            | Screen::Report
            | Screen::Batch
            | Screen::Cash
            | Screen::Return => {
                crate::tui::view_staff::render(app, frame, body);
            }
            Screen::Login => crate::tui::view_login::render(app, frame, body),
        }
        crate::tui::view_park::render_overlay(app, frame, body);
    }
    if !app.recovered.is_empty() {
        render_recovered(app, frame, main);
    }
    if app.prompt == Some(Prompt::ManagerPin) {
        render_manager_pin(app, frame, main);
    }
    if app.help {
        render_help(app, frame, main);
    }
}

/// Render into a buffer with a `TestBackend` (tests that check styles, headless drivers).
pub fn render_to_buffer(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let backend = ratatui::backend::TestBackend::new(width, height);
    match ratatui::Terminal::new(backend) {
        Ok(mut terminal) => {
            if terminal.draw(|f| render(app, f)).is_err() {
                return ratatui::buffer::Buffer::empty(Rect::new(0, 0, width, height));
            }
            terminal.backend().buffer().clone()
        }
        Err(_) => ratatui::buffer::Buffer::empty(Rect::new(0, 0, width, height)),
    }
}

/// Render to plain text, one line per row, trailing spaces trimmed (snapshots).
pub fn render_to_string(app: &App, width: u16, height: u16) -> String {
    let buf = render_to_buffer(app, width, height);
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn qr_for(app: &App, main: Rect) -> Option<QrMatrix> {
    if app.screen != Screen::Paying || app.pay_kind != Some(PayKind::Qr) {
        return None;
    }
    let view = app.payment.as_ref()?;
    if !matches!(
        view.status,
        PaymentStatusView::WaitingForCustomer | PaymentStatusView::WaitingForApproval
    ) {
        return None;
    }
    let payload = view.qr_payload.as_deref()?;
    let max_cols = main.width.saturating_sub(30);
    QrMatrix::fit_cached(payload, max_cols, main.height)
}

// ---------------------------------------------------------------- frame pieces

fn render_too_small(app: &App, frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::styled(S::too_small(app.lang), app.theme.error),
        Line::raw(strings::too_small_detail(
            app.lang,
            area.width,
            area.height,
            MIN_WIDTH,
            MIN_HEIGHT,
        )),
    ];
    let y = area.height.saturating_sub(2) / 2;
    let rect = Rect::new(area.x, area.y + y, area.width, area.height.min(2));
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

fn render_banner(app: &App, frame: &mut Frame, area: Rect) {
    let screen = match app.screen {
        Screen::Login => crate::tui::login::L::screen_login(app.lang),
        Screen::Sale => S::screen_sale(app.lang),
        Screen::Payment => S::screen_payment(app.lang),
        Screen::Paying => S::screen_paying(app.lang),
        Screen::Result => S::screen_result(app.lang),
        Screen::Staff
        | Screen::Refund
        | Screen::Report
        | Screen::Batch
        | Screen::Cash
        | Screen::Return => crate::tui::view_staff::screen_title(app).unwrap_or_default(),
    };
    let mut title = format!(" {} · {screen}", S::app_title(app.lang));
    if app.is_kiosk() {
        title.push_str(&format!(" · {}", S::kiosk_banner(app.lang)));
    }
    if app.demo {
        // The long training banner where it fits, else the short one (the QR screen's
        // right column is narrow).
        let long = format!("{title} · {} ", S::training_banner(app.lang));
        let fits = |t: &String| t.chars().count() <= usize::from(area.width);
        let text = if fits(&long) {
            long
        } else {
            let brief = format!("{title} · {} ", S::training_short(app.lang));
            if fits(&brief) {
                brief
            } else {
                // Narrower still: the screen's name and the training mark, without "kasse".
                format!(" {screen} · {} ", S::training_short(app.lang))
            }
        };
        frame.render_widget(Paragraph::new(text).style(app.theme.training), area);
    } else {
        frame.render_widget(Paragraph::new(title).style(app.theme.title), area);
    }
}

fn clock_text(app: &App) -> String {
    let t = app.now.to_offset(app.utc_offset);
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

fn render_status_bar(app: &App, frame: &mut Frame, area: Rect) {
    let th = &app.theme;
    let bar = th.status_bar;
    let env_style = if app.demo {
        th.training
    } else {
        bar.patch(th.total)
    };
    let (net_text, net_style) = match app.network {
        NetworkState::Online => (S::net_online(app.lang), bar),
        NetworkState::Offline => (S::net_offline(app.lang), bar.patch(th.error)),
        NetworkState::NotAnswering => (S::net_not_answering(app.lang), bar.patch(th.warning)),
        NetworkState::Unknown => (S::net_unknown(app.lang), bar),
    };
    let queue = if app.outbox_dead > 0 {
        format!(
            "{}: {} ({} {})",
            S::outbox_word(app.lang),
            app.outbox_pending,
            app.outbox_dead,
            S::dead_word(app.lang)
        )
    } else {
        format!("{}: {}", S::outbox_word(app.lang), app.outbox_pending)
    };
    let queue_style = if app.outbox_dead > 0 {
        bar.patch(th.error)
    } else if app.outbox_pending > 0 {
        bar.patch(th.warning)
    } else {
        bar
    };
    let sep = Span::styled(" │ ", bar);
    let mut left = Line::from(vec![
        Span::styled(format!(" {} ", app.environment.label(app.lang)), env_style),
        sep.clone(),
        Span::styled(format!("MSN {}", app.msn), bar),
        sep.clone(),
        Span::styled(net_text, net_style),
        sep.clone(),
        Span::styled(queue, queue_style),
    ]);
    // Headquarters lagging (only with [hq] configured, and only while behind).
    if let Some(n) = app.hq_behind.filter(|n| *n > 0) {
        left.spans.push(sep.clone());
        left.spans.push(Span::styled(
            format!("HQ: {n} {}", S::hq_behind_word(app.lang)),
            bar.patch(th.warning),
        ));
    }
    for (_, a) in &app.alerts {
        left.spans.push(sep.clone());
        left.spans.push(Span::styled(
            a.short.get(app.lang).to_string(),
            bar.patch(th.error),
        ));
    }
    // Who is logged in, as much of it as fits before the clock (name and role, else the name).
    let room = usize::from(area.width.saturating_sub(9))
        .saturating_sub(left.width())
        .saturating_sub(3);
    if let Some(who) = crate::tui::login::status_text(app, room) {
        left.spans.push(sep);
        left.spans.push(Span::styled(who, bar.patch(th.total)));
    }
    let [left_area, clock_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(9)]).areas(area);
    frame.render_widget(Paragraph::new(left).style(bar), left_area);
    frame.render_widget(
        Paragraph::new(format!("{} ", clock_text(app)))
            .style(bar)
            .alignment(Alignment::Right),
        clock_area,
    );
}

fn render_toast(app: &App, frame: &mut Frame, area: Rect) {
    let (text, style) = match &app.toast {
        Some(t) => (
            t.text.get(app.lang).to_string(),
            match t.kind {
                ToastKind::Info => app.theme.success,
                ToastKind::Error => app.theme.error,
            },
        ),
        // An alert a person must fix (keys refused, journal cannot write) stays until the
        // engine clears it (a toast shows over it for its few seconds; the status bar keeps
        // the alert's label meanwhile).
        None if !app.alerts.is_empty() => (
            app.alerts
                .iter()
                .map(|(_, a)| a.text.get(app.lang).to_string())
                .collect::<Vec<_>>()
                .join(" · "),
            app.theme.error,
        ),
        None if app.network == NetworkState::Offline => {
            (S::offline_warning(app.lang).to_string(), app.theme.warning)
        }
        None if app.network == NetworkState::NotAnswering => (
            S::not_answering_warning(app.lang).to_string(),
            app.theme.warning,
        ),
        None if app.print_queued > 0 => (
            strings::print_queued(app.lang, app.print_queued),
            app.theme.warning,
        ),
        None => return,
    };
    frame.render_widget(Paragraph::new(format!(" {text}")).style(style), area);
}

/// One line of key hints, generated from the keymap for the current mode: the most
/// important keys first; short labels when the full ones do not all fit; a key that still
/// does not fit is left out (a shorter one after it may still show).
fn render_hints(app: &App, frame: &mut Frame, area: Rect) {
    let mode = app.mode();
    // "QR for the same sale" is offered only where Vipps refused the push.
    let offered = app.qr_fallback_offered();
    let paid = app.result_paid();
    let rows: Vec<(String, String, Option<String>)> = app
        .keymap
        .hint_rows_where(mode, app.lang, app.is_kiosk(), app.demo, |a| {
            // A failed sale has no receipt to print again.
            (mode != Mode::Result
                || ((a != Action::PayQr || offered) && (a != Action::Reprint || paid)))
                && !(app.screen == Screen::Return
                    && crate::tui::view_return::hidden_key(app, mode, a))
        })
        .into_iter()
        .map(|r| {
            // Enter on a failed sale's result goes back to the kept basket, not to a new sale.
            if app.screen == Screen::Return
                && let Some(d) = crate::tui::view_return::key_label(mode, r.action, app.lang)
            {
                (r.key, d.to_owned(), None)
            } else if r.action == Action::NextSale && !paid {
                let back = S::back_to_basket(app.lang).to_string();
                (r.key, back, None)
            } else if app.is_kiosk() && mode == Mode::Payment && r.action == Action::Submit {
                // The customer's own words at a kiosk.
                (r.key, S::kiosk_send(app.lang).to_string(), None)
            } else {
                (r.key, r.desc, r.short)
            }
        })
        .collect();
    let width = usize::from(area.width);
    let height = usize::from(area.height);
    let entry_len = |key: &str, desc: &str| key.chars().count() + desc.chars().count() + 3;
    let all_full = fill_rows(
        rows.iter().map(|(k, d, _)| entry_len(k, &short(d, 18))),
        width,
        height,
    )
    .1;
    let entries: Vec<(String, String)> = rows
        .into_iter()
        .map(|(key, desc, brief)| {
            // The short label when the full ones do not all fit, or this one would be cut.
            let desc = match brief {
                Some(b) if !all_full || desc.chars().count() > 18 => b,
                _ => desc,
            };
            (key, short(&desc, 18))
        })
        .collect();
    let (placed, _) = fill_rows(entries.iter().map(|(k, d)| entry_len(k, d)), width, height);
    let mut lines: Vec<Vec<Span>> = vec![Vec::new(); height.max(1)];
    for ((key, desc), row) in entries.into_iter().zip(placed) {
        if let Some(spans) = row.and_then(|r| lines.get_mut(r)) {
            spans.push(Span::styled(format!(" {key}"), app.theme.hint));
            spans.push(Span::styled(format!(" {desc} "), app.theme.muted));
        }
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .filter(|l| !l.is_empty())
        .map(Line::from)
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// Place entries of the given lengths on up to `rows` rows of `width`, in order (a row is
/// never gone back to); an entry that fits nowhere is left out (`None`). The flag says
/// whether every entry was placed.
fn fill_rows(
    lens: impl Iterator<Item = usize>,
    width: usize,
    rows: usize,
) -> (Vec<Option<usize>>, bool) {
    let mut used = vec![0usize; rows.max(1)];
    let mut row = 0usize;
    let mut all = true;
    let mut out = Vec::new();
    for len in lens {
        while row + 1 < used.len() && used[row] > 0 && used[row] + len > width {
            row += 1;
        }
        match used.get_mut(row) {
            Some(u) if *u + len <= width => {
                *u += len;
                out.push(Some(row));
            }
            _ => {
                all = false;
                out.push(None);
            }
        }
    }
    (out, all)
}

/// Truncate to `max` characters with an ellipsis.
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn right(s: impl Into<String>) -> Cell<'static> {
    Cell::from(Line::from(s.into()).alignment(Alignment::Right))
}

// ---------------------------------------------------------------- sale

fn line_sum(line: &crate::domain::basket::OrderLine) -> Option<Money> {
    let a = line.amounts().ok()?;
    if line.is_return {
        a.gross.checked_neg().ok()
    } else {
        Some(a.gross)
    }
}

fn basket_table(app: &App, basket: &Basket, area: Rect, frame: &mut Frame, title: String) {
    let wide = area.width >= 70;
    let lang = app.lang;
    // Quantities are shown whole: the column grows past 7 for "99999 stk" or "12,345 kg".
    let qty_w = basket
        .lines()
        .iter()
        .map(|l| l.quantity.display(lang).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(7, 12);
    let qty_cols = u16::try_from(qty_w).unwrap_or(7);
    let name_width = usize::from(area.width.saturating_sub(if wide {
        2 + qty_cols + 13 + 13 + 4
    } else {
        2 + qty_cols + 13 + 3
    }));
    let rows: Vec<Row> = basket
        .lines()
        .iter()
        .map(|l| {
            let mut name = l.name.clone();
            if l.is_return {
                name = format!("{} {name}", S::return_word(lang));
            }
            if !l.discount.is_zero() {
                name = format!("{name} (−{} {})", l.discount, S::discount_word(lang));
            }
            let sum = line_sum(l).map(|m| m.to_string()).unwrap_or_default();
            let style = if l.is_return {
                app.theme.warning
            } else {
                app.theme.base
            };
            let mut cells = vec![
                Cell::from(short(&name, name_width)),
                right(l.quantity.display(lang)),
            ];
            if wide {
                cells.push(right(l.unit_price.to_string()));
            }
            cells.push(right(sum));
            Row::new(cells).style(style)
        })
        .collect();
    let mut header = vec![Cell::from(S::col_item(lang)), right(S::col_qty(lang))];
    let mut widths = vec![Constraint::Fill(1), Constraint::Length(qty_cols)];
    if wide {
        header.push(right(S::col_price(lang)));
        widths.push(Constraint::Length(13));
    }
    header.push(right(S::col_sum(lang)));
    widths.push(Constraint::Length(13));
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(app.theme.title))
        .row_highlight_style(app.theme.selection)
        .highlight_symbol("›")
        .highlight_spacing(HighlightSpacing::Always)
        .block(Block::default().borders(Borders::ALL).title(title));
    let mut state = TableState::default().with_selected(app.selected);
    frame.render_stateful_widget(table, area, &mut state);
}

fn render_sale(app: &App, frame: &mut Frame, area: Rect) {
    let [top, input] = Layout::vertical([Constraint::Fill(1), Constraint::Length(3)]).areas(area);
    if let Some(search) = &app.search {
        let items: Vec<Row> = search
            .hits
            .iter()
            .filter_map(|i| app.catalog.get(*i))
            .map(|p| {
                Row::new(vec![
                    Cell::from(p.plu.clone()),
                    Cell::from(short(&p.name, usize::from(top.width.saturating_sub(24)))),
                    right(p.price.to_string()),
                ])
            })
            .collect();
        let title = format!(
            " {} – {} ",
            S::search_title(app.lang),
            strings::search_for(app.lang, &search.query)
        );
        let empty = items.is_empty();
        let table = Table::new(
            items,
            [
                Constraint::Length(6),
                Constraint::Fill(1),
                Constraint::Length(13),
            ],
        )
        .row_highlight_style(app.theme.selection)
        .highlight_symbol("›")
        .highlight_spacing(HighlightSpacing::Always)
        .block(Block::default().borders(Borders::ALL).title(title));
        let mut state = TableState::default().with_selected(Some(search.selected));
        frame.render_stateful_widget(table, top, &mut state);
        if empty {
            let inner = top.inner(ratatui::layout::Margin::new(2, 2));
            frame.render_widget(
                Paragraph::new(S::search_none(app.lang)).style(app.theme.muted),
                inner,
            );
        }
    } else {
        basket_table(
            app,
            &app.basket,
            top,
            frame,
            format!(" {} ", S::screen_sale(app.lang)),
        );
        if app.basket.is_empty() {
            let inner = top.inner(ratatui::layout::Margin::new(2, 3));
            let text = if app.is_kiosk() {
                S::kiosk_welcome(app.lang)
            } else {
                S::basket_empty(app.lang)
            };
            frame.render_widget(
                Paragraph::new(text)
                    .style(app.theme.muted)
                    .wrap(Wrap { trim: true }),
                inner,
            );
        }
    }
    let label = match app.prompt {
        Some(Prompt::Quantity) => S::prompt_quantity(app.lang),
        Some(Prompt::Weight) => S::prompt_weight(app.lang),
        Some(Prompt::Price) => S::prompt_price(app.lang),
        Some(Prompt::Discount) => S::prompt_discount(app.lang),
        Some(Prompt::OpenPrice) => S::prompt_open_price(app.lang),
        Some(Prompt::KioskPin) => S::prompt_pin(app.lang),
        Some(Prompt::ManagerPin) => manager_prompt_label(app),
        Some(Prompt::CashReceived) => S::prompt_cash(app.lang),
        Some(Prompt::LoginPin) => "PIN",
        Some(Prompt::ParkName) => crate::tui::park::P::prompt_name(app.lang),
        None => S::input_scan(app.lang),
    };
    render_input(
        app,
        frame,
        input,
        label,
        matches!(
            app.prompt,
            Some(Prompt::KioskPin | Prompt::ManagerPin | Prompt::LoginPin)
        ),
    );
}

pub(crate) fn render_input(app: &App, frame: &mut Frame, area: Rect, label: &str, masked: bool) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {label} "))
        .border_style(app.theme.hint);
    let inner = block.inner(area);
    let width = usize::from(inner.width.saturating_sub(1));
    let scroll = app.input.visual_scroll(width);
    let chars: Vec<char> = if masked {
        app.input.value().chars().map(|_| '•').collect()
    } else {
        app.input.value().chars().collect()
    };
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

/// Big digits (3 rows) so the customer can read the total across the counter.
fn big_glyph(c: char) -> Option<[&'static str; 3]> {
    Some(match c {
        '0' => ["█▀█", "█ █", "▀▀▀"],
        '1' => ["▀█ ", " █ ", "▀▀▀"],
        '2' => ["▀▀█", "█▀▀", "▀▀▀"],
        '3' => ["▀▀█", " ▀█", "▀▀▀"],
        '4' => ["█ █", "▀▀█", "  ▀"],
        '5' => ["█▀▀", "▀▀█", "▀▀▀"],
        '6' => ["█▀▀", "█▀█", "▀▀▀"],
        '7' => ["▀▀█", "  █", "  ▀"],
        '8' => ["█▀█", "█▀█", "▀▀▀"],
        '9' => ["█▀█", "▀▀█", "▀▀▀"],
        ',' => [" ", " ", "█"],
        '-' => ["   ", "▀▀▀", "   "],
        ' ' => ["", "", ""],
        _ => return None,
    })
}

/// The amount without the currency symbol in big digits, or `None` if it does not fit.
pub fn big_amount(m: Money, width: u16) -> Option<[String; 3]> {
    let text = m.to_string();
    let digits = text.replace(m.currency().symbol(), "");
    let digits = digits.trim();
    let mut rows = [String::new(), String::new(), String::new()];
    for (i, c) in digits.chars().enumerate() {
        let g = big_glyph(c)?;
        for (r, row) in rows.iter_mut().enumerate() {
            if i > 0 {
                row.push(' ');
            }
            row.push_str(g[r]);
        }
    }
    (rows[0].chars().count() <= usize::from(width)).then_some(rows)
}

fn totals(basket: &Basket) -> Option<BasketTotals> {
    basket.totals().ok()
}

fn render_total_panel(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", S::total(app.lang)))
        .title_style(app.theme.title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(t) = totals(&app.basket) else {
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::styled(
        t.gross.currency().symbol().to_string(),
        app.theme.muted,
    ));
    match big_amount(t.gross, inner.width) {
        Some(rows) => {
            for r in rows {
                lines.push(Line::styled(r, app.theme.total).alignment(Alignment::Right));
            }
        }
        None => lines.push(Line::styled(t.gross.to_string(), app.theme.total)),
    }
    if !app.basket.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(S::vat_breakdown(app.lang), app.theme.title));
        let w = usize::from(inner.width);
        for b in &t.per_rate {
            let rate = b.rate.to_string();
            let gross = b.gross.to_string();
            lines.push(Line::raw(format!(
                "{rate:<7}{gross:>width$}",
                width = w.saturating_sub(7)
            )));
            let of = S::vat_of(app.lang);
            let vat = b.vat.to_string();
            lines.push(Line::styled(
                format!(
                    "  {of}{vat:>width$}",
                    width = w.saturating_sub(2 + of.chars().count())
                ),
                app.theme.muted,
            ));
        }
        if !t.discount.is_zero() {
            let label = S::discount_total(app.lang);
            let d = t.discount.to_string();
            lines.push(Line::styled(
                format!(
                    "{label}{d:>width$}",
                    width = w.saturating_sub(label.chars().count())
                ),
                app.theme.warning,
            ));
        }
        let label = S::vat_total(app.lang);
        let v = t.vat.to_string();
        lines.push(Line::styled(
            format!(
                "{label}{v:>width$}",
                width = w.saturating_sub(label.chars().count())
            ),
            app.theme.base,
        ));
    }
    // On a failed split's result the cash part is being handed back: no tender lines.
    let handed_back = app.screen == Screen::Result;
    if let Some(c) = app.cash.as_ref().filter(|c| c.is_split() && !handed_back) {
        let w = usize::from(inner.width);
        lines.push(Line::raw(""));
        for (label, m, style) in [
            (S::cash_word(app.lang), c.received, app.theme.base),
            (
                S::rest_vipps_short(app.lang),
                c.remainder(),
                app.theme.total,
            ),
        ] {
            let m = m.to_string();
            lines.push(Line::styled(
                format!(
                    "{label}{m:>width$}",
                    width = w.saturating_sub(label.chars().count())
                ),
                style,
            ));
        }
    }
    if !app.park.list.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            strings::parked_count(app.lang, app.park.list.len()),
            app.theme.hint,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

// ---------------------------------------------------------------- payment

fn render_choose_payment(app: &App, frame: &mut Frame, area: Rect) {
    let [text, input] = Layout::vertical([Constraint::Fill(1), Constraint::Length(3)]).areas(area);
    let qr_key = app
        .keymap
        .key_for(Mode::Payment, Action::PayQr)
        .map(|k| k.to_string())
        .unwrap_or_default();
    let cash_key = app
        .keymap
        .key_for(Mode::Payment, Action::PayCash)
        .map(|k| k.to_string())
        .unwrap_or_default();
    let split = app.cash.as_ref().filter(|c| c.is_split());
    let kiosk = app.is_kiosk();
    let mut lines = vec![
        Line::styled(
            if kiosk {
                S::kiosk_pay_title(app.lang)
            } else {
                S::pay_title(app.lang)
            },
            app.theme.title,
        ),
        Line::raw(""),
    ];
    if kiosk && split.is_none() {
        // The customer's own words: no "the customer", no staff keys.
        lines.push(Line::raw(S::kiosk_pay_push_hint(app.lang)));
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(format!("{qr_key}: "), app.theme.hint),
            Span::raw(S::kiosk_pay_qr_hint(app.lang)),
        ]));
        lines.push(Line::raw(""));
        lines.push(Line::styled(S::kiosk_pay_back(app.lang), app.theme.hint));
    } else if let Some(c) = split {
        lines.push(Line::raw(format!(
            "{}: {}",
            S::cash_received(app.lang),
            c.received
        )));
        lines.push(Line::styled(
            format!("{}: {}", S::remaining_by_vipps(app.lang), c.remainder()),
            app.theme.total,
        ));
        lines.push(Line::raw(""));
        lines.push(Line::raw(S::split_choose_hint(app.lang)));
    } else {
        // Øreavrunding: what a cash-only sale of this basket owes.
        if app.prompt == Some(Prompt::CashReceived)
            && let Ok(t) = app.basket.totals()
            && !t.gross.cash_rounding().is_zero()
        {
            lines.push(Line::raw(format!(
                "{}: {}",
                S::cash_rounding(app.lang),
                strings::signed_rounding(t.gross.cash_rounding())
            )));
            lines.push(Line::styled(
                format!("{}: {}", S::cash_to_pay(app.lang), t.gross.round_cash()),
                app.theme.total,
            ));
            lines.push(Line::raw(""));
        }
        lines.push(Line::raw(S::pay_push_hint(app.lang)));
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(format!("{qr_key}: "), app.theme.hint),
            Span::raw(S::pay_qr_hint(app.lang)),
        ]));
        if !app.is_kiosk() {
            lines.push(Line::from(vec![
                Span::styled(format!("{cash_key}: "), app.theme.hint),
                Span::raw(S::pay_cash_hint(app.lang)),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::default().borders(Borders::ALL)),
        text,
    );
    let (label, masked) = match app.prompt {
        Some(Prompt::CashReceived) => (S::prompt_cash(app.lang), false),
        _ if kiosk => (S::kiosk_input_phone(app.lang), false),
        _ => (S::input_phone(app.lang), false),
    };
    render_input(app, frame, input, label, masked);
}

fn mmss(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

/// Five minutes per phase (Vipps: 5 to open, 5 more to approve).
const PHASE: Duration = Duration::from_secs(300);

fn gauge<'a>(
    app: &App,
    label: &str,
    left: Option<Duration>,
    full: Duration,
    active: bool,
) -> LineGauge<'a> {
    let ratio = left
        .map(|d| (d.as_secs_f64() / full.as_secs_f64()).clamp(0.0, 1.0))
        .unwrap_or(0.0);
    let shown = left.map(mmss).unwrap_or_else(|| "–".to_string());
    let style = if active {
        app.theme.gauge
    } else {
        app.theme.muted
    };
    LineGauge::default()
        .ratio(ratio)
        .label(Line::styled(format!("{label:<10} {shown:>5} "), style))
        .filled_symbol("█")
        .unfilled_symbol("░")
        .filled_style(style)
        .unfilled_style(app.theme.muted)
}

fn status_text(lang: Lang, s: PaymentStatusView) -> &'static str {
    match s {
        PaymentStatusView::Creating => S::status_creating(lang),
        PaymentStatusView::WaitingForCustomer => S::status_waiting_customer(lang),
        PaymentStatusView::WaitingForApproval => S::status_waiting_approval(lang),
        PaymentStatusView::Authorized => S::status_authorized(lang),
        PaymentStatusView::Capturing => S::status_capturing(lang),
        PaymentStatusView::Paid => S::status_paid(lang),
        PaymentStatusView::Rejected => S::status_rejected(lang),
        PaymentStatusView::Expired => S::status_expired(lang),
        PaymentStatusView::Cancelled => S::status_cancelled(lang),
        PaymentStatusView::Failed => S::status_failed(lang),
        PaymentStatusView::Cancelling => S::cancel_requested(lang),
        PaymentStatusView::AuthorizedAfterCancel => S::status_after_cancel(lang),
    }
}

fn render_paying(app: &App, frame: &mut Frame, area: Rect, beside_qr: bool) {
    let block = Block::default().borders(Borders::ALL);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let status = app
        .payment
        .as_ref()
        .map(|p| p.status)
        .unwrap_or(PaymentStatusView::Creating);
    let mut lines: Vec<Line> = Vec::new();
    let amount = app
        .payment
        .as_ref()
        .map(|p| p.amount)
        .or_else(|| app.basket.totals().ok().map(|t| t.gross));
    if beside_qr {
        lines.push(Line::styled(S::scan_qr(app.lang), app.theme.title));
        if let Some(a) = amount {
            lines.push(Line::styled(a.to_string(), app.theme.total));
        }
        lines.push(Line::raw(""));
    }
    let status_style = if status == PaymentStatusView::AuthorizedAfterCancel {
        app.theme.warning
    } else {
        app.theme.title
    };
    lines.push(Line::styled(status_text(app.lang, status), status_style));
    if app.cancel_requested
        && !matches!(
            status,
            PaymentStatusView::AuthorizedAfterCancel | PaymentStatusView::Cancelling
        )
    {
        lines.push(Line::styled(
            S::cancel_requested(app.lang),
            app.theme.warning,
        ));
    }
    if status == PaymentStatusView::AuthorizedAfterCancel {
        lines.push(Line::raw(S::decide_hint(app.lang)));
    }
    match &app.pay_kind {
        Some(PayKind::Push { to }) => {
            lines.push(Line::raw(format!(
                "{}: {}",
                S::push_sent_to(app.lang),
                short(to, 40)
            )));
        }
        Some(PayKind::Qr)
            if !beside_qr && app.payment.as_ref().is_some_and(|p| p.qr_payload.is_some()) =>
        {
            lines.push(Line::styled(S::qr_too_small(app.lang), app.theme.error));
        }
        Some(PayKind::Qr) | None => {}
    }
    if let Some(c) = app.cash.as_ref().filter(|c| c.is_split()) {
        lines.push(Line::raw(format!(
            "{}: {} · {}: {}",
            S::cash_received(app.lang),
            c.received,
            S::remaining_by_vipps(app.lang),
            c.remainder()
        )));
    }
    if let Some(p) = &app.payment {
        lines.push(Line::styled(
            format!("{}: {}", S::reference(app.lang), p.reference),
            app.theme.muted,
        ));
    }
    if app.demo && !status.is_final() && status != PaymentStatusView::AuthorizedAfterCancel {
        let k = |a: Action| {
            app.keymap
                .key_for(Mode::Waiting, a)
                .map(|k| k.to_string())
                .unwrap_or_default()
        };
        lines.push(Line::styled(
            format!(
                "{} {} · {} {} · {} {}",
                k(Action::CustomerOpen),
                S::demo_open(app.lang),
                k(Action::CustomerApprove),
                S::demo_approve(app.lang),
                k(Action::CustomerReject),
                S::demo_reject(app.lang)
            ),
            app.theme.training,
        ));
    }
    let text_h = u16::try_from(lines.len()).unwrap_or(u16::MAX) + 1;
    let [text, g1, g2] = Layout::vertical([
        Constraint::Length(text_h),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), text);
    let (open_left, approve_left, open_signal) = app
        .payment
        .as_ref()
        .map(|p: &PaymentView| (p.open_left, p.approve_left, p.open_signal))
        .unwrap_or((None, None, true));
    frame.render_widget(
        gauge(
            app,
            S::gauge_open(app.lang),
            open_left,
            PHASE,
            status == PaymentStatusView::WaitingForCustomer,
        ),
        g1,
    );
    if open_signal {
        // eCom says when the customer opened it: the second phase runs as it happens.
        frame.render_widget(
            gauge(
                app,
                S::gauge_approve(app.lang),
                approve_left,
                PHASE,
                status == PaymentStatusView::WaitingForApproval,
            ),
            g2,
        );
    } else {
        // ePayment does not: only the latest possible end (created + 10 min) is known.
        frame.render_widget(
            gauge(
                app,
                S::gauge_latest_end(app.lang),
                approve_left,
                PHASE * 2,
                matches!(
                    status,
                    PaymentStatusView::WaitingForCustomer | PaymentStatusView::WaitingForApproval
                ),
            ),
            g2,
        );
    }
}

// ---------------------------------------------------------------- result

/// The result of a cash-only sale: PAID IN CASH, the total, what was received and the change
/// in big digits (the cashier counts it out).
fn render_cash_result(app: &App, frame: &mut Frame, inner: Rect, c: &crate::tui::app::CashTender) {
    let mut lines = vec![
        Line::raw(""),
        Line::styled(S::status_paid_cash(app.lang), app.theme.success).alignment(Alignment::Center),
        Line::styled(c.total.to_string(), app.theme.total).alignment(Alignment::Center),
        Line::raw(""),
    ];
    let rounding = c.rounding();
    if !rounding.is_zero() {
        lines.push(Line::raw(format!(
            "{}: {}",
            S::cash_rounding(app.lang),
            strings::signed_rounding(rounding)
        )));
        lines.push(Line::raw(format!(
            "{}: {}",
            S::cash_to_pay(app.lang),
            c.cash_part()
        )));
    }
    lines.push(Line::raw(format!(
        "{}: {}",
        S::cash_received(app.lang),
        c.received
    )));
    let change = c.change();
    if change.is_zero() {
        lines.push(Line::styled(S::no_change(app.lang), app.theme.title));
    } else {
        lines.push(Line::styled(
            format!("{} {}", S::change_word(app.lang), change),
            app.theme.title,
        ));
        match big_amount(change, inner.width) {
            Some(rows) => {
                for r in rows {
                    lines.push(Line::styled(r, app.theme.total).alignment(Alignment::Center));
                }
            }
            None => lines.push(Line::styled(change.to_string(), app.theme.total)),
        }
    }
    lines.push(Line::raw(""));
    if let Some(no) = &c.receipt_number {
        lines.push(Line::raw(format!("{}: {no}", S::receipt_no(app.lang))));
    }
    lines.push(Line::styled(S::next_sale_hint(app.lang), app.theme.hint));
    // No trimming: a glyph row starting with a blank must keep it, or the big digits shear.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn render_result(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::default().borders(Borders::ALL);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.payment.is_none()
        && let Some(c) = app.cash.as_ref().filter(|c| c.receipt_number.is_some())
    {
        render_cash_result(app, frame, inner, c);
        return;
    }
    let Some(p) = &app.payment else {
        return;
    };
    let split = app.cash.as_ref().filter(|c| c.is_split());
    if let Some(c) = split
        && p.status != PaymentStatusView::Paid
    {
        // The Vipps part failed: say exactly what to do with the cash already taken.
        let style = app.theme.error;
        let mut lines = vec![
            Line::raw(""),
            Line::styled(status_text(app.lang, p.status), style).alignment(Alignment::Center),
            Line::styled(S::split_failed_title(app.lang), style).alignment(Alignment::Center),
            Line::raw(""),
            Line::styled(
                strings::give_back_cash(app.lang, c.received),
                app.theme.total,
            )
            .alignment(Alignment::Center),
            Line::raw(""),
        ];
        if let Some(reason) = &p.reason {
            lines.push(Line::styled(reason.get(app.lang).to_string(), style));
        }
        lines.push(Line::styled(
            S::split_not_counted(app.lang),
            app.theme.muted,
        ));
        lines.push(Line::styled(
            format!("{}: {}", S::reference(app.lang), p.reference),
            app.theme.muted,
        ));
        lines.push(Line::raw(""));
        lines.push(Line::styled(S::split_failed_hint(app.lang), app.theme.hint));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let style = match p.status {
        PaymentStatusView::Paid => app.theme.success,
        PaymentStatusView::Cancelled | PaymentStatusView::Expired => app.theme.warning,
        _ => app.theme.error,
    };
    // A paid split shows the whole sale; the line below says how it was paid.
    let shown = split.map_or(p.amount, |c| c.total);
    let mut lines = vec![
        Line::raw(""),
        Line::styled(status_text(app.lang, p.status), style).alignment(Alignment::Center),
        Line::styled(shown.to_string(), app.theme.total).alignment(Alignment::Center),
        Line::raw(""),
    ];
    if let Some(c) = split {
        lines.push(Line::raw(strings::split_paid(
            app.lang, c.received, p.amount,
        )));
        lines.push(Line::raw(""));
    }
    if let Some(reason) = &p.reason {
        lines.push(Line::styled(reason.get(app.lang).to_string(), style));
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        format!("{}: {}", S::reference(app.lang), p.reference),
        app.theme.muted,
    ));
    if let Some(no) = p.receipt_number.as_ref().filter(|_| app.result_paid()) {
        lines.push(Line::raw(format!("{}: {no}", S::receipt_no(app.lang))));
    }
    lines.push(Line::raw(""));
    if app.qr_fallback_offered()
        && let Some(k) = app.keymap.key_for(Mode::Result, Action::PayQr)
    {
        lines.push(Line::styled(
            format!("{k}: {}", S::qr_same_sale(app.lang)),
            app.theme.title,
        ));
    }
    let enter = if app.result_paid() {
        S::next_sale_hint(app.lang)
    } else {
        S::back_to_basket_hint(app.lang)
    };
    lines.push(Line::styled(enter, app.theme.hint));
    if let (Some(k), Some(at)) = (&app.kiosk, app.result_at) {
        let elapsed = (app.now - at).whole_seconds().max(0).unsigned_abs();
        let left = k.return_after.as_secs().saturating_sub(elapsed);
        lines.push(Line::styled(
            strings::kiosk_return_in(app.lang, left),
            app.theme.muted,
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

fn render_receipt(app: &App, frame: &mut Frame, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", S::receipt_summary(app.lang)))
        .title_style(app.theme.title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let mut lines: Vec<Line> = Vec::new();
    for l in app.basket.lines() {
        let sum = line_sum(l).map(|m| m.to_string()).unwrap_or_default();
        let qty = l.quantity.display(app.lang);
        let name_w = w.saturating_sub(sum.chars().count() + qty.chars().count() + 3);
        lines.push(Line::raw(format!(
            "{qty} {:<name_w$} {sum:>}",
            short(&l.name, name_w)
        )));
    }
    if let Some(t) = totals(&app.basket) {
        lines.push(Line::raw("─".repeat(w)));
        lines.push(Line::styled(
            format!(
                "{:<12}{:>width$}",
                S::total(app.lang),
                t.gross.to_string(),
                width = w.saturating_sub(12)
            ),
            app.theme.total,
        ));
        for b in &t.per_rate {
            lines.push(Line::styled(
                format!(
                    "{} {:>6}{:>width$}",
                    S::vat_word(app.lang),
                    b.rate.to_string(),
                    b.vat.to_string(),
                    width = w.saturating_sub(10)
                ),
                app.theme.muted,
            ));
        }
    }
    let paid = app
        .payment
        .as_ref()
        .is_none_or(|p| p.status == PaymentStatusView::Paid);
    if let Some(c) = app.cash.as_ref().filter(|_| paid) {
        let rounding = c.rounding();
        if !rounding.is_zero() {
            let label = S::cash_rounding(app.lang);
            let m = strings::signed_rounding(rounding);
            lines.push(Line::raw(format!(
                "{label}{m:>width$}",
                width = w.saturating_sub(label.chars().count())
            )));
        }
        let mut tenders: Vec<(&str, Money)> = vec![(S::cash_word(app.lang), c.cash_part())];
        if c.is_split() {
            let vipps = app.payment.as_ref().map_or(c.remainder(), |p| p.amount);
            tenders.push((S::vipps_word(app.lang), vipps));
        } else if !c.change().is_zero() {
            tenders.push((S::change_word(app.lang), c.change()));
        }
        for (label, m) in tenders {
            let m = m.to_string();
            lines.push(Line::raw(format!(
                "{label}{m:>width$}",
                width = w.saturating_sub(label.chars().count())
            )));
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

// ---------------------------------------------------------------- overlays

pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn manager_prompt_label(app: &App) -> &'static str {
    if let Some(label) = crate::tui::view_staff::manager_label(app) {
        return label;
    }
    match &app.manager.asking {
        Some(ManagerAction::PriceOverride { .. }) => S::prompt_manager_price(app.lang),
        Some(ManagerAction::VoidAfterCancel { .. }) => S::prompt_manager_void(app.lang),
        Some(ManagerAction::OpenDrawer) => S::prompt_manager_drawer(app.lang),
        Some(ManagerAction::LeaveKiosk) | None => S::prompt_manager_kiosk(app.lang),
        Some(
            ManagerAction::Refund
            | ManagerAction::Return
            | ManagerAction::ZReport
            | ManagerAction::Batch
            | ManagerAction::AcknowledgeOutbox
            | ManagerAction::Cash,
        ) => S::prompt_manager_kiosk(app.lang),
    }
}

/// The manager PIN prompt: a box over whatever screen asked for it; the PIN is masked.
fn render_manager_pin(app: &App, frame: &mut Frame, area: Rect) {
    let rect = centered(area, area.width.saturating_sub(8).min(56), 6);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", manager_prompt_label(app)))
        .title_style(app.theme.title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [input, hint] =
        Layout::vertical([Constraint::Length(3), Constraint::Length(1)]).areas(inner);
    render_input(app, frame, input, "PIN", true);
    frame.render_widget(
        Paragraph::new(S::manager_pin_hint(app.lang)).style(app.theme.muted),
        hint,
    );
}

fn render_help(app: &App, frame: &mut Frame, area: Rect) {
    let rows = app
        .keymap
        .help_rows(app.help_mode(), app.lang, app.is_kiosk(), app.demo);
    let key_w = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let total = rows.len();
    // Leave the hint line (it shows the scroll keys) and the status bar uncovered: when the
    // rows do not fit, the overlay shows a window of them and says where it is.
    let window = crate::tui::app::help_window(total, area.height.saturating_add(1));
    let fits = window.is_none();
    let visible = window.unwrap_or(total);
    let first = app.help_scroll.min(total.saturating_sub(visible));
    let mut lines: Vec<Line> = rows
        .into_iter()
        .skip(first)
        .take(visible)
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!(" {k:>key_w$}  "), app.theme.hint),
                Span::raw(d),
            ])
        })
        .collect();
    if fits {
        lines.push(Line::raw(""));
    } else {
        lines.push(Line::styled(
            format!(
                " {}",
                strings::help_more(app.lang, first + 1, first + visible, total)
            ),
            app.theme.hint,
        ));
    }
    lines.push(Line::styled(
        format!(" {}", S::help_footer(app.lang)),
        app.theme.muted,
    ));
    let h = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = centered(area, area.width.saturating_sub(8).min(72), h);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", S::help_title(app.lang)))
                .title_style(app.theme.title),
        ),
        rect,
    );
}

fn render_recovered(app: &App, frame: &mut Frame, area: Rect) {
    let mut lines = vec![Line::raw(S::recovered_intro(app.lang)), Line::raw("")];
    for r in &app.recovered {
        let style = match r.outcome {
            PaymentStatusView::Paid => app.theme.success,
            PaymentStatusView::Rejected | PaymentStatusView::Failed => app.theme.error,
            _ => app.theme.warning,
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{}  {:>12}  ", r.reference, r.amount.to_string())),
            Span::styled(status_text(app.lang, r.outcome), style),
        ]));
        if let Some(note) = &r.note {
            lines.push(Line::styled(
                format!("  {}", note.get(app.lang)),
                app.theme.muted,
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(S::notice_close(app.lang), app.theme.hint));
    let h = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = centered(area, area.width.saturating_sub(6).min(90), h);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" {} ", S::recovered_title(app.lang)))
                .title_style(app.theme.warning)
                .style(Style::default()),
        ),
        rect,
    );
}
