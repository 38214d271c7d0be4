//! Staff SQL: members, login guard and attempts, permissions journal.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::pin::{hash_pin, verify_pin};
use super::{StaffConn, journal_action, parse_ts, ts};
use crate::domain::staff::*;
use crate::fiscal::saft::codes::EventKind;
use crate::lang::Text;

impl StaffConn<'_> {
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

    /// A manager stops a member created at this till from logging in (someone who left, a
    /// PIN that got out), or lets them in again: the staff row and a staff action
    /// ('staff_deactivated' / 'staff_activated' with the reason and who did it) in one
    /// transaction. Members from HQ (`hq<n>`) are changed at HQ; nobody deactivates themself
    /// (so an active manager, the one asking, always remains).
    pub fn set_staff_active(
        &self,
        by: &Session,
        id: &str,
        active: bool,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<StaffMember, StaffError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(StaffError::Invalid(Text::new(
                "Grunn: skriv hvorfor (1–200 tegn).",
                "Reason: say why (1–200 characters).",
            )));
        }
        self.authorize(by, Permission::ManageStaff, None, Some(id), now)?;
        if crate::domain::staff::is_hq_staff_id(id) {
            let n = id.trim_start_matches("hq");
            return Err(StaffError::Refused(Text::new(
                format!(
                    "{id} er opprettet av hovedkontoret og endres der: kasse hq staff {} --id {n}.",
                    if active { "activate" } else { "deactivate" }
                ),
                format!(
                    "{id} was created by HQ and is changed there: kasse hq staff {} --id {n}.",
                    if active { "activate" } else { "deactivate" }
                ),
            )));
        }
        if !active && id == by.staff_id() {
            return Err(StaffError::Refused(Text::new(
                "Du kan ikke deaktivere deg selv; be en annen leder.",
                "You cannot deactivate yourself; ask another manager.",
            )));
        }
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let member: Option<(String, String, bool, String)> = tx
            .query_row(
                "SELECT name, role, active = 1, created_at FROM staff WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((name, role, was_active, created_at)) = member else {
            return Err(StaffError::Invalid(Text::new(
                format!("--id: kassen har ingen ansatt «{id}» (se kasse list-staff)."),
                format!("--id: this till has no staff member \"{id}\" (see kasse list-staff)."),
            )));
        };
        if was_active == active {
            let (nb, en) = if active {
                ("aktiv", "active")
            } else {
                ("deaktivert", "deactivated")
            };
            return Err(StaffError::Refused(Text::new(
                format!("{id} er allerede {nb}."),
                format!("{id} is already {en}."),
            )));
        }
        let role = Role::parse(&role)?;
        tx.execute(
            "UPDATE staff SET active = ?2 WHERE id = ?1",
            params![id, i64::from(active)],
        )?;
        journal_action(
            &tx,
            now,
            Some(by.staff_id()),
            if active {
                "staff_activated"
            } else {
                "staff_deactivated"
            },
            true,
            None,
            Some(&format!("{id} {name}: {reason}")),
        )?;
        tx.commit()?;
        tracing::info!(staff_id = %id, active, "staff member changed");
        Ok(StaffMember {
            id: id.to_owned(),
            name,
            role,
            active,
            created_at: parse_ts(&created_at)?,
        })
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
                "PIN: en leder-PIN må ha 6 til 8 siffer (0–9). Velg en lengre PIN.",
                "PIN: a manager's PIN must be 6 to 8 digits (0–9). Choose a longer PIN.",
            )));
        }
        // Login is by PIN alone: refuse a PIN another active member already has.
        let hashes = self.active_hashes()?;
        if hashes.iter().any(|c| verify_pin(&pin, &c.3)) {
            return Err(StaffError::Invalid(Text::new(
                "PIN: kan ikke brukes (velg en annen PIN; hver ansatt må ha sin egen).",
                "PIN: cannot be used (choose another PIN; every staff member needs their own).",
            )));
        }
        let hash = hash_pin(&pin, self.cost())?;
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
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

    fn active_hashes(&self) -> Result<Vec<PinCandidate>, StaffError> {
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
            out.push(PinCandidate(id, name, Role::parse(&role)?, hash));
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
    /// (never the PIN). The PIN check itself is CPU work: from async code use
    /// `service::auth::login`, which runs it off the store thread between
    /// [`StaffConn::login_start`] and [`StaffConn::login_finish`].
    pub fn login(&self, pin: &str, now: OffsetDateTime) -> Result<Session, StaffError> {
        let start = self.login_start(now)?;
        let matched = match_pin(pin, &start.candidates);
        self.login_finish(&start, matched, pin.chars().count(), now)
    }

    /// First half of a login: refuse while locked (journaled, before looking at the PIN at
    /// all); otherwise the active staff to check the PIN against.
    pub fn login_start(&self, now: OffsetDateTime) -> Result<LoginStart, StaffError> {
        let (failures, locked_until) = self.guard()?;
        if let Some(until) = locked_until
            && until > now
        {
            let seconds = (until - now).whole_seconds().max(1);
            let conn = self.lock()?;
            journal_action(conn, now, None, "login_locked", false, None, None)?;
            return Err(StaffError::LockedOut { seconds });
        }
        Ok(LoginStart {
            failures,
            candidates: self.active_hashes()?,
        })
    }

    /// Second half of a login: record the outcome (reset or count the failure, lock, journal)
    /// in one transaction. `matched` is the index into `start.candidates` of the member whose
    /// PIN matched; `pin_len` only decides the weak-PIN warning.
    pub fn login_finish(
        &self,
        start: &LoginStart,
        matched: PinMatch,
        pin_len: usize,
        now: OffsetDateTime,
    ) -> Result<Session, StaffError> {
        let failures = start.failures;
        let matched = match matched {
            PinMatch::NoMatch => None,
            PinMatch::One(i) => start.candidates.get(i),
            PinMatch::Shared(i, j) => {
                let id = |k: usize| start.candidates.get(k).map_or("?", |c| c.0.as_str());
                let (a, b) = (id(i), id(j));
                let conn = self.lock()?;
                journal_action(
                    conn,
                    now,
                    None,
                    "login_refused",
                    false,
                    None,
                    Some(&format!("PIN shared by {a} and {b}")),
                )?;
                tracing::warn!(first = a, second = b, "login refused: two staff members share a PIN");
                let hq = if crate::domain::staff::is_hq_staff_id(a) {
                    a
                } else {
                    b
                };
                let hq_n = hq.trim_start_matches("hq");
                return Err(StaffError::Refused(Text::new(
                    format!(
                        "Denne PIN-en tilhører to ansatte ({a} og {b}), så kassen vet ikke hvem du er. Be hovedkontoret gi {hq} ny PIN (kasse hq staff pin --id {hq_n})."
                    ),
                    format!(
                        "This PIN belongs to two staff members ({a} and {b}), so the till cannot tell who you are. Ask HQ to give {hq} a new PIN (kasse hq staff pin --id {hq_n})."
                    ),
                )));
            }
        }
        .map(|c| (c.0.clone(), c.1.clone(), c.2));
        let conn = self.lock()?;
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let out = match matched {
            Some((id, name, role)) => {
                let weak_pin = role == Role::Manager && pin_len < MIN_MANAGER_PIN_LEN;
                if weak_pin {
                    tracing::warn!(staff_id = %id, "manager logged in with a PIN shorter than 6 digits");
                }
                tx.execute(
                    "UPDATE staff_login_guard SET failures = 0, locked_until = NULL WHERE id = 1",
                    [],
                )?;
                journal_action(&tx, now, Some(&id), "login", true, None, None)?;
                self.journal_session_event(&tx, EventKind::LogIn, &id, now)?;
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
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        journal_action(
            &tx,
            now,
            Some(session.staff_id()),
            "logout",
            true,
            None,
            None,
        )?;
        self.journal_session_event(&tx, EventKind::LogOut, session.staff_id(), now)?;
        tx.commit()?;
        Ok(())
    }

    /// Check a permission and journal the decision (allowed or refused) with who and when. A
    /// member deactivated since they logged in (at this till, or from HQ) is refused here,
    /// whatever their role.
    pub fn authorize(
        &self,
        session: &Session,
        permission: Permission,
        sale_id: Option<i64>,
        detail: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StaffError> {
        let conn = self.lock()?;
        let deactivated: i64 = conn
            .prepare_cached("SELECT count(*) FROM staff WHERE id = ?1 AND active = 0")?
            .query_row([session.staff_id()], |r| r.get(0))?;
        let decision = if deactivated > 0 {
            Err(StaffError::Refused(Text::new(
                format!(
                    "{} er deaktivert og kan ikke gjøre dette. Logg ut.",
                    session.staff_id()
                ),
                format!(
                    "{} has been deactivated and cannot do this. Log out.",
                    session.staff_id()
                ),
            )))
        } else {
            require(session, permission)
        };
        journal_action(
            conn,
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

/// An active staff member to check a PIN against: id, name, role and PIN hash (PHC string; the
/// PIN itself is never stored). `Debug` leaves the hash out.
#[derive(Clone)]
pub struct PinCandidate(String, String, Role, String);

impl std::fmt::Debug for PinCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PinCandidate")
            .field(&self.0)
            .field(&self.2)
            .finish_non_exhaustive()
    }
}

/// What a login needs after the lockout check: the failures so far and who to check.
#[derive(Debug, Clone)]
pub struct LoginStart {
    failures: u32,
    candidates: Vec<PinCandidate>,
}

/// Whose PIN a login PIN is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinMatch {
    NoMatch,
    /// The index of the one candidate it matches.
    One(usize),
    /// Two members have this PIN: one created at HQ (`hq<n>`, hashed there) and one created at
    /// this till. The till refuses each PIN another member has when it creates a member, but
    /// HQ cannot see the till's PINs, so the clash can only show here. Logging in as either
    /// would journal sales under the wrong person.
    Shared(usize, usize),
}

/// Which candidate's PIN hash matches `pin` (CPU work: argon2id per candidate). After a match,
/// the members of the other origin (HQ or this till) are checked too, to catch a PIN two
/// members share ([`PinMatch::Shared`]). A malformed PIN is just a wrong PIN (the format
/// rules are not revealed to guessers any more than the keypad already does).
pub fn match_pin(pin: &str, start_candidates: &[PinCandidate]) -> PinMatch {
    let Ok(p) = Pin::new(pin) else {
        return PinMatch::NoMatch;
    };
    let from_hq = |c: &PinCandidate| crate::domain::staff::is_hq_staff_id(&c.0);
    let Some(i) = start_candidates.iter().position(|c| verify_pin(&p, &c.3)) else {
        return PinMatch::NoMatch;
    };
    let mine = from_hq(&start_candidates[i]);
    let other = start_candidates
        .iter()
        .enumerate()
        .skip(i + 1)
        .find(|(_, c)| from_hq(c) != mine && verify_pin(&p, &c.3));
    match other {
        Some((j, _)) => PinMatch::Shared(i, j),
        None => PinMatch::One(i),
    }
}

impl LoginStart {
    /// The candidates to check the PIN against ([`match_pin`]).
    pub fn candidates(&self) -> &[PinCandidate] {
        &self.candidates
    }
}
