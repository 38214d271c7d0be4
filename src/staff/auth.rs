//! Staff, roles, PIN login with lockout, permissions, and the staff action journal.
//!
//! Login is by PIN alone (a till keypad), so two active staff never share a PIN. After
//! [`FREE_ATTEMPTS`] consecutive wrong PINs the till locks for 30 s, doubling with each further
//! wrong PIN up to 15 minutes; a correct PIN after the lock ends resets the count.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::pin::{Pin, hash_pin, verify_pin};
use super::{StaffDb, StaffError, journal_action, parse_ts, ts};
use crate::lang::Text;

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

    fn parse(s: &str) -> Result<Role, StaffError> {
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

/// Shown (screen, stderr) when a manager logs in with a PIN shorter than
/// [`MIN_MANAGER_PIN_LEN`].
pub fn weak_pin_warning() -> Text {
    Text::new(
        "Leder-PIN-en din har færre enn 6 sifre. Den virker fortsatt, men nye leder-PIN-er må ha 6–8 sifre: få en ny PIN snart.",
        "Your manager PIN has fewer than 6 digits. It still works, but new manager PINs need 6–8 digits: get a new PIN soon.",
    )
}

/// A logged-in staff member. Only [`StaffDb::login`] and the first-run flow make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    staff_id: String,
    name: String,
    role: Role,
    started_at: OffsetDateTime,
    weak_pin: bool,
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

fn check_name(name: &str) -> Result<String, StaffError> {
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

impl StaffDb {
    /// True until the first manager exists (first-run flow).
    pub fn needs_first_manager(&self) -> Result<bool, StaffError> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM staff WHERE role = 'manager' AND active = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    /// First run: create the first manager and log them in. Refused once a manager exists.
    pub fn create_first_manager(
        &self,
        name: &str,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<Session, StaffError> {
        if !self.needs_first_manager()? {
            return Err(StaffError::Refused(Text::new(
                "Det finnes allerede en leder. Logg inn som leder for å legge til ansatte.",
                "A manager already exists. Log in as a manager to add staff.",
            )));
        }
        let member = self.insert_staff(name, pin, Role::Manager, None, now, true)?;
        Ok(Session {
            staff_id: member.id,
            name: member.name,
            role: Role::Manager,
            started_at: now,
            weak_pin: false,
        })
    }

    /// `--demo` only: the training manager, whose PIN is printed on the demo screen, may keep
    /// the short training PIN.
    pub(crate) fn create_training_manager(
        &self,
        name: &str,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<Session, StaffError> {
        let member = self.insert_staff(name, pin, Role::Manager, None, now, false)?;
        Ok(Session {
            staff_id: member.id,
            name: member.name,
            role: Role::Manager,
            started_at: now,
            weak_pin: false,
        })
    }

    /// A manager adds a cashier or manager.
    pub fn create_staff(
        &self,
        by: &Session,
        name: &str,
        pin: &str,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<StaffMember, StaffError> {
        self.authorize(by, Permission::ManageStaff, None, Some(name), now)?;
        self.insert_staff(name, pin, role, Some(by.staff_id()), now, true)
    }

    fn insert_staff(
        &self,
        name: &str,
        pin: &str,
        role: Role,
        by: Option<&str>,
        now: OffsetDateTime,
        strict_manager_pin: bool,
    ) -> Result<StaffMember, StaffError> {
        let name = check_name(name)?;
        let pin_len = pin.chars().count();
        let pin = Pin::new(pin)?;
        if strict_manager_pin && role == Role::Manager && pin_len < MIN_MANAGER_PIN_LEN {
            return Err(StaffError::Invalid(Text::new(
                "PIN: en leder-PIN må ha 6 til 8 sifre (0–9). Velg en lengre PIN.",
                "PIN: a manager's PIN must be 6 to 8 digits (0–9). Choose a longer PIN.",
            )));
        }
        // Login is by PIN alone: refuse a PIN another active member already has.
        let hashes = self.active_hashes()?;
        if hashes.iter().any(|(_, _, _, h)| verify_pin(&pin, h)) {
            return Err(StaffError::Invalid(Text::new(
                "PIN: kan ikke brukes (velg en annen PIN; hver ansatt må ha sin egen).",
                "PIN: cannot be used (choose another PIN; every staff member needs their own).",
            )));
        }
        let hash = hash_pin(&pin, self.cost())?;
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(&conn, rusqlite::TransactionBehavior::Immediate)?;
        let n: i64 = tx.query_row("SELECT count(*) + 1 FROM staff", [], |r| r.get(0))?;
        let id = format!("st{n:03}");
        tx.execute(
            "INSERT INTO staff (id, name, role, pin_hash, active, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
            params![id, name, role.as_str(), hash, ts(now), by],
        )?;
        journal_action(
            &tx,
            now,
            by.or(Some(id.as_str())),
            "staff_created",
            true,
            None,
            Some(&format!("{id} {name} ({})", role.as_str())),
        )?;
        tx.commit()?;
        tracing::info!(staff_id = %id, role = role.as_str(), "staff member created");
        Ok(StaffMember {
            id,
            name,
            role,
            active: true,
            created_at: now,
        })
    }

    fn active_hashes(&self) -> Result<Vec<(String, String, Role, String)>, StaffError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare("SELECT id, name, role, pin_hash FROM staff WHERE active = 1 ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, role, hash) = row?;
            out.push((id, name, Role::parse(&role)?, hash));
        }
        Ok(out)
    }

    /// Every staff member (without PIN hashes).
    pub fn list_staff(&self) -> Result<Vec<StaffMember>, StaffError> {
        let conn = self.lock()?;
        let mut stmt =
            conn.prepare("SELECT id, name, role, active, created_at FROM staff ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, role, active, created_at) = row?;
            out.push(StaffMember {
                id,
                name,
                role: Role::parse(&role)?,
                active,
                created_at: parse_ts(&created_at)?,
            });
        }
        Ok(out)
    }

    /// Log in with a PIN. Wrong PINs count towards a lockout; every attempt is journaled
    /// (never the PIN).
    pub fn login(&self, pin: &str, now: OffsetDateTime) -> Result<Session, StaffError> {
        // Refuse while locked, before looking at the PIN at all.
        let (failures, locked_until) = self.guard()?;
        if let Some(until) = locked_until
            && until > now
        {
            let seconds = (until - now).whole_seconds().max(1);
            let conn = self.lock()?;
            journal_action(&conn, now, None, "login_locked", false, None, None)?;
            return Err(StaffError::LockedOut { seconds });
        }
        let matched = match Pin::new(pin) {
            Ok(p) => self
                .active_hashes()?
                .into_iter()
                .find(|(_, _, _, h)| verify_pin(&p, h)),
            // A malformed PIN is just a wrong PIN (do not reveal the format rules to guessers
            // any more than the keypad already does).
            Err(_) => None,
        };
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(&conn, rusqlite::TransactionBehavior::Immediate)?;
        let out = match matched {
            Some((id, name, role, _)) => {
                let weak_pin = role == Role::Manager && pin.chars().count() < MIN_MANAGER_PIN_LEN;
                if weak_pin {
                    tracing::warn!(staff_id = %id, "manager logged in with a PIN shorter than 6 digits");
                }
                tx.execute(
                    "UPDATE staff_login_guard SET failures = 0, locked_until = NULL WHERE id = 1",
                    [],
                )?;
                journal_action(&tx, now, Some(&id), "login", true, None, None)?;
                Ok(Session {
                    staff_id: id,
                    name,
                    role,
                    started_at: now,
                    weak_pin,
                })
            }
            None => {
                let failures = failures.saturating_add(1);
                let lock_secs = lock_seconds(failures);
                let until = (lock_secs > 0).then(|| now + time::Duration::seconds(lock_secs));
                tx.execute(
                    "UPDATE staff_login_guard SET failures = ?1, locked_until = ?2 WHERE id = 1",
                    params![failures, until.map(ts)],
                )?;
                journal_action(
                    &tx,
                    now,
                    None,
                    "login_failed",
                    false,
                    None,
                    Some(&format!("consecutive failures: {failures}")),
                )?;
                if lock_secs > 0 {
                    tracing::warn!(failures, lock_secs, "till locked after wrong PINs");
                    Err(StaffError::LockedOut { seconds: lock_secs })
                } else {
                    Err(StaffError::WrongPin {
                        attempts_left: FREE_ATTEMPTS.saturating_sub(failures),
                    })
                }
            }
        };
        tx.commit()?;
        out
    }

    fn guard(&self) -> Result<(u32, Option<OffsetDateTime>), StaffError> {
        let conn = self.lock()?;
        let (f, until): (i64, Option<String>) = conn.query_row(
            "SELECT failures, locked_until FROM staff_login_guard WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let until = until.as_deref().map(parse_ts).transpose()?;
        Ok((u32::try_from(f).unwrap_or(u32::MAX), until))
    }

    /// Log out (journaled).
    pub fn logout(&self, session: Session, now: OffsetDateTime) -> Result<(), StaffError> {
        let conn = self.lock()?;
        journal_action(
            &conn,
            now,
            Some(session.staff_id()),
            "logout",
            true,
            None,
            None,
        )?;
        Ok(())
    }

    /// Check a permission and journal the decision (allowed or refused) with who and when.
    pub fn authorize(
        &self,
        session: &Session,
        permission: Permission,
        sale_id: Option<i64>,
        detail: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StaffError> {
        let decision = require(session, permission);
        let conn = self.lock()?;
        journal_action(
            &conn,
            now,
            Some(session.staff_id()),
            permission.code(),
            decision.is_ok(),
            sale_id,
            detail,
        )?;
        decision
    }

    /// Open the cash drawer without a sale: manager only, journaled, counted in X/Z reports.
    pub fn open_drawer_no_sale(
        &self,
        session: &Session,
        why: &str,
        now: OffsetDateTime,
    ) -> Result<(), StaffError> {
        self.authorize(session, Permission::OpenDrawerNoSale, None, Some(why), now)
    }

    /// Journal entries of staff actions with `from <= at < to`, oldest first.
    pub fn actions_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<StaffAction>, StaffError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare(
            "SELECT id, at, staff_id, action, allowed, sale_id, detail FROM staff_actions
             WHERE at >= ?1 AND at < ?2 ORDER BY at, id",
        )?;
        let rows = stmt.query_map(params![ts(from), ts(to)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, staff_id, action, allowed, sale_id, detail) = row?;
            out.push(StaffAction {
                id,
                at: parse_ts(&at)?,
                staff_id,
                action,
                allowed,
                sale_id,
                detail,
            });
        }
        Ok(out)
    }

    /// The name of a staff member, if known.
    pub fn staff_name(&self, staff_id: &str) -> Result<Option<String>, StaffError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row("SELECT name FROM staff WHERE id = ?1", [staff_id], |r| {
                r.get(0)
            })
            .optional()?)
    }
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
}
