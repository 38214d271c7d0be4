//! Reconciliation results: what reading the day's payments back from Vipps found.

use serde::{Deserialize, Serialize};

use crate::domain::api::ApiKind;
use crate::lang::Text;

/// What kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Captured or refunded at Vipps differs from the journal.
    Mismatch,
    /// Money reserved at Vipps but neither captured nor released.
    AuthorizedNotCaptured,
    /// A refund is recorded but not yet confirmed by Vipps.
    RefundPending,
    /// Vipps could not be asked.
    ReadFailed,
}

/// One payment that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub reference: String,
    pub api: ApiKind,
    pub receipt_number: String,
    pub currency: String,
    pub journal_captured: i64,
    pub journal_refunded: i64,
    pub vipps_authorized: Option<i64>,
    pub vipps_captured: Option<i64>,
    pub vipps_refunded: Option<i64>,
    pub vipps_cancelled: Option<i64>,
    /// What to do, in Bokmål and English.
    pub action: Text,
}

/// The result of reading the day's payments back from Vipps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Reconciliation {
    /// Payments read back.
    pub checked: usize,
    /// Payments where Vipps and the journal agree.
    pub matched: usize,
    /// Journal totals of the payments that could be read (compare with the Vipps totals).
    pub journal_captured: i64,
    pub journal_refunded: i64,
    /// Totals as Vipps reports them (payments that could be read).
    pub vipps_captured: i64,
    pub vipps_refunded: i64,
    pub findings: Vec<Finding>,
}

impl Reconciliation {
    /// True when every payment was read and matches, nothing is pending or uncaptured.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}
