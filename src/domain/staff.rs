//! Staff, roles and permissions, PIN rules, the staff action journal entry, and the error of
//! every staff function. Pure: the SQL is in `store::staff`, the flows in `service`.
//!
//! Login is by PIN alone (a till keypad), so two active staff never share a PIN. After
//! [`FREE_ATTEMPTS`] consecutive wrong PINs the till locks for 30 s, doubling with each further
//! wrong PIN up to 15 minutes; a correct PIN after the lock ends resets the count.

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::lang::Text;

/// Errors of the staff functions, each with a message in Bokmål and English.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// Bad input: the message names the field and says what to do.
    #[error("{}", .0.en)]
    Invalid(Text),
    /// The PIN matched nobody.
    #[error("wrong PIN")]
    WrongPin { attempts_left: u32 },
    /// Too many wrong PINs.
    #[error("locked for {seconds} s after repeated wrong PINs")]
    LockedOut { seconds: i64 },
    /// The session's role may not do this.
    #[error("{}", .0.en)]
    Forbidden(Text),
    /// Something asked for does not exist.
    #[error("{}", .0.en)]
    NotFound(Text),
    /// A refund or Z report refused by the rules (over-refund, 365 days, outbox not empty...).
    #[error("{}", .0.en)]
    Refused(Text),
    /// Vipps could not be reached or answered with an error.
    #[error("{}", .0.en)]
    Vipps(Text),
    /// A bug or an unexpected state.
    #[error("{}", .0.en)]
    Internal(Text),
    /// The journal failed (store or SQLite error), with its message for the screen.
    #[error("{}", .0.en)]
    Database(Text),
}

impl StaffError {
    /// The message for the screen / CLI.
    pub fn message(&self) -> Text {
        match self {
            StaffError::Invalid(t)
            | StaffError::Forbidden(t)
            | StaffError::NotFound(t)
            | StaffError::Refused(t)
            | StaffError::Vipps(t)
            | StaffError::Internal(t)
            | StaffError::Database(t) => t.clone(),
            StaffError::WrongPin { attempts_left } => Text::new(
                format!("PIN: feil PIN. {attempts_left} forsøk igjen før kassen låses en stund."),
                format!(
                    "PIN: wrong PIN. {attempts_left} attempts left before the till locks for a while."
                ),
            ),
            StaffError::LockedOut { seconds } => Text::new(
                format!(
                    "PIN: for mange feil forsøk. Vent {seconds} sekunder og prøv igjen, eller be en leder om hjelp."
                ),
                format!(
                    "PIN: too many wrong attempts. Wait {seconds} seconds and try again, or ask a manager."
                ),
            ),
        }
    }
}

/// Wrong PINs allowed before the first lock.
pub const FREE_ATTEMPTS: u32 = 3;
/// First lock length; doubles with each further wrong PIN.
pub const FIRST_LOCK_SECS: i64 = 30;
/// Longest lock.
pub const MAX_LOCK_SECS: i64 = 15 * 60;

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cashier,
    Manager,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Manager => "manager",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Role, StaffError> {
        match s {
            "cashier" => Ok(Role::Cashier),
            "manager" => Ok(Role::Manager),
            other => Err(StaffError::Internal(Text::new(
                format!("Ukjent rolle «{other}» i databasen. Kontakt support."),
                format!("Unknown role \"{other}\" in the database. Contact support."),
            ))),
        }
    }

    pub fn label(self) -> Text {
        match self {
            Role::Cashier => Text::new("kasserer", "cashier"),
            Role::Manager => Text::new("leder", "manager"),
        }
    }
}

/// Things staff do that are checked against the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Take a payment.
    Sell,
    /// Print an X report (any time, closes nothing).
    XReport,
    /// Refund a captured sale (full or partial).
    Refund,
    /// Cancel / void a payment after the customer authorized it.
    VoidAfterAuthorization,
    /// Change a price at the till.
    PriceOverride,
    /// Open the cash drawer without a sale.
    OpenDrawerNoSale,
    /// Take the Z report (closes the day).
    ZReport,
    /// Leave kiosk mode.
    LeaveKiosk,
    /// Add staff, change roles.
    ManageStaff,
    /// Batch refunds/captures for end-of-day corrections.
    BatchCorrections,
    /// Acknowledge dead outbox rows.
    AcknowledgeOutbox,
}

impl Permission {
    /// Does this need a manager?
    pub const fn needs_manager(self) -> bool {
        !matches!(self, Permission::Sell | Permission::XReport)
    }

    /// Stable code for the journal.
    pub const fn code(self) -> &'static str {
        match self {
            Permission::Sell => "sell",
            Permission::XReport => "x_report",
            Permission::Refund => "refund",
            Permission::VoidAfterAuthorization => "void_after_authorization",
            Permission::PriceOverride => "price_override",
            Permission::OpenDrawerNoSale => "open_drawer_no_sale",
            Permission::ZReport => "z_report",
            Permission::LeaveKiosk => "leave_kiosk",
            Permission::ManageStaff => "manage_staff",
            Permission::BatchCorrections => "batch_corrections",
            Permission::AcknowledgeOutbox => "acknowledge_outbox",
        }
    }

    pub fn label(self) -> Text {
        let (nb, en) = match self {
            Permission::Sell => ("ta betalt", "take payment"),
            Permission::XReport => ("X-rapport", "X report"),
            Permission::Refund => ("refusjon", "refund"),
            Permission::VoidAfterAuthorization => {
                ("annullere godkjent betaling", "void an authorized payment")
            }
            Permission::PriceOverride => ("endre pris", "price override"),
            Permission::OpenDrawerNoSale => {
                ("åpne skuffen uten salg", "open the drawer without a sale")
            }
            Permission::ZReport => ("Z-rapport (dagsavslutning)", "Z report (close the day)"),
            Permission::LeaveKiosk => ("forlate kioskmodus", "leave kiosk mode"),
            Permission::ManageStaff => ("administrere ansatte", "manage staff"),
            Permission::BatchCorrections => ("samlekorrigeringer", "batch corrections"),
            Permission::AcknowledgeOutbox => (
                "kvittere ut feilede oppdrag",
                "acknowledge failed queue rows",
            ),
        };
        Text::new(nb, en)
    }
}

/// New and changed manager PINs have at least this many digits (cashiers: 4). Managers whose
/// PIN was set before this rule keep logging in, with [`weak_pin_warning`].
pub const MIN_MANAGER_PIN_LEN: usize = 6;

/// The till's staff id of a member created at headquarters (`hq_staff.id` = 7 → `hq7`).
pub fn hq_staff_id(hq_id: i64) -> String {
    format!("hq{hq_id}")
}

/// Whether a staff id is one HQ made ([`hq_staff_id`]); a till's own are `st001`, `st002` ….
pub fn is_hq_staff_id(id: &str) -> bool {
    id.strip_prefix("hq")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Shown (screen, stderr) when a manager logs in with a PIN shorter than
/// [`MIN_MANAGER_PIN_LEN`].
pub fn weak_pin_warning() -> Text {
    Text::new(
        "Leder-PIN-en din har færre enn 6 siffer. Den virker fortsatt, men nye leder-PIN-er må ha 6–8 siffer: få en ny PIN snart.",
        "Your manager PIN has fewer than 6 digits. It still works, but new manager PINs need 6–8 digits: get a new PIN soon.",
    )
}

/// A logged-in staff member. Only the store's login and the first-run flow make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub(crate) staff_id: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) weak_pin: bool,
}

impl Session {
    /// A manager who logged in with a PIN shorter than [`MIN_MANAGER_PIN_LEN`] (set before the
    /// rule): it works; show [`weak_pin_warning`].
    pub fn weak_pin(&self) -> bool {
        self.weak_pin
    }
    pub fn staff_id(&self) -> &str {
        &self.staff_id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn started_at(&self) -> OffsetDateTime {
        self.started_at
    }
}

/// A staff member as listed (never with the PIN hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

/// May this session do this? Cashiers are refused anything that needs a manager, with a message
/// that says what to do.
pub fn require(session: &Session, permission: Permission) -> Result<(), StaffError> {
    if permission.needs_manager() && session.role != Role::Manager {
        let l = permission.label();
        return Err(StaffError::Forbidden(Text::new(
            format!(
                "{} krever en leder. {} er kasserer — be en leder logge inn med sin PIN.",
                capitalise(&l.nb),
                session.name
            ),
            format!(
                "{} needs a manager. {} is a cashier — ask a manager to log in with their PIN.",
                capitalise(&l.en),
                session.name
            ),
        )));
    }
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(crate) fn check_name(name: &str) -> Result<String, StaffError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 60 || n.chars().any(char::is_control) {
        return Err(StaffError::Invalid(Text::new(
            format!("Navn «{name}»: skriv 1 til 60 tegn (uten kontrolltegn)."),
            format!("Name \"{name}\": type 1 to 60 characters (no control characters)."),
        )));
    }
    Ok(n.to_owned())
}

/// One staff action as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAction {
    pub id: i64,
    pub at: OffsetDateTime,
    pub staff_id: Option<String>,
    pub action: String,
    pub allowed: bool,
    pub sale_id: Option<i64>,
    pub detail: Option<String>,
}

/// A staff PIN (validated: 4 to 8 digits). Never printed.
pub struct Pin(SecretString);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

impl Pin {
    /// Validate a typed PIN. The error names the field and says what to do, never echoing it.
    pub fn new(pin: &str) -> Result<Pin, StaffError> {
        let n = pin.chars().count();
        if !(4..=8).contains(&n) || !pin.chars().all(|c| c.is_ascii_digit()) {
            return Err(StaffError::Invalid(Text::new(
                "PIN: må være 4 til 8 siffer (0–9). Skriv en ny PIN.",
                "PIN: must be 4 to 8 digits (0–9). Type a new PIN.",
            )));
        }
        Ok(Pin(SecretString::from(pin.to_owned())))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

/// How expensive hashing is. `Standard` is argon2id with the crate's OWASP defaults
/// (19 MiB, 2 passes); `Fast` is for tests and the demo only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashCost {
    #[default]
    Standard,
    Fast,
}

/// Lock length after `failures` consecutive wrong PINs (0 = not locked).
pub fn lock_seconds(failures: u32) -> i64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(10);
    (FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hq_staff_ids_are_told_apart_from_the_tills_own() {
        assert_eq!(hq_staff_id(7), "hq7");
        assert!(is_hq_staff_id(&hq_staff_id(7)));
        for own in ["st001", "hq", "hqx", "h7", ""] {
            assert!(!is_hq_staff_id(own), "{own}");
        }
    }

    #[test]
    fn lock_grows_and_caps() {
        assert_eq!(lock_seconds(1), 0);
        assert_eq!(lock_seconds(2), 0);
        assert_eq!(lock_seconds(3), 30);
        assert_eq!(lock_seconds(4), 60);
        assert_eq!(lock_seconds(5), 120);
        assert_eq!(lock_seconds(40), MAX_LOCK_SECS);
    }

    #[test]
    fn manager_only_permissions() {
        let cashier = Session {
            staff_id: "st002".into(),
            name: "Kari".into(),
            role: Role::Cashier,
            started_at: OffsetDateTime::UNIX_EPOCH,
            weak_pin: false,
        };
        let manager = Session {
            role: Role::Manager,
            ..cashier.clone()
        };
        for p in [
            Permission::Refund,
            Permission::VoidAfterAuthorization,
            Permission::PriceOverride,
            Permission::OpenDrawerNoSale,
            Permission::ZReport,
            Permission::LeaveKiosk,
        ] {
            let e = require(&cashier, p).unwrap_err();
            assert!(e.message().en.contains("needs a manager"), "{p:?}");
            assert!(require(&manager, p).is_ok());
        }
        assert!(require(&cashier, Permission::Sell).is_ok());
        assert!(require(&cashier, Permission::XReport).is_ok());
    }

    #[test]
    fn pin_rules() {
        for bad in ["", "123", "123456789", "12a4", "12 34", "١٢٣٤"] {
            let e = Pin::new(bad).unwrap_err();
            assert!(e.message().en.contains("4 to 8 digits"), "{bad}");
            assert!(!e.message().en.contains(bad) || bad.is_empty());
        }
        for ok in ["1234", "00000000", "987654"] {
            assert!(Pin::new(ok).is_ok());
        }
        assert_eq!(
            format!("{:?}", Pin::new("4321").unwrap()),
            "Pin([redacted])"
        );
    }
}
