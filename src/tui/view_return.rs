//! Drawing the return screen (issue #16) and its words (Norwegian and English). Pure: reads
//! the model only.

use crate::domain::refund::RefundStatus;
use crate::domain::returns::SaleTender;
use crate::lang::{Lang, Text};
use crate::tui::app::App;
use crate::tui::keymap::{Action, Mode};
use crate::tui::msg::ReceiptNote;
use crate::tui::staff::{ReturnStep, money};
use crate::tui::view_staff::{boxed, input_box, local_time, milli, right};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState, Wrap};

/// The return screen's words.
pub struct R;

impl R {
    pub fn err_no_receipt() -> Text {
        Text::new(
            "Kvittering: skann koden på kvitteringen eller skriv kvitteringsnummeret.",
            "Receipt: scan the receipt's code or type the receipt number.",
        )
    }

    pub fn err_reason() -> Text {
        Text::new(
            "Årsak: skriv hvorfor varen kommer i retur (1–200 tegn), Tab går til feltet.",
            "Reason: say why the goods come back (1–200 characters); Tab goes to the field.",
        )
    }
}

/// The banner title.
pub const fn title(lang: Lang) -> &'static str {
    lang.pick("Retur", "Return")
}

/// The staff menu entry.
pub const fn menu_label(lang: Lang) -> &'static str {
    lang.pick("Varer i retur (kvittering)", "Goods returned (receipt)")
}

/// The manager PIN prompt's title.
pub const fn manager_prompt(lang: Lang) -> &'static str {
    lang.pick("Leder-PIN for retur", "Manager PIN for the return")
}

/// Keys of the refund screen's modes that mean nothing on the return screen (the return
/// screen borrows those modes' keys).
pub fn hidden_key(app: &App, mode: Mode, action: Action) -> bool {
    let free = app.staff.ret.step == ReturnStep::Free;
    (free && matches!(action, Action::Up | Action::Down))
        || matches!(
            action,
            Action::RefundFull | Action::RefundAmount | Action::RefundLines
        )
        || (mode == Mode::RefundSearch && matches!(action, Action::Up | Action::Down))
        || (mode == Mode::StaffResult && action == Action::Reprint)
}

/// The return screen's own words for a borrowed key, where the refund screen's would mislead.
pub fn key_label(mode: Mode, action: Action, lang: Lang) -> Option<&'static str> {
    match (mode, action) {
        (Mode::RefundSearch, Action::Submit) => Some(lang.pick("Hent salget", "Load the sale")),
        (Mode::RefundForm, Action::Submit) => Some(lang.pick("Se over returen", "Review")),
        (Mode::RefundForm, Action::Up) => Some(lang.pick("Forrige linje", "Previous line")),
        (Mode::RefundForm, Action::Down) => Some(lang.pick("Neste linje", "Next line")),
        _ => None,
    }
}

fn without_receipt_words(lang: Lang) -> &'static str {
    lang.pick(
        "Retur uten kvittering — bare kontant, godkjennes med leder-PIN",
        "Return without receipt — cash only, approved with the manager PIN",
    )
}

fn render_free(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.ret;
    let currency = app.basket.currency();
    let [head, list, input, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(" {}", without_receipt_words(lang)),
            app.theme.warning,
        )),
        head,
    );
    let rows: Vec<Row> = r
        .free_lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Row::new(vec![
                Cell::from((i + 1).to_string()),
                Cell::from(l.name.clone()),
                right(crate::domain::refund::format_rate(l.vat_rate)),
                right(crate::domain::money::Money::new(l.gross, currency).to_string()),
            ])
        })
        .collect();
    let header = Row::new(vec![
        Cell::from("#"),
        Cell::from(lang.pick("Vare", "Item")),
        right(lang.pick("MVA", "VAT")),
        right(lang.pick("Beløp", "Amount")),
    ])
    .style(app.theme.title);
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(12),
        ],
    )
    .header(header)
    .block(boxed(lang.pick("Varer i retur", "Goods returned")));
    frame.render_widget(table, list);
    let label = if r.on_reason {
        lang.pick("Årsak", "Reason")
    } else {
        lang.pick(
            "Vare: NAVN=BELØP eller NAVN=BELØP@MVA (f.eks. Genser=299,00@25)",
            "Item: NAME=AMOUNT or NAME=AMOUNT@VAT (e.g. Genser=299,00@25)",
        )
    };
    input_and_hint(
        app,
        frame,
        (input, hint),
        label,
        lang.pick(
            "Enter legg til · tom Enter se over · Tab årsak · Esc tilbake",
            "Enter add · empty Enter review · Tab reason · Esc back",
        ),
    );
}

/// The input box under a return form, and the key hint below it with the reason typed so far
/// (while another field has the focus).
fn input_and_hint(
    app: &App,
    frame: &mut Frame,
    (input, hint): (Rect, Rect),
    label: &str,
    keys: &str,
) {
    let (r, lang) = (&app.staff.ret, app.lang);
    input_box(app, frame, input, label);
    let reason = if !r.on_reason && !r.reason.is_empty() {
        format!("  ·  {}: {}", lang.pick("Årsak", "Reason"), r.reason)
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(format!(" {keys}{reason}")).style(app.theme.muted),
        hint,
    );
}

fn tender_word(lang: Lang, t: SaleTender) -> &'static str {
    match t {
        SaleTender::Cash => lang.pick("kontant", "cash"),
        SaleTender::Vipps => "Vipps",
        SaleTender::Split => lang.pick("kontant + Vipps", "cash + Vipps"),
    }
}

/// Draw the return screen.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    match app.staff.ret.step {
        ReturnStep::Scan | ReturnStep::Loading => render_scan(app, frame, area),
        ReturnStep::Lines => render_lines(app, frame, area),
        ReturnStep::Free => render_free(app, frame, area),
        ReturnStep::Confirm => render_confirm(app, frame, area),
        ReturnStep::Sending | ReturnStep::Done => render_result(app, frame, area),
    }
}

fn render_scan(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let [input, body] = Layout::vertical([Constraint::Length(3), Constraint::Fill(1)]).areas(area);
    input_box(
        app,
        frame,
        input,
        lang.pick(
            "Kvitteringsnummer (skann koden)",
            "Receipt number (scan the code)",
        ),
    );
    let mut lines = vec![Line::raw("")];
    if app.staff.ret.step == ReturnStep::Loading {
        lines.push(Line::styled(
            format!(
                " {} {}",
                lang.pick("Henter salget", "Loading the sale"),
                app.staff.ret.receipt
            ),
            app.theme.warning,
        ));
    } else {
        lines.push(Line::styled(
            lang.pick(
                " Enter henter salget · Esc tilbake",
                " Enter loads the sale · Esc back",
            ),
            app.theme.hint,
        ));
    }
    lines.push(Line::raw(""));
    for t in [
        lang.pick(
            " Pengene går tilbake slik de kom:",
            " The money goes back the way it came:",
        ),
        lang.pick(
            "  · kontant del i kontanter (skuffen åpnes, virker uten nett)",
            "  · the cash part in cash (the drawer opens, works offline)",
        ),
        lang.pick(
            "  · Vipps-delen som Vipps-refusjon",
            "  · the Vipps part as a Vipps refund",
        ),
        lang.pick(
            "  · delt betaling: kontant først, så Vipps",
            "  · split payment: cash first, then Vipps",
        ),
        lang.pick(
            " Enter uten nummer: retur uten kvittering (bare kontant, leder-PIN).",
            " Enter with no number: return without receipt (cash only, manager PIN).",
        ),
    ] {
        lines.push(Line::styled(t, app.theme.muted));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}

fn summary(app: &App) -> Line<'static> {
    let lang = app.lang;
    let Some(ctx) = &app.staff.ret.ctx else {
        return Line::raw("");
    };
    Line::raw(format!(
        " {} {} · {} · {} {}",
        lang.pick("Kvittering", "Receipt"),
        ctx.receipt_number,
        local_time(app, ctx.sold_at),
        lang.pick("betalt", "paid"),
        tender_word(lang, ctx.tender)
    ))
}

fn render_lines(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.ret;
    let Some(ctx) = &r.ctx else {
        return;
    };
    let [head, table_area, input, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary(app)), head);
    let rows: Vec<Row> = ctx
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let left = (l.quantity_milli - l.refunded_milli).max(0);
            Row::new(vec![
                Cell::from(l.line_no.to_string()),
                Cell::from(l.name.clone()),
                right(l.quantity.clone()),
                right(money(l.gross, &ctx.currency).to_string()),
                right(milli(left)),
                right(r.line_qty.get(i).cloned().unwrap_or_default()),
            ])
        })
        .collect();
    let header = Row::new(vec![
        Cell::from("#"),
        Cell::from(lang.pick("Vare", "Item")),
        right(lang.pick("Solgt", "Sold")),
        right(lang.pick("Sum", "Total")),
        right(lang.pick("Igjen", "Left")),
        right(lang.pick("Retur", "Return")),
    ])
    .style(app.theme.title);
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(6),
            Constraint::Length(12),
            Constraint::Length(6),
            Constraint::Length(7),
        ],
    )
    .header(header)
    .row_highlight_style(app.theme.selection)
    .highlight_symbol("›")
    .highlight_spacing(HighlightSpacing::Always)
    .block(boxed(lang.pick("Linjer", "Lines")));
    let mut state = TableState::default().with_selected(Some(r.line));
    frame.render_stateful_widget(table, table_area, &mut state);
    let label = if r.on_reason {
        lang.pick("Årsak", "Reason")
    } else {
        lang.pick(
            "Antall i retur på merket linje",
            "Quantity back on the marked line",
        )
    };
    input_and_hint(
        app,
        frame,
        (input, hint),
        label,
        lang.pick(
            "↑↓ linje · Tab årsak/antall · Enter se over · Esc tilbake",
            "↑↓ line · Tab reason/quantity · Enter review · Esc back",
        ),
    );
}

fn render_confirm(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.ret;
    let Some(plan) = &r.plan else {
        return;
    };
    let currency = match (&r.ctx, &r.free_request) {
        (_, Some(f)) => f.currency.clone(),
        (Some(c), None) => c.currency.clone(),
        (None, None) => return,
    };
    let block = boxed(lang.pick("Se over returen", "Review the return"));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let m = |v: i64| money(v, &currency).to_string();
    let mut lines = if r.free_request.is_some() {
        vec![
            Line::styled(without_receipt_words(lang), app.theme.warning),
            Line::raw(""),
        ]
    } else {
        vec![summary(app), Line::raw("")]
    };
    for l in &plan.lines {
        let q = l
            .quantity_milli
            .map(|q| format!("{} × ", milli(q)))
            .unwrap_or_default();
        let no = l.line_no.map(|n| format!("{n}. ")).unwrap_or_default();
        lines.push(Line::raw(format!("  {q}{no}{}  {}", l.name, m(l.gross))));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "{}: {}",
            lang.pick("Tilbake i alt", "Back in all"),
            m(plan.amount)
        ),
        app.theme.total,
    ));
    if plan.cash > 0 {
        lines.push(Line::raw(format!(
            "  {}: {}  ({})",
            lang.pick("Kontant tilbake", "Cash back"),
            m(plan.cash_paid_out()),
            lang.pick("skuffen åpnes", "the drawer opens")
        )));
    }
    if plan.vipps > 0 {
        lines.push(Line::raw(format!(
            "  {}: {}",
            lang.pick("Vipps-refusjon", "Vipps refund"),
            m(plan.vipps)
        )));
    }
    let reason = match (&r.request, &r.free_request) {
        (_, Some(f)) => Some(f.reason.as_str()),
        (Some(q), None) => Some(q.reason.as_str()),
        (None, None) => None,
    };
    if let Some(reason) = reason {
        lines.push(Line::raw(format!(
            "{}: {reason}",
            lang.pick("Årsak", "Reason")
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        lang.pick(
            "Enter bekreft med leder-PIN · Esc endre",
            "Enter confirm with the manager PIN · Esc change",
        ),
        app.theme.hint,
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn render_result(app: &App, frame: &mut Frame, area: Rect) {
    let lang = app.lang;
    let r = &app.staff.ret;
    let block = boxed(title(lang));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::raw("")];
    match &r.result {
        None => lines.push(
            Line::styled(
                lang.pick("Registrerer returen …", "Recording the return …"),
                app.theme.warning,
            )
            .centered(),
        ),
        Some(Err(t)) => {
            lines.push(
                Line::styled(lang.pick("RETUR AVVIST", "RETURN REFUSED"), app.theme.error)
                    .centered(),
            );
            lines.push(Line::raw(""));
            lines.push(Line::styled(t.get(lang).to_owned(), app.theme.error));
        }
        Some(Ok(d)) => {
            lines.push(
                Line::styled(
                    lang.pick("RETUR REGISTRERT", "RETURN RECORDED"),
                    app.theme.success,
                )
                .centered(),
            );
            lines.push(Line::styled(d.number.clone(), app.theme.muted).centered());
            if d.without_receipt {
                lines.push(Line::styled(without_receipt_words(lang), app.theme.warning).centered());
            }
            lines.push(Line::raw(""));
            if d.cash_out.minor() > 0 {
                lines.push(
                    Line::styled(
                        format!(
                            "{}: {}",
                            lang.pick("Gi kunden kontant", "Give the customer cash"),
                            d.cash_out
                        ),
                        app.theme.total,
                    )
                    .centered(),
                );
            }
            if d.vipps.minor() > 0 {
                let state = match &d.vipps_status {
                    Some(RefundStatus::Done) => lang
                        .pick("refundert av Vipps", "refunded by Vipps")
                        .to_owned(),
                    Some(RefundStatus::Failed(why)) => {
                        format!("{}: {why}", lang.pick("Vipps avviste", "Vipps refused"))
                    }
                    _ => lang
                        .pick(
                            "i kø, sendes når Vipps svarer",
                            "queued, sent when Vipps answers",
                        )
                        .to_owned(),
                };
                lines.push(Line::raw(format!("Vipps: {} — {state}", d.vipps)).centered());
            }
            lines.push(Line::raw(""));
            match &d.receipt {
                Some(ReceiptNote::Printed) => lines.push(Line::raw(lang.pick(
                    "Returkvittering skrevet ut; skuffen er åpnet.",
                    "Return receipt printed; the drawer is open.",
                ))),
                Some(ReceiptNote::NoPrinter) => lines.push(Line::styled(
                    lang.pick(
                        "Ingen skriver: åpne skuffen og gi kunden pengene.",
                        "No printer: open the drawer and give the customer the money.",
                    ),
                    app.theme.muted,
                )),
                Some(ReceiptNote::Problem(t)) => {
                    lines.push(Line::styled(t.get(lang).to_owned(), app.theme.error));
                }
                None => {}
            }
        }
    }
    if r.step == ReturnStep::Done {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            lang.pick("Enter/Esc tilbake til menyen", "Enter/Esc back to the menu"),
            app.theme.hint,
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
