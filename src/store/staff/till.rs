//! Staff at the till: is anybody able to log in, logging out by id (the screen keeps only the
//! staff id, never a [`super::Session`]), and the `--demo` training manager.

use rusqlite::OptionalExtension;
use time::OffsetDateTime;

use super::{StaffConn, journal_action};
use crate::domain::staff::{HashCost, Session, StaffError};
use crate::lang::Text;

impl StaffConn<'_> {
    /// True when at least one active staff member exists (the till then asks for a login).
    pub fn has_active_staff(&self) -> Result<bool, StaffError> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row("SELECT count(*) FROM staff WHERE active = 1", [], |r| {
            r.get(0)
        })?;
        Ok(n > 0)
    }

    /// Journal that `staff_id` logged out at the till (refused for an unknown id).
    pub fn logout_staff(&self, staff_id: &str, now: OffsetDateTime) -> Result<(), StaffError> {
        let conn = self.lock()?;
        let known: Option<String> = conn
            .query_row("SELECT id FROM staff WHERE id = ?1", [staff_id], |r| {
                r.get(0)
            })
            .optional()?;
        if known.is_none() {
            return Err(StaffError::NotFound(Text::new(
                format!("Logg ut: ansatt {staff_id} finnes ikke i journalen."),
                format!("Log out: staff member {staff_id} is not in the journal."),
            )));
        }
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        journal_action(&tx, now, Some(staff_id), "logout", true, None, None)?;
        self.journal_session_event(
            &tx,
            crate::fiscal::saft::codes::EventKind::LogOut,
            staff_id,
            now,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// `--demo` only: create the training manager (`name`, `pin`) when the journal has no staff
    /// at all. Returns the session when it was created, `None` when staff already existed.
    pub fn ensure_training_manager(
        &self,
        name: &str,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StaffError> {
        let none = {
            let conn = self.lock()?;
            let n: i64 = conn.query_row("SELECT count(*) FROM staff", [], |r| r.get(0))?;
            n == 0
        };
        if !none {
            return Ok(None);
        }
        // The training PIN is printed on the demo screen: cheap hashing is enough.
        let db = (*self).with_hash_cost(HashCost::Fast);
        db.create_training_manager(name, pin, now).map(Some)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn store() -> crate::store::Store {
        crate::store::Store::open_in_memory().unwrap()
    }

    #[test]
    fn training_manager_only_in_an_empty_journal_and_logs_in_with_its_pin() {
        let store = store();
        let db = store.staff("s1", "t1", HashCost::Fast);
        let now = OffsetDateTime::now_utc();
        assert!(!db.has_active_staff().unwrap());
        let s = db
            .ensure_training_manager("Øvingsleder", "1234", now)
            .unwrap()
            .unwrap();
        assert_eq!(s.role(), crate::domain::staff::Role::Manager);
        assert!(db.has_active_staff().unwrap());
        // A second start finds staff and creates nobody.
        assert!(
            db.ensure_training_manager("Øvingsleder", "1234", now)
                .unwrap()
                .is_none()
        );
        assert_eq!(db.list_staff().unwrap().len(), 1);
        let again = db.login("1234", now).unwrap();
        assert_eq!(again.staff_id(), s.staff_id());
    }

    #[test]
    fn logout_by_id_is_journaled_and_an_unknown_id_is_refused() {
        let store = store();
        let db = store.staff("s1", "t1", HashCost::Fast);
        let now = OffsetDateTime::now_utc();
        let m = db.create_first_manager("Mona", "975310", now).unwrap();
        db.logout_staff(m.staff_id(), now).unwrap();
        let err = db.logout_staff("st999", now).unwrap_err();
        assert!(err.message().en.contains("st999"));
        let actions = db
            .actions_between(
                now - time::Duration::seconds(1),
                now + time::Duration::seconds(1),
            )
            .unwrap();
        assert!(
            actions
                .iter()
                .any(|a| a.action == "logout" && a.staff_id.as_deref() == Some(m.staff_id()))
        );
        assert_eq!(actions.iter().filter(|a| a.action == "logout").count(), 1);
    }

    #[test]
    fn emergency_mode_is_journaled_on_changes_only_and_per_till() {
        let store = store();
        let db = store.staff("s1", "t1", HashCost::Fast);
        let other = store.staff("s1", "t2", HashCost::Fast);
        let now = OffsetDateTime::now_utc();
        // Online with nothing open: nothing to close.
        assert!(!db.journal_emergency(false, "back", now).unwrap());
        assert!(db.journal_emergency(true, "gone", now).unwrap());
        // Still offline (or offline again after a restart): not twice.
        assert!(!db.journal_emergency(true, "gone", now).unwrap());
        // Another till's mode is its own.
        assert!(other.journal_emergency(true, "gone", now).unwrap());
        assert!(db.journal_emergency(false, "back", now).unwrap());
        assert!(!db.journal_emergency(false, "back", now).unwrap());
        let codes: Vec<(String, String)> = store
            .fiscal_events()
            .unwrap()
            .into_iter()
            .filter(|e| e.code.starts_with("1302"))
            .map(|e| (e.till_id, e.code))
            .collect();
        let pairs: Vec<(&str, &str)> = codes
            .iter()
            .map(|(t, c)| (t.as_str(), c.as_str()))
            .collect();
        assert_eq!(pairs, [("t1", "13026"), ("t2", "13026"), ("t1", "13027")]);
    }
}
