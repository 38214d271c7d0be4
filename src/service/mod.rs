//! The services: each use case as one flow over the store (its SQL) and the engine (its
//! outbox worker), with time and ids passed in. `refund` (one flow for the TUI and the CLI),
//! `report` (+ `reconcile`), `batch`, `auth` (login, lockout, manager gate).
//!
//! [`StaffDb`] is the staff functions' handle: the store's one writer ([`AsyncStore`]) plus
//! shop/till and the PIN hashing cost. It opens no connection of its own: every statement runs
//! on the store thread through [`StaffDb::run`].
//!
//! Rules of this room (checked by `tests/architecture.rs` where a test can check them):
//! - no SQL here (`rusqlite` only under `store`); a change of several rows (a refund and its
//!   outbox row) is one store transaction;
//! - time comes from the caller (a `now` or a `Clock`), never `now_utc()`;
//! - results of the engine's work arrive as engine events (`refund::wait_for`), never by a
//!   sleep-polling loop;
//! - pure rules (refund plan, report totals, roles) live in `domain`, renderers in
//!   `receipt::report`, the subcommands in `cli::staff`, the screen in `tui`.

pub mod auth;
pub mod batch;
pub mod cash;
pub mod context;
pub mod reconcile;
pub mod refund;
pub mod report;
pub mod returns;
pub mod saft;

use time::{Date, OffsetDateTime, UtcOffset};

use crate::domain::batch::Uncaptured;
use crate::domain::reconcile::Reconciliation;
use crate::domain::refund::{RefundContext, RefundReceipt, RefundRecord, RefundStatus, SaleHit};
use crate::domain::report::{Company, Report};
use crate::domain::staff::{
    HashCost, Permission, Role, Session, StaffAction, StaffError, StaffMember,
};
use crate::lang::Text;
use crate::store::{AsyncStore, SaleQuery, StaffConn};

/// The staff functions' handle on the store. Cheap to clone.
#[derive(Clone)]
pub struct StaffDb {
    store: AsyncStore,
    shop_id: String,
    till_id: String,
    cost: HashCost,
    company: Company,
    /// `--demo`: reconciliation reads the training sales (the only ones there are).
    training: bool,
    /// `[till] drawer_per_operator`.
    per_operator: bool,
}

impl std::fmt::Debug for StaffDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffDb")
            .field("shop_id", &self.shop_id)
            .field("till_id", &self.till_id)
            .finish_non_exhaustive()
    }
}

impl StaffDb {
    /// The staff functions of shop/till over the store's writer.
    pub fn new(store: AsyncStore, shop_id: &str, till_id: &str) -> Result<StaffDb, StaffError> {
        for (field, v) in [("shop_id", shop_id), ("till_id", till_id)] {
            if v.is_empty() || v.len() > 12 || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(StaffError::Invalid(Text::new(
                    format!("{field} «{v}»: må være 1 til 12 bokstaver eller siffer."),
                    format!("{field} \"{v}\": must be 1 to 12 letters or digits."),
                )));
            }
        }
        Ok(StaffDb {
            store,
            shop_id: shop_id.to_owned(),
            till_id: till_id.to_owned(),
            cost: HashCost::Standard,
            company: Company::default(),
            training: false,
            per_operator: false,
        })
    }

    /// The business the X/Z reports name (§ 2-8-2 a): `shop.org_number` and `shop.name`.
    #[must_use]
    pub fn with_company(mut self, org_number: Option<&str>, name: Option<&str>) -> StaffDb {
        let keep = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        self.company = Company {
            org_number: keep(org_number),
            name: keep(name),
        };
        self
    }

    /// The business the reports name.
    pub fn company(&self) -> &Company {
        &self.company
    }

    /// Use cheaper PIN hashing (tests and the demo only).
    #[must_use]
    pub fn with_hash_cost(mut self, cost: HashCost) -> StaffDb {
        self.cost = cost;
        self
    }

    /// In training (`--demo`) the reconciliation checks the training sales against the
    /// (simulated) Vipps instead of the real ones, of which there are none.
    #[must_use]
    pub fn with_training(mut self, training: bool) -> StaffDb {
        self.training = training;
        self
    }

    /// See [`StaffDb::with_training`].
    pub fn training(&self) -> bool {
        self.training
    }

    pub fn shop_id(&self) -> &str {
        &self.shop_id
    }

    pub fn till_id(&self) -> &str {
        &self.till_id
    }

    /// The store this handle runs on.
    pub fn store(&self) -> &AsyncStore {
        &self.store
    }

    /// Run `f` on the store thread with this shop/till's [`StaffConn`], so the UI never waits
    /// on disk: `db.run(move |db| db.login(&pin, now)).await`.
    pub async fn run<R, F>(&self, f: F) -> Result<R, StaffError>
    where
        R: Send + 'static,
        F: FnOnce(&StaffConn<'_>) -> Result<R, StaffError> + Send + 'static,
    {
        let (shop, till, cost) = (self.shop_id.clone(), self.till_id.clone(), self.cost);
        let per_operator = self.per_operator;
        self.store
            .call(move |s| {
                f(&s.staff(&shop, &till, cost)
                    .with_drawer_per_operator(per_operator))
            })
            .await?
    }

    /// See [`StaffConn::needs_first_manager`].
    pub async fn needs_first_manager(&self) -> Result<bool, StaffError> {
        self.run(move |db| db.needs_first_manager()).await
    }

    /// See [`StaffConn::create_first_manager`].
    pub async fn create_first_manager(
        &self,
        name: &str,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<Session, StaffError> {
        let name = name.to_owned();
        let pin = pin.to_owned();
        self.run(move |db| db.create_first_manager(&name, &pin, now))
            .await
    }

    /// See [`StaffConn::create_staff`].
    pub async fn create_staff(
        &self,
        by: &Session,
        name: &str,
        pin: &str,
        role: Role,
        now: OffsetDateTime,
    ) -> Result<StaffMember, StaffError> {
        let by = by.clone();
        let name = name.to_owned();
        let pin = pin.to_owned();
        self.run(move |db| db.create_staff(&by, &name, &pin, role, now))
            .await
    }

    /// See [`StaffConn::set_staff_active`].
    pub async fn set_staff_active(
        &self,
        by: &Session,
        id: &str,
        active: bool,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<StaffMember, StaffError> {
        let (by, id, reason) = (by.clone(), id.to_owned(), reason.to_owned());
        self.run(move |db| db.set_staff_active(&by, &id, active, &reason, now))
            .await
    }

    /// See [`StaffConn::list_staff`].
    pub async fn list_staff(&self) -> Result<Vec<StaffMember>, StaffError> {
        self.run(move |db| db.list_staff()).await
    }

    /// Log in with a PIN ([`auth::login`]: the PIN check runs off the store thread).
    pub async fn login(&self, pin: &str, now: OffsetDateTime) -> Result<Session, StaffError> {
        auth::login(self, pin, now).await
    }

    /// See [`StaffConn::logout`].
    pub async fn logout(&self, session: Session, now: OffsetDateTime) -> Result<(), StaffError> {
        self.run(move |db| db.logout(session, now)).await
    }

    /// See [`StaffConn::authorize`].
    pub async fn authorize(
        &self,
        session: &Session,
        permission: Permission,
        sale_id: Option<i64>,
        detail: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), StaffError> {
        let session = session.clone();
        let detail = detail.map(str::to_owned);
        self.run(move |db| db.authorize(&session, permission, sale_id, detail.as_deref(), now))
            .await
    }

    /// See [`StaffConn::open_drawer_no_sale`].
    pub async fn open_drawer_no_sale(
        &self,
        session: &Session,
        why: &str,
        now: OffsetDateTime,
    ) -> Result<(), StaffError> {
        let session = session.clone();
        let why = why.to_owned();
        self.run(move |db| db.open_drawer_no_sale(&session, &why, now))
            .await
    }

    /// See [`StaffConn::actions_between`].
    pub async fn actions_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<StaffAction>, StaffError> {
        self.run(move |db| db.actions_between(from, to)).await
    }

    /// See [`StaffConn::staff_name`].
    pub async fn staff_name(&self, staff_id: &str) -> Result<Option<String>, StaffError> {
        let staff_id = staff_id.to_owned();
        self.run(move |db| db.staff_name(&staff_id)).await
    }

    /// See [`StaffConn::has_active_staff`].
    pub async fn has_active_staff(&self) -> Result<bool, StaffError> {
        self.run(move |db| db.has_active_staff()).await
    }

    /// See [`StaffConn::logout_staff`].
    pub async fn logout_staff(
        &self,
        staff_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), StaffError> {
        let staff_id = staff_id.to_owned();
        self.run(move |db| db.logout_staff(&staff_id, now)).await
    }

    /// See [`StaffConn::ensure_training_manager`].
    pub async fn ensure_training_manager(
        &self,
        name: &str,
        pin: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StaffError> {
        let name = name.to_owned();
        let pin = pin.to_owned();
        self.run(move |db| db.ensure_training_manager(&name, &pin, now))
            .await
    }

    /// See [`StaffConn::find_sales`].
    pub async fn find_sales(&self, q: &SaleQuery) -> Result<Vec<SaleHit>, StaffError> {
        let q = q.clone();
        self.run(move |db| db.find_sales(&q)).await
    }

    /// See [`StaffConn::refund_context`].
    pub async fn refund_context(
        &self,
        reference_or_receipt: &str,
    ) -> Result<RefundContext, StaffError> {
        let reference_or_receipt = reference_or_receipt.to_owned();
        self.run(move |db| db.refund_context(&reference_or_receipt))
            .await
    }

    /// See [`StaffConn::refund_record`].
    pub async fn refund_record(&self, id: i64) -> Result<RefundRecord, StaffError> {
        self.run(move |db| db.refund_record(id)).await
    }

    /// See [`StaffConn::refund_status`].
    pub async fn refund_status(&self, idempotency_key: &str) -> Result<RefundStatus, StaffError> {
        let idempotency_key = idempotency_key.to_owned();
        self.run(move |db| db.refund_status(&idempotency_key)).await
    }

    /// See [`StaffConn::unsent_refunds`].
    pub async fn unsent_refunds(&self) -> Result<Vec<RefundRecord>, StaffError> {
        self.run(move |db| db.unsent_refunds()).await
    }

    /// See [`StaffConn::refund_id_by_key`].
    pub async fn refund_id_by_key(&self, idempotency_key: &str) -> Result<Option<i64>, StaffError> {
        let idempotency_key = idempotency_key.to_owned();
        self.run(move |db| db.refund_id_by_key(&idempotency_key))
            .await
    }

    /// See [`StaffConn::unprinted_confirmed_refunds`].
    pub async fn unprinted_confirmed_refunds(&self) -> Result<Vec<i64>, StaffError> {
        self.run(move |db| db.unprinted_confirmed_refunds()).await
    }

    /// See [`StaffConn::refund_id_by_number`].
    pub async fn refund_id_by_number(&self, number: &str) -> Result<Option<i64>, StaffError> {
        let number = number.to_owned();
        self.run(move |db| db.refund_id_by_number(&number)).await
    }

    /// See [`StaffConn::refund_receipt`].
    pub async fn refund_receipt(&self, refund_id: i64) -> Result<RefundReceipt, StaffError> {
        self.run(move |db| db.refund_receipt(refund_id)).await
    }

    /// See [`StaffConn::open_period`].
    pub async fn open_period(
        &self,
        now: OffsetDateTime,
    ) -> Result<(OffsetDateTime, OffsetDateTime), StaffError> {
        self.run(move |db| db.open_period(now)).await
    }

    /// See [`StaffConn::x_report`] (with this handle's company).
    pub async fn x_report(
        &self,
        session: Option<&Session>,
        day: Option<Date>,
        offset: UtcOffset,
        reconciliation: Option<Reconciliation>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        let session = session.cloned();
        let company = self.company.clone();
        self.run(move |db| {
            db.x_report(session.as_ref(), day, offset, &company, reconciliation, now)
        })
        .await
    }

    /// See [`StaffConn::close_period`] (with this handle's company).
    pub async fn close_period(
        &self,
        session: &Session,
        offset: UtcOffset,
        reconciliation: Option<Reconciliation>,
        now: OffsetDateTime,
    ) -> Result<Report, StaffError> {
        let session = session.clone();
        let company = self.company.clone();
        self.run(move |db| db.close_period(&session, offset, &company, reconciliation, now))
            .await
    }

    /// See [`StaffConn::stored_z_report`].
    pub async fn stored_z_report(&self, date: Date) -> Result<Option<Report>, StaffError> {
        self.run(move |db| db.stored_z_report(date)).await
    }

    /// See [`StaffConn::stored_z_by_number`].
    pub async fn stored_z_by_number(&self, number: i64) -> Result<Option<Report>, StaffError> {
        self.run(move |db| db.stored_z_by_number(number)).await
    }

    /// See [`StaffConn::uncaptured_between`].
    pub async fn uncaptured_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Uncaptured>, StaffError> {
        self.run(move |db| db.uncaptured_between(from, to)).await
    }
}
