//! Parked baskets, voiding the whole basket and the question Ctrl-Q asks when the basket is
//! not empty. The baskets live in the journal (the shell's `ParkBasket` / `ResumeParked` /
//! `VoidBasket`); the screen keeps the list it was last told and waits for each answer
//! before it changes the basket.

use crate::domain::basket::Basket;
use crate::lang::{Lang, Text};
use crate::tui::app::{App, Prompt, Screen, ToastKind};
use crate::tui::keymap::{Action, Mode};
use crate::tui::msg::{Command, ParkedBasket};
use crate::tui::update::{error, toast};

macro_rules! strings {
    ($($name:ident => $nb:literal, $en:literal;)*) => {
        /// Fixed strings of parking and voiding; `P::name(lang)`.
        pub struct P;
        impl P {
            $(
                pub const fn $name(lang: Lang) -> &'static str {
                    lang.pick($nb, $en)
                }
            )*
        }
    };
}

strings! {
    ask_quit_title => "Avslutte med varer i kurven?", "Quit with items in the basket?";
    ask_void_title => "Annullere hele kurven?", "Void the whole basket?";
    ask_quit_keys => "F8: parker kurven og avslutt · Del: annuller kurven og avslutt · Esc: fortsett salget", "F8: park the basket and quit · Del: void the basket and quit · Esc: go on selling";
    ask_void_keys => "Del: annuller kurven (journalføres) · F8: parker den i stedet · Esc: tilbake", "Del: void the basket (journaled) · F8: park it instead · Esc: back";
    list_title => "Parkerte kurver", "Parked baskets";
    list_keys => "↑/↓ velg · Enter: hent · Esc: tilbake", "↑/↓ choose · Enter: recall · Esc: back";
    prompt_name => "Navn på kurven (Enter: foreslått navn)", "Name of the basket (Enter: suggested name)";
    info_voided => "Kurven er annullert og journalført", "The basket was voided and journaled";
    err_void_empty => "Kurven er tom – ingenting å annullere", "The basket is empty – nothing to void";
    err_busy => "Vent – kassen lagrer kurven", "Wait – the till is storing the basket";
    err_name_long => "Navn: høyst 40 tegn. Skriv et kortere navn.", "Name: at most 40 characters. Type a shorter name.";
}

/// The longest name a parked basket may have (the journal checks it too).
pub const MAX_NAME: usize = 40;

/// What the question over the sale screen is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Ctrl-Q with a basket: park it, void it, or go on.
    Quit,
    /// Ctrl-D: void the whole basket (or park it instead).
    Void,
}

/// What the screen waits for from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// This basket is being parked.
    Park(Basket),
    /// This basket is being voided.
    Void(Basket),
    /// A parked basket is being taken back.
    Resume,
}

/// Parked baskets and the question state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParkUi {
    /// The parked baskets (oldest first), as the journal last said.
    pub list: Vec<ParkedBasket>,
    /// The list is open (F9), with this one marked.
    pub open: bool,
    pub selected: usize,
    pub ask: Option<Ask>,
    pub waiting: Option<Waiting>,
    /// Quit once the journal has the parked or voided basket.
    pub quit_after: bool,
}

/// The mode while a question or the list is up.
pub fn mode(app: &App) -> Option<Mode> {
    if app.park.ask.is_some() {
        Some(Mode::Ask)
    } else if app.park.open {
        Some(Mode::Parked)
    } else {
        None
    }
}

/// A basket that Ctrl-Q must not drop silently: lines not yet paid.
pub fn basket_at_stake(app: &App) -> bool {
    let paid_result = app.screen == Screen::Result && app.result_paid();
    !app.basket.is_empty() && !paid_result
}

fn staff_id(app: &App) -> Option<String> {
    app.login.cashier.as_ref().map(|c| c.staff_id.clone())
}

/// The name a basket gets when the cashier gives none: "Kurv 14:05" / "Basket 14:05".
pub fn suggested_name(app: &App) -> String {
    let t = app.now.to_offset(app.utc_offset);
    let word = app.lang.pick("Kurv", "Basket");
    let base = format!("{word} {:02}:{:02}", t.hour(), t.minute());
    let taken = |n: &str| app.park.list.iter().any(|p| p.name == n);
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base} ({i})"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// Ctrl-Q with a basket at stake: ask instead of quitting.
pub fn ask_quit(app: &mut App) {
    app.input.reset();
    app.search = None;
    app.prompt = None;
    app.park.ask = Some(Ask::Quit);
}

/// F8 on the sale screen: ask for a name (Enter takes the suggested one).
pub fn start_park(app: &mut App) {
    if app.basket.is_empty() {
        crate::tui::update::fixed(app, crate::tui::strings::S::err_park_empty);
        return;
    }
    app.input.reset();
    app.prompt = Some(Prompt::ParkName);
}

/// Enter at the name prompt.
pub fn submit_name(app: &mut App, value: &str) -> Result<Vec<Command>, Text> {
    let name = value.trim();
    if name.chars().count() > MAX_NAME {
        return Err(Text::new(
            P::err_name_long(Lang::Nb),
            P::err_name_long(Lang::En),
        ));
    }
    let name = if name.is_empty() {
        suggested_name(app)
    } else {
        name.to_owned()
    };
    Ok(park(app, name))
}

fn park(app: &mut App, name: String) -> Vec<Command> {
    if app.park.waiting.is_some() {
        error(app, Text::new(P::err_busy(Lang::Nb), P::err_busy(Lang::En)));
        return Vec::new();
    }
    let basket = app.basket.clone();
    app.park.waiting = Some(Waiting::Park(basket.clone()));
    vec![Command::ParkBasket {
        name,
        basket,
        staff_id: staff_id(app),
    }]
}

fn void(app: &mut App) -> Vec<Command> {
    if app.park.waiting.is_some() {
        error(app, Text::new(P::err_busy(Lang::Nb), P::err_busy(Lang::En)));
        return Vec::new();
    }
    let basket = app.basket.clone();
    app.park.waiting = Some(Waiting::Void(basket.clone()));
    vec![Command::VoidBasket {
        basket,
        staff_id: staff_id(app),
    }]
}

/// Ctrl-D on the sale screen.
pub fn ask_void(app: &mut App) {
    if app.basket.is_empty() {
        error(
            app,
            Text::new(P::err_void_empty(Lang::Nb), P::err_void_empty(Lang::En)),
        );
        return;
    }
    app.input.reset();
    app.park.ask = Some(Ask::Void);
}

/// Keys while the question is up.
pub fn ask_action(app: &mut App, action: Action) -> Vec<Command> {
    let Some(ask) = app.park.ask else {
        return Vec::new();
    };
    match action {
        Action::Cancel => {
            app.park.ask = None;
            Vec::new()
        }
        Action::Park => {
            app.park.ask = None;
            app.park.quit_after = ask == Ask::Quit;
            let name = suggested_name(app);
            park(app, name)
        }
        Action::VoidBasket => {
            app.park.ask = None;
            app.park.quit_after = ask == Ask::Quit;
            void(app)
        }
        _ => Vec::new(),
    }
}

/// F9: open the list of parked baskets.
pub fn open_list(app: &mut App) {
    use crate::tui::strings::S;
    if !app.basket.is_empty() {
        crate::tui::update::fixed(app, S::err_recall_busy);
    } else if app.park.list.is_empty() {
        crate::tui::update::fixed(app, S::err_nothing_parked);
    } else {
        app.input.reset();
        app.park.open = true;
        app.park.selected = app.park.selected.min(app.park.list.len() - 1);
    }
}

/// Keys on the list.
pub fn list_action(app: &mut App, action: Action) -> Vec<Command> {
    let n = app.park.list.len();
    match action {
        Action::Up => app.park.selected = app.park.selected.saturating_sub(1),
        Action::Down => app.park.selected = (app.park.selected + 1).min(n.saturating_sub(1)),
        Action::Cancel => app.park.open = false,
        Action::Submit => {
            let Some(p) = app.park.list.get(app.park.selected) else {
                app.park.open = false;
                return Vec::new();
            };
            if app.park.waiting.is_some() {
                error(app, Text::new(P::err_busy(Lang::Nb), P::err_busy(Lang::En)));
                return Vec::new();
            }
            let id = p.id;
            app.park.open = false;
            app.park.waiting = Some(Waiting::Resume);
            return vec![Command::ResumeParked {
                id,
                staff_id: staff_id(app),
            }];
        }
        _ => {}
    }
    Vec::new()
}

fn clear_if_same(app: &mut App, basket: &Basket) {
    if &app.basket == basket {
        let currency = app.basket.currency();
        app.basket = Basket::new(currency);
        app.selected = None;
        app.input.reset();
        if app.screen != Screen::Sale {
            // Ctrl-Q asked on the payment or a failed result screen: back to an empty sale.
            app.cash = None;
            app.payment = None;
            app.pay_kind = None;
            app.result_at = None;
            app.screen = Screen::Sale;
        }
    }
}

fn quit_now(app: &mut App) -> Vec<Command> {
    app.park.quit_after = false;
    app.quitting = true;
    vec![Command::Quit]
}

/// The journal's answers.
pub fn on_list(app: &mut App, list: Vec<ParkedBasket>) {
    app.park.selected = app.park.selected.min(list.len().saturating_sub(1));
    app.park.list = list;
}

pub fn on_parked(app: &mut App, r: Result<Vec<ParkedBasket>, (Basket, Text)>) -> Vec<Command> {
    let waited = app.park.waiting.take();
    match r {
        Ok(list) => {
            on_list(app, list);
            if let Some(Waiting::Park(b)) = &waited {
                clear_if_same(app, b);
            }
            if app.park.quit_after {
                return quit_now(app);
            }
            crate::tui::update::info(app, crate::tui::strings::S::info_parked);
        }
        Err((_, t)) => {
            app.park.quit_after = false;
            error(app, t);
        }
    }
    Vec::new()
}

pub fn on_resumed(app: &mut App, r: Result<(Basket, Vec<ParkedBasket>), Text>) -> Vec<Command> {
    app.park.waiting = None;
    match r {
        Ok((basket, list)) => {
            on_list(app, list);
            if app.basket.is_empty() {
                app.basket = basket;
                app.selected = app.basket.len().checked_sub(1);
                crate::tui::update::info(app, crate::tui::strings::S::info_recalled);
                Vec::new()
            } else {
                // Something was scanned meanwhile: the recalled basket goes back to the list.
                crate::tui::update::fixed(app, crate::tui::strings::S::err_recall_busy);
                let name = suggested_name(app);
                app.park.waiting = Some(Waiting::Park(basket.clone()));
                vec![Command::ParkBasket {
                    name,
                    basket,
                    staff_id: staff_id(app),
                }]
            }
        }
        Err(t) => {
            error(app, t);
            Vec::new()
        }
    }
}

pub fn on_voided(app: &mut App, r: Result<(), Text>) -> Vec<Command> {
    let waited = app.park.waiting.take();
    match r {
        Ok(()) => {
            if let Some(Waiting::Void(b)) = &waited {
                clear_if_same(app, b);
            }
            if app.park.quit_after {
                return quit_now(app);
            }
            toast(
                app,
                ToastKind::Info,
                Text::new(P::info_voided(Lang::Nb), P::info_voided(Lang::En)),
            );
        }
        Err(t) => {
            app.park.quit_after = false;
            error(app, t);
        }
    }
    Vec::new()
}
