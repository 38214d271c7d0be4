//! [`Provider`] implementations over the `api::Vipps` clients: ePayment (default), eCom, PSP;
//! plus Order Management receipts and PSP `updatestatus`.

use crate::api::error::{ApiError, ErrorKind};
use crate::api::{IdempotencyKey, RequestId, Vipps, ecom, epayment, order_management, psp};
use crate::domain::money::{Currency, Money};
use crate::engine::acquirer::{Acquirer, BoxFuture};
use crate::engine::events::ApiKind;
use crate::engine::provider::{
    Amounts, CategorySpec, CreateSpec, Created, CustomerId, ErrorClass, FlowSpec,
    ModificationResult, PaymentFacts, Provider, ProviderError, PspStatusSender, ReadResult,
    ReadState, ReceiptSender, ReceiptSpec, wire_receipt,
};
use crate::lang::Text;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// Map an API error onto the engine's classes.
pub fn classify(e: &ApiError) -> ProviderError {
    let status = e.status;
    let code = e.code.clone();
    let class = if e.is_offline() {
        ErrorClass::Offline
    } else if matches!(e.kind, ErrorKind::Config) || matches!(status, Some(401 | 403)) {
        ErrorClass::Config
    } else if matches!(e.kind, ErrorKind::Validation(_)) {
        ErrorClass::Rejected
    } else if matches!(status, Some(429 | 423)) || e.is_retry_code() {
        ErrorClass::Throttled
    } else if status == Some(404) || code.as_deref() == Some("5090") {
        ErrorClass::NotFound
    } else if code.as_deref() == Some("5080") {
        ErrorClass::Config
    } else if e.outcome_unknown()
        || matches!(
            e.kind,
            ErrorKind::Timeout | ErrorKind::Transport { .. } | ErrorKind::Decode
        )
        || e.is_server_error()
    {
        ErrorClass::OutcomeUnknown
    } else {
        ErrorClass::Rejected
    };
    ProviderError {
        class,
        message: e.cashier_message(),
        detail: e.to_string(),
        http_status: status,
        code,
        retry_after: e.retry_after,
        never_sent: (e.is_offline() && !e.maybe_delivered) || e.not_sent(),
    }
}

fn local(detail: String, text: Text) -> ProviderError {
    ProviderError::new(ErrorClass::Rejected, text, detail)
}

fn key(k: &str) -> Result<IdempotencyKey, ProviderError> {
    IdempotencyKey::new(k).map_err(|e| local(e.to_string(), e.text.clone()))
}

fn request_id(k: &str) -> Result<RequestId, ProviderError> {
    RequestId::new(k).map_err(|e| local(e.to_string(), e.text.clone()))
}

fn eight_digits(msisdn: &str) -> String {
    match msisdn.strip_prefix("47") {
        Some(n) if n.len() == 8 => n.to_owned(),
        _ => msisdn.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// ePayment
// ---------------------------------------------------------------------------------------------

/// ePayment v1 (the default).
#[derive(Debug, Clone)]
pub struct EpaymentProvider {
    pub vipps: Vipps,
}

fn ep_amounts(a: &epayment::Aggregate) -> Amounts {
    Amounts {
        authorized: a.authorized_amount.value,
        captured: a.captured_amount.value,
        refunded: a.refunded_amount.value,
        cancelled: a.cancelled_amount.value,
    }
}

/// ePayment state → the engine's read state (amounts come from the aggregate).
pub fn epayment_state(state: &epayment::PaymentState) -> ReadState {
    use epayment::PaymentState as S;
    match state {
        S::Created => ReadState::Created,
        // Stays AUTHORIZED after capture, refund and cancel: the aggregate tells the state
        // machine what moved (a fully released reservation reads as voided).
        S::Authorized => ReadState::Authorized,
        S::Aborted => ReadState::Rejected,
        S::Expired => ReadState::Expired,
        S::Terminated => ReadState::Cancelled,
        S::Unknown(_) => ReadState::Created,
    }
}

impl Provider for EpaymentProvider {
    fn kind(&self) -> ApiKind {
        ApiKind::Epayment
    }

    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let k = key(&spec.key)?;
            let flow = match &spec.flow {
                FlowSpec::Push(_) => epayment::UserFlow::PushMessage,
                FlowSpec::Qr => epayment::UserFlow::Qr,
            };
            let mut req = epayment::CreatePaymentRequest::new(
                spec.reference.clone(),
                spec.amount.into(),
                flow,
            );
            req.customer_interaction = Some(epayment::CustomerInteraction::CustomerPresent);
            req.payment_description = Some(spec.description.clone());
            match &spec.flow {
                FlowSpec::Push(CustomerId::Phone(p)) => {
                    req.customer = Some(epayment::Customer::phone(p.clone()));
                }
                FlowSpec::Push(CustomerId::PersonalQr(q)) => {
                    req.customer = Some(epayment::Customer::personal_qr(q.clone()));
                }
                FlowSpec::Qr => {
                    req.qr_format = Some(epayment::QrFormat {
                        format: epayment::QrFormatKind::TextTargetUrl,
                        size: None,
                    });
                }
            }
            // A receipt that fails the Order Management rules is left out (and logged) rather
            // than blocking the payment; the result is the same on every retry of this body.
            req.receipt = spec.receipt.as_ref().and_then(|r| {
                wire_receipt(r, spec.amount.currency())
                    .map_err(|e| {
                        tracing::warn!(reference = %spec.reference, error = %e, "receipt left out of create");
                    })
                    .ok()
            });
            let res = self
                .vipps
                .epayment()
                .create(&req, &k)
                .await
                .map_err(|e| classify(&e))?;
            Ok(Created {
                qr_payload: match spec.flow {
                    FlowSpec::Qr => res.redirect_url,
                    FlowSpec::Push(_) => None,
                },
            })
        })
    }

    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(async move {
            let r = self
                .vipps
                .epayment()
                .get(id)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ReadResult {
                state: epayment_state(&r.state),
                amounts: ep_amounts(&r.aggregate),
                // GET has no creation time; `identify` reads it from the events.
                facts: PaymentFacts {
                    amount: Some(r.amount.value),
                    currency: Some(r.amount.currency),
                    created_at: None,
                },
            })
        })
    }

    fn identify<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(async move {
            let mut r = self.read(id).await?;
            let events = self
                .vipps
                .epayment()
                .events(id)
                .await
                .map_err(|e| classify(&e))?;
            r.facts.created_at = events
                .iter()
                .filter(|e| e.name == epayment::PaymentEventName::Created)
                .filter_map(epayment::PaymentEvent::timestamp_parsed)
                .min();
            Ok(r)
        })
    }

    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            let k = key(k)?;
            let req = epayment::ModificationRequest {
                modification_amount: amount.into(),
            };
            let r = self
                .vipps
                .epayment()
                .capture(id, &req, &k)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ModificationResult {
                amounts: Some(ep_amounts(&r.aggregate)),
            })
        })
    }

    fn cancel<'a>(
        &'a self,
        id: &'a str,
        _amount: Money,
        transaction_only: bool,
        k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            let k = key(k)?;
            let r = self
                .vipps
                .epayment()
                .cancel(id, transaction_only, &k)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ModificationResult {
                amounts: Some(ep_amounts(&r.aggregate)),
            })
        })
    }

    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            let k = key(k)?;
            let req = epayment::ModificationRequest {
                modification_amount: amount.into(),
            };
            let r = self
                .vipps
                .epayment()
                .refund(id, &req, &k)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ModificationResult {
                amounts: Some(ep_amounts(&r.aggregate)),
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// eCom
// ---------------------------------------------------------------------------------------------

/// eCom v2 (legacy). Initiate is not idempotent: orderId uniqueness is the duplicate guard.
#[derive(Debug, Clone)]
pub struct EcomProvider {
    pub vipps: Vipps,
    /// `merchantInfo.callbackPrefix` (https; kasse polls, callbacks are optional).
    pub callback_prefix: String,
    /// `merchantInfo.fallBack`.
    pub fallback_url: String,
}

/// eCom `details` → read state and amounts (§3.4 reduction; opened = INITIATE has a
/// transactionId).
pub fn ecom_read(d: &ecom::TransactionDetails) -> ReadResult {
    let sum = |op: ecom::Operation| -> i64 {
        d.transaction_log_history
            .iter()
            .filter(|e| e.operation == op && e.operation_success)
            .map(|e| e.amount)
            .sum()
    };
    let summary = d.transaction_summary.unwrap_or_default();
    let reserved = sum(ecom::Operation::Reserve) + sum(ecom::Operation::Sale);
    let amounts = Amounts {
        authorized: reserved,
        captured: summary.captured_amount.max(sum(ecom::Operation::Sale)),
        refunded: summary.refunded_amount,
        cancelled: sum(ecom::Operation::Void),
    };
    let opened = d.transaction_log_history.iter().any(|e| {
        e.operation == ecom::Operation::Initiate
            && e.transaction_id.as_deref().is_some_and(|t| !t.is_empty())
    });
    let state = match d.outcome() {
        ecom::DetailsOutcome::Failed => ReadState::Failed,
        // A VOID after a reservation: the amounts say "released" (the state machine calls it
        // voided). A CANCEL before one: user said no, timed out, or merchant cancelled.
        ecom::DetailsOutcome::Cancelled if reserved > 0 => ReadState::Authorized,
        ecom::DetailsOutcome::Cancelled => ReadState::Cancelled,
        ecom::DetailsOutcome::Complete | ecom::DetailsOutcome::Authorized => ReadState::Authorized,
        ecom::DetailsOutcome::Initiated => {
            if opened {
                ReadState::Opened
            } else {
                ReadState::Created
            }
        }
    };
    // eCom v2 is NOK only; the INITIATE entry holds the amount asked for and when.
    let initiate = d
        .transaction_log_history
        .iter()
        .filter(|e| e.operation == ecom::Operation::Initiate)
        .min_by_key(|e| e.time_stamp.as_deref().and_then(parse_time));
    let facts = PaymentFacts {
        amount: initiate.map(|e| e.amount),
        currency: initiate.map(|_| Currency::Nok),
        created_at: initiate.and_then(|e| e.time_stamp.as_deref().and_then(parse_time)),
    };
    ReadResult {
        state,
        amounts,
        facts,
    }
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

fn ecom_summary_amounts(s: Option<ecom::TransactionSummary>) -> Option<Amounts> {
    s.map(|s| Amounts {
        authorized: s.captured_amount + s.remaining_amount_to_capture,
        captured: s.captured_amount,
        refunded: s.refunded_amount,
        cancelled: 0,
    })
}

impl EcomProvider {
    fn msn(&self) -> ecom::MerchantInfoPayment {
        ecom::MerchantInfoPayment {
            merchant_serial_number: self.vipps.settings().msn.clone(),
        }
    }
}

impl Provider for EcomProvider {
    fn kind(&self) -> ApiKind {
        ApiKind::Ecom
    }

    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let (mobile, skip) = match &spec.flow {
                FlowSpec::Push(CustomerId::Phone(p)) => (Some(eight_digits(p)), Some(true)),
                FlowSpec::Push(CustomerId::PersonalQr(_)) => {
                    return Err(local(
                        "personal QR needs ePayment".into(),
                        Text::new(
                            "Personlig QR fungerer bare med ePayment.",
                            "A personal QR only works with ePayment.",
                        ),
                    ));
                }
                FlowSpec::Qr => (None, None),
            };
            let req = ecom::InitiatePaymentRequest {
                customer_info: ecom::CustomerInfo {
                    mobile_number: mobile,
                },
                merchant_info: ecom::MerchantInfo {
                    merchant_serial_number: self.vipps.settings().msn.clone(),
                    callback_prefix: self.callback_prefix.clone(),
                    fall_back: self.fallback_url.clone(),
                    auth_token: None,
                    is_app: Some(false),
                    payment_type: Some(ecom::EcomPaymentType::Regular),
                    consent_removal_prefix: None,
                    shipping_details_prefix: None,
                    static_shipping_details: None,
                },
                transaction: ecom::TransactionInitiate {
                    amount: spec.amount.minor(),
                    order_id: spec.reference.clone(),
                    transaction_text: spec.description.clone(),
                    skip_landing_page: skip,
                    scope: None,
                    use_explicit_checkout_flow: None,
                    additional_data: None,
                },
            };
            let r = self
                .vipps
                .ecom()
                .initiate(&req)
                .await
                .map_err(|e| classify(&e))?;
            Ok(Created {
                qr_payload: matches!(spec.flow, FlowSpec::Qr).then_some(r.url),
            })
        })
    }

    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(async move {
            let d = self
                .vipps
                .ecom()
                .details(id)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ecom_read(&d))
        })
    }

    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            let rid = request_id(k)?;
            let req = ecom::PaymentActionsRequest {
                merchant_info: self.msn(),
                transaction: ecom::Transaction {
                    amount: Some(amount.minor()),
                    transaction_text: "Kjøp i butikk".into(),
                },
            };
            let r = self
                .vipps
                .ecom()
                .capture(id, &req, &rid)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ModificationResult {
                amounts: ecom_summary_amounts(r.transaction_summary),
            })
        })
    }

    fn cancel<'a>(
        &'a self,
        id: &'a str,
        _amount: Money,
        _transaction_only: bool,
        _k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            let req = ecom::CancelPaymentActionRequest {
                merchant_info: self.msn(),
                transaction: ecom::CancelTransaction {
                    transaction_text: "Avbrutt i kassen".into(),
                },
                should_release_remaining_funds: None,
            };
            let r = self
                .vipps
                .ecom()
                .cancel(id, &req)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ModificationResult {
                amounts: ecom_summary_amounts(r.transaction_summary),
            })
        })
    }

    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            let rid = request_id(k)?;
            let req = ecom::PaymentActionsRequest {
                merchant_info: self.msn(),
                transaction: ecom::Transaction {
                    amount: Some(amount.minor()),
                    transaction_text: "Retur".into(),
                },
            };
            let r = self
                .vipps
                .ecom()
                .refund(id, &req, &rid)
                .await
                .map_err(|e| classify(&e))?;
            Ok(ModificationResult {
                amounts: ecom_summary_amounts(r.transaction_summary),
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// PSP
// ---------------------------------------------------------------------------------------------

/// PSP v3 (legacy): kasse is the PSP. Vipps hands the card token to our makePaymentUrl
/// server; capture / cancel / refund happen at the [`Acquirer`] and are reported to Vipps
/// through `updatestatus` outbox rows.
#[derive(Clone)]
pub struct PspProvider {
    pub vipps: Vipps,
    pub acquirer: Arc<dyn Acquirer>,
    pub make_payment_url: String,
    pub make_payment_token: SecretString,
    /// `pspRedirectUrl` (where the customer lands after the app; not relied on).
    pub redirect_url: String,
}

impl std::fmt::Debug for PspProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PspProvider")
            .field("make_payment_url", &self.make_payment_url)
            .finish_non_exhaustive()
    }
}

/// PSP details → read state (history newest first; only what the PSP reported, plus
/// RESERVED from a makePayment OK, or a failed RESERVED from a FAIL).
pub fn psp_read(d: &psp::PaymentDetails) -> ReadResult {
    let ok = |s: psp::PspStatus| {
        d.transaction_log_history
            .iter()
            .any(|e| e.operation.as_ref() == Some(&s) && e.operation_success != Some(false))
    };
    let failed_reserve = d.transaction_log_history.iter().any(|e| {
        e.operation.as_ref() == Some(&psp::PspStatus::Reserved)
            && e.operation_success == Some(false)
    });
    let sum = |s: psp::PspStatus| -> i64 {
        d.transaction_log_history
            .iter()
            .filter(|e| e.operation.as_ref() == Some(&s) && e.operation_success != Some(false))
            .filter_map(|e| e.amount)
            .sum()
    };
    let summary = d.transaction_summary.unwrap_or_default();
    let amounts = Amounts {
        authorized: sum(psp::PspStatus::Reserved),
        captured: summary.captured_amount.unwrap_or(0),
        refunded: summary.refunded_amount.unwrap_or(0),
        cancelled: sum(psp::PspStatus::Cancelled),
    };
    let state = if ok(psp::PspStatus::Reserved) {
        // Amounts tell a release (CANCELLED after RESERVED) apart from a capture.
        ReadState::Authorized
    } else if ok(psp::PspStatus::Cancelled) {
        ReadState::Cancelled
    } else if failed_reserve {
        ReadState::Failed
    } else {
        ReadState::Created
    };
    // The details carry no currency or initiate entry: only the earliest entry's time.
    let facts = PaymentFacts {
        amount: None,
        currency: None,
        created_at: d
            .transaction_log_history
            .iter()
            .filter_map(|e| e.time_stamp.as_deref().and_then(parse_time))
            .min(),
    };
    ReadResult {
        state,
        amounts,
        facts,
    }
}

fn acquirer_error(e: crate::engine::acquirer::AcquirerError) -> ProviderError {
    use crate::engine::acquirer::AcquirerError as A;
    let class = match &e {
        A::Unreachable(_) => ErrorClass::OutcomeUnknown,
        A::Unknown(_) | A::Refused { .. } => ErrorClass::Rejected,
    };
    ProviderError::new(
        class,
        Text::new(
            format!("Kortinnløseren avviste: {e}"),
            format!("The card acquirer refused: {e}"),
        ),
        e.to_string(),
    )
}

impl Provider for PspProvider {
    fn kind(&self) -> ApiKind {
        ApiKind::Psp
    }

    fn create<'a>(&'a self, spec: &'a CreateSpec) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            let (mobile, skip) = match &spec.flow {
                FlowSpec::Push(CustomerId::Phone(p)) => (Some(eight_digits(p)), Some(true)),
                FlowSpec::Push(CustomerId::PersonalQr(_)) => {
                    return Err(local(
                        "personal QR needs ePayment".into(),
                        Text::new(
                            "Personlig QR fungerer bare med ePayment.",
                            "A personal QR only works with ePayment.",
                        ),
                    ));
                }
                FlowSpec::Qr => (None, None),
            };
            let psp_id = spec
                .psp_transaction_id
                .clone()
                .unwrap_or_else(|| crate::engine::core::psp_transaction_id(&spec.reference));
            let req = psp::InitiatePaymentRequest {
                psp_transaction_id: psp_id,
                merchant_order_id: spec.reference.clone(),
                customer_mobile_number: mobile,
                amount: spec.amount.minor(),
                currency: spec.amount.currency().code().to_owned(),
                psp_redirect_url: self.redirect_url.clone(),
                make_payment_url: self.make_payment_url.clone(),
                make_payment_token: Some(crate::api::WireSecret::new(
                    self.make_payment_token.expose_secret(),
                )),
                payment_text: Some(spec.description.clone()),
                is_app: Some(false),
                skip_landing_page: skip,
                merchant_agreement_url: None,
            };
            let r = self
                .vipps
                .psp()
                .init(&req)
                .await
                .map_err(|e| classify(&e))?;
            Ok(Created {
                qr_payload: match spec.flow {
                    FlowSpec::Qr => r.vipps_redirect_url,
                    FlowSpec::Push(_) => None,
                },
            })
        })
    }

    fn read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<ReadResult, ProviderError>> {
        Box::pin(async move {
            let d = self
                .vipps
                .psp()
                .details(id)
                .await
                .map_err(|e| classify(&e))?;
            Ok(psp_read(&d))
        })
    }

    fn capture<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        _k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            self.acquirer
                .capture(id, amount)
                .await
                .map_err(acquirer_error)?;
            Ok(ModificationResult {
                amounts: Some(Amounts {
                    authorized: amount.minor(),
                    captured: amount.minor(),
                    refunded: 0,
                    cancelled: 0,
                }),
            })
        })
    }

    fn cancel<'a>(
        &'a self,
        id: &'a str,
        _amount: Money,
        _transaction_only: bool,
        _k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            self.acquirer.cancel(id).await.map_err(acquirer_error)?;
            Ok(ModificationResult { amounts: None })
        })
    }

    fn refund<'a>(
        &'a self,
        id: &'a str,
        amount: Money,
        k: &'a str,
    ) -> BoxFuture<'a, Result<ModificationResult, ProviderError>> {
        Box::pin(async move {
            self.acquirer
                .refund(id, amount, k)
                .await
                .map_err(acquirer_error)?;
            Ok(ModificationResult { amounts: None })
        })
    }
}

impl PspStatusSender for PspProvider {
    fn report<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        status: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let st = match status {
                "CAPTURED" => psp::PspStatus::Captured,
                "CANCELLED" => psp::PspStatus::Cancelled,
                "REFUNDED" => psp::PspStatus::Refunded,
                _ => psp::PspStatus::Reserved,
            };
            let req = psp::UpdateStatusRequest {
                transactions: vec![psp::TransactionInfo {
                    psp_transaction_id: psp_transaction_id.to_owned(),
                    status: st,
                    amount: amount.minor(),
                    currency: Some(amount.currency().code().to_owned()),
                    payment_text: None,
                    operation_status: Some(psp::OperationStatus::Success),
                }],
            };
            self.vipps
                .psp()
                .update_status(&req)
                .await
                .map_err(|e| classify(&e))?;
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Order Management
// ---------------------------------------------------------------------------------------------

/// Order Management receipts and categories; a 409 (already there) counts as done.
#[derive(Clone)]
pub struct OmReceipts {
    pub vipps: Vipps,
    /// The category image (`imageId`, base64 PNG/JPEG), uploaded before the first category.
    pub image: Option<(String, String)>,
}

impl std::fmt::Debug for OmReceipts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OmReceipts")
            .field("image_id", &self.image.as_ref().map(|i| &i.0))
            .finish_non_exhaustive()
    }
}

/// Standard base64 (RFC 4648, with padding) for the category image.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl ReceiptSender for OmReceipts {
    fn send_receipt<'a>(
        &'a self,
        _api: ApiKind,
        reference: &'a str,
        currency: Currency,
        receipt: &'a ReceiptSpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let wire = wire_receipt(receipt, currency).map_err(|e| {
                ProviderError::new(
                    ErrorClass::Rejected,
                    e.text(),
                    format!("Order Management receipt for {reference}: {e}"),
                )
            })?;
            match self
                .vipps
                .order_management()
                .add_receipt(&order_management::PaymentType::Ecom, reference, &wire)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if e.status == Some(409) => Ok(()),
                Err(e) => Err(classify(&e)),
            }
        })
    }

    fn send_category<'a>(
        &'a self,
        reference: &'a str,
        category: &'a CategorySpec,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let om = self.vipps.order_management();
            let mut image_id = None;
            if let (Some(want), Some((id, src))) = (&category.image_id, &self.image)
                && want == id
            {
                let img = order_management::Image {
                    image_id: id.clone(),
                    src: src.clone(),
                    kind: order_management::ImageType::Base64,
                };
                match om.upload_image(&img).await {
                    Ok(_) => {}
                    Err(e) if e.status == Some(409) => {}
                    Err(e) => return Err(classify(&e)),
                }
                image_id = Some(id.clone());
            }
            let wire_cat = serde_json::from_value::<order_management::Category>(
                serde_json::Value::String(category.category.clone()),
            )
            .unwrap_or(order_management::Category::Receipt);
            let order = order_management::Order {
                category: wire_cat,
                order_details_url: category.order_details_url.clone(),
                image_id,
            };
            om.put_category(&order_management::PaymentType::Ecom, reference, &order)
                .await
                .map_err(|e| classify(&e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::Api;
    use serde_json::json;

    #[test]
    fn base64_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn classify_errors() {
        let off = ApiError::transport(Api::Epayment, true, "connection refused");
        assert_eq!(classify(&off).class, ErrorClass::Offline);
        let to = ApiError::timeout(Api::Epayment, "read").with_context(true, true, true);
        assert_eq!(classify(&to).class, ErrorClass::OutcomeUnknown);
        let e429 = ApiError::from_response(Api::Epayment, 429, b"{}");
        assert_eq!(classify(&e429).class, ErrorClass::Throttled);
        let nf = ApiError::from_response(Api::Epayment, 404, b"{}");
        assert_eq!(classify(&nf).class, ErrorClass::NotFound);
        let body = serde_json::to_vec(&json!({
            "type": "x", "title": "push not allowed", "status": 400, "traceId": "t",
            "extraDetails": [{"name": "ErrorCode", "reason": "5080"}]
        }))
        .unwrap();
        let push = ApiError::from_response(Api::Epayment, 400, &body);
        assert_eq!(classify(&push).class, ErrorClass::Config);
        let e500 =
            ApiError::from_response(Api::Epayment, 500, b"{}").with_context(true, true, false);
        assert_eq!(classify(&e500).class, ErrorClass::OutcomeUnknown);
    }

    fn ecom(history: serde_json::Value) -> ecom::TransactionDetails {
        serde_json::from_value(json!({"orderId": "o-1", "transactionLogHistory": history})).unwrap()
    }

    #[test]
    fn ecom_history_reduction() {
        let created = ecom(json!([
            {"amount": 100, "operation": "INITIATE", "operationSuccess": true}
        ]));
        assert_eq!(ecom_read(&created).state, ReadState::Created);
        let opened = ecom(json!([
            {"amount": 100, "operation": "INITIATE", "operationSuccess": true, "transactionId": "5001"}
        ]));
        assert_eq!(ecom_read(&opened).state, ReadState::Opened);
        let reserved = ecom(json!([
            {"amount": 100, "operation": "RESERVE", "operationSuccess": true},
            {"amount": 100, "operation": "INITIATE", "operationSuccess": true}
        ]));
        let r = ecom_read(&reserved);
        assert_eq!(r.state, ReadState::Authorized);
        assert_eq!(r.amounts.authorized, 100);
        let failed_reserve = ecom(json!([
            {"amount": 100, "operation": "RESERVE", "operationSuccess": false},
            {"amount": 100, "operation": "INITIATE", "operationSuccess": true}
        ]));
        assert_eq!(ecom_read(&failed_reserve).state, ReadState::Created);
        let cancelled = ecom(json!([
            {"amount": 100, "operation": "CANCEL", "operationSuccess": true},
            {"amount": 100, "operation": "INITIATE", "operationSuccess": true}
        ]));
        assert_eq!(ecom_read(&cancelled).state, ReadState::Cancelled);
        let voided = ecom(json!([
            {"amount": 100, "operation": "VOID", "operationSuccess": true},
            {"amount": 100, "operation": "RESERVE", "operationSuccess": true},
            {"amount": 100, "operation": "INITIATE", "operationSuccess": true}
        ]));
        let v = ecom_read(&voided);
        assert_eq!(v.state, ReadState::Authorized);
        assert_eq!(v.amounts.cancelled, 100);
        let none = ecom(json!([]));
        assert_eq!(ecom_read(&none).state, ReadState::Failed);
    }

    #[test]
    fn psp_details_reduction() {
        let d = |h: serde_json::Value| -> psp::PaymentDetails {
            serde_json::from_value(json!({"pspTransactionId": "t", "transactionLogHistory": h}))
                .unwrap()
        };
        assert_eq!(psp_read(&d(json!([]))).state, ReadState::Created);
        assert_eq!(
            psp_read(&d(
                json!([{"amount": 100, "operation": "RESERVED", "operationSuccess": false}])
            ))
            .state,
            ReadState::Failed
        );
        let r = psp_read(&d(
            json!([{"amount": 100, "operation": "RESERVED", "operationSuccess": true}]),
        ));
        assert_eq!(r.state, ReadState::Authorized);
        assert_eq!(r.amounts.authorized, 100);
        assert_eq!(
            psp_read(&d(
                json!([{"amount": 100, "operation": "CANCELLED", "operationSuccess": true}])
            ))
            .state,
            ReadState::Cancelled
        );
    }
}
