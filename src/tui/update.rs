//! `update(&mut App, Msg) -> Vec<Command>`: every state transition of the screen. Pure: no IO,
//! no clock reads (time arrives in `Tick`), no randomness.

use crate::domain::basket::{OrderLine, Quantity, QuantityUnit};
use crate::domain::money::Money;
use crate::domain::vat::VatRate;
use crate::lang::Text;
use crate::tui::app::{
    App, CashTender, ManagerAction, PayKind, Prompt, Screen, Search, Toast, ToastKind,
};
use crate::tui::catalog::{Product, parse_price};
use crate::tui::keymap::{Action, Mode};
use crate::tui::msg::{
    AppEvent, Command, ManagerPin, NetworkState, PayMethod, PaymentStatusView, SimCustomerAction,
    TillEvent,
};
use crate::tui::strings::{self, S};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use secrecy::ExposeSecret;
use time::Duration;
use tui_input::InputRequest;

use super::msg::Msg;

/// Help rows one PgUp/PgDn moves (the view clamps the scroll to what is there).
const HELP_PAGE: usize = 8;

/// How long info toasts stay.
const INFO_TOAST: Duration = Duration::seconds(4);
/// Error toasts stay until the next key press (or this long).
const ERROR_TOAST: Duration = Duration::seconds(30);

/// Handle one message; return the effects for the shell to run.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    let mut cmds = match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => on_paste(app, &text),
        Msg::Resize(_, rows) => {
            app.rows = rows;
            app.help_scroll = app.help_scroll.min(app.help_max_scroll());
            Vec::new()
        }
        Msg::App(ev) => on_event(app, ev),
    };
    // A manager PIN was asked for while the logged-in manager's window is open: give it.
    if let Some(pin) = pin_from_window(app) {
        cmds.extend(send_manager_pin(app, pin));
    }
    cmds
}

/// The logged-in manager's PIN when a manager PIN prompt just opened inside the window
/// (`ui.manager_pin_window_secs`); the window then runs from now again.
fn pin_from_window(app: &mut App) -> Option<String> {
    if app.prompt != Some(Prompt::ManagerPin) || !app.input.value().is_empty() {
        return None;
    }
    app.manager.asking.as_ref()?;
    let manager = app
        .login
        .cashier
        .as_ref()
        .is_some_and(|c| c.role == crate::domain::staff::Role::Manager);
    let (kiosk, now) = (app.is_kiosk(), app.now);
    let window = time::Duration::try_from(app.rules.manager_pin_window).ok()?;
    let (pin, until) = app.pin_window.open.as_mut()?;
    if !manager || kiosk || now >= *until {
        app.pin_window.open = None;
        return None;
    }
    *until = now + window;
    Some(pin.expose_secret().to_owned())
}

pub fn toast(app: &mut App, kind: ToastKind, text: Text) {
    let ttl = match kind {
        ToastKind::Info => INFO_TOAST,
        ToastKind::Error => ERROR_TOAST,
    };
    app.toast = Some(Toast {
        kind,
        text,
        until: app.now + ttl,
    });
}

pub fn error(app: &mut App, text: Text) {
    toast(app, ToastKind::Error, text);
}

pub fn fixed(app: &mut App, f: fn(crate::lang::Lang) -> &'static str) {
    let text = Text::new(f(crate::lang::Lang::Nb), f(crate::lang::Lang::En));
    error(app, text);
}

pub fn info(app: &mut App, f: fn(crate::lang::Lang) -> &'static str) {
    let text = Text::new(f(crate::lang::Lang::Nb), f(crate::lang::Lang::En));
    toast(app, ToastKind::Info, text);
}

fn has_input_line(mode: Mode) -> bool {
    matches!(
        mode,
        Mode::Sale
            | Mode::Search
            | Mode::Prompt
            | Mode::Payment
            | Mode::RefundSearch
            | Mode::RefundForm
            | Mode::CashForm
    )
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    app.last_input = app.now;
    if app
        .toast
        .as_ref()
        .is_some_and(|t| t.kind == ToastKind::Error)
    {
        app.toast = None;
    }
    let mode = app.mode();
    match app.keymap.lookup(mode, &key) {
        Some(action) => on_action(app, mode, action),
        None => {
            if let Some(cmds) = crate::tui::login::logout_elsewhere(app, &key) {
                return cmds;
            }
            if is_ctrl_c(&key) {
                ctrl_c(app, mode);
                return Vec::new();
            }
            if mode == Mode::Staff
                && let Some(cmds) = crate::tui::staff::menu_digit(app, &key)
            {
                return cmds;
            }
            if has_input_line(mode) {
                edit_input(app, mode, key);
            }
            Vec::new()
        }
    }
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c' | 'C'))
}

/// Ctrl-C does nothing by itself; the status line says which key quits (not in a kiosk,
/// where quitting is a staff matter).
fn ctrl_c(app: &mut App, mode: Mode) {
    if app.is_kiosk() {
        return;
    }
    if let Some(k) = app.keymap.key_for(mode, Action::Quit) {
        toast(app, ToastKind::Info, strings::quit_key_is(&k.to_string()));
    }
}

fn edit_input(app: &mut App, mode: Mode, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let req = match key.code {
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
            InputRequest::InsertChar(c)
        }
        KeyCode::Char('u') if ctrl => InputRequest::DeleteLine,
        KeyCode::Backspace => InputRequest::DeletePrevChar,
        KeyCode::Delete => InputRequest::DeleteNextChar,
        KeyCode::Left => InputRequest::GoToPrevChar,
        KeyCode::Right => InputRequest::GoToNextChar,
        KeyCode::Home => InputRequest::GoToStart,
        KeyCode::End => InputRequest::GoToEnd,
        _ => return,
    };
    app.input.handle(req);
    if mode == Mode::Search {
        refresh_search(app);
    }
    crate::tui::staff::on_edit(app, mode);
}

fn on_paste(app: &mut App, text: &str) -> Vec<Command> {
    app.last_input = app.now;
    let mode = app.mode();
    if !has_input_line(mode) {
        return Vec::new();
    }
    let submit = text.ends_with('\n') || text.ends_with('\r');
    for c in text.chars().filter(|c| !c.is_control()) {
        app.input.handle(InputRequest::InsertChar(c));
    }
    if mode == Mode::Search {
        refresh_search(app);
    }
    crate::tui::staff::on_edit(app, mode);
    if submit {
        on_action(app, mode, Action::Submit)
    } else {
        Vec::new()
    }
}

fn on_action(app: &mut App, mode: Mode, action: Action) -> Vec<Command> {
    if app.is_kiosk() && action.is_staff_only() {
        fixed(app, S::err_kiosk_staff);
        return Vec::new();
    }
    if action.is_demo_only() && !app.demo {
        return Vec::new();
    }
    match action {
        Action::Help => {
            app.help = !app.help;
            app.help_scroll = 0;
            Vec::new()
        }
        Action::Quit => quit(app),
        _ => match mode {
            Mode::Help => {
                match action {
                    Action::Cancel => {
                        app.help = false;
                        app.help_scroll = 0;
                    }
                    Action::Down => app.help_scroll = app.help_scroll.saturating_add(1),
                    Action::Up => app.help_scroll = app.help_scroll.saturating_sub(1),
                    Action::PageDown => {
                        app.help_scroll = app.help_scroll.saturating_add(HELP_PAGE);
                    }
                    Action::PageUp => app.help_scroll = app.help_scroll.saturating_sub(HELP_PAGE),
                    _ => {}
                }
                app.help_scroll = app.help_scroll.min(app.help_max_scroll());
                Vec::new()
            }
            Mode::Notice => {
                if matches!(action, Action::Submit | Action::Cancel) {
                    app.recovered.clear();
                }
                Vec::new()
            }
            Mode::Prompt => prompt_action(app, action),
            Mode::Staff
            | Mode::RefundSearch
            | Mode::RefundForm
            | Mode::RefundConfirm
            | Mode::StaffResult
            | Mode::Report
            | Mode::ZRefused
            | Mode::Batch
            | Mode::CashForm => crate::tui::staff::on_action(app, mode, action),
            Mode::Ask => crate::tui::park::ask_action(app, action),
            Mode::Parked => crate::tui::park::list_action(app, action),
            Mode::Search => search_action(app, action),
            Mode::Sale => sale_action(app, action),
            Mode::Payment => payment_action(app, action),
            Mode::Waiting | Mode::Decide => waiting_action(app, action),
            Mode::Result => match action {
                Action::NextSale => {
                    next_sale(app);
                    Vec::new()
                }
                Action::Reprint => reprint(app),
                Action::PayQr => pay_same_sale_by_qr(app),
                _ => Vec::new(),
            },
            Mode::Global => Vec::new(),
        },
    }
}

fn quit(app: &mut App) -> Vec<Command> {
    let paying = app.screen == Screen::Paying;
    if paying {
        fixed(app, S::err_quit_paying);
        return Vec::new();
    }
    if app.is_kiosk() {
        // The staff key is not shown to customers. A blocked PIN (wrong tries) keeps the
        // prompt closed and changes nothing else: the lock guards quitting, never the sale.
        if let Some(secs) = pin_locked_secs(app) {
            error(app, strings::pin_locked(secs));
            return Vec::new();
        }
        // The PIN is typed in the sale screen's input line (the basket stays).
        match app.screen {
            Screen::Result => next_sale(app),
            Screen::Payment => app.screen = Screen::Sale,
            Screen::Login
            | Screen::Sale
            | Screen::Paying
            | Screen::Staff
            | Screen::Refund
            | Screen::Report
            | Screen::Batch
            | Screen::Cash
            | Screen::Return => {}
        }
        app.input.reset();
        app.search = None;
        app.prompt = Some(Prompt::KioskPin);
        return Vec::new();
    }
    if crate::tui::park::basket_at_stake(app) {
        // Never drop a basket silently: park it, void it (journaled) or go on.
        crate::tui::park::ask_quit(app);
        return Vec::new();
    }
    app.quitting = true;
    vec![Command::Quit]
}

// ---------------------------------------------------------------- sale screen

fn sale_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Submit => return submit_scan(app),
        Action::Cancel => app.input.reset(),
        Action::Up => {
            app.selected = match (app.selected, app.basket.len()) {
                (_, 0) => None,
                (None, n) => Some(n - 1),
                (Some(i), _) => Some(i.saturating_sub(1)),
            };
        }
        Action::Down => {
            app.selected = match (app.selected, app.basket.len()) {
                (_, 0) => None,
                (None, _) => Some(0),
                (Some(i), n) => Some((i + 1).min(n - 1)),
            };
        }
        Action::Price if app.manager_pins => match app.selected {
            Some(line) => ask_manager(app, ManagerAction::PriceOverride { line }),
            None => fixed(app, S::err_no_line),
        },
        Action::Quantity | Action::Price | Action::Discount => {
            if app.selected.is_some() {
                app.input.reset();
                app.prompt = Some(match action {
                    Action::Quantity => Prompt::Quantity,
                    Action::Price => Prompt::Price,
                    _ => Prompt::Discount,
                });
            } else {
                fixed(app, S::err_no_line);
            }
        }
        Action::OpenPrice => {
            app.input.reset();
            app.prompt = Some(Prompt::OpenPrice);
        }
        Action::ReturnLine => match app
            .selected
            .and_then(|i| app.basket.line(i).map(|l| (i, l.is_return)))
        {
            Some((i, was)) => {
                if let Err(e) = app.basket.set_return(i, !was) {
                    error(app, e.text());
                }
            }
            None => fixed(app, S::err_no_line),
        },
        Action::RemoveLine if !app.input.value().is_empty() => {
            // While typing, Del edits the input line, never the basket.
            app.input.handle(InputRequest::DeleteNextChar);
        }
        Action::RemoveLine => match app.selected {
            Some(i) => match app.basket.remove(i) {
                Ok(line) => {
                    app.selected = match app.basket.len() {
                        0 => None,
                        n => Some(i.min(n - 1)),
                    };
                    // A line deleted before completion is journaled (§ 2-7-1).
                    let total = line
                        .amounts()
                        .map(|a| a.gross)
                        .unwrap_or_else(|_| Money::zero(app.basket.currency()));
                    return vec![Command::Journal {
                        event: TillEvent::LineDeleted {
                            name: line.name.clone(),
                            quantity: line.quantity.to_string(),
                            total,
                        },
                        staff_id: app.cashier_id(),
                    }];
                }
                Err(e) => error(app, e.text()),
            },
            None => fixed(app, S::err_no_line),
        },
        Action::Park => crate::tui::park::start_park(app),
        Action::Recall => crate::tui::park::open_list(app),
        Action::VoidBasket => crate::tui::park::ask_void(app),
        Action::Pay => return go_to_payment(app),
        Action::Logout => return crate::tui::login::logout(app),
        Action::Staff => return crate::tui::staff::open_menu(app),
        Action::PriceLookup => return price_lookup(app),
        Action::OpenDrawer => {
            if app.manager_pins {
                ask_manager(app, ManagerAction::OpenDrawer);
            } else {
                // Journaled as the manager who opened it: without a manager there is nobody.
                fixed(app, S::err_drawer_needs_manager);
            }
        }
        _ => {}
    }
    Vec::new()
}

/// A scanned Vipps personal QR (a URL the Vipps / MobilePay app shows), passed on unmodified.
pub fn is_personal_qr(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    lower.starts_with("https://qr.vipps.no/")
        || lower.starts_with("https://qr.mobilepay.")
        || lower.starts_with("vipps")
}

/// Normalise a typed phone number to the MSISDN ePayment wants (`47` + 8 digits).
pub fn normalize_phone(s: &str) -> Option<String> {
    let digits: String = s
        .trim()
        .trim_start_matches('+')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = digits
        .strip_prefix("00")
        .map(str::to_string)
        .unwrap_or(digits);
    match digits.len() {
        8 => Some(format!("47{digits}")),
        10..=15 => Some(digits),
        _ => None,
    }
}

/// Price look-up (*prisforespørsel*): the typed or scanned article's price, shown and not
/// added to the basket, journaled as 13022.
fn price_lookup(app: &mut App) -> Vec<Command> {
    let code = app.input.value().trim().to_string();
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_digit()) {
        fixed(app, S::err_price_lookup_code);
        return Vec::new();
    }
    let (name, price) = match app.catalog.scan(&code) {
        Ok(Some(hit)) => {
            let price = match hit.embedded {
                Some(crate::domain::catalog::ean::Embedded::Price(minor)) => {
                    Money::new(minor, hit.product.price.currency())
                }
                _ => hit.product.price,
            };
            (hit.product.name.clone(), price)
        }
        Ok(None) => {
            error(app, strings::unknown_code(&code));
            return Vec::new();
        }
        Err(e) => {
            error(app, e.text());
            return Vec::new();
        }
    };
    app.input.reset();
    toast(
        app,
        ToastKind::Info,
        Text::new(
            format!("Prissjekk: {name} {price} (ikke lagt i kurven)"),
            format!("Price check: {name} {price} (not added)"),
        ),
    );
    vec![Command::Journal {
        event: TillEvent::PriceLookup { code, name, price },
        staff_id: app.cashier_id(),
    }]
}

fn submit_scan(app: &mut App) -> Vec<Command> {
    let text = app.input.value().trim().to_string();
    if text.is_empty() {
        return Vec::new();
    }
    if is_personal_qr(&text) && app.basket.is_empty() {
        app.input.reset();
        fixed(app, S::err_empty_basket);
        return Vec::new();
    }
    if is_personal_qr(&text) {
        // A customer's personal QR scanned at the till: straight to a push to that customer.
        app.input.reset();
        let cmds = go_to_payment(app);
        if app.screen == Screen::Payment {
            return start_payment(
                app,
                PayMethod::Push {
                    phone_or_personal_qr: text,
                },
            );
        }
        return cmds;
    }
    // "3*7038010001000" = three of that item; "0*…" or more than ui.max_quantity is refused.
    let max = app.rules.max_quantity;
    let (count, code) = match text.split_once('*') {
        Some((n, code)) if is_count(n) => match n.trim().parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => (n, code.trim()),
            _ => {
                error(app, strings::quantity_out_of_range(n.trim(), max));
                return Vec::new();
            }
        },
        _ => (1, text.as_str()),
    };
    if !code.is_empty() && code.chars().all(|c| c.is_ascii_digit()) {
        match app.catalog.scan(code) {
            Ok(Some(hit)) => match hit.embedded_line(code, count) {
                // An in-store label with the price or weight printed in the code.
                Some(line) => {
                    let added = line.and_then(|(product, q)| {
                        app.basket.add_product(&product, q).map_err(|e| e.text())
                    });
                    match added {
                        Ok(i) => {
                            app.input.reset();
                            app.selected = Some(i);
                        }
                        Err(t) => error(app, t),
                    }
                }
                None => {
                    let p = hit.product.clone();
                    app.input.reset();
                    add_product(app, &p, count);
                }
            },
            Ok(None) => error(app, strings::unknown_code(code)),
            Err(e) => error(app, e.text()),
        }
        return Vec::new();
    }
    app.search = Some(Search {
        query: String::new(),
        hits: Vec::new(),
        selected: 0,
    });
    refresh_search(app);
    Vec::new()
}

/// The part before `*` is a count: digits only (a name may contain `*`).
fn is_count(n: &str) -> bool {
    let n = n.trim();
    !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
}

/// A line's quantity within `ui.max_quantity` (in its unit), else the quantity error.
fn within_max(app: &App, q: Quantity, input: &str) -> Result<Quantity, Text> {
    let max = app.rules.max_quantity;
    if q.milli() > i64::from(max) * 1000 {
        Err(strings::quantity_out_of_range(input, max))
    } else {
        Ok(q)
    }
}

fn add_product(app: &mut App, p: &Product, count: u32) {
    if p.unit != QuantityUnit::Pcs {
        // Sold by weight/volume: ask for the amount first.
        app.input.reset();
        app.pending = Some(p.clone());
        app.prompt = Some(Prompt::Weight);
        return;
    }
    let result = (|| {
        let product = p.to_domain()?;
        // The same item again adds to the line (unless it was changed by hand).
        let same = app.basket.lines().iter().position(|l| {
            l.product_id == product.id
                && !l.is_return
                && l.discount.is_zero()
                && l.unit_price == product.price
                && l.quantity.unit() == QuantityUnit::Pcs
        });
        match same {
            Some(i) => {
                let old = app.basket.line(i).map(|l| l.quantity.milli()).unwrap_or(0);
                let q = Quantity::new(old + i64::from(count) * 1000, QuantityUnit::Pcs)
                    .map_err(|e| e.text())?;
                let total = (q.milli() / 1000).to_string();
                let q = within_max(app, q, &total)?;
                app.basket.set_quantity(i, q).map_err(|e| e.text())?;
                Ok(i)
            }
            None => {
                let q = Quantity::pieces(count).map_err(|e| e.text())?;
                app.basket.add_product(&product, q).map_err(|e| e.text())
            }
        }
    })();
    match result {
        Ok(i) => app.selected = Some(i),
        Err(t) => error(app, t),
    }
}

fn refresh_search(app: &mut App) {
    let query = app.input.value().to_string();
    let hits = app.catalog.search_indices(&query);
    if let Some(s) = app.search.as_mut() {
        s.selected = s.selected.min(hits.len().saturating_sub(1));
        s.query = query;
        s.hits = hits;
    }
}

fn search_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Up => {
            if let Some(s) = app.search.as_mut() {
                s.selected = s.selected.saturating_sub(1);
            }
        }
        Action::Down => {
            if let Some(s) = app.search.as_mut() {
                s.selected = (s.selected + 1).min(s.hits.len().saturating_sub(1));
            }
        }
        Action::Submit => {
            let chosen = app
                .search
                .as_ref()
                .and_then(|s| s.hits.get(s.selected))
                .and_then(|i| app.catalog.get(*i))
                .cloned();
            if let Some(p) = chosen {
                app.search = None;
                app.input.reset();
                add_product(app, &p, 1);
            } else {
                fixed(app, S::search_none);
            }
        }
        Action::Cancel => {
            app.search = None;
        }
        _ => {}
    }
    Vec::new()
}

// ---------------------------------------------------------------- prompts

fn prompt_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Cancel if app.prompt == Some(Prompt::LoginPin) => {
            // The login screen stays; Esc only clears the PIN typed so far.
            app.input.reset();
            Vec::new()
        }
        Action::Cancel => {
            app.prompt = None;
            app.pending = None;
            app.manager.asking = None;
            app.input.reset();
            Vec::new()
        }
        Action::Submit => {
            let Some(prompt) = app.prompt else {
                return Vec::new();
            };
            let value = app.input.value().trim().to_string();
            let outcome = match prompt {
                Prompt::KioskPin => return check_pin(app, &value),
                Prompt::ManagerPin => return send_manager_pin(app, value),
                Prompt::CashReceived => return submit_cash(app, &value),
                Prompt::LoginPin => return crate::tui::login::submit(app),
                Prompt::Quantity => match set_quantity(app, &value) {
                    Ok(cmds) => {
                        app.prompt = None;
                        app.input.reset();
                        return cmds;
                    }
                    Err(t) => Err(t),
                },
                Prompt::Weight => add_weighed(app, &value),
                Prompt::Price => set_price(app, &value),
                Prompt::Discount => set_discount(app, &value),
                Prompt::OpenPrice => add_open_price(app, &value),
                Prompt::ParkName => match crate::tui::park::submit_name(app, &value) {
                    Ok(cmds) => {
                        app.prompt = None;
                        app.input.reset();
                        return cmds;
                    }
                    Err(t) => Err(t),
                },
            };
            match outcome {
                Ok(()) => {
                    app.prompt = None;
                    app.input.reset();
                }
                Err(t) => error(app, t),
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Seconds the kiosk's staff PIN stays blocked, if it is.
fn pin_locked_secs(app: &App) -> Option<i64> {
    app.pin_locked_until
        .filter(|t| app.now < *t)
        .map(|t| (t - app.now).whole_seconds().max(1))
}

/// Count a wrong staff PIN at the kiosk; the third in a row blocks the PIN (never the sale).
fn wrong_kiosk_pin(app: &mut App) -> bool {
    app.pin_failures += 1;
    if app.pin_failures >= crate::tui::app::PIN_TRIES {
        app.pin_failures = 0;
        app.pin_locked_until = Some(app.now + crate::tui::app::PIN_LOCKOUT);
        error(
            app,
            strings::pin_locked(crate::tui::app::PIN_LOCKOUT.whole_seconds()),
        );
        true
    } else {
        false
    }
}

fn check_pin(app: &mut App, value: &str) -> Vec<Command> {
    if let Some(secs) = pin_locked_secs(app) {
        app.input.reset();
        app.prompt = None;
        error(app, strings::pin_locked(secs));
        return Vec::new();
    }
    let ok = app.kiosk.as_ref().is_some_and(|k| {
        !k.pin.expose_secret().is_empty()
            && crate::tui::msg::ct_eq(k.pin.expose_secret().as_bytes(), value.as_bytes())
    });
    app.input.reset();
    app.prompt = None;
    if !ok && app.manager_pins && !value.is_empty() {
        // Not the kiosk PIN: a manager's PIN also unlocks; the staff journal decides.
        app.manager.asking = Some(ManagerAction::LeaveKiosk);
        return send_manager_pin(app, value.to_string());
    }
    if ok {
        app.pin_failures = 0;
        app.pin_locked_until = None;
        app.quitting = true;
        vec![Command::Quit]
    } else {
        if !wrong_kiosk_pin(app) {
            fixed(app, S::err_wrong_pin);
        }
        Vec::new()
    }
}

/// Ask for a manager PIN before `action` (masked prompt on any screen).
fn ask_manager(app: &mut App, action: ManagerAction) {
    app.input.reset();
    app.search = None;
    app.manager.asking = Some(action);
    app.prompt = Some(Prompt::ManagerPin);
}

/// Hand the typed PIN to the shell for checking; the screen keeps running meanwhile.
fn send_manager_pin(app: &mut App, pin: String) -> Vec<Command> {
    app.input.reset();
    app.prompt = None;
    let Some(action) = app.manager.asking.take() else {
        return Vec::new();
    };
    if pin.is_empty() {
        fixed(app, S::err_wrong_pin);
        return Vec::new();
    }
    // Staff actions log in with the PIN themselves (login, permission and action in one step).
    if let Some(cmds) = crate::tui::staff::with_pin(app, &action, &pin) {
        return cmds;
    }
    app.manager.next_request_id = app.manager.next_request_id.wrapping_add(1);
    let request_id = app.manager.next_request_id;
    let permission = action.permission();
    app.manager.waiting = Some((request_id, action));
    info(app, S::info_checking_pin);
    vec![Command::VerifyManagerPin {
        request_id,
        pin: ManagerPin::new(pin),
        permission,
    }]
}

/// The staff journal answered a manager PIN check.
fn on_manager_pin(app: &mut App, request_id: u64, ok: bool, reason: Option<Text>) -> Vec<Command> {
    let Some((id, action)) = app.manager.waiting.take() else {
        return Vec::new();
    };
    if id != request_id {
        // An answer to an older request: keep waiting for the current one.
        app.manager.waiting = Some((id, action));
        return Vec::new();
    }
    if app
        .toast
        .as_ref()
        .is_some_and(|t| t.kind == ToastKind::Info)
    {
        app.toast = None;
    }
    if !ok {
        if action == ManagerAction::LeaveKiosk && wrong_kiosk_pin(app) {
            // The kiosk PIN's own lockout counts tries typed here too, in the same words.
            return Vec::new();
        }
        match reason {
            Some(t) => error(app, t),
            None => fixed(app, S::err_wrong_pin),
        }
        return Vec::new();
    }
    match action {
        ManagerAction::PriceOverride { line } => {
            if app.screen == Screen::Sale && app.basket.line(line).is_some() {
                app.selected = Some(line);
                app.input.reset();
                app.search = None;
                app.prompt = Some(Prompt::Price);
            } else {
                fixed(app, S::err_no_line);
            }
            Vec::new()
        }
        ManagerAction::VoidAfterCancel { reference } => {
            let still_deciding = app.screen == Screen::Paying
                && app.payment.as_ref().is_some_and(|p| {
                    p.reference == reference && p.status == PaymentStatusView::AuthorizedAfterCancel
                });
            if still_deciding {
                vec![Command::VoidAfterCancel { reference }]
            } else {
                fixed(app, S::err_void_too_late);
                Vec::new()
            }
        }
        ManagerAction::OpenDrawer => vec![Command::OpenDrawer],
        // Carries its PIN in its own command (see `staff::with_pin`): never checked here.
        ManagerAction::Cash => Vec::new(),
        ManagerAction::LeaveKiosk => {
            app.pin_failures = 0;
            app.pin_locked_until = None;
            app.quitting = true;
            vec![Command::Quit]
        }
        // Never checked through `VerifyManagerPin`: their commands carry the PIN.
        ManagerAction::Refund
        | ManagerAction::Return
        | ManagerAction::ZReport
        | ManagerAction::Batch
        | ManagerAction::AcknowledgeOutbox => Vec::new(),
    }
}

fn selected_line(app: &App) -> Result<(usize, OrderLine), Text> {
    app.selected
        .and_then(|i| app.basket.line(i).cloned().map(|l| (i, l)))
        .ok_or_else(|| {
            Text::new(
                S::err_no_line(crate::lang::Lang::Nb),
                S::err_no_line(crate::lang::Lang::En),
            )
        })
}

fn money(app: &App, minor: i64) -> Money {
    Money::new(minor, app.basket.currency())
}

/// Set the selected line's quantity; a lower quantity is a line correction for the fiscal
/// journal (the command it returns).
fn set_quantity(app: &mut App, value: &str) -> Result<Vec<Command>, Text> {
    let (i, line) = selected_line(app)?;
    let q = Quantity::parse_input(value, line.quantity.unit())
        .map_err(|e| quantity_error(app, value, e))?;
    let q = within_max(app, q, value.trim())?;
    let gross = |l: &OrderLine| l.amounts().ok().map(|a| a.gross);
    let (before, was) = (gross(&line), line.quantity);
    app.basket.set_quantity(i, q).map_err(|e| e.text())?;
    let after = app.basket.line(i).and_then(gross);
    match (before, after) {
        (Some(before), Some(after)) if q.milli() < was.milli() => {
            let amount = before.checked_sub(after).unwrap_or(before);
            Ok(vec![Command::Journal {
                event: TillEvent::QuantityReduced {
                    name: line.name.clone(),
                    from: was.to_string(),
                    to: q.to_string(),
                    amount,
                },
                staff_id: app.cashier_id(),
            }])
        }
        _ => Ok(Vec::new()),
    }
}

fn add_weighed(app: &mut App, value: &str) -> Result<(), Text> {
    let Some(p) = app.pending.clone() else {
        return Ok(());
    };
    let product = p.to_domain()?;
    let q =
        Quantity::parse_input(value, product.unit).map_err(|e| quantity_error(app, value, e))?;
    let q = within_max(app, q, value.trim())?;
    let i = app.basket.add_product(&product, q).map_err(|e| e.text())?;
    app.selected = Some(i);
    app.pending = None;
    Ok(())
}

/// Zero or too large: the range error naming `ui.max_quantity`; other mistakes as the
/// domain words them.
fn quantity_error(app: &App, value: &str, e: crate::domain::basket::BasketError) -> Text {
    use crate::domain::basket::BasketError as E;
    match e {
        E::QuantityNotPositive | E::QuantityTooLarge if !value.trim().starts_with('-') => {
            strings::quantity_out_of_range(value.trim(), app.rules.max_quantity)
        }
        e => e.text(),
    }
}

fn set_price(app: &mut App, value: &str) -> Result<(), Text> {
    let (i, _) = selected_line(app)?;
    let minor = parse_price(value).map_err(|_| strings::bad_price(value))?;
    let m = money(app, minor);
    app.basket.set_price(i, m).map_err(|e| e.text())
}

fn set_discount(app: &mut App, value: &str) -> Result<(), Text> {
    let (i, line) = selected_line(app)?;
    let discount = if let Some(pct) = value.strip_suffix('%') {
        let pct: i64 = pct
            .trim()
            .parse()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| strings::bad_discount(value))?;
        if pct > 100 {
            return Err(strings::discount_over_100(value));
        }
        let before = line
            .amounts()
            .map_err(|e| e.text())?
            .before_discount
            .minor();
        // Round half up to whole øre.
        let d = before
            .checked_mul(pct)
            .map(|x| (x + 50) / 100)
            .ok_or_else(|| strings::bad_discount(value))?;
        money(app, d)
    } else {
        money(
            app,
            parse_price(value).map_err(|_| strings::bad_discount(value))?,
        )
    };
    app.basket.set_discount(i, discount).map_err(|e| e.text())
}

/// `"49,90"` (25 % VAT) or `"49,90/15"` (price, then the VAT rate in percent).
fn add_open_price(app: &mut App, value: &str) -> Result<(), Text> {
    let (price, vat) = match value.split_once('/') {
        Some((p, v)) => (p.trim(), Some(v.trim().trim_end_matches('%').trim())),
        None => (value, None),
    };
    let minor = parse_price(price).map_err(|_| strings::bad_price(price))?;
    let vat = match vat {
        None => VatRate::STANDARD,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .and_then(|p| p.checked_mul(100))
            .filter(|b| crate::tui::catalog::ALLOWED_VAT_BPS.contains(b))
            .and_then(|b| VatRate::new(b).ok())
            .ok_or_else(|| strings::bad_vat(v))?,
    };
    let line = OrderLine {
        product_id: "0".to_string(),
        name: S::open_price_name(app.lang).to_string(),
        quantity: Quantity::pieces(1).map_err(|e| e.text())?,
        unit_price: money(app, minor),
        discount: money(app, 0),
        vat,
        is_return: false,
    };
    let i = app.basket.add(line).map_err(|e| e.text())?;
    app.selected = Some(i);
    Ok(())
}

// ---------------------------------------------------------------- payment

fn go_to_payment(app: &mut App) -> Vec<Command> {
    if app.basket.is_empty() {
        fixed(app, S::err_empty_basket);
        return Vec::new();
    }
    let totals = match app.basket.totals() {
        Ok(t) => t,
        Err(e) => {
            error(app, e.text());
            return Vec::new();
        }
    };
    if totals.gross.minor() <= 0 {
        fixed(app, S::err_negative_total);
        return Vec::new();
    }
    // The Vipps minimum is checked when Vipps is chosen: a smaller sale can still be cash.
    app.input.reset();
    app.cash = None;
    app.screen = Screen::Payment;
    if app.network == NetworkState::Offline {
        // Cash still works offline; Vipps (Enter / F2) is refused with this message.
        fixed(app, S::err_offline_pay);
    }
    Vec::new()
}

fn payment_action(app: &mut App, action: Action) -> Vec<Command> {
    match action {
        Action::Submit => {
            let text = app.input.value().trim().to_string();
            if is_personal_qr(&text) {
                start_payment(
                    app,
                    PayMethod::Push {
                        phone_or_personal_qr: text,
                    },
                )
            } else if let Some(phone) = normalize_phone(&text) {
                start_payment(
                    app,
                    PayMethod::Push {
                        phone_or_personal_qr: phone,
                    },
                )
            } else {
                let t = if app.is_kiosk() {
                    strings::kiosk_bad_phone(&text)
                } else {
                    strings::bad_phone(&text, app.vipps_api)
                };
                error(app, t);
                Vec::new()
            }
        }
        Action::PayQr => start_payment(app, PayMethod::Qr),
        Action::PayCash => {
            match &app.cash {
                Some(c) if c.pending => fixed(app, S::err_cash_pending),
                Some(c) => {
                    let t = strings::cash_already_taken(c.received);
                    error(app, t);
                }
                None => {
                    app.input.reset();
                    app.prompt = Some(Prompt::CashReceived);
                }
            }
            Vec::new()
        }
        Action::Cancel => {
            if let Some(c) = &app.cash {
                if c.pending {
                    fixed(app, S::err_cash_pending);
                    return Vec::new();
                }
                // Nothing was journaled yet: the cash goes back to the customer.
                let t = strings::cash_part_undone(c.received);
                app.cash = None;
                error(app, t);
                app.input.reset();
                return Vec::new();
            }
            app.input.reset();
            app.screen = Screen::Sale;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The cashier typed the cash received: a cash-only sale (≥ total) or the cash part of a split
/// (< total; Vipps is asked for the rest next).
fn submit_cash(app: &mut App, value: &str) -> Vec<Command> {
    let currency = app.basket.currency();
    let received = match Money::parse_input(value, currency) {
        Ok(m) => m,
        Err(e) => {
            let t = strings::bad_cash(value, &e.text());
            error(app, t);
            return Vec::new();
        }
    };
    if received.minor() <= 0 {
        error(app, strings::cash_zero());
        return Vec::new();
    }
    let total = match app.basket.totals() {
        Ok(t) => t.gross,
        Err(e) => {
            error(app, e.text());
            return Vec::new();
        }
    };
    let mut tender = CashTender {
        received,
        total,
        pending: false,
        receipt_number: None,
    };
    if tender.is_split() {
        let rest = tender.remainder();
        match crate::domain::money::check_vipps_amount(app.vipps_api, rest) {
            Err(crate::domain::money::AmountRefusal::BelowMinimum { min }) => {
                error(app, strings::remainder_below_minimum(rest, min));
                return Vec::new();
            }
            Err(r) => {
                error(app, r.text());
                return Vec::new();
            }
            Ok(()) => {}
        }
        app.prompt = None;
        app.input.reset();
        app.cash = Some(tender);
        return Vec::new();
    }
    tender.pending = true;
    app.prompt = None;
    app.input.reset();
    app.cash = Some(tender);
    info(app, S::recording_cash);
    vec![Command::CashSale {
        basket: app.basket.clone(),
        received,
        staff_id: app.cashier_id(),
    }]
}

/// The journal answered a cash-only sale.
fn on_cash_sale(
    app: &mut App,
    result: Result<crate::tui::msg::CashSaleDone, Text>,
) -> Vec<Command> {
    let Some(c) = app.cash.as_mut().filter(|c| c.pending) else {
        return Vec::new();
    };
    c.pending = false;
    match result {
        Ok(done) => {
            c.receipt_number = Some(done.receipt_number);
            c.received = done.received;
            c.total = done.total;
            app.payment = None;
            app.pay_kind = None;
            app.screen = Screen::Result;
            app.result_at = Some(app.now);
            // "Recording …" (or "wait a moment") is answered by the result itself.
            app.toast = None;
        }
        Err(t) => {
            app.cash = None;
            error(app, t);
        }
    }
    Vec::new()
}

fn start_payment(app: &mut App, method: PayMethod) -> Vec<Command> {
    if app.cash.as_ref().is_some_and(|c| c.pending) {
        // The basket is being journaled as a cash sale: never also ask Vipps for it.
        fixed(app, S::err_cash_pending);
        return Vec::new();
    }
    if app.network == NetworkState::Offline {
        fixed(app, S::err_offline_pay);
        return Vec::new();
    }
    // What Vipps would be asked for: the total, or the rest after the cash part.
    let vipps_amount = match (&app.cash, app.basket.totals()) {
        (Some(c), _) if c.is_split() => Some(c.remainder()),
        (_, Ok(t)) => Some(t.gross),
        (_, Err(_)) => None,
    };
    if let Some(amount) = vipps_amount {
        // Vipps' limits for this API and currency, before any sale is started.
        if let Err(r) = crate::domain::money::check_vipps_amount(app.vipps_api, amount) {
            error(app, r.text());
            return Vec::new();
        }
    }
    app.pay_kind = Some(match &method {
        PayMethod::Push {
            phone_or_personal_qr,
        } => PayKind::Push {
            to: phone_or_personal_qr.clone(),
        },
        PayMethod::Qr => PayKind::Qr,
    });
    app.input.reset();
    app.payment = None;
    app.cancel_requested = false;
    app.screen = Screen::Paying;
    match app.cash.as_ref().filter(|c| c.is_split()) {
        Some(c) => vec![Command::StartSplitPayment {
            basket: app.basket.clone(),
            method,
            cash: c.received,
            staff_id: app.cashier_id(),
        }],
        None => vec![Command::StartPayment {
            basket: app.basket.clone(),
            method,
            staff_id: app.cashier_id(),
        }],
    }
}

fn waiting_action(app: &mut App, action: Action) -> Vec<Command> {
    let reference = app.payment.as_ref().map(|p| p.reference.clone());
    match (action, reference) {
        (Action::CancelPayment, Some(reference)) => {
            if app.cancel_requested {
                return Vec::new();
            }
            app.cancel_requested = true;
            vec![Command::CancelPayment { reference }]
        }
        (Action::CancelPayment, None) => {
            // Not created yet: cancel as soon as the engine reports the reference.
            app.cancel_requested = true;
            Vec::new()
        }
        (Action::CustomerOpen, Some(reference)) => customer(reference, SimCustomerAction::Open),
        (Action::CustomerApprove, Some(reference)) => {
            customer(reference, SimCustomerAction::Approve)
        }
        (Action::CustomerReject, Some(reference)) => customer(reference, SimCustomerAction::Reject),
        (Action::CompleteSale, Some(reference)) if app.mode() == Mode::Decide => {
            vec![Command::CompleteAfterCancel { reference }]
        }
        (Action::VoidSale, Some(reference)) if app.mode() == Mode::Decide => {
            if app.manager_pins {
                ask_manager(app, ManagerAction::VoidAfterCancel { reference });
                Vec::new()
            } else {
                vec![Command::VoidAfterCancel { reference }]
            }
        }
        _ => Vec::new(),
    }
}

fn customer(reference: String, action: SimCustomerAction) -> Vec<Command> {
    vec![Command::Customer { reference, action }]
}

/// Reprint the paid sale's receipt (COPY); nothing to print for an unpaid result.
fn reprint(app: &mut App) -> Vec<Command> {
    if app.payment.is_none()
        && let Some(no) = app.cash.as_ref().and_then(|c| c.receipt_number.clone())
    {
        // A cash-only sale's receipt is kept by its receipt number.
        return vec![Command::ReprintReceipt { reference: no }];
    }
    match &app.payment {
        Some(p) if p.status == PaymentStatusView::Paid => vec![Command::ReprintReceipt {
            reference: p.reference.clone(),
        }],
        _ => {
            fixed(app, S::err_nothing_to_reprint);
            Vec::new()
        }
    }
}

/// Vipps refused the push (not a Vipps user, push not enabled): pay the same sale by QR. The
/// engine makes a new attempt of the sale; the screen waits for it like any QR payment.
fn pay_same_sale_by_qr(app: &mut App) -> Vec<Command> {
    if !app.qr_fallback_offered() {
        return Vec::new();
    }
    let Some(old) = app.payment.take() else {
        return Vec::new();
    };
    app.pay_kind = Some(PayKind::Qr);
    app.cancel_requested = false;
    app.result_at = None;
    app.screen = Screen::Paying;
    vec![Command::PayByQr {
        reference: old.reference,
    }]
}

fn next_sale(app: &mut App) {
    if app.result_paid() {
        app.basket.clear();
        app.selected = None;
    }
    // A split whose Vipps part failed: the cashier gave the cash back (the result said so).
    app.cash = None;
    app.payment = None;
    app.pay_kind = None;
    app.cancel_requested = false;
    app.result_at = None;
    app.input.reset();
    app.screen = Screen::Sale;
}

/// Back to the start screen with an empty basket (kiosk).
fn reset_to_start(app: &mut App) {
    next_sale(app);
    app.basket.clear();
    app.selected = None;
    app.search = None;
    app.prompt = None;
    app.help = false;
}

// ---------------------------------------------------------------- events

fn on_event(app: &mut App, ev: AppEvent) -> Vec<Command> {
    match ev {
        AppEvent::Tick(now) => {
            app.now = now;
            on_tick(app);
            Vec::new()
        }
        AppEvent::ParkedList(list) => {
            crate::tui::park::on_list(app, list);
            Vec::new()
        }
        AppEvent::Parked(r) => crate::tui::park::on_parked(app, r),
        AppEvent::Resumed(r) => crate::tui::park::on_resumed(app, r),
        AppEvent::Voided(r) => crate::tui::park::on_voided(app, r),
        AppEvent::Network(state) => {
            app.network = state;
            Vec::new()
        }
        AppEvent::Outbox { pending, dead } => {
            app.outbox_pending = pending;
            app.outbox_dead = dead;
            Vec::new()
        }
        AppEvent::Hq { behind } => {
            app.hq_behind = Some(behind);
            Vec::new()
        }
        AppEvent::CatalogChanged { catalog, versions } => {
            app.catalog = std::sync::Arc::unwrap_or_clone(catalog.0);
            let list = versions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            toast(
                app,
                ToastKind::Info,
                Text::new(
                    format!("Nye priser fra hovedkontoret (versjon {list}) gjelder nå."),
                    format!("New prices from headquarters (version {list}) apply now."),
                ),
            );
            Vec::new()
        }
        AppEvent::Recovered(sales) => {
            app.recovered.extend(sales);
            Vec::new()
        }
        AppEvent::Alert { code, alert } => {
            app.alerts.retain(|(c, _)| *c != code);
            if let Some(a) = alert {
                app.alerts.push((code, a));
            }
            Vec::new()
        }
        AppEvent::Error(text) => {
            // A payment that could not even be started: back to choosing how to pay.
            if app.screen == Screen::Paying && app.payment.is_none() {
                app.screen = Screen::Payment;
                app.pay_kind = None;
            }
            error(app, text);
            Vec::new()
        }
        AppEvent::Payment(view) => on_payment(app, view),
        AppEvent::CashSale(result) => on_cash_sale(app, result),
        AppEvent::LoggedIn { request_id, result } => {
            crate::tui::login::on_logged_in(app, request_id, result)
        }
        AppEvent::DrawerOpened => {
            info(app, S::info_drawer_opened);
            Vec::new()
        }
        AppEvent::KioskLockout {
            failures,
            locked_until,
        } => {
            // The saved lockout of an earlier run: a restart must not reset it.
            app.pin_failures = failures;
            app.pin_locked_until = locked_until;
            Vec::new()
        }
        AppEvent::PrintQueue { queued } => {
            app.print_queued = queued;
            Vec::new()
        }
        AppEvent::ManagerPin {
            request_id,
            ok,
            reason,
        } => on_manager_pin(app, request_id, ok, reason),
        ev @ (AppEvent::StaffSales { .. }
        | AppEvent::StaffRefundContext { .. }
        | AppEvent::StaffRefund { .. }
        | AppEvent::StaffReturnContext { .. }
        | AppEvent::StaffReturn { .. }
        | AppEvent::StaffReport { .. }
        | AppEvent::StaffZ { .. }
        | AppEvent::CashRecorded { .. }
        | AppEvent::StaffAcknowledged { .. }
        | AppEvent::StaffBatchCandidates { .. }
        | AppEvent::StaffBatchProgress { .. }
        | AppEvent::StaffBatchDone { .. }
        | AppEvent::RefundReprinted(_)
        | AppEvent::RefundConfirmed { .. }
        | AppEvent::ReportPrinted(_)) => crate::tui::staff::on_event(app, ev),
    }
}

fn on_payment(app: &mut App, view: crate::tui::msg::PaymentView) -> Vec<Command> {
    if app.screen != Screen::Paying {
        // A late update for a payment that is already shown as finished: keep the result.
        if app.screen == Screen::Result
            && app
                .payment
                .as_ref()
                .is_some_and(|p| p.reference == view.reference)
        {
            app.payment = Some(view);
        }
        return Vec::new();
    }
    if let Some(current) = &app.payment
        && current.reference != view.reference
    {
        tracing::warn!(
            current = %current.reference,
            got = %view.reference,
            "payment update for another reference ignored"
        );
        return Vec::new();
    }
    let mut cmds = Vec::new();
    let first_reference = app.payment.is_none();
    if first_reference && app.cancel_requested && !view.status.is_final() {
        cmds.push(Command::CancelPayment {
            reference: view.reference.clone(),
        });
    }
    let is_final = view.status.is_final();
    app.payment = Some(view);
    if is_final {
        app.screen = Screen::Result;
        app.result_at = Some(app.now);
        app.cancel_requested = false;
    }
    cmds
}

fn on_tick(app: &mut App) {
    if app.toast.as_ref().is_some_and(|t| app.now >= t.until) {
        app.toast = None;
    }
    let Some(kiosk) = app.kiosk.clone() else {
        return;
    };
    let since = |t: time::OffsetDateTime| app.now - t;
    if app.screen == Screen::Result
        && app
            .result_at
            .is_some_and(|t| since(t) >= kiosk.return_after)
    {
        reset_to_start(app);
        return;
    }
    let idle = since(app.last_input) >= kiosk.idle_reset;
    let untouched_sale = matches!(app.screen, Screen::Sale | Screen::Payment);
    if idle
        && untouched_sale
        && (!app.basket.is_empty() || app.screen == Screen::Payment || app.prompt.is_some())
    {
        reset_to_start(app);
        info(app, S::info_idle_reset);
    }
}
