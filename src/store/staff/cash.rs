//! Cash management SQL (migration 0015): the opening float, withdrawals and deposits, and the
//! cash difference of a Z. Each movement is one `cash_movements` row and one signed cash
//! transaction in the till's chain (11007 / 11010 / 11011 / 11008), written in one
//! transaction with the staff action that allowed it.

use rusqlite::{Connection, params};
use time::OffsetDateTime;

use super::{StaffConn, journal_action, reports_fiscal, ts};
use crate::domain::cash::{CashDrawer, CashKind, OperatorDrawer, check_reason};
use crate::domain::staff::{Permission, Session, StaffError, require};
use crate::fiscal::saft::codes::EventKind;
use crate::lang::Text;
use crate::store::fiscal::{NewSigned, SignedKind, append_signed};

/// One recorded cash movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashMovement {
    pub id: i64,
    pub kind: CashKind,
    pub at: OffsetDateTime,
    /// What it did to the drawer (a withdrawal < 0), minor units.
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub staff_id: Option<String>,
    pub approved_by: Option<String>,
    /// Its `nr` in the till's signed chain (None without a signing key).
    pub fiscal_nr: Option<i64>,
}

fn signed_kind(kind: CashKind) -> SignedKind {
    match kind {
        CashKind::Float => SignedKind::Float,
        CashKind::Withdrawal => SignedKind::Withdrawal,
        CashKind::Deposit => SignedKind::Deposit,
        CashKind::Difference => SignedKind::CashDifference,
    }
}

/// What a movement needs to be written.
pub(super) struct NewMovement<'a> {
    pub kind: CashKind,
    pub amount: i64,
    pub currency: &'a str,
    pub reason: &'a str,
    pub staff_id: Option<&'a str>,
    pub approved_by: Option<&'a str>,
    pub z_number: Option<i64>,
    pub at: OffsetDateTime,
}

impl StaffConn<'_> {
    /// Record a cash movement of `amount` (> 0, as typed; a withdrawal is stored negative).
    /// `by` is who allows it: any logged-in staff for the opening float (once per Z period),
    /// a manager (the manager PIN) for a withdrawal or deposit, which also need a reason.
    /// `operator` is the cashier at the till (defaults to `by`). Signed in the till's chain
    /// in the same transaction; the allowed or refused attempt is journaled.
    #[allow(clippy::too_many_arguments)]
    pub fn record_cash(
        &self,
        by: &Session,
        operator: Option<&str>,
        kind: CashKind,
        amount: i64,
        reason: &str,
        currency: &str,
        now: OffsetDateTime,
    ) -> Result<CashMovement, StaffError> {
        let field = kind.field();
        if amount <= 0 {
            return Err(StaffError::Invalid(Text::new(
                format!("{}: beløpet må være større enn 0.", field.nb),
                format!("{}: the amount must be more than 0.", field.en),
            )));
        }
        let (permission, reason) = match kind {
            CashKind::Float => (Permission::Sell, reason.trim().to_owned()),
            CashKind::Withdrawal | CashKind::Deposit => (
                Permission::OpenDrawerNoSale,
                check_reason(kind, reason).map_err(StaffError::Invalid)?,
            ),
            CashKind::Difference => {
                return Err(StaffError::Invalid(Text::new(
                    "Kassedifferanse føres bare ved Z-rapporten.",
                    "A cash difference is only recorded by the Z report.",
                )));
            }
        };
        let conn = self.lock()?;
        let action = format!("cash_{}", kind.as_str());
        let detail = format!("{} {amount} {currency} {reason}", kind.as_str());
        if let Err(e) = require(by, permission) {
            journal_action(
                conn,
                now,
                Some(by.staff_id()),
                &action,
                false,
                None,
                Some(&detail),
            )?;
            return Err(e);
        }
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let staff = operator.unwrap_or(by.staff_id());
        if kind == CashKind::Float {
            // One float per period: per operator when each has their own drawer.
            let from = reports_fiscal::period_start(&tx, self.shop_id(), self.till_id(), now)?;
            let n: i64 = tx.query_row(
                "SELECT count(*) FROM cash_movements WHERE shop_id = ?1 AND till_id = ?2
                   AND kind = 'float' AND at >= ?3 AND at <= ?4
                   AND (?5 = 0 OR staff_id = ?6)",
                params![
                    self.shop_id(),
                    self.till_id(),
                    ts(from),
                    ts(now),
                    self.per_operator,
                    staff
                ],
                |r| r.get(0),
            )?;
            if n > 0 {
                return Err(StaffError::Refused(Text::new(
                    "Vekselbeholdning: er allerede registrert for denne perioden (siden forrige Z). \
                     Legg til mer med «Innskudd», eller ta ut med «Uttak».",
                    "Opening float: already recorded for this period (since the last Z). \
                     Add more with \"Deposit\", or take some out with \"Withdrawal\".",
                )));
            }
        }
        journal_action(
            &tx,
            now,
            Some(by.staff_id()),
            &action,
            true,
            None,
            Some(&detail),
        )?;
        let approved = (kind != CashKind::Float).then(|| by.staff_id());
        let m = self.insert_movement(
            &tx,
            &NewMovement {
                kind,
                amount: kind.signed(amount),
                currency,
                reason: &reason,
                staff_id: Some(staff),
                approved_by: approved,
                z_number: None,
                at: now,
            },
        )?;
        if kind == CashKind::Withdrawal {
            crate::store::fiscal::append_event(
                &tx,
                &crate::store::fiscal::NewFiscalEvent {
                    shop_id: self.shop_id(),
                    till_id: self.till_id(),
                    kind: EventKind::CashWithdrawal,
                    at: now,
                    staff_id: Some(staff),
                    sale_id: None,
                    detail: detail.clone(),
                },
            )?;
        }
        tx.commit()?;
        tracing::info!(kind = kind.as_str(), amount, "cash movement recorded");
        Ok(m)
    }

    /// Write one movement and its signed row on `conn` (the caller's transaction).
    pub(super) fn insert_movement(
        &self,
        conn: &Connection,
        m: &NewMovement<'_>,
    ) -> Result<CashMovement, StaffError> {
        let signed = match self.signer {
            Some(signer) => Some(append_signed(
                conn,
                signer,
                &NewSigned {
                    shop_id: self.shop_id(),
                    till_id: self.till_id(),
                    kind: signed_kind(m.kind),
                    at: m.at,
                    amount_in: m.amount,
                    amount_ex: m.amount,
                    sale_id: None,
                    refund_id: None,
                    receipt_number: None,
                    staff_id: m.staff_id,
                    training: false,
                },
            )?),
            None => None,
        };
        conn.execute(
            "INSERT INTO cash_movements (shop_id, till_id, kind, at, currency, amount, reason,
                 staff_id, approved_by, z_number, fiscal_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                self.shop_id(),
                self.till_id(),
                m.kind.as_str(),
                ts(m.at),
                m.currency,
                m.amount,
                m.reason,
                m.staff_id,
                m.approved_by,
                m.z_number,
                signed.as_ref().map(|s| s.id),
            ],
        )?;
        Ok(CashMovement {
            id: conn.last_insert_rowid(),
            kind: m.kind,
            at: m.at,
            amount: m.amount,
            currency: m.currency.to_owned(),
            reason: m.reason.to_owned(),
            staff_id: m.staff_id.map(str::to_owned),
            approved_by: m.approved_by.map(str::to_owned),
            fiscal_nr: signed.map(|s| s.nr),
        })
    }

    /// The drawer of the open period at `now` (float, cash sales, withdrawals, deposits,
    /// expected cash), without journaling anything: what the count at Z is checked against.
    /// The cash sales alone (float 0) when the period used no cash management.
    pub fn drawer_now(&self, now: OffsetDateTime) -> Result<CashDrawer, StaffError> {
        let (from, to) = self.open_period(now)?;
        let conn = self.lock()?;
        let (shop, till) = (self.shop_id(), self.till_id());
        let (sections, _, _) = super::compute_from(
            conn,
            shop,
            till,
            from,
            to,
            crate::domain::report::source_for(from, to),
        )?;
        let currency = sections
            .iter()
            .find(|s| !s.training)
            .map_or_else(|| "NOK".to_owned(), |s| s.currency.clone());
        let cash_sales = reports_fiscal::cash_tender(&sections, &currency);
        Ok(drawer(conn, shop, till, &ts(from), &ts(to), cash_sales)?
            .unwrap_or_else(|| CashDrawer::new(0, cash_sales, (0, 0), (0, 0))))
    }

    /// This till's cash movements with `from <= at < to`, oldest first.
    pub fn cash_movements(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<CashMovement>, StaffError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT m.id, m.kind, m.at, m.amount, m.currency, m.reason, m.staff_id,
                    m.approved_by, f.nr
             FROM cash_movements m LEFT JOIN fiscal_transactions f ON f.id = m.fiscal_id
             WHERE m.shop_id = ?1 AND m.till_id = ?2 AND m.at >= ?3 AND m.at < ?4
             ORDER BY m.at, m.id",
        )?;
        let rows = stmt.query_map(
            params![self.shop_id(), self.till_id(), ts(from), ts(to)],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, at, amount, currency, reason, staff_id, approved_by, nr) = row?;
            out.push(CashMovement {
                id,
                kind: CashKind::parse(&kind).unwrap_or(CashKind::Difference),
                at: super::parse_ts(&at)?,
                amount,
                currency,
                reason,
                staff_id,
                approved_by,
                fiscal_nr: nr,
            });
        }
        Ok(out)
    }
}

impl crate::store::Store {
    /// The reason of the cash movement signed as fiscal row `fiscal_id` (the SAF-T
    /// `<desc>` of its cash transaction); None for other rows or an empty reason.
    pub fn cash_movement_reason(
        &self,
        fiscal_id: i64,
    ) -> Result<Option<String>, crate::store::StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .prepare_cached("SELECT reason FROM cash_movements WHERE fiscal_id = ?1")?
            .query_row([fiscal_id], |r| r.get::<_, String>(0))
            .optional()?
            .filter(|r| !r.trim().is_empty()))
    }
}

/// Each operator's drawer in `[from, to)` (`[till] drawer_per_operator`): their float,
/// withdrawals and deposits (the movements' `staff_id`) and their cash sales (letter h's cash
/// tender), sorted by name. Operators with neither are left out.
pub(super) fn operator_drawers(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
    fiscal: &crate::domain::report::Fiscal,
) -> Result<Vec<OperatorDrawer>, StaffError> {
    let mut out: Vec<OperatorDrawer> = Vec::new();
    fn entry<'a>(out: &'a mut Vec<OperatorDrawer>, id: &str, name: &str) -> &'a mut OperatorDrawer {
        let i = match out.iter().position(|o| o.staff_id == id) {
            Some(i) => i,
            None => {
                out.push(OperatorDrawer {
                    staff_id: id.to_owned(),
                    name: name.to_owned(),
                    drawer: CashDrawer::default(),
                });
                out.len() - 1
            }
        };
        &mut out[i]
    }
    for op in fiscal
        .operators
        .iter()
        .filter(|o| o.tender == crate::store::CASH_TENDER)
    {
        entry(&mut out, &op.staff_id, &op.name).drawer.cash_sales += op.gross;
    }
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(m.staff_id, ''), coalesce(st.name, ''), m.kind, count(*),
                coalesce(sum(m.amount), 0)
         FROM cash_movements m LEFT JOIN staff st ON st.id = m.staff_id
         WHERE m.shop_id = ?1 AND m.till_id = ?2 AND m.at >= ?3 AND m.at < ?4
           AND m.kind IN ('float', 'withdrawal', 'deposit')
         GROUP BY 1, 2, 3",
    )?;
    let mut rows = stmt.query(params![shop, till, from, to])?;
    while let Some(r) = rows.next()? {
        let (id, name, kind): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (n, sum): (i64, i64) = (r.get(3)?, r.get(4)?);
        let d = &mut entry(&mut out, &id, &name).drawer;
        match CashKind::parse(&kind) {
            Some(CashKind::Float) => d.opening_float += sum,
            Some(CashKind::Withdrawal) => {
                d.withdrawal_count += n;
                d.withdrawals += sum.saturating_abs();
            }
            Some(CashKind::Deposit) => {
                d.deposit_count += n;
                d.deposits += sum;
            }
            _ => {}
        }
    }
    for o in &mut out {
        let d = &o.drawer;
        o.drawer = CashDrawer::new(
            d.opening_float,
            d.cash_sales,
            (d.withdrawal_count, d.withdrawals),
            (d.deposit_count, d.deposits),
        );
    }
    out.sort_by(|a, b| (&a.name, &a.staff_id).cmp(&(&b.name, &b.staff_id)));
    Ok(out)
}

/// The drawer of `[from, to)` when the period used cash management (a float, a withdrawal or
/// a deposit), with `cash_sales` from the report's cash tender; None otherwise.
pub(super) fn drawer(
    conn: &Connection,
    shop: &str,
    till: &str,
    from: &str,
    to: &str,
    cash_sales: i64,
) -> Result<Option<CashDrawer>, StaffError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, count(*), coalesce(sum(amount), 0) FROM cash_movements
         WHERE shop_id = ?1 AND till_id = ?2 AND at >= ?3 AND at < ?4
           AND kind IN ('float', 'withdrawal', 'deposit')
         GROUP BY kind",
    )?;
    let rows = stmt.query_map(params![shop, till, from, to], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let (mut float, mut out, mut inn, mut any) = (0, (0, 0), (0, 0), false);
    for row in rows {
        let (kind, n, sum) = row?;
        any = true;
        match CashKind::parse(&kind) {
            Some(CashKind::Float) => float += sum,
            Some(CashKind::Withdrawal) => out = (n, sum.saturating_abs()),
            Some(CashKind::Deposit) => inn = (n, sum),
            _ => {}
        }
    }
    Ok(any.then(|| CashDrawer::new(float, cash_sales, out, inn)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::domain::staff::HashCost;
    use crate::fiscal::signature::FiscalKey;
    use crate::store::Store;
    use crate::store::fiscal::TillSigner;

    const KEY: &str = include_str!("../../../tests/fixtures/fiscal/test-key-1024.pem");

    /// Migration 0015 rebuilds `fiscal_transactions`: a journal signed under 0014 keeps its
    /// rows and its chain, and cash movements continue the same chain.
    #[test]
    fn a_chain_signed_before_0015_still_verifies_and_cash_continues_it() {
        let dir = tempfile::tempdir().unwrap();
        let at = time::macros::datetime!(2026-03-02 10:00 UTC);
        {
            let mut conn = Connection::open(dir.path().join(crate::store::DB_FILE_NAME)).unwrap();
            conn.pragma_update(None, "foreign_keys", "ON").unwrap();
            // The schema before 0015 (the migration count, not the file number).
            let before = usize::try_from(crate::store::SCHEMA_VERSION - 1).unwrap();
            crate::store::MIGRATIONS
                .to_version(&mut conn, before)
                .unwrap();
            let key = FiscalKey::from_pkcs1_pem(KEY).unwrap();
            conn.execute(
                "INSERT INTO fiscal_keys (version, public_key_pem, created_at, reason, key_file)
                 VALUES (1, ?1, ?2, 'test', 'fiscal-key-1.pem')",
                params![key.public_key().to_pem(), ts(at)],
            )
            .unwrap();
            let signer = TillSigner::new(key, 1, time::UtcOffset::UTC);
            for i in 1..=2 {
                append_signed(
                    &conn,
                    &signer,
                    &NewSigned {
                        shop_id: "s1",
                        till_id: "t1",
                        kind: SignedKind::Return,
                        at: at + time::Duration::minutes(i),
                        amount_in: -100 * i,
                        amount_ex: -80 * i,
                        sale_id: None,
                        refund_id: Some(i),
                        receipt_number: None,
                        staff_id: None,
                        training: false,
                    },
                )
                .unwrap();
            }
        }
        // Opening migrates to the current schema (and makes key version 2: the file is gone).
        let store = Store::open_in_dir(dir.path()).unwrap();
        let check = store.verify_fiscal_chain(None, None).unwrap();
        assert!(check.is_ok(), "{check:#?}");
        assert_eq!(check.verified(), 2);
        let db = store.staff("s1", "t1", HashCost::Fast);
        let m = db
            .insert_movement(
                &store.conn,
                &NewMovement {
                    kind: CashKind::Deposit,
                    amount: 20_000,
                    currency: "NOK",
                    reason: "veksel",
                    staff_id: Some("st001"),
                    approved_by: Some("st001"),
                    z_number: None,
                    at: at + time::Duration::minutes(5),
                },
            )
            .unwrap();
        assert_eq!(m.fiscal_nr, Some(3));
        let check = store.verify_fiscal_chain(None, None).unwrap();
        assert!(check.is_ok(), "{check:#?}");
        assert_eq!(check.verified(), 3);
        let signed = store.signed_transactions().unwrap();
        assert_eq!(signed[2].kind, SignedKind::Deposit);
        assert_eq!((signed[2].amount_in, signed[2].key_version), (20_000, 2));
        // Append-only as before the rebuild, and a movement cannot be changed either.
        assert!(
            store
                .conn
                .execute("DELETE FROM fiscal_transactions WHERE nr = 1", [])
                .is_err()
        );
        assert!(
            store
                .conn
                .execute("UPDATE cash_movements SET amount = 1", [])
                .is_err()
        );
        // The movements of the period are listed with their signed nr.
        let moves = db
            .cash_movements(at, at + time::Duration::hours(1))
            .unwrap();
        assert_eq!(moves.len(), 1);
        assert_eq!(moves[0].fiscal_nr, Some(3));
    }
}
