//! X and Z reports: the journal's figures (`StaffDb::x_report`, `StaffDb::close_day`, SQL in
//! `store::staff`) with the business day read back from Vipps ([`reconcile_day`]). Rendering
//! is in `receipt::report`.

use std::sync::Arc;

use time::{Date, UtcOffset};

use super::StaffDb;
use super::reconcile::{PaymentReader, reconcile};
use crate::domain::reconcile::Reconciliation;
use crate::domain::report::day_bounds;
use crate::domain::staff::StaffError;

/// Read every Vipps payment of the business day `date` (at `offset`) back and compare it
/// with the journal (for the X report's check and the Z report).
pub async fn reconcile_day(
    db: &StaffDb,
    reader: Arc<dyn PaymentReader>,
    date: Date,
    offset: UtcOffset,
) -> Result<Reconciliation, StaffError> {
    let (from, to) = day_bounds(date, offset);
    reconcile(db, reader, from, to).await
}
