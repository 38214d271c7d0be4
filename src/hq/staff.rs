//! Staff created at headquarters (PostgreSQL migration 0002, `hq_staff`).
//!
//! - [`add`]: `kasse hq staff add --shop S --name N --role R` (PIN from `KASSE_PIN`): the PIN is
//!   hashed here (argon2id PHC string, as the till stores it) before anything is sent; only
//!   the hash reaches PostgreSQL. A PIN another HQ member of the shop has is refused (login is
//!   by PIN alone).
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
    tx.batch_execute("LOCK TABLE hq_staff IN EXCLUSIVE MODE")
        .await?;
    let hashes: Vec<String> = tx
        .query(
            "SELECT pin_hash FROM hq_staff WHERE shop_id = $1",
            &[&shop_id],
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
    let (shop, till) = (shop_id.to_string(), till_id.to_string());
    let last = store
        .run(move |s| {
            Ok(s.staff(&shop, &till, HashCost::Standard)
                .hq_staff_last()
                .map_err(|e| e.message()))
        })
        .await?
        .map_err(|t| HqError::Db(t.en))?;
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
