//! Staff created at headquarters (`kasse hq staff add`), taken into this till's `staff` table
//! with the argon2 PIN hash HQ holds (the PIN never travels): one transaction writes the staff
//! row (id `hq<HQ id>`), its 'staff_created' action (the detail says it came from HQ) and the
//! mark in `hq_staff_applied`, so a member arrives once. They log in like any other member.

use argon2::password_hash::PasswordHash;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::{StaffConn, journal_action, ts};
use crate::domain::staff::{Role, StaffError, StaffMember, check_name};
use crate::lang::Text;

impl StaffConn<'_> {
    /// The highest HQ staff id this till has taken in (0: none).
    pub fn hq_staff_last(&self) -> Result<i64, StaffError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(hq_id), 0) FROM hq_staff_applied",
            [],
            |r| r.get(0),
        )?)
    }

    /// Take in HQ's staff member `hq_id`. `None`: taken in before (nothing written).
    pub fn insert_hq_staff(
        &self,
        hq_id: i64,
        name: &str,
        role: &str,
        pin_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffMember>, StaffError> {
        let name = check_name(name)?;
        let role = Role::parse(role)?;
        if !pin_hash.starts_with("$argon2") || PasswordHash::new(pin_hash).is_err() {
            return Err(StaffError::Invalid(Text::new(
                format!("HK-ansatt {hq_id}: PIN-hashen er ikke en argon2-hash."),
                format!("HQ staff member {hq_id}: the PIN hash is not an argon2 hash."),
            )));
        }
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let done = tx
            .query_row(
                "SELECT staff_id FROM hq_staff_applied WHERE hq_id = ?1",
                [hq_id],
                |r| r.get::<_, String>(0),
            )
            .optional()?;
        if done.is_some() {
            return Ok(None);
        }
        let id = crate::domain::staff::hq_staff_id(hq_id);
        tx.execute(
            "INSERT INTO staff (id, name, role, pin_hash, active, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, 'hq')",
            params![id, name, role.as_str(), pin_hash, ts(now)],
        )?;
        journal_action(
            &tx,
            now,
            Some(id.as_str()),
            "staff_created",
            true,
            None,
            Some(&format!("{id} {name} ({}) from HQ", role.as_str())),
        )?;
        tx.execute(
            "INSERT INTO hq_staff_applied (hq_id, staff_id, applied_at) VALUES (?1, ?2, ?3)",
            params![hq_id, id, ts(now)],
        )?;
        tx.commit()?;
        tracing::info!(staff_id = %id, role = role.as_str(), "staff member from HQ");
        Ok(Some(StaffMember {
            id,
            name,
            role,
            active: true,
            created_at: now,
        }))
    }
}

/// What a change from HQ does to a member (`hq_staff_changes.kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HqStaffChange {
    Deactivate,
    Activate,
    /// A new PIN: its argon2 hash (PHC string).
    Pin(String),
}

impl HqStaffChange {
    pub fn kind(&self) -> &'static str {
        match self {
            HqStaffChange::Deactivate => "deactivate",
            HqStaffChange::Activate => "activate",
            HqStaffChange::Pin(_) => "pin",
        }
    }
}

impl StaffConn<'_> {
    /// The highest HQ staff change this till has applied (0: none).
    pub fn hq_staff_change_last(&self) -> Result<i64, StaffError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(change_id), 0) FROM hq_staff_changes_applied",
            [],
            |r| r.get(0),
        )?)
    }

    /// Apply HQ's change `change_id` to member `hq<hq_id>`: in one transaction the staff row,
    /// a staff action saying what HQ changed and why ('staff_deactivated', 'staff_activated',
    /// 'staff_pin_changed'; never the PIN or its hash) and the mark that it was applied.
    /// `Ok(false)`: applied before (nothing written). A member this till has not taken in is
    /// an error (the caller pulls members first).
    pub fn apply_hq_staff_change(
        &self,
        change_id: i64,
        hq_id: i64,
        change: &HqStaffChange,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StaffError> {
        if let HqStaffChange::Pin(hash) = change
            && (!hash.starts_with("$argon2") || PasswordHash::new(hash).is_err())
        {
            return Err(StaffError::Invalid(Text::new(
                format!("HK-endring {change_id}: PIN-hashen er ikke en argon2-hash."),
                format!("HQ change {change_id}: the PIN hash is not an argon2 hash."),
            )));
        }
        let tx = rusqlite::Transaction::new_unchecked(
            self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let done: Option<i64> = tx
            .query_row(
                "SELECT change_id FROM hq_staff_changes_applied WHERE change_id = ?1",
                [change_id],
                |r| r.get(0),
            )
            .optional()?;
        if done.is_some() {
            return Ok(false);
        }
        let id = crate::domain::staff::hq_staff_id(hq_id);
        let updated = match change {
            HqStaffChange::Deactivate => {
                tx.execute("UPDATE staff SET active = 0 WHERE id = ?1", [&id])?
            }
            HqStaffChange::Activate => {
                tx.execute("UPDATE staff SET active = 1 WHERE id = ?1", [&id])?
            }
            HqStaffChange::Pin(hash) => tx.execute(
                "UPDATE staff SET pin_hash = ?2 WHERE id = ?1",
                params![id, hash],
            )?,
        };
        if updated != 1 {
            return Err(StaffError::Invalid(Text::new(
                format!("HK-endring {change_id}: kassen har ikke den ansatte {id} ennå."),
                format!("HQ change {change_id}: this till does not have staff member {id} yet."),
            )));
        }
        let action = match change {
            HqStaffChange::Deactivate => "staff_deactivated",
            HqStaffChange::Activate => "staff_activated",
            HqStaffChange::Pin(_) => "staff_pin_changed",
        };
        journal_action(
            &tx,
            now,
            Some(id.as_str()),
            action,
            true,
            None,
            Some(&format!("{id} from HQ: {reason}")),
        )?;
        tx.execute(
            "INSERT INTO hq_staff_changes_applied (change_id, staff_id, kind, applied_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![change_id, id, change.kind(), ts(now)],
        )?;
        tx.commit()?;
        tracing::info!(staff_id = %id, change = change.kind(), "staff change from HQ");
        Ok(true)
    }
}
