//! Staff created at headquarters (PostgreSQL migration 0002, `hq_staff`).
//!
//! - [`add`]: `kasse hq staff add --shop S --name N --role R` (PIN from `KASSE_PIN`): the PIN is
//!   hashed here (argon2id PHC string, as the till stores it) before anything is sent; only
//!   the hash reaches PostgreSQL. A PIN another HQ member of the shop has is refused (login is
//!   by PIN alone).
//! - [`change`]: `kasse hq staff deactivate | activate | pin`: an append-only change row
//!   (`hq_staff_changes`, migration 0004; a new PIN only as its hash), applied by every till of
//!   the shop with [`pull_changes`] after [`pull`].
//! - [`pull`]: every till of the shop (the background HQ worker, `kasse hq sync`) takes the
//!   members it does not have into its `staff` table, each in one SQLite transaction with a
//!   'staff_created' action saying it came from HQ. They can log in at once (login reads the
//!   table), no restart needed.

use super::{HqError, Pool};
use crate::clock::Clock;
use crate::domain::staff::{HashCost, MIN_MANAGER_PIN_LEN, Pin, Role, StaffError};
use crate::lang::Text;
use crate::store::AsyncStore;
use crate::store::staff::{hash_pin, verify_pin};

/// Why HQ refused to add a member (the PIN or name is not acceptable), in both languages.
#[derive(Debug)]
pub enum AddError {
    Refused(Text),
    Hq(HqError),
}

impl From<HqError> for AddError {
    fn from(e: HqError) -> AddError {
        AddError::Hq(e)
    }
}

impl From<tokio_postgres::Error> for AddError {
    fn from(e: tokio_postgres::Error) -> AddError {
        AddError::Hq(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for AddError {
    fn from(e: deadpool_postgres::PoolError) -> AddError {
        AddError::Hq(e.into())
    }
}

/// Add a staff member for `shop_id`. Answers HQ's id for the member.
pub async fn add(
    pool: &Pool,
    shop_id: &str,
    name: &str,
    role: Role,
    pin: &Pin,
    pin_len: usize,
    cost: HashCost,
) -> Result<i64, AddError> {
    let name =
        crate::domain::staff::check_name(name).map_err(|e| AddError::Refused(e.message()))?;
    if role == Role::Manager && pin_len < MIN_MANAGER_PIN_LEN {
        return Err(AddError::Refused(Text::new(
            "PIN: en leder-PIN må ha 6 til 8 siffer (0–9). Velg en lengre PIN.",
            "PIN: a manager's PIN must be 6 to 8 digits (0–9). Choose a longer PIN.",
        )));
    }
    let hash = hash_pin(pin, cost).map_err(|e| AddError::Refused(e.message()))?;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("LOCK TABLE hq_staff, hq_staff_changes IN EXCLUSIVE MODE")
        .await?;
    refuse_shared_pin(&tx, shop_id, pin, None).await?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO hq_staff (shop_id, name, role, pin_hash) VALUES ($1, $2, $3, $4)
             RETURNING id",
            &[&shop_id, &name, &role.as_str(), &hash],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(id)
}

/// Refuse a PIN another HQ member of the shop has now (their latest PIN, active or not: a
/// member may be activated again). `except`: the member whose PIN this replaces.
async fn refuse_shared_pin(
    tx: &tokio_postgres::Transaction<'_>,
    shop_id: &str,
    pin: &Pin,
    except: Option<i64>,
) -> Result<(), AddError> {
    let hashes: Vec<String> = tx
        .query(
            "SELECT pin_hash FROM hq_staff_now WHERE shop_id = $1 AND id <> coalesce($2::bigint, 0)",
            &[&shop_id, &except],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if hashes.iter().any(|h| verify_pin(pin, h)) {
        return Err(AddError::Refused(Text::new(
            "PIN: kan ikke brukes (velg en annen PIN; hver ansatt må ha sin egen).",
            "PIN: cannot be used (choose another PIN; every staff member needs their own).",
        )));
    }
    Ok(())
}

/// A change to a member created at HQ (`kasse hq staff deactivate | activate | pin`).
#[derive(Debug)]
pub enum Change {
    Deactivate,
    Activate,
    /// A new PIN and how many digits it has (a manager needs 6–8).
    Pin(Pin, usize),
}

/// Record a change to HQ member `hq_id` of `shop_id` with its reason. Answers the change's id.
/// Every till of the shop applies it when it next talks to HQ.
pub async fn change(
    pool: &Pool,
    shop_id: &str,
    hq_id: i64,
    change: &Change,
    reason: &str,
    cost: HashCost,
) -> Result<i64, AddError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AddError::Refused(Text::new(
            "--reason: skriv hvorfor (1–200 tegn).",
            "--reason: say why (1–200 characters).",
        )));
    }
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("LOCK TABLE hq_staff, hq_staff_changes IN EXCLUSIVE MODE")
        .await?;
    let member = tx
        .query_opt(
            "SELECT role, active FROM hq_staff_now WHERE id = $1 AND shop_id = $2",
            &[&hq_id, &shop_id],
        )
        .await?;
    let Some(member) = member else {
        return Err(AddError::Refused(Text::new(
            format!("--id: HK har ingen ansatt {hq_id} i butikk «{shop_id}»."),
            format!("--id: HQ has no staff member {hq_id} in shop \"{shop_id}\"."),
        )));
    };
    let (role, active): (String, bool) = (member.get(0), member.get(1));
    let already = |nb: &str, en: &str| {
        Err(AddError::Refused(Text::new(
            format!("Ansatt hq{hq_id} er allerede {nb}."),
            format!("Staff member hq{hq_id} is already {en}."),
        )))
    };
    let (kind, hash) = match change {
        Change::Deactivate if !active => return already("deaktivert", "deactivated"),
        Change::Activate if active => return already("aktiv", "active"),
        Change::Deactivate => ("deactivate", None),
        Change::Activate => ("activate", None),
        Change::Pin(pin, len) => {
            if role == Role::Manager.as_str() && *len < MIN_MANAGER_PIN_LEN {
                return Err(AddError::Refused(Text::new(
                    "PIN: en leder-PIN må ha 6 til 8 siffer (0–9). Velg en lengre PIN.",
                    "PIN: a manager's PIN must be 6 to 8 digits (0–9). Choose a longer PIN.",
                )));
            }
            refuse_shared_pin(&tx, shop_id, pin, Some(hq_id)).await?;
            let hash = hash_pin(pin, cost).map_err(|e| AddError::Refused(e.message()))?;
            ("pin", Some(hash))
        }
    };
    let id: i64 = tx
        .query_one(
            "INSERT INTO hq_staff_changes (staff_id, kind, pin_hash, reason)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&hq_id, &kind, &hash, &reason],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(id)
}

/// Apply every change to the shop's HQ members this till has not applied yet, oldest first
/// (call after [`pull`]: a change needs its member). Answers `(change id, staff id, kind)`.
pub async fn pull_changes(
    pool: &Pool,
    store: &AsyncStore,
    clock: &dyn Clock,
    shop_id: &str,
    till_id: &str,
) -> Result<Vec<(i64, String, &'static str)>, HqError> {
    use crate::store::staff::HqStaffChange;
    let last = till_last(store, shop_id, till_id, |s| s.hq_staff_change_last()).await?;
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT c.id, c.staff_id, c.kind, c.pin_hash, c.reason FROM hq_staff_changes c
             JOIN hq_staff s ON s.id = c.staff_id
             WHERE s.shop_id = $1 AND c.id > $2 ORDER BY c.id",
            &[&shop_id, &last],
        )
        .await?;
    drop(client);
    let mut out = Vec::new();
    for r in rows {
        let (change_id, hq_id, kind, hash, reason): (i64, i64, String, Option<String>, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let change = match (kind.as_str(), hash) {
            ("deactivate", _) => HqStaffChange::Deactivate,
            ("activate", _) => HqStaffChange::Activate,
            ("pin", Some(h)) => HqStaffChange::Pin(h),
            _ => return Err(HqError::Db(format!("HQ staff change {change_id}: {kind}"))),
        };
        let kind = change.kind();
        let (shop, till, now) = (shop_id.to_string(), till_id.to_string(), clock.now());
        let applied: Result<bool, StaffError> = store
            .run(move |s| {
                Ok(s.staff(&shop, &till, HashCost::Standard)
                    .apply_hq_staff_change(change_id, hq_id, &change, &reason, now))
            })
            .await?;
        match applied {
            Ok(true) => out.push((change_id, crate::domain::staff::hq_staff_id(hq_id), kind)),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(change_id, problem = %e.message().en, "HQ staff change not applied");
                return Err(HqError::Db(e.message().en));
            }
        }
    }
    Ok(out)
}

/// The highest HQ id of a kind (members, changes) the till has taken in.
async fn till_last(
    store: &AsyncStore,
    shop_id: &str,
    till_id: &str,
    last: fn(&crate::store::StaffConn<'_>) -> Result<i64, StaffError>,
) -> Result<i64, HqError> {
    let (shop, till) = (shop_id.to_string(), till_id.to_string());
    store
        .run(move |s| Ok(last(&s.staff(&shop, &till, HashCost::Standard)).map_err(|e| e.message())))
        .await?
        .map_err(|t| HqError::Db(t.en))
}

/// One member a till took in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub hq_id: i64,
    pub staff_id: String,
    pub name: String,
}

/// Take in every HQ member of `shop_id` this till does not have yet, oldest first. A member the
/// till cannot take (a bad row) is logged and the pull stops there (tried again next time).
pub async fn pull(
    pool: &Pool,
    store: &AsyncStore,
    clock: &dyn Clock,
    shop_id: &str,
    till_id: &str,
) -> Result<Vec<Arrived>, HqError> {
    let last = till_last(store, shop_id, till_id, |s| s.hq_staff_last()).await?;
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, name, role, pin_hash FROM hq_staff WHERE shop_id = $1 AND id > $2
             ORDER BY id",
            &[&shop_id, &last],
        )
        .await?;
    drop(client);
    let mut out = Vec::new();
    for r in rows {
        let (hq_id, name, role, hash): (i64, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let (shop, till, now) = (shop_id.to_string(), till_id.to_string(), clock.now());
        let got: Result<Option<crate::domain::staff::StaffMember>, StaffError> = store
            .run(move |s| {
                Ok(s.staff(&shop, &till, HashCost::Standard)
                    .insert_hq_staff(hq_id, &name, &role, &hash, now))
            })
            .await?;
        match got {
            Ok(Some(m)) => out.push(Arrived {
                hq_id,
                staff_id: m.id,
                name: m.name,
            }),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(hq_id, problem = %e.message().en, "HQ staff member not taken in");
                return Err(HqError::Db(e.message().en));
            }
        }
    }
    Ok(out)
}
