//! The cashier's name for a journaled sale (`staff` table, schema v2), for the paper receipt.

use rusqlite::OptionalExtension;

use super::Store;
use super::error::StoreError;

impl Store {
    /// The name of staff member `staff_id`, if the staff journal knows them.
    pub fn staff_name(&self, staff_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT name FROM staff WHERE id = ?1", [staff_id], |r| {
                r.get(0)
            })
            .optional()?)
    }
}
