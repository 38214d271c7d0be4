//! Batch corrections, the pure part: operations, progress and outcomes, and the uncaptured
//! payments that are candidates for a correction capture.

use serde::Serialize;

use crate::domain::api::ApiKind;
use crate::domain::refund::{RefundRequest, RefundStatus};
use crate::lang::Text;

/// One correction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    Refund(RefundRequest),
    /// Capture what is still reserved on an authorized payment (goods were handed over).
    Capture {
        reference: String,
    },
}

impl BatchOp {
    pub fn reference(&self) -> &str {
        match self {
            BatchOp::Refund(r) => &r.reference,
            BatchOp::Capture { reference } => reference,
        }
    }
}

/// Progress after each finished operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchProgress {
    pub done: usize,
    pub total: usize,
    pub reference: String,
    pub ok: bool,
}

/// The result of one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub index: usize,
    pub reference: String,
    pub op: &'static str,
    pub amount: i64,
    /// Done / Failed / Pending (still queued when the wait ran out).
    pub status: RefundStatus,
    /// Why it was refused before anything was queued.
    pub refused: Option<Text>,
}

/// A Vipps payment whose reservation is not (fully) captured: a correction capture candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncaptured {
    pub reference: String,
    pub receipt_number: String,
    pub api: ApiKind,
    pub currency: String,
    /// Reserved (authorized) amount.
    pub amount: i64,
    pub captured: i64,
    /// Journal state of the payment (`authorized`, `capturing`, `failed`).
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

impl Uncaptured {
    /// What a correction capture would take.
    pub fn remaining(&self) -> i64 {
        (self.amount - self.captured).max(0)
    }
}
