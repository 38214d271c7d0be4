//! The parked-basket list (F9) and the park / void question (Ctrl-Q or Ctrl-D with a basket),
//! drawn over the sale screen.

use crate::tui::app::App;
use crate::tui::park::{Ask, P};
use crate::tui::view::centered;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// The question or the list, if either is up.
pub fn render_overlay(app: &App, frame: &mut Frame, area: Rect) {
    if let Some(ask) = app.park.ask {
        render_ask(app, frame, area, ask);
    } else if app.park.open {
        render_list(app, frame, area);
    }
}

fn render_ask(app: &App, frame: &mut Frame, area: Rect, ask: Ask) {
    let lang = app.lang;
    let (title, keys) = match ask {
        Ask::Quit => (P::ask_quit_title(lang), P::ask_quit_keys(lang)),
        Ask::Void => (P::ask_void_title(lang), P::ask_void_keys(lang)),
    };
    let total = app
        .basket
        .totals()
        .map(|t| t.gross.to_string())
        .unwrap_or_default();
    let what = match lang {
        crate::lang::Lang::Nb => format!("Kurven har {} linjer, {total}.", app.basket.len()),
        crate::lang::Lang::En => format!("The basket has {} lines, {total}.", app.basket.len()),
    };
    let w = area.width.saturating_sub(4).min(70);
    let rect = centered(area, w, 8);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "))
        .title_style(app.theme.title)
        .border_style(app.theme.warning);
    let lines = vec![
        Line::raw(""),
        Line::raw(what),
        Line::raw(""),
        Line::styled(keys, app.theme.hint),
    ];
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        rect,
    );
}

fn render_list(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let n = app.park.list.len();
    let h = u16::try_from(n + 4).unwrap_or(u16::MAX).min(area.height);
    let w = area.width.saturating_sub(4).min(72);
    let rect = centered(area, w, h);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", P::list_title(lang)))
        .title_style(app.theme.title);
    let inner_w = usize::from(w.saturating_sub(2));
    let rows = usize::from(h.saturating_sub(4)).max(1);
    // Keep the marked one in view.
    let first = app.park.selected.saturating_sub(rows - 1);
    let mut lines = Vec::new();
    for (i, p) in app.park.list.iter().enumerate().skip(first).take(rows) {
        let t = p.parked_at.to_offset(app.utc_offset);
        let right = format!(
            "{} {}  {:02}:{:02}  {}",
            p.lines,
            match (p.lines, lang) {
                (1, _) => lang.pick("linje", "line"),
                _ => lang.pick("linjer", "lines"),
            },
            t.hour(),
            t.minute(),
            p.total
        );
        let mark = if i == app.park.selected { "›" } else { " " };
        // "› 12. " before the name, one blank after it.
        let name_w = inner_w.saturating_sub(right.chars().count() + 7);
        let name: String = p.name.chars().take(name_w).collect();
        let text = format!("{mark} {:>2}. {name:<name_w$} {right}", i + 1);
        let style = if i == app.park.selected {
            app.theme.selection
        } else {
            app.theme.base
        };
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(P::list_keys(lang), app.theme.hint));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
