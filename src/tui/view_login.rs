//! The login screen: a masked PIN line in a box, the reason a PIN was refused shows in the
//! toast line under it (wrong PIN with the tries left, locked for N seconds).

use crate::tui::app::App;
use crate::tui::login::L;
use crate::tui::view::{centered, render_input};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Draw the login screen into the body area.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let h = 11;
    let rect = centered(area, area.width.saturating_sub(8).min(60), h);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", L::title(app.lang)))
        .title_style(app.theme.title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [intro, input, problem, hint, demo] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner.inner(ratatui::layout::Margin::new(1, 0)));
    frame.render_widget(
        Paragraph::new(L::intro(app.lang)).wrap(Wrap { trim: true }),
        intro,
    );
    render_input(app, frame, input, "PIN", true);
    if let Some(reason) = &app.login.error {
        frame.render_widget(
            Paragraph::new(reason.get(app.lang).to_string())
                .style(app.theme.error)
                .wrap(Wrap { trim: true }),
            problem,
        );
    }
    frame.render_widget(
        Paragraph::new(L::hint(app.lang)).style(app.theme.muted),
        hint,
    );
    if app.demo {
        frame.render_widget(
            Paragraph::new(Line::styled(L::training_pin(app.lang), app.theme.training)),
            demo,
        );
    }
}
