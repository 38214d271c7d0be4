//! Cash management at the till and from the command line: the opening float, withdrawals and
//! deposits (manager PIN), and the Z with the drawer counted. The rules are in
//! `domain::cash`, the SQL (one signed transaction each) in `store::staff`.

use time::{OffsetDateTime, UtcOffset};

use super::StaffDb;
use crate::domain::cash::{CashDrawer, CashKind, DrawerCount};
use crate::domain::reconcile::Reconciliation;
use crate::domain::report::Report;
use crate::domain::staff::{Session, StaffError};
use crate::store::staff::CashMovement;

impl StaffDb {
    /// Keep a drawer per operator (`[till] drawer_per_operator`): X/Z figures per operator.
    #[must_use]
    pub fn with_drawer_per_operator(mut self, on: bool) -> StaffDb {
        self.per_operator = on;
        self
    }

    /// See [`crate::store::StaffConn::record_cash`].
    #[allow(clippy::too_many_arguments)]
    pub async fn record_cash(
        &self,
        by: &Session,
        operator: Option<&str>,
        kind: CashKind,
        amount: i64,
        reason: &str,
        currency: &str,
        now: OffsetDateTime,
    ) -> Result<CashMovement, StaffError> {
        let by = by.clone();
        let operator = operator.map(str::to_owned);
        let (reason, currency) = (reason.to_owned(), currency.to_owned());
        self.run(move |db| {
            db.record_cash(
                &by,
                operator.as_deref(),
                kind,
                amount,
                &reason,
                &currency,
                now,
            )
        })
        .await
    }

    /// See [`crate::store::StaffConn::close_period_counted`] (with this handle's company).
    pub async fn close_period_counted(
        &self,
        session: &Session,
        offset: UtcOffset,
        reconciliation: Option<Reconciliation>,
        count: Option<DrawerCount>,
        operator_counts: Vec<(String, DrawerCount)>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        let session = session.clone();
        let company = self.company.clone();
        self.run(move |db| {
            db.close_period_counted(
                &session,
                offset,
                &company,
                reconciliation,
                count,
                operator_counts,
                now,
            )
        })
        .await
    }

    /// See [`crate::store::StaffConn::drawer_now`].
    pub async fn drawer_now(&self, now: OffsetDateTime) -> Result<CashDrawer, StaffError> {
        self.run(move |db| db.drawer_now(now)).await
    }

    /// See [`crate::store::StaffConn::cash_movements`].
    pub async fn cash_movements(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<CashMovement>, StaffError> {
        self.run(move |db| db.cash_movements(from, to)).await
    }
}
