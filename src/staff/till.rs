//! Staff at the till: is anybody able to log in, logging out by id (the screen keeps only the
//! staff id, never a [`super::Session`]), and the `--demo` training manager.

use rusqlite::OptionalExtension;
use time::OffsetDateTime;

use super::{HashCost, Session, StaffDb, StaffError, journal_action};
use crate::lang::Text;

impl StaffDb {
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
        journal_action(&conn, now, Some(staff_id), "logout", true, None, None)?;
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
        let db = self.clone().with_hash_cost(HashCost::Fast);
        db.create_first_manager(name, pin, now).map(Some)
    }
}
