//! In-memory simulator state: payments of all three payment APIs, tokens, idempotency records,
//! Order Management data, faults and rate limits. One `Arc<Mutex<Inner>>`, never held across an
//! `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::SimConfig;
use super::clock::SimClock;
use super::faults::FaultConfig;
use super::ratelimit::RateLimiter;
use crate::clock::rfc3339_millis;

/// Which Vipps API created a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Api {
    Epayment,
    Ecom,
    Psp,
}

/// Internal payment state (rendered per API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PState {
    /// Waiting for the customer.
    Created,
    /// Customer approved; funds reserved.
    Authorized,
    /// Customer rejected (or the card failed).
    Aborted,
    /// Customer did not act in time.
    Expired,
    /// Merchant cancelled before authorization.
    Terminated,
    /// PSP: makePayment answered FAIL / timed out.
    Failed,
}

impl PState {
    pub fn epayment_name(self) -> &'static str {
        match self {
            PState::Created => "CREATED",
            PState::Authorized => "AUTHORIZED",
            PState::Aborted | PState::Failed => "ABORTED",
            PState::Expired => "EXPIRED",
            PState::Terminated => "TERMINATED",
        }
    }
}

/// What happened to a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    Create,
    Authorize,
    Capture,
    Refund,
    /// Merchant cancel before authorization.
    Cancel,
    /// Merchant cancel after authorization (releases the remainder).
    Void,
    /// Customer rejected / card declined.
    Abort,
    Expire,
}

#[derive(Clone, Debug)]
pub struct Op {
    pub kind: OpKind,
    pub amount: i64,
    pub key: Option<String>,
    pub success: bool,
    pub time: OffsetDateTime,
    pub text: Option<String>,
    pub psp_reference: String,
}

impl Op {
    /// Name as the payment's own API reports it.
    pub fn name(&self, api: Api) -> &'static str {
        match api {
            Api::Epayment => match self.kind {
                OpKind::Create => "CREATED",
                OpKind::Authorize => "AUTHORIZED",
                OpKind::Capture => "CAPTURED",
                OpKind::Refund => "REFUNDED",
                OpKind::Cancel => "TERMINATED",
                OpKind::Void => "CANCELLED",
                OpKind::Abort => "ABORTED",
                OpKind::Expire => "EXPIRED",
            },
            Api::Ecom => match self.kind {
                OpKind::Create => "INITIATE",
                OpKind::Authorize => "RESERVE",
                OpKind::Capture => "CAPTURE",
                OpKind::Refund => "REFUND",
                OpKind::Cancel | OpKind::Abort | OpKind::Expire => "CANCEL",
                OpKind::Void => "VOID",
            },
            Api::Psp => match self.kind {
                OpKind::Create => "INITIATE",
                OpKind::Authorize => "RESERVED",
                OpKind::Capture => "CAPTURED",
                OpKind::Refund => "REFUNDED",
                OpKind::Cancel | OpKind::Void | OpKind::Abort | OpKind::Expire => "CANCELLED",
            },
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct EcomInfo {
    pub transaction_text: String,
    pub is_app: bool,
    pub skip_landing_page: bool,
    pub fallback: String,
}

#[derive(Clone, Debug, Default)]
pub struct PspInfo {
    pub psp_transaction_id: String,
    pub make_payment_url: String,
    pub make_payment_token: Option<String>,
    pub redirect_url: String,
    pub processing: bool,
    /// Status updates the PSP reported (RESERVED/CAPTURED/CANCELLED/REFUNDED).
    pub updates: Vec<(String, i64, bool, OffsetDateTime)>,
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub api: Api,
    pub msn: String,
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    pub state: PState,
    pub created_at: OffsetDateTime,
    pub opened_at: Option<OffsetDateTime>,
    /// ePayment `expiresAt` (long-living payments).
    pub expires_at: Option<OffsetDateTime>,
    pub captured: i64,
    pub refunded: i64,
    pub cancelled: i64,
    pub user_flow: String,
    pub redirect_url: Option<String>,
    /// One-time token in landing / QR URLs.
    pub token: String,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<Value>,
    pub receipt: Option<Value>,
    pub payment_method: String,
    pub psp_reference: String,
    pub ops: Vec<Op>,
    pub ecom: Option<EcomInfo>,
    pub psp: Option<PspInfo>,
}

pub const OPEN_WINDOW_MIN: i64 = 5;
pub const APPROVE_WINDOW_MIN: i64 = 5;

impl Payment {
    /// When the customer runs out of time: 5 min to open, then 5 min from opening to approve
    /// (never beyond 10 min), or the ePayment `expiresAt`.
    pub fn deadline(&self) -> OffsetDateTime {
        if let Some(at) = self.expires_at {
            return at;
        }
        match self.opened_at {
            Some(o) => o + time::Duration::minutes(APPROVE_WINDOW_MIN),
            None => self.created_at + time::Duration::minutes(OPEN_WINDOW_MIN),
        }
    }

    pub fn remaining_to_capture(&self) -> i64 {
        if self.state != PState::Authorized {
            return 0;
        }
        self.amount - self.cancelled - self.captured
    }

    pub fn authorized_amount(&self) -> i64 {
        if self.state == PState::Authorized {
            self.amount
        } else {
            0
        }
    }

    pub fn push_op(
        &mut self,
        kind: OpKind,
        amount: i64,
        key: Option<String>,
        success: bool,
        now: OffsetDateTime,
        text: Option<String>,
    ) {
        let psp_reference = format!("{}", 1_000_000_000u64 + self.ops.len() as u64 * 7 + 3);
        self.ops.push(Op {
            kind,
            amount,
            key,
            success,
            time: now,
            text,
            psp_reference,
        });
    }

    pub fn amount_json(&self, value: i64) -> Value {
        json!({"currency": self.currency, "value": value})
    }

    pub fn aggregate_json(&self) -> Value {
        json!({
            "authorizedAmount": self.amount_json(self.authorized_amount()),
            "cancelledAmount": self.amount_json(self.cancelled),
            "capturedAmount": self.amount_json(self.captured),
            "refundedAmount": self.amount_json(self.refunded),
        })
    }
}

/// A stored idempotent response.
#[derive(Clone, Debug)]
pub struct IdemEntry {
    pub op: String,
    pub body: Value,
    pub status: u16,
    pub response: Value,
    pub content_type: String,
}

#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub expires_at: OffsetDateTime,
}

/// Order Management data per orderId.
#[derive(Clone, Debug, Default)]
pub struct OmOrder {
    pub payment_type: String,
    pub category: Option<Value>,
    pub receipt: Option<Value>,
    /// Every `POST …/receipts/{orderId}` that reached the simulator, 409s included.
    pub receipt_posts: u32,
}

/// Work to do outside the lock (HTTP callbacks to a PSP).
#[derive(Debug, Clone)]
pub enum Job {
    MakePayment {
        url: String,
        token: Option<String>,
        body: Value,
        psp_transaction_id: String,
        /// `true` for ACCEPTED (the answer decides RESERVED/FAILED); `false` for TIMEOUT.
        decides: bool,
    },
}

pub struct Inner {
    pub cfg: SimConfig,
    pub payments: Vec<Payment>,
    pub tokens: HashMap<String, TokenInfo>,
    /// (msn, operation scope, Idempotency-Key) → stored response. The scope is `create` for a
    /// create (the body names the reference) and `{operation}:{reference}` for capture, refund
    /// and cancel: Vipps' own ePayment collection reuses one key for create, capture and refund
    /// of one payment and expects each to succeed.
    pub idem: HashMap<(String, String, String), IdemEntry>,
    /// (msn, orderId, endpoint, X-Request-Id) → amount (eCom).
    pub request_ids: HashMap<(String, String, String, String), i64>,
    pub images: HashMap<String, usize>,
    pub om: HashMap<String, OmOrder>,
    pub faults: FaultConfig,
    pub rng: StdRng,
    pub rate: RateLimiter,
    pub base_url: String,
    /// Webhooks API registrations and their delivery queues.
    pub webhooks: super::webhooks::Registry,
    /// Creates refused for a reason of the customer or the sales unit (not a Vipps user, push
    /// not enabled, another currency): no payment exists, but the ledger shows the attempt.
    pub refused: Vec<super::ledger::LedgerRefusal>,
}

impl Inner {
    pub fn find(&self, api: Api, msn: &str, reference: &str) -> Option<usize> {
        self.payments
            .iter()
            .position(|p| p.api == api && p.msn == msn && p.reference == reference)
    }

    /// Any payment (any API) already using this reference for the MSN.
    pub fn reference_taken(&self, msn: &str, reference: &str) -> bool {
        self.payments
            .iter()
            .any(|p| p.msn == msn && p.reference == reference)
    }

    pub fn find_psp(&self, psp_transaction_id: &str) -> Option<usize> {
        self.payments.iter().position(|p| {
            p.psp
                .as_ref()
                .is_some_and(|i| i.psp_transaction_id == psp_transaction_id)
        })
    }

    /// Customer-side lookup: ePayment reference, eCom orderId, PSP id or merchantOrderId.
    pub fn find_any(&self, reference: &str) -> Option<usize> {
        self.find_psp(reference)
            .or_else(|| self.payments.iter().position(|p| p.reference == reference))
    }

    pub fn find_token(&self, token: &str) -> Option<usize> {
        self.payments.iter().position(|p| p.token == token)
    }

    pub fn push_allowed(&self, msn: &str) -> bool {
        !self.faults.no_push && !self.cfg.no_push_msns.iter().any(|m| m == msn)
    }

    /// The phone number (as sent) cannot pay businesses: not a Vipps user, too young, … —
    /// `--not-a-user`, the faults endpoint's `not_a_user`, or the documented default set.
    pub fn not_a_user(&self, phone: &str) -> bool {
        (self.cfg.default_not_a_user && super::is_default_not_a_user(phone))
            || self.cfg.not_a_user.iter().any(|p| p == phone)
            || self.faults.not_a_user.iter().any(|p| p == phone)
    }

    pub fn msn_known(&self, msn: &str) -> bool {
        self.cfg.msns.iter().any(|m| m == msn)
    }

    /// Expire payments whose customer ran out of time and run auto-approvals. Returns PSP
    /// callbacks to send.
    pub fn sweep(&mut self, now: OffsetDateTime) -> Vec<Job> {
        let mut jobs = Vec::new();
        let auto = self.cfg.auto_approve_after;
        for i in 0..self.payments.len() {
            let p = &self.payments[i];
            if p.state != PState::Created || p.psp.as_ref().is_some_and(|i| i.processing) {
                continue;
            }
            if now >= p.deadline() {
                let p = &mut self.payments[i];
                p.state = PState::Expired;
                let amount = p.amount;
                p.push_op(
                    OpKind::Expire,
                    amount,
                    None,
                    true,
                    now,
                    Some(
                        "Payment timed out: the customer did not act within the time limit (45)"
                            .into(),
                    ),
                );
                if let Some(job) = psp_job(p, "TIMEOUT") {
                    jobs.push(job);
                }
                continue;
            }
            if let Some(after) = auto {
                let after = time::Duration::try_from(after).unwrap_or(time::Duration::MAX);
                if now >= p.created_at + after {
                    match approve(&mut self.payments[i], now, None) {
                        Ok(Some(job)) => jobs.push(job),
                        Ok(None) => {}
                        Err(e) => tracing::debug!("auto-approve failed: {e:?}"),
                    }
                }
            }
        }
        jobs
    }
}

fn psp_job(p: &Payment, payment_state: &str) -> Option<Job> {
    let info = p.psp.as_ref()?;
    let body = json!({
        "pspTransactionId": info.psp_transaction_id,
        "merchantSerialNumber": p.msn,
        "paymentState": payment_state,
        "binNumber": "492556",
        "userToken": format!("sim-user-token-{}", p.token),
        "operations": [
            {"url": format!("{}/sim/3ds/{}?result=success", "http://127.0.0.1", p.token), "operation": "3dssuccess"},
            {"url": format!("{}/sim/3ds/{}?result=cancel", "http://127.0.0.1", p.token), "operation": "3dscancel"},
            {"url": format!("{}/sim/3ds/{}?result=failure", "http://127.0.0.1", p.token), "operation": "3dsfailure"}
        ],
        "paymentInstrument": "TOKEN",
        "networkToken": {
            "number": "4925560000000000001",
            "cryptogram": "AgAAAAAAAIR8CQrXcIhbQAAAAAA=",
            "expiryMonth": "03",
            "expiryYear": "2030",
            "tokenType": "VISA",
            "eci": "07"
        }
    });
    Some(Job::MakePayment {
        url: info.make_payment_url.clone(),
        token: info.make_payment_token.clone(),
        body,
        psp_transaction_id: info.psp_transaction_id.clone(),
        decides: payment_state == "ACCEPTED",
    })
}

/// Test-environment magic amounts (NOK/DKK/EUR major units × 100) that make approval fail.
pub fn magic_failure(amount: i64) -> Option<(&'static str, &'static str, &'static str)> {
    // (reason, ePayment test code, eCom code)
    match amount {
        15100 => Some(("insufficient funds", "10010", "42")),
        18200 => Some(("refused by issuer", "10010", "42")),
        18300 => Some(("suspected fraud", "10010", "42")),
        18400 => Some(("withdrawal amount limit exceeded", "10010", "42")),
        18600 => Some(("expired card", "10010", "44")),
        18700 => Some(("invalid card", "10010", "41")),
        19700 => Some(("3-D Secure denied", "10010", "42")),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproveError {
    NotWaiting(&'static str),
    Declined {
        reason: &'static str,
        epayment_code: &'static str,
        ecom_code: &'static str,
    },
}

/// The customer approves. ePayment/eCom settle at once; PSP returns the makePayment job.
pub fn approve(
    p: &mut Payment,
    now: OffsetDateTime,
    phone: Option<String>,
) -> Result<Option<Job>, ApproveError> {
    if p.state != PState::Created {
        return Err(ApproveError::NotWaiting(p.state.epayment_name()));
    }
    if p.psp.as_ref().is_some_and(|i| i.processing) {
        return Err(ApproveError::NotWaiting("PROCESSING"));
    }
    if p.opened_at.is_none() {
        p.opened_at = Some(now);
    }
    if phone.is_some() {
        p.phone = phone;
    }
    if p.api != Api::Psp {
        if let Some((reason, ep, ec)) = magic_failure(p.amount) {
            p.state = PState::Aborted;
            let amount = p.amount;
            p.push_op(
                OpKind::Authorize,
                amount,
                None,
                false,
                now,
                Some(format!("Approval failed: {reason}")),
            );
            p.push_op(
                OpKind::Abort,
                amount,
                None,
                true,
                now,
                Some(reason.to_string()),
            );
            return Err(ApproveError::Declined {
                reason,
                epayment_code: ep,
                ecom_code: ec,
            });
        }
        p.state = PState::Authorized;
        let amount = p.amount;
        p.push_op(OpKind::Authorize, amount, None, true, now, None);
        return Ok(None);
    }
    if let Some(info) = p.psp.as_mut() {
        info.processing = true;
    }
    Ok(psp_job(p, "ACCEPTED"))
}

/// The customer rejects.
pub fn reject(p: &mut Payment, now: OffsetDateTime) -> Result<Option<Job>, ApproveError> {
    if p.state != PState::Created || p.psp.as_ref().is_some_and(|i| i.processing) {
        return Err(ApproveError::NotWaiting(p.state.epayment_name()));
    }
    if p.opened_at.is_none() {
        p.opened_at = Some(now);
    }
    p.state = PState::Aborted;
    let amount = p.amount;
    p.push_op(
        OpKind::Abort,
        amount,
        None,
        true,
        now,
        Some("Cancelled by the customer".into()),
    );
    Ok(psp_job(p, "USER_CANCEL"))
}

/// Handle to the simulator state (cheap to clone).
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Mutex<Inner>>,
    clock: SimClock,
    http: reqwest::Client,
}

impl SimState {
    pub fn new(cfg: SimConfig) -> SimState {
        let clock = SimClock::new(OffsetDateTime::now_utc(), cfg.time_scale);
        let rng = StdRng::seed_from_u64(cfg.seed);
        let http = reqwest::Client::builder()
            .timeout(cfg.make_payment_timeout)
            .build()
            .unwrap_or_default();
        SimState {
            inner: Arc::new(Mutex::new(Inner {
                cfg,
                payments: Vec::new(),
                tokens: HashMap::new(),
                idem: HashMap::new(),
                request_ids: HashMap::new(),
                images: HashMap::new(),
                om: HashMap::new(),
                faults: FaultConfig::default(),
                rng,
                rate: RateLimiter::default(),
                base_url: "http://127.0.0.1".to_string(),
                webhooks: super::webhooks::Registry::default(),
                refused: Vec::new(),
            })),
            clock,
            http,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn now_str(&self) -> String {
        rfc3339_millis(self.now())
    }

    pub fn set_base_url(&self, url: String) {
        self.lock().base_url = url;
    }

    pub fn base_url(&self) -> String {
        self.lock().base_url.clone()
    }

    /// Lazy expiry + auto-approve; PSP callbacks are sent in the background.
    pub fn sweep(&self) {
        let now = self.now();
        let jobs = self.lock().sweep(now);
        for job in jobs {
            let me = self.clone();
            tokio::spawn(async move { me.run_job(job).await });
        }
    }

    /// Background ticker body: expiry, auto-approval, webhook events for new ePayment events.
    pub async fn tick(&self) {
        self.sweep();
        self.lock().dispatch_webhooks();
    }

    /// Send a makePayment callback and apply the PSP's answer.
    pub async fn run_job(&self, job: Job) {
        let Job::MakePayment {
            url,
            token,
            body,
            psp_transaction_id,
            decides,
        } = job;
        let mut req = self.http.post(&url).json(&body);
        if let Some(t) = token {
            req = req.header("Authorization", t);
        }
        let ok = match req.send().await {
            Ok(resp) if resp.status().is_success() => {
                match resp.json::<crate::wire::psp::MakePaymentResponse>().await {
                    Ok(v) => v
                        .payment_info
                        .is_some_and(|i| i.status == crate::wire::psp::MakePaymentStatus::Ok),
                    Err(_) => false,
                }
            }
            Ok(resp) => {
                tracing::info!("makePaymentUrl answered HTTP {}", resp.status());
                false
            }
            Err(e) => {
                tracing::info!("makePaymentUrl call failed: {e}");
                false
            }
        };
        if !decides {
            return;
        }
        let now = self.now();
        let mut g = self.lock();
        if let Some(i) = g.find_psp(&psp_transaction_id) {
            let p = &mut g.payments[i];
            if let Some(info) = p.psp.as_mut() {
                info.processing = false;
            }
            let amount = p.amount;
            if ok {
                p.state = PState::Authorized;
                p.push_op(OpKind::Authorize, amount, None, true, now, None);
            } else {
                p.state = PState::Failed;
                p.push_op(
                    OpKind::Authorize,
                    amount,
                    None,
                    false,
                    now,
                    Some("makePayment answered FAIL or did not answer in time".into()),
                );
            }
        }
    }

    /// Customer approves by any reference. PSP approvals wait for the makePayment answer.
    pub async fn customer_approve(
        &self,
        reference: &str,
        phone: Option<String>,
    ) -> Result<(), CustomerError> {
        self.sweep();
        let now = self.now();
        let job = {
            let mut g = self.lock();
            let i = g.find_any(reference).ok_or(CustomerError::NotFound)?;
            approve(&mut g.payments[i], now, phone).map_err(CustomerError::Approve)?
        };
        if let Some(job) = job {
            self.run_job(job).await;
        }
        Ok(())
    }

    pub async fn customer_reject(&self, reference: &str) -> Result<(), CustomerError> {
        self.sweep();
        let now = self.now();
        let job = {
            let mut g = self.lock();
            let i = g.find_any(reference).ok_or(CustomerError::NotFound)?;
            reject(&mut g.payments[i], now).map_err(CustomerError::Approve)?
        };
        if let Some(job) = job {
            self.run_job(job).await;
        }
        Ok(())
    }

    pub fn customer_open(&self, reference: &str) -> Result<(), CustomerError> {
        self.sweep();
        let now = self.now();
        let mut g = self.lock();
        let i = g.find_any(reference).ok_or(CustomerError::NotFound)?;
        let p = &mut g.payments[i];
        if p.state != PState::Created {
            return Err(CustomerError::Approve(ApproveError::NotWaiting(
                p.state.epayment_name(),
            )));
        }
        if p.opened_at.is_none() {
            p.opened_at = Some(now);
        }
        Ok(())
    }

    pub fn ledger(&self) -> super::Ledger {
        super::ledger::build(&self.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_payment_body_matches_the_shared_wire_type() {
        let mut p = Payment {
            api: Api::Psp,
            msn: "123456".into(),
            reference: "order-1".into(),
            amount: 1000,
            currency: "NOK".into(),
            state: PState::Created,
            created_at: OffsetDateTime::UNIX_EPOCH,
            opened_at: None,
            expires_at: None,
            captured: 0,
            refunded: 0,
            cancelled: 0,
            user_flow: "WEB_REDIRECT".into(),
            redirect_url: None,
            token: "t".into(),
            phone: None,
            description: None,
            metadata: None,
            receipt: None,
            payment_method: "WALLET".into(),
            psp_reference: String::new(),
            ops: Vec::new(),
            ecom: None,
            psp: Some(PspInfo {
                psp_transaction_id: "psp-1".into(),
                make_payment_url: "http://127.0.0.1:1/mp".into(),
                ..PspInfo::default()
            }),
        };
        let Some(Job::MakePayment { body, .. }) =
            approve(&mut p, OffsetDateTime::UNIX_EPOCH, None).unwrap()
        else {
            panic!("PSP approval must produce a makePayment job");
        };
        let typed: crate::wire::psp::MakePaymentRequest = serde_json::from_value(body).unwrap();
        assert_eq!(typed.psp_transaction_id, "psp-1");
        assert_eq!(typed.merchant_serial_number, "123456");
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerError {
    NotFound,
    Approve(ApproveError),
}
