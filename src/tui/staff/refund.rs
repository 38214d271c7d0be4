//! The refund screens: find the sale, fill the form, review and confirm.

use super::*;

// ---------------------------------------------------------------- refund: search

/// Understand the search line: a time (`14:30`, that hour from then), an amount with decimals
/// or `kr` (`49,90`), 1–4 digits (the end of the phone number), anything else a reference or
/// receipt number (or a part of it, e.g. `000123`).
pub fn parse_sale_query(
    input: &str,
    now: time::OffsetDateTime,
    offset: time::UtcOffset,
    currency: Currency,
) -> Result<SaleQuery, Text> {
    let t = input.trim();
    if t.is_empty() {
        return Err(ss::bad_search(input));
    }
    let mut q = SaleQuery {
        limit: Some(50),
        ..SaleQuery::default()
    };
    if let Some((h, m)) = t.split_once(':')
        && let (Ok(h), Ok(m)) = (h.trim().parse::<u8>(), m.trim().parse::<u8>())
    {
        let time = time::Time::from_hms(h, m, 0).map_err(|_| ss::bad_search(input))?;
        let from = now
            .to_offset(offset)
            .date()
            .with_time(time)
            .assume_offset(offset)
            .to_offset(time::UtcOffset::UTC);
        q.from = Some(from);
        q.to = Some(from + time::Duration::HOUR);
        return Ok(q);
    }
    let lower = t.to_ascii_lowercase();
    let looks_like_amount = t.contains(',') || t.contains('.') || lower.starts_with("kr");
    if looks_like_amount && t.chars().any(|c| c.is_ascii_digit()) && !t.contains('-') {
        let m = Money::parse_input(t, currency).map_err(|_| ss::bad_search(input))?;
        q.gross_total = Some(m.minor());
        return Ok(q);
    }
    if (1..=4).contains(&t.len()) && t.chars().all(|c| c.is_ascii_digit()) {
        q.phone_last_digits = Some(t.to_owned());
        return Ok(q);
    }
    if t.chars().any(char::is_whitespace) {
        return Err(ss::bad_search(input));
    }
    q.reference = Some(t.to_owned());
    Ok(q)
}

pub(super) fn search_action(app: &mut App, action: Action) -> Vec<Command> {
    let r = &mut app.staff.refund;
    match action {
        Action::Up => r.selected = r.selected.saturating_sub(1),
        Action::Down => r.selected = (r.selected + 1).min(r.hits.len().saturating_sub(1)),
        Action::Cancel => {
            app.staff.refund = RefundUi::default();
            back_to_menu(app);
        }
        Action::Submit => {
            if r.waiting.is_some() {
                fixed(app, St::err_busy);
                return Vec::new();
            }
            let text = app.input.value().trim().to_owned();
            if text.is_empty() {
                return pick(app);
            }
            let currency = app.basket.currency();
            match parse_sale_query(&text, app.now, app.utc_offset, currency) {
                Ok(query) => {
                    let id = app.staff.id();
                    let r = &mut app.staff.refund;
                    r.waiting = Some(id);
                    r.query = text;
                    r.hits.clear();
                    r.selected = 0;
                    app.input.reset();
                    return vec![Command::FindSales {
                        request_id: id,
                        query,
                    }];
                }
                Err(t) => error(app, t),
            }
        }
        _ => {}
    }
    Vec::new()
}

pub(super) fn pick(app: &mut App) -> Vec<Command> {
    let Some(hit) = app.staff.refund.hits.get(app.staff.refund.selected) else {
        fixed(app, St::err_no_sale_picked);
        return Vec::new();
    };
    // The latest payment attempt is the one that was paid; the library picks the captured one.
    let reference = hit
        .references
        .last()
        .cloned()
        .unwrap_or_else(|| hit.receipt_number.clone());
    let id = app.staff.id();
    let r = &mut app.staff.refund;
    r.waiting = Some(id);
    r.step = RefundStep::Loading;
    vec![Command::LoadRefund {
        request_id: id,
        reference,
    }]
}

// ---------------------------------------------------------------- refund: form

pub(super) fn focus(app: &mut App, field: RefundField) {
    app.staff.refund.field = field;
    let r = &app.staff.refund;
    let value = match (field, r.kind) {
        (RefundField::Reason, _) | (RefundField::Value, RefundKind::Full) => r.reason.clone(),
        (RefundField::Value, RefundKind::Amount) => r.amount.clone(),
        (RefundField::Value, RefundKind::Lines) => {
            r.line_qty.get(r.line).cloned().unwrap_or_default()
        }
    };
    if field == RefundField::Value && r.kind == RefundKind::Full {
        app.staff.refund.field = RefundField::Reason;
    }
    set_input(app, &value);
}

pub(super) fn form_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::RefundFull => {
            app.staff.refund.kind = RefundKind::Full;
            focus(app, RefundField::Reason);
        }
        Action::RefundAmount => {
            app.staff.refund.kind = RefundKind::Amount;
            focus(app, RefundField::Value);
        }
        Action::RefundLines => {
            app.staff.refund.kind = RefundKind::Lines;
            focus(app, RefundField::Value);
        }
        Action::NextField => {
            let next = match app.staff.refund.field {
                RefundField::Value => RefundField::Reason,
                RefundField::Reason => RefundField::Value,
            };
            focus(app, next);
        }
        Action::Up | Action::Down => {
            if app.staff.refund.kind != RefundKind::Lines {
                fixed(app, St::err_not_lines);
                return Vec::new();
            }
            let n = app.staff.refund.line_qty.len();
            let r = &mut app.staff.refund;
            r.line = if action == Action::Up {
                r.line.saturating_sub(1)
            } else {
                (r.line + 1).min(n.saturating_sub(1))
            };
            focus(app, RefundField::Value);
        }
        Action::Cancel => {
            let r = &mut app.staff.refund;
            r.step = RefundStep::Search;
            r.ctx = None;
            app.input.reset();
        }
        Action::Submit => review(app),
        _ => {}
    }
    Vec::new()
}

/// What the form asks for, as the library's refund mode (field errors name the field).
pub fn refund_mode(r: &RefundUi) -> Result<RefundMode, Text> {
    let Some(ctx) = &r.ctx else {
        return Err(Text::new(
            St::err_no_sale_picked(Lang::Nb),
            St::err_no_sale_picked(Lang::En),
        ));
    };
    match r.kind {
        RefundKind::Full => Ok(RefundMode::Full),
        RefundKind::Amount => Money::parse_input(&r.amount, currency_of(ctx))
            .map(|m| RefundMode::Amount(m.minor()))
            .map_err(|_| ss::bad_amount(&r.amount)),
        RefundKind::Lines => {
            let mut items = Vec::new();
            for (line, typed) in ctx.lines.iter().zip(&r.line_qty) {
                let typed = typed.trim();
                if typed.is_empty() || typed == "0" {
                    continue;
                }
                let unit = QuantityUnit::parse(&line.unit).unwrap_or(QuantityUnit::Pcs);
                let q = Quantity::parse_input(typed, unit)
                    .map_err(|_| ss::bad_line_qty(line.line_no, typed))?;
                items.push(LineRefund {
                    line_no: line.line_no,
                    quantity_milli: q.milli(),
                });
            }
            Ok(RefundMode::Lines(items))
        }
    }
}

/// Enter on the form: check the reason, plan the refund with the library's rules (never more
/// than captured − refunded) and show it for confirmation, or show the library's message.
pub(super) fn review(app: &mut App) {
    let mode = match refund_mode(&app.staff.refund) {
        Ok(m) => m,
        Err(t) => {
            error(app, t);
            return;
        }
    };
    let reason = app.staff.refund.reason.trim().to_owned();
    let Some(ctx) = app.staff.refund.ctx.clone() else {
        fixed(app, St::err_no_sale_picked);
        return;
    };
    match plan_refund(&ctx, &mode, app.now) {
        Err(e) => error(app, e.message()),
        Ok(_) if reason.is_empty() || reason.chars().count() > 200 => {
            fixed(app, St::err_reason_missing);
            focus(app, RefundField::Reason);
        }
        Ok(plan) => {
            let r = &mut app.staff.refund;
            r.plan = Some(plan);
            r.request = Some(RefundRequest {
                reference: ctx.reference.clone(),
                mode,
                reason,
            });
            r.step = RefundStep::Confirm;
            app.input.reset();
        }
    }
}

pub(super) fn confirm_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Submit => {
            if !app.manager_pins {
                fixed(app, St::err_needs_manager);
            } else {
                ask_manager(app, ManagerAction::Refund);
            }
        }
        Action::Cancel => {
            app.staff.refund.step = RefundStep::Form;
            let field = app.staff.refund.field;
            focus(app, field);
        }
        _ => {}
    }
    Vec::new()
}
