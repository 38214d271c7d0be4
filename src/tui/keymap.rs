//! Mode × key → [`Action`], loaded from `assets/keymap.toml` (embedded) with an optional user
//! file merged over it. The help overlay is generated from the same data, so it cannot drift.

use crate::lang::{Lang, Text};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// The embedded default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Which bindings are active. `Global` bindings apply in every mode unless the mode overrides
/// the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Global,
    Sale,
    Search,
    Prompt,
    Payment,
    Waiting,
    Decide,
    Result,
    Notice,
    Help,
    /// The staff menu.
    Staff,
    /// Refund: searching for the sale.
    RefundSearch,
    /// Refund: full / amount / lines and the reason.
    RefundForm,
    /// Refund: the planned refund, waiting for Enter.
    RefundConfirm,
    /// Refund sent or finished.
    StaffResult,
    /// X / Z report.
    Report,
    /// The Z report was refused (retry, acknowledge failed rows).
    ZRefused,
    /// Batch corrections.
    Batch,
    /// A question over the sale screen: Ctrl-Q or void with a basket (park / void / cancel).
    Ask,
    /// The list of parked baskets (F9).
    Parked,
    /// Cash management: amount and reason (float, withdrawal, deposit, count before Z).
    CashForm,
}

impl Mode {
    pub const ALL: [Mode; 21] = [
        Mode::Global,
        Mode::Sale,
        Mode::Search,
        Mode::Prompt,
        Mode::Payment,
        Mode::Waiting,
        Mode::Decide,
        Mode::Result,
        Mode::Notice,
        Mode::Help,
        Mode::Staff,
        Mode::RefundSearch,
        Mode::RefundForm,
        Mode::RefundConfirm,
        Mode::StaffResult,
        Mode::Report,
        Mode::ZRefused,
        Mode::Batch,
        Mode::Ask,
        Mode::Parked,
        Mode::CashForm,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Sale => "sale",
            Mode::Search => "search",
            Mode::Prompt => "prompt",
            Mode::Payment => "payment",
            Mode::Waiting => "waiting",
            Mode::Decide => "decide",
            Mode::Result => "result",
            Mode::Notice => "notice",
            Mode::Help => "help",
            Mode::Staff => "staff",
            Mode::RefundSearch => "refund_search",
            Mode::RefundForm => "refund_form",
            Mode::RefundConfirm => "refund_confirm",
            Mode::StaffResult => "staff_result",
            Mode::Report => "report",
            Mode::ZRefused => "z_refused",
            Mode::Batch => "batch",
            Mode::Ask => "ask",
            Mode::Parked => "parked",
            Mode::CashForm => "cash_form",
        }
    }

    fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// A user intent. Names in the keymap file are snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Help,
    Quit,
    Submit,
    Cancel,
    Up,
    Down,
    Quantity,
    Price,
    Discount,
    ReturnLine,
    RemoveLine,
    OpenPrice,
    Park,
    Recall,
    Pay,
    PayQr,
    CancelPayment,
    CustomerOpen,
    CustomerApprove,
    CustomerReject,
    CompleteSale,
    VoidSale,
    NextSale,
    /// Print the last paper receipt again, marked COPY.
    Reprint,
    /// Open the staff menu (refunds, X/Z report, batch corrections).
    Staff,
    /// Refund form: everything still refundable.
    RefundFull,
    /// Refund form: an amount.
    RefundAmount,
    /// Refund form: per line.
    RefundLines,
    /// Move to the next field of a form.
    NextField,
    PageUp,
    PageDown,
    /// Acknowledge failed (dead) outbox rows that block the Z report.
    AcknowledgeOutbox,
    /// Payment screen: take cash (all of it, or part and Vipps for the rest).
    PayCash,
    /// Sale screen: open the cash drawer without a sale (manager PIN).
    OpenDrawer,
    /// Sale screen: log the cashier out (back to the login screen).
    Logout,
    /// Void the whole basket before payment (journaled as a fiscal event).
    VoidBasket,
    /// Sale screen: show the typed/scanned article's price without adding it (journaled 13022).
    PriceLookup,
}

impl Action {
    pub const ALL: [Action; 37] = [
        Action::Help,
        Action::Quit,
        Action::Submit,
        Action::Cancel,
        Action::Up,
        Action::Down,
        Action::Quantity,
        Action::Price,
        Action::Discount,
        Action::ReturnLine,
        Action::RemoveLine,
        Action::OpenPrice,
        Action::Park,
        Action::Recall,
        Action::Pay,
        Action::PayQr,
        Action::CancelPayment,
        Action::CustomerOpen,
        Action::CustomerApprove,
        Action::CustomerReject,
        Action::CompleteSale,
        Action::VoidSale,
        Action::NextSale,
        Action::Reprint,
        Action::Staff,
        Action::RefundFull,
        Action::RefundAmount,
        Action::RefundLines,
        Action::NextField,
        Action::PageUp,
        Action::PageDown,
        Action::AcknowledgeOutbox,
        Action::PayCash,
        Action::OpenDrawer,
        Action::Logout,
        Action::VoidBasket,
        Action::PriceLookup,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Action::Help => "help",
            Action::Quit => "quit",
            Action::Submit => "submit",
            Action::Cancel => "cancel",
            Action::Up => "up",
            Action::Down => "down",
            Action::Quantity => "quantity",
            Action::Price => "price",
            Action::Discount => "discount",
            Action::ReturnLine => "return_line",
            Action::RemoveLine => "remove_line",
            Action::OpenPrice => "open_price",
            Action::Park => "park",
            Action::Recall => "recall",
            Action::Pay => "pay",
            Action::PayQr => "pay_qr",
            Action::CancelPayment => "cancel_payment",
            Action::CustomerOpen => "customer_open",
            Action::CustomerApprove => "customer_approve",
            Action::CustomerReject => "customer_reject",
            Action::CompleteSale => "complete_sale",
            Action::VoidSale => "void_sale",
            Action::NextSale => "next_sale",
            Action::Reprint => "reprint",
            Action::Staff => "staff",
            Action::RefundFull => "refund_full",
            Action::RefundAmount => "refund_amount",
            Action::RefundLines => "refund_lines",
            Action::NextField => "next_field",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::AcknowledgeOutbox => "acknowledge_outbox",
            Action::PayCash => "pay_cash",
            Action::OpenDrawer => "open_drawer",
            Action::Logout => "logout",
            Action::VoidBasket => "void_basket",
            Action::PriceLookup => "price_lookup",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    /// Staff functions are hidden and refused in kiosk mode.
    pub const fn is_staff_only(self) -> bool {
        matches!(
            self,
            Action::Price
                | Action::PriceLookup
                | Action::VoidBasket
                | Action::Discount
                | Action::ReturnLine
                | Action::OpenPrice
                | Action::Park
                | Action::Recall
                | Action::VoidSale
                | Action::Reprint
                | Action::Staff
                | Action::RefundFull
                | Action::RefundAmount
                | Action::RefundLines
                | Action::AcknowledgeOutbox
                | Action::PayCash
                | Action::OpenDrawer
                | Action::Logout
        )
    }

    /// Demo-only actions (the cashier plays the customer's phone).
    /// Not shown to a kiosk's customer: staff functions and the staff's quit key.
    pub const fn is_hidden_in_kiosk(self) -> bool {
        self.is_staff_only() || matches!(self, Action::Quit)
    }

    /// Where the action comes in the one-line hint: paying and help first at every width,
    /// then the mode's own keys in keymap order, quitting last.
    pub const fn hint_rank(self) -> u8 {
        match self {
            Action::Pay => 0,
            Action::Help => 1,
            Action::Quit => 3,
            _ => 2,
        }
    }

    pub const fn is_demo_only(self) -> bool {
        matches!(
            self,
            Action::CustomerOpen | Action::CustomerApprove | Action::CustomerReject
        )
    }
}

/// A key with its modifiers (only Ctrl and Alt matter; Shift is folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        let code = match ev.code {
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => KeyCode::Tab,
            other => other,
        };
        Key {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Parse `"ctrl-q"`, `"f1"`, `"enter"`, `"+"` …
    pub fn parse(s: &str) -> Option<Key> {
        let mut rest = s.trim();
        let mut ctrl = false;
        let mut alt = false;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                let n: u8 = f[1..].parse().ok()?;
                if !(1..=12).contains(&n) {
                    return None;
                }
                KeyCode::F(n)
            }
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(Key { code, ctrl, alt })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.ctrl || self.alt => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One binding with its help text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    pub action: Action,
    pub desc: Text,
    /// A shorter label for the one-line hint when the full ones do not all fit
    /// (`short_nb` / `short_en` in the keymap file; the full text when absent).
    pub short: Option<Text>,
}

/// A keymap problem, quoting the value and saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("cannot read keymap file \"{path}\": {reason}")]
    Read { path: String, reason: String },
    #[error("keymap ({source_name}) is not valid TOML: {message}")]
    Toml {
        source_name: String,
        message: String,
    },
    #[error("keymap ({source_name}): unknown mode \"{mode}\". Use one of: {known}")]
    UnknownMode {
        source_name: String,
        mode: String,
        known: String,
    },
    #[error(
        "keymap ({source_name}), mode \"{mode}\": unknown action \"{action}\". Use one of: {known}"
    )]
    UnknownAction {
        source_name: String,
        mode: String,
        action: String,
        known: String,
    },
    #[error(
        "keymap ({source_name}), mode \"{mode}\": key \"{key}\" is not a key. Write e.g. \"f1\", \"ctrl-q\", \"enter\" or one character"
    )]
    BadKey {
        source_name: String,
        mode: String,
        key: String,
    },
    #[error(
        "keymap ({source_name}), mode \"{mode}\": key \"{key}\" is bound twice. Keep one binding per key"
    )]
    DuplicateKey {
        source_name: String,
        mode: String,
        key: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    key: String,
    action: String,
    nb: String,
    en: String,
    short_nb: Option<String>,
    short_en: Option<String>,
}

/// One entry of the hint line: the key, its description and the short label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintRow {
    pub action: Action,
    pub key: String,
    pub desc: String,
    pub short: Option<String>,
}

/// Bindings per mode, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    modes: BTreeMap<Mode, Vec<Binding>>,
}

fn parse_file(text: &str, source_name: &str) -> Result<BTreeMap<Mode, Vec<Binding>>, KeymapError> {
    let raw: BTreeMap<String, Vec<RawBinding>> =
        toml::from_str(text).map_err(|e| KeymapError::Toml {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
    let mut out: BTreeMap<Mode, Vec<Binding>> = BTreeMap::new();
    for (mode_name, bindings) in raw {
        let mode = Mode::parse(&mode_name).ok_or_else(|| KeymapError::UnknownMode {
            source_name: source_name.to_string(),
            mode: mode_name.clone(),
            known: Mode::ALL.map(Mode::name).join(", "),
        })?;
        let list = out.entry(mode).or_default();
        for rb in bindings {
            let action = Action::parse(&rb.action).ok_or_else(|| KeymapError::UnknownAction {
                source_name: source_name.to_string(),
                mode: mode_name.clone(),
                action: rb.action.clone(),
                known: Action::ALL.map(Action::name).join(", "),
            })?;
            let key = Key::parse(&rb.key).ok_or_else(|| KeymapError::BadKey {
                source_name: source_name.to_string(),
                mode: mode_name.clone(),
                key: rb.key.clone(),
            })?;
            if list.iter().any(|b| b.key == key) {
                return Err(KeymapError::DuplicateKey {
                    source_name: source_name.to_string(),
                    mode: mode_name.clone(),
                    key: rb.key.clone(),
                });
            }
            list.push(Binding {
                key,
                action,
                short: match (rb.short_nb, rb.short_en) {
                    (None, None) => None,
                    (nb, en) => Some(Text::new(
                        nb.unwrap_or_else(|| rb.nb.clone()),
                        en.unwrap_or_else(|| rb.en.clone()),
                    )),
                },
                desc: Text::new(rb.nb, rb.en),
            });
        }
    }
    Ok(out)
}

impl Keymap {
    /// The embedded default keymap.
    pub fn default_keymap() -> Result<Keymap, KeymapError> {
        Keymap::with_override(None)
    }

    /// Defaults with a user keymap merged over them: a user binding for the same mode and key
    /// replaces the default; new keys are appended.
    pub fn with_override(user: Option<&str>) -> Result<Keymap, KeymapError> {
        let mut modes = parse_file(DEFAULT_KEYMAP, "built-in")?;
        if let Some(user) = user {
            for (mode, bindings) in parse_file(user, "user file")? {
                let list = modes.entry(mode).or_default();
                for b in bindings {
                    if let Some(existing) = list.iter_mut().find(|x| x.key == b.key) {
                        *existing = b;
                    } else {
                        list.push(b);
                    }
                }
            }
        }
        Ok(Keymap { modes })
    }

    /// The action for a key in a mode (mode bindings first, then global).
    pub fn lookup(&self, mode: Mode, key: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(key);
        let find = |m: Mode| {
            self.modes
                .get(&m)
                .and_then(|l| l.iter().find(|b| b.key == key))
                .map(|b| b.action)
        };
        find(mode).or_else(|| find(Mode::Global))
    }

    /// Bindings of one mode (without the global ones), in file order.
    pub fn bindings(&self, mode: Mode) -> &[Binding] {
        self.modes.get(&mode).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key bound to an action in a mode or globally (for hints), e.g. "F12".
    pub fn key_for(&self, mode: Mode, action: Action) -> Option<Key> {
        self.bindings(mode)
            .iter()
            .chain(self.bindings(Mode::Global))
            .find(|b| b.action == action)
            .map(|b| b.key)
    }

    /// Help rows for a mode: (key label, description), mode bindings then global ones.
    /// Staff-only actions are left out in kiosk mode, demo actions outside demo mode.
    pub fn help_rows(
        &self,
        mode: Mode,
        lang: Lang,
        kiosk: bool,
        demo: bool,
    ) -> Vec<(String, String)> {
        self.help_rows_where(mode, lang, kiosk, demo, |_| true)
    }

    /// [`Keymap::help_rows`] without the actions `keep` turns down (those that do nothing in
    /// the screen's present state).
    pub fn help_rows_where(
        &self,
        mode: Mode,
        lang: Lang,
        kiosk: bool,
        demo: bool,
        keep: impl Fn(Action) -> bool,
    ) -> Vec<(String, String)> {
        self.bindings(mode)
            .iter()
            .chain(self.bindings(Mode::Global))
            .filter(|b| !(kiosk && b.action.is_hidden_in_kiosk()))
            .filter(|b| demo || !b.action.is_demo_only())
            .filter(|b| keep(b.action))
            .map(|b| (b.key.to_string(), b.desc.get(lang).to_string()))
            .collect()
    }

    /// The hint line's rows: [`Keymap::help_rows_where`] ordered by [`Action::hint_rank`]
    /// (stable: keymap order within a rank), so a narrow line keeps F12 and F1.
    pub fn hint_rows_where(
        &self,
        mode: Mode,
        lang: Lang,
        kiosk: bool,
        demo: bool,
        keep: impl Fn(Action) -> bool,
    ) -> Vec<HintRow> {
        let mut rows: Vec<HintRow> = self
            .bindings(mode)
            .iter()
            .chain(self.bindings(Mode::Global))
            .filter(|b| !(kiosk && b.action.is_hidden_in_kiosk()))
            .filter(|b| demo || !b.action.is_demo_only())
            .filter(|b| keep(b.action))
            .map(|b| HintRow {
                action: b.action,
                key: b.key.to_string(),
                desc: b.desc.get(lang).to_string(),
                short: b.short.as_ref().map(|t| t.get(lang).to_string()),
            })
            .collect();
        rows.sort_by_key(|r| r.action.hint_rank());
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn embedded_keymap_parses_and_binds_every_mode() {
        let km = Keymap::default_keymap().unwrap();
        for mode in Mode::ALL {
            assert!(
                !km.bindings(mode).is_empty(),
                "mode {} has no bindings",
                mode.name()
            );
        }
        assert_eq!(
            km.lookup(Mode::Sale, &ev(KeyCode::F(12), KeyModifiers::NONE)),
            Some(Action::Pay)
        );
        assert_eq!(
            km.lookup(
                Mode::Waiting,
                &ev(KeyCode::Char('q'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            km.lookup(Mode::Sale, &ev(KeyCode::Char('7'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn keys_parse_and_display() {
        assert_eq!(
            Key::parse("ctrl-q"),
            Some(Key {
                code: KeyCode::Char('q'),
                ctrl: true,
                alt: false
            })
        );
        assert_eq!(Key::parse("F12").map(|k| k.code), Some(KeyCode::F(12)));
        assert_eq!(Key::parse("f13"), None);
        assert_eq!(Key::parse("+").map(|k| k.code), Some(KeyCode::Char('+')));
        assert_eq!(Key::parse("nope"), None);
        assert_eq!(
            Key::parse("ctrl-q").map(|k| k.to_string()).as_deref(),
            Some("Ctrl-Q")
        );
    }

    #[test]
    fn user_override_replaces_same_key_and_adds_new() {
        let user = r#"
[[sale]]
key = "f12"
action = "park"
nb = "Parker"
en = "Park"

[[sale]]
key = "f11"
action = "pay"
nb = "Betal"
en = "Pay"
"#;
        let km = Keymap::with_override(Some(user)).unwrap();
        assert_eq!(
            km.lookup(Mode::Sale, &ev(KeyCode::F(12), KeyModifiers::NONE)),
            Some(Action::Park)
        );
        assert_eq!(
            km.lookup(Mode::Sale, &ev(KeyCode::F(11), KeyModifiers::NONE)),
            Some(Action::Pay)
        );
    }

    #[test]
    fn unknown_action_is_quoted() {
        let user = "[[sale]]\nkey = \"f2\"\naction = \"fly\"\nnb = \"x\"\nen = \"x\"\n";
        let err = Keymap::with_override(Some(user)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"fly\""), "{msg}");
        assert!(msg.contains("user file"), "{msg}");
    }

    #[test]
    fn duplicate_key_is_quoted() {
        let user = "[[sale]]\nkey = \"f2\"\naction = \"pay\"\nnb = \"x\"\nen = \"x\"\n\n[[sale]]\nkey = \"F2\"\naction = \"park\"\nnb = \"y\"\nen = \"y\"\n";
        let err = Keymap::with_override(Some(user)).unwrap_err();
        assert!(matches!(err, KeymapError::DuplicateKey { .. }), "{err}");
        assert!(err.to_string().contains("\"F2\""), "{err}");
    }

    #[test]
    fn unknown_mode_and_bad_key_are_quoted() {
        let err = Keymap::with_override(Some(
            "[[salee]]\nkey = \"f2\"\naction = \"pay\"\nnb = \"x\"\nen = \"x\"\n",
        ))
        .unwrap_err();
        assert!(err.to_string().contains("\"salee\""), "{err}");
        let err = Keymap::with_override(Some(
            "[[sale]]\nkey = \"hyper-x\"\naction = \"pay\"\nnb = \"x\"\nen = \"x\"\n",
        ))
        .unwrap_err();
        assert!(err.to_string().contains("\"hyper-x\""), "{err}");
    }

    #[test]
    fn help_rows_hide_staff_actions_in_kiosk_and_demo_actions_outside_demo() {
        let km = Keymap::default_keymap().unwrap();
        let staff = km.help_rows(Mode::Sale, Lang::En, false, false);
        let hints = km.hint_rows_where(Mode::Sale, Lang::Nb, false, false, |_| true);
        assert_eq!(hints[0].key, "F12", "{hints:?}");
        assert_eq!(hints[1].key, "F1", "{hints:?}");
        assert_eq!(
            hints.last().map(|h| h.key.as_str()),
            Some("Ctrl-Q"),
            "{hints:?}"
        );
        let kiosk = km.help_rows(Mode::Sale, Lang::En, true, false);
        assert!(staff.iter().any(|(_, d)| d == "Park basket"));
        assert!(!kiosk.iter().any(|(_, d)| d == "Park basket"));
        let waiting = km.help_rows(Mode::Waiting, Lang::Nb, false, false);
        assert!(!waiting.iter().any(|(_, d)| d.starts_with("Demo")));
        let demo = km.help_rows(Mode::Waiting, Lang::Nb, false, true);
        assert!(
            demo.iter()
                .any(|(k, d)| k == "F6" && d == "Demo: kunden godkjenner")
        );
    }
}
