//! Parked baskets (`parked_baskets`, migration 0013) and the fiscal events of a basket that
//! never became a sale: park (13010), resume (13011), void the whole basket (13028). Each
//! change and its event are one transaction.

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use super::Store;
use super::error::StoreError;
use super::fiscal::{NewFiscalEvent, append_event};
use super::sql::Ts;
use crate::domain::basket::Basket;
use crate::fiscal::saft::codes::EventKind;

/// Who parks, voids or resumes, where and when.
#[derive(Debug, Clone, Copy)]
pub struct BasketActor<'a> {
    pub shop_id: &'a str,
    pub till_id: &'a str,
    pub at: OffsetDateTime,
    pub staff_id: Option<&'a str>,
    /// `--demo`: the row is marked training.
    pub training: bool,
}

/// One parked basket, not yet resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedRow {
    pub id: i64,
    pub name: String,
    pub parked_at: OffsetDateTime,
    pub staff_id: Option<String>,
    pub lines: i64,
    pub total_minor: i64,
    pub currency: String,
    pub basket: Basket,
}

/// The longest name a parked basket may have (characters).
pub const MAX_PARK_NAME: usize = 40;

fn summary(basket: &Basket) -> Result<(i64, i64), StoreError> {
    let lines = i64::try_from(basket.len()).unwrap_or(i64::MAX);
    if lines == 0 {
        return Err(StoreError::Invalid {
            field: "basket",
            value: String::new(),
            reason: "an empty basket cannot be parked or voided",
        });
    }
    let total = basket
        .totals()
        .map_err(|e| StoreError::Invalid {
            field: "basket",
            value: e.to_string(),
            reason: "the basket's total cannot be computed",
        })?
        .gross
        .minor();
    Ok((lines, total))
}

impl Store {
    /// Park `basket` under `name` (trimmed, 1–40 characters) and journal 13010, in one
    /// transaction. Returns the new row's id.
    pub fn park_basket(
        &mut self,
        a: &BasketActor<'_>,
        name: &str,
        basket: &Basket,
    ) -> Result<i64, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_PARK_NAME {
            return Err(StoreError::Invalid {
                field: "name",
                value: name.to_owned(),
                reason: "a parked basket's name has 1–40 characters",
            });
        }
        let (lines, total) = summary(basket)?;
        let json = serde_json::to_string(basket).map_err(|e| StoreError::Invalid {
            field: "basket",
            value: e.to_string(),
            reason: "the basket cannot be stored",
        })?;
        let currency = basket.currency().code();
        self.transaction(|tx| {
            tx.tx.execute(
                "INSERT INTO parked_baskets (shop_id, till_id, name, parked_at, staff_id, training,
                     lines, total_minor, currency, basket_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    a.shop_id,
                    a.till_id,
                    name,
                    Ts(a.at),
                    a.staff_id,
                    i64::from(a.training),
                    lines,
                    total,
                    currency,
                    json
                ],
            )?;
            let id = tx.tx.last_insert_rowid();
            append_event(
                tx.tx,
                &event_for(
                    a,
                    EventKind::Park,
                    park_detail(id, name, lines, total, currency),
                ),
            )?;
            Ok(id)
        })
    }

    /// The parked baskets not yet resumed, oldest first.
    pub fn parked_baskets(&self) -> Result<Vec<ParkedRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, parked_at, staff_id, lines, total_minor, currency, basket_json
             FROM parked_baskets WHERE resumed_at IS NULL ORDER BY parked_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Ts>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, at, staff_id, lines, total_minor, currency, json) = row?;
            let basket = serde_json::from_str(&json).map_err(|_| StoreError::BadValue {
                column: "parked_baskets.basket_json",
                value: format!("row {id}"),
            })?;
            out.push(ParkedRow {
                id,
                name,
                parked_at: at.0,
                staff_id,
                lines,
                total_minor,
                currency,
                basket,
            });
        }
        Ok(out)
    }

    /// Take parked basket `id` back (stamp it resumed) and journal 13011, in one transaction.
    /// `NotFound` when it does not exist or was already resumed (another till, a double key).
    pub fn resume_parked(&mut self, a: &BasketActor<'_>, id: i64) -> Result<ParkedRow, StoreError> {
        let row = self
            .parked_baskets()?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::NotFound {
                what: "parked basket",
                id: id.to_string(),
            })?;
        self.transaction(|tx| {
            let changed = tx.tx.execute(
                "UPDATE parked_baskets SET resumed_at = ?1, resumed_by = ?2
                 WHERE id = ?3 AND resumed_at IS NULL",
                params![Ts(a.at), a.staff_id, id],
            )?;
            if changed != 1 {
                return Err(StoreError::NotFound {
                    what: "parked basket",
                    id: id.to_string(),
                });
            }
            append_event(
                tx.tx,
                &event_for(
                    a,
                    EventKind::Resume,
                    format!(
                        "resumed parked basket {id} «{}»: {} lines, {}",
                        row.name,
                        row.lines,
                        amount(row.total_minor, &row.currency)
                    ),
                ),
            )?;
            Ok(())
        })?;
        Ok(row)
    }

    /// The whole basket was voided before payment: journal 13028 with its lines and total.
    pub fn void_basket(&mut self, a: &BasketActor<'_>, basket: &Basket) -> Result<i64, StoreError> {
        let (lines, total) = summary(basket)?;
        let names: Vec<String> = basket
            .lines()
            .iter()
            .map(|l| format!("{} × {}", l.quantity.to_receipt_string(), l.name))
            .collect();
        let detail = format!(
            "voided basket before payment: {lines} lines, {}: {}",
            amount(total, basket.currency().code()),
            names.join("; ")
        );
        self.transaction(|tx| append_event(tx.tx, &event_for(a, EventKind::VoidReceipt, detail)))
    }

    /// Is parked basket `id` still waiting (for tests and the list)?
    pub fn parked_is_open(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM parked_baskets WHERE id = ?1 AND resumed_at IS NULL",
                params![id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}

fn event_for<'a>(a: &BasketActor<'a>, kind: EventKind, detail: String) -> NewFiscalEvent<'a> {
    NewFiscalEvent {
        shop_id: a.shop_id,
        till_id: a.till_id,
        kind,
        at: a.at,
        staff_id: a.staff_id,
        sale_id: None,
        detail,
    }
}

fn park_detail(id: i64, name: &str, lines: i64, total: i64, currency: &str) -> String {
    format!(
        "parked basket {id} «{name}»: {lines} lines, {}",
        amount(total, currency)
    )
}

/// `12,50` for 1250 minor units of a currency (plain, for the event's detail).
fn amount(minor: i64, currency: &str) -> String {
    match crate::domain::money::Currency::parse(currency) {
        Some(c) => crate::domain::money::Money::new(minor, c).to_string(),
        None => minor.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::basket::{Product, Quantity, QuantityUnit};
    use crate::domain::money::{Currency, Money};
    use crate::domain::vat::VatRate;
    use time::macros::datetime;

    fn basket(items: &[(&str, i64)]) -> Basket {
        let mut b = Basket::new(Currency::Nok);
        for (name, price) in items {
            let p = Product {
                id: (*name).into(),
                name: (*name).into(),
                price: Money::new(*price, Currency::Nok),
                vat: VatRate::STANDARD,
                unit: QuantityUnit::Pcs,
            };
            b.add_product(&p, Quantity::pieces(1).unwrap()).unwrap();
        }
        b
    }

    fn actor(at: OffsetDateTime) -> BasketActor<'static> {
        BasketActor {
            shop_id: "s1",
            till_id: "t1",
            at,
            staff_id: Some("st001"),
            training: false,
        }
    }

    #[test]
    fn parked_baskets_are_listed_resumed_once_and_journaled() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = datetime!(2026-12-05 13:00:00 UTC);
        let a = basket(&[("Kvikk Lunsj", 2490), ("Cola", 3290)]);
        let b = basket(&[("Avis", 4500)]);
        let (ia, ib) = {
            let mut s = Store::open_in_dir(dir.path()).unwrap();
            let ia = s.park_basket(&actor(t0), " Ola ", &a).unwrap();
            let ib = s.park_basket(&actor(t0), "Kari", &b).unwrap();
            (ia, ib)
        };
        // After a restart both are still there, oldest first, whole.
        let mut s = Store::open_in_dir(dir.path()).unwrap();
        let rows = s.parked_baskets().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].id, rows[0].name.as_str()), (ia, "Ola"));
        assert_eq!(rows[0].basket, a);
        assert_eq!((rows[0].lines, rows[0].total_minor), (2, 5780));
        assert_eq!(rows[1].basket, b);
        // Resume the second; it leaves the list and cannot be resumed twice.
        let back = s.resume_parked(&actor(t0), ib).unwrap();
        assert_eq!(back.basket, b);
        assert!(!s.parked_is_open(ib).unwrap());
        assert!(matches!(
            s.resume_parked(&actor(t0), ib),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(s.parked_baskets().unwrap().len(), 1);
        // Voiding a basket is an event too.
        s.void_basket(&actor(t0), &a).unwrap();
        let events = s.fiscal_events().unwrap();
        let codes: Vec<&str> = events.iter().map(|e| e.code.as_str()).collect();
        let ours: Vec<&str> = codes
            .iter()
            .copied()
            .filter(|c| ["13010", "13011", "13028"].contains(c))
            .collect();
        assert_eq!(ours, ["13010", "13010", "13011", "13028"], "{codes:?}");
        let void = events.iter().find(|e| e.code == "13028").unwrap();
        assert!(void.detail.contains("2 lines"), "{}", void.detail);
        assert!(void.detail.contains("Kvikk Lunsj"), "{}", void.detail);
        assert_eq!(void.staff_id.as_deref(), Some("st001"));
        // The events are append-only like the rest of the fiscal journal.
        assert!(
            s.conn
                .execute("DELETE FROM fiscal_events WHERE code = '13028'", [])
                .is_err()
        );
    }

    #[test]
    fn bad_names_and_empty_baskets_are_refused() {
        let mut s = Store::open_in_memory().unwrap();
        let t0 = datetime!(2026-12-05 13:00:00 UTC);
        let a = basket(&[("Avis", 4500)]);
        for name in ["", "   ", &"x".repeat(41)] {
            assert!(matches!(
                s.park_basket(&actor(t0), name, &a),
                Err(StoreError::Invalid { field: "name", .. })
            ));
        }
        let empty = Basket::new(Currency::Nok);
        assert!(s.park_basket(&actor(t0), "Tom", &empty).is_err());
        assert!(s.void_basket(&actor(t0), &empty).is_err());
        assert!(s.parked_baskets().unwrap().is_empty());
    }
}
