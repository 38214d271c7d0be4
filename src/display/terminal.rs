//! The customer display in a terminal (pure): `kasse display` draws the same [`CustomerView`]
//! the web page shows — the lines, the total, the QR code while a QR payment waits (half-block
//! cells, dark on light so it scans on any terminal theme), "Sjekk Vipps-appen", the result and
//! the change — on a second terminal facing the customer. Nothing here reads the network; the
//! shell ([`crate::cli::display`]) feeds it the views from the till's `GET /events`.

use crate::display::view::{CustomerView, Outcome, Phase};
use crate::lang::Lang;
use crate::tui::qr::{QrMatrix, QrWidget};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Wrap};

/// What the terminal display knows: the last view from the till, and whether the stream to
/// the till is up (a display that lost the till says so instead of showing an old total).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TerminalState {
    pub view: Option<CustomerView>,
    pub online: bool,
    /// The language to use before the first view arrives (then the view's own).
    pub lang: Lang,
}

fn headline_style(view: &CustomerView) -> Style {
    let color = match (view.phase, view.result) {
        (Phase::Result, Some(Outcome::Paid)) | (Phase::CashChange, _) => Color::Green,
        (Phase::Result, Some(_)) => Color::Red,
        _ => Color::Cyan,
    };
    Style::default().fg(color).add_modifier(Modifier::BOLD)
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// Draw the whole screen.
pub fn render(state: &TerminalState, frame: &mut Frame) {
    let area = frame.area();
    let Some(view) = state.view.as_ref() else {
        let text = state
            .lang
            .pick("Venter på kassen …", "Waiting for the till …");
        let [_, mid, _] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(text).alignment(Alignment::Center), mid);
        return;
    };
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(view.shop.as_str(), bold())))
            .alignment(Alignment::Center),
        top,
    );
    let status = if state.online {
        String::new()
    } else {
        view.labels.offline.clone()
    };
    frame.render_widget(
        Paragraph::new(status)
            .style(Style::default().fg(Color::Yellow))
            .alignment(Alignment::Center),
        bottom,
    );
    match view.phase {
        Phase::Idle => centred(frame, body, view, &[]),
        Phase::Basket => basket(frame, body, view),
        Phase::PayingQr => paying_qr(frame, body, view),
        Phase::PayingPush | Phase::Processing | Phase::Result => {
            let mut extra = vec![Line::from(vec![
                Span::raw(format!("{}: ", view.labels.to_pay)),
                Span::styled(view.amount.as_str(), bold()),
            ])];
            if let Some(c) = &view.countdown {
                extra.push(Line::from(c.as_str()));
            }
            if view.phase == Phase::Result {
                extra.truncate(0);
            }
            centred(frame, body, view, &extra);
        }
        Phase::CashChange => {
            let extra: Vec<Line> = view
                .cash
                .iter()
                .flat_map(|c| {
                    [
                        Line::from(format!("{}: {}", view.labels.received, c.received)),
                        Line::from(vec![
                            Span::raw(format!("{}: ", view.labels.change)),
                            Span::styled(c.change.as_str(), bold()),
                        ]),
                    ]
                })
                .collect();
            centred(frame, body, view, &extra);
        }
    }
}

/// The headline, the message and `extra` lines in the middle of `area`.
fn centred(frame: &mut Frame, area: Rect, view: &CustomerView, extra: &[Line]) {
    let mut lines = vec![Line::from(Span::styled(
        view.headline.as_str(),
        headline_style(view),
    ))];
    if !view.message.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(view.message.as_str()));
    }
    if !extra.is_empty() {
        lines.push(Line::from(""));
        lines.extend(extra.iter().cloned());
    }
    centre_lines(frame, area, lines);
}

/// `lines` centred in `area`, across and down.
fn centre_lines(frame: &mut Frame, area: Rect, lines: Vec<Line>) {
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let [_, mid, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        mid,
    );
}

/// The lines as they are scanned (the newest at the bottom, always visible) and the total.
fn basket(frame: &mut Frame, area: Rect, view: &CustomerView) {
    let [list, total] = Layout::vertical([Constraint::Fill(1), Constraint::Length(3)]).areas(area);
    // Inside the border: the rows that fit, the newest last.
    let fit = usize::from(list.height.saturating_sub(2));
    let skip = view.lines.len().saturating_sub(fit);
    let rows = view.lines.iter().skip(skip).map(|l| {
        let name = if l.discount.is_empty() {
            l.name.clone()
        } else {
            format!("{} ({} {})", l.name, view.labels.discount, l.discount)
        };
        Row::new(vec![name, l.quantity.clone(), l.total.clone()])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(10),
            Constraint::Length(14),
        ],
    )
    .block(Block::default().borders(Borders::ALL));
    frame.render_widget(table, list);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw(format!("{}: ", view.labels.total)),
            Span::styled(view.total.as_str(), bold()),
        ]))
        .alignment(Alignment::Right)
        .block(Block::default().borders(Borders::ALL)),
        total,
    );
}

/// Width of the words beside the QR code when the window is wide enough.
const SIDE_TEXT: u16 = 34;

/// The QR code as large as fits, the amount and the countdown beside it (a wide window) or
/// below it.
fn paying_qr(frame: &mut Frame, area: Rect, view: &CustomerView) {
    let payload = view.qr.as_deref();
    let [qr_side, text_side] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(SIDE_TEXT)]).areas(area);
    let [qr_top, text_below] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(5)]).areas(area);
    let fit = |a: Rect| payload.and_then(|p| QrMatrix::fit_cached(p, a.width, a.height));
    let (qr_area, text_area, matrix) = match fit(qr_side) {
        Some(m) if area.width > SIDE_TEXT => (qr_side, text_side, Some(m)),
        _ => (qr_top, text_below, fit(qr_top)),
    };
    match &matrix {
        Some(m) => frame.render_widget(
            QrWidget {
                matrix: m,
                fg: Color::Black,
                bg: Color::White,
            },
            qr_area,
        ),
        None if payload.is_some() => frame.render_widget(
            Paragraph::new(view.lang.pick(
                "Vinduet er for lite for QR-koden: gjør det større.",
                "The window is too small for the QR code: make it larger.",
            ))
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
            qr_area,
        ),
        None => {}
    }
    let mut lines = vec![
        Line::from(Span::styled(view.headline.as_str(), headline_style(view))),
        Line::from(view.message.as_str()),
        Line::from(vec![
            Span::raw(format!("{}: ", view.labels.to_pay)),
            Span::styled(view.amount.as_str(), bold()),
        ]),
    ];
    if let Some(c) = &view.countdown {
        lines.push(Line::from(c.as_str()));
    }
    centre_lines(frame, text_area, lines);
}
