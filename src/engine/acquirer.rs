//! The card acquirer behind the PSP flow. Vipps hands kasse (acting as PSP) a network token on
//! `makePaymentUrl`; an [`Acquirer`] authorizes it and later captures, cancels or refunds.
//!
//! [`SimulatedAcquirer`] is used by the demo and the tests. It decides by amount:
//! - minor units ending in `51` (e.g. `kr 49,51`): declined, insufficient funds (PSP error 89);
//! - minor units ending in `52`: refused by issuer (82);
//! - above `kr 50 000,00`: exceeds amount limit (84);
//! - anything else: approved.

use crate::domain::money::Money;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The card network token from `MakePaymentRequest.networkToken` (never logged).
#[derive(Clone, PartialEq, Eq)]
pub struct NetworkToken {
    pub number: String,
    pub cryptogram: String,
    pub expiry_month: String,
    pub expiry_year: String,
    pub token_type: String,
    pub eci: String,
}

impl std::fmt::Debug for NetworkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail: String = self
            .number
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        f.debug_struct("NetworkToken")
            .field("number", &format!("…{tail}"))
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

/// What the acquirer said about an authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcquirerDecision {
    Approved {
        authorization_code: String,
    },
    /// `error_id` is the PSP error id Vipps understands (82, 84, 89, …).
    Declined {
        error_id: String,
        text: String,
    },
}

/// Errors from follow-up operations (capture/cancel/refund) at the acquirer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcquirerError {
    #[error("acquirer has no authorization for PSP transaction {0}")]
    Unknown(String),
    #[error("acquirer refused {op} of {amount} for {psp_transaction_id}: {reason}")]
    Refused {
        op: &'static str,
        psp_transaction_id: String,
        amount: String,
        reason: String,
    },
    #[error("acquirer unreachable: {0}")]
    Unreachable(String),
}

/// A card acquirer. All operations are idempotent on `psp_transaction_id` (+ amount).
pub trait Acquirer: Send + Sync + 'static {
    fn authorize<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        amount: Money,
        token: &'a NetworkToken,
    ) -> BoxFuture<'a, AcquirerDecision>;
    fn capture<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), AcquirerError>>;
    fn cancel<'a>(
        &'a self,
        psp_transaction_id: &'a str,
    ) -> BoxFuture<'a, Result<(), AcquirerError>>;
    /// `key` is the refund's idempotency key: a retried refund with the same key is a no-op.
    fn refund<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), AcquirerError>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SimAuth {
    Authorized {
        amount: Money,
        captured: i64,
        refunded: i64,
    },
    Cancelled,
}

/// In-memory acquirer for demo and tests; see the module docs for its amount rules.
#[derive(Debug, Clone, Default)]
pub struct SimulatedAcquirer {
    auths: Arc<Mutex<HashMap<String, SimAuth>>>,
    refund_keys: Arc<Mutex<std::collections::HashSet<String>>>,
}

impl SimulatedAcquirer {
    pub fn new() -> SimulatedAcquirer {
        SimulatedAcquirer::default()
    }

    /// The decision for an amount (pure; documented in the module docs).
    pub fn decide(amount: Money) -> AcquirerDecision {
        let m = amount.minor();
        if m > 5_000_000 {
            AcquirerDecision::Declined {
                error_id: "84".into(),
                text: "Exceeds amount limit".into(),
            }
        } else if m % 100 == 51 {
            AcquirerDecision::Declined {
                error_id: "89".into(),
                text: "Insufficient funds".into(),
            }
        } else if m % 100 == 52 {
            AcquirerDecision::Declined {
                error_id: "82".into(),
                text: "Refused by issuer".into(),
            }
        } else {
            AcquirerDecision::Approved {
                authorization_code: format!("SIM{:06}", m.rem_euclid(1_000_000)),
            }
        }
    }

    /// Captured minor units for a transaction (tests).
    pub fn captured(&self, psp_transaction_id: &str) -> Option<i64> {
        match self.lock().get(psp_transaction_id) {
            Some(SimAuth::Authorized { captured, .. }) => Some(*captured),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SimAuth>> {
        match self.auths.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

impl Acquirer for SimulatedAcquirer {
    fn authorize<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        amount: Money,
        _token: &'a NetworkToken,
    ) -> BoxFuture<'a, AcquirerDecision> {
        Box::pin(async move {
            if matches!(
                self.lock().get(psp_transaction_id),
                Some(SimAuth::Cancelled)
            ) {
                return AcquirerDecision::Declined {
                    error_id: "93".into(),
                    text: "Cancelled by the merchant".into(),
                };
            }
            let decision = SimulatedAcquirer::decide(amount);
            if matches!(decision, AcquirerDecision::Approved { .. }) {
                self.lock()
                    .entry(psp_transaction_id.to_owned())
                    .or_insert(SimAuth::Authorized {
                        amount,
                        captured: 0,
                        refunded: 0,
                    });
            }
            decision
        })
    }

    fn capture<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<(), AcquirerError>> {
        Box::pin(async move {
            let mut auths = self.lock();
            match auths.get_mut(psp_transaction_id) {
                Some(SimAuth::Authorized {
                    amount: auth,
                    captured,
                    ..
                }) => {
                    // Idempotent: capturing the full amount again is a no-op.
                    if *captured == amount.minor() {
                        return Ok(());
                    }
                    if amount.minor() > auth.minor() {
                        return Err(AcquirerError::Refused {
                            op: "capture",
                            psp_transaction_id: psp_transaction_id.into(),
                            amount: amount.to_plain(),
                            reason: "more than authorized".into(),
                        });
                    }
                    *captured = amount.minor();
                    Ok(())
                }
                Some(SimAuth::Cancelled) => Err(AcquirerError::Refused {
                    op: "capture",
                    psp_transaction_id: psp_transaction_id.into(),
                    amount: amount.to_plain(),
                    reason: "authorization was cancelled".into(),
                }),
                None => Err(AcquirerError::Unknown(psp_transaction_id.into())),
            }
        })
    }

    fn cancel<'a>(
        &'a self,
        psp_transaction_id: &'a str,
    ) -> BoxFuture<'a, Result<(), AcquirerError>> {
        Box::pin(async move {
            let mut auths = self.lock();
            match auths.get(psp_transaction_id) {
                Some(SimAuth::Authorized { captured, .. }) if *captured > 0 => {
                    Err(AcquirerError::Refused {
                        op: "cancel",
                        psp_transaction_id: psp_transaction_id.into(),
                        amount: String::new(),
                        reason: "already captured; refund instead".into(),
                    })
                }
                _ => {
                    // Cancelling an unknown transaction is fine: nothing was reserved.
                    auths.insert(psp_transaction_id.to_owned(), SimAuth::Cancelled);
                    Ok(())
                }
            }
        })
    }

    fn refund<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        amount: Money,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), AcquirerError>> {
        Box::pin(async move {
            {
                let keys = match self.refund_keys.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                if keys.contains(key) {
                    return Ok(());
                }
            }
            let mut auths = self.lock();
            match auths.get_mut(psp_transaction_id) {
                Some(SimAuth::Authorized {
                    captured, refunded, ..
                }) => {
                    if *refunded + amount.minor() > *captured {
                        return Err(AcquirerError::Refused {
                            op: "refund",
                            psp_transaction_id: psp_transaction_id.into(),
                            amount: amount.to_plain(),
                            reason: "more than captured".into(),
                        });
                    }
                    *refunded += amount.minor();
                    match self.refund_keys.lock() {
                        Ok(mut k) => k.insert(key.to_owned()),
                        Err(p) => p.into_inner().insert(key.to_owned()),
                    };
                    Ok(())
                }
                _ => Err(AcquirerError::Unknown(psp_transaction_id.into())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> NetworkToken {
        NetworkToken {
            number: "5000000000000000001".into(),
            cryptogram: "abc".into(),
            expiry_month: "03".into(),
            expiry_year: "2030".into(),
            token_type: "VISA".into(),
            eci: "07".into(),
        }
    }

    #[test]
    fn decides_by_amount() {
        assert!(matches!(
            SimulatedAcquirer::decide(Money::nok(4990)),
            AcquirerDecision::Approved { .. }
        ));
        assert_eq!(
            SimulatedAcquirer::decide(Money::nok(4951)),
            AcquirerDecision::Declined {
                error_id: "89".into(),
                text: "Insufficient funds".into()
            }
        );
        assert!(matches!(
            SimulatedAcquirer::decide(Money::nok(4952)),
            AcquirerDecision::Declined { error_id, .. } if error_id == "82"
        ));
        assert!(matches!(
            SimulatedAcquirer::decide(Money::nok(5_000_001)),
            AcquirerDecision::Declined { error_id, .. } if error_id == "84"
        ));
    }

    #[test]
    fn debug_hides_token() {
        let s = format!("{:?}", token());
        assert!(!s.contains("5000000000000000001"));
        assert!(!s.contains("abc"));
        assert!(s.contains("…0001"));
    }

    #[tokio::test]
    async fn capture_refund_cycle() {
        let a = SimulatedAcquirer::new();
        let t = token();
        assert!(matches!(
            a.authorize("tx1", Money::nok(1000), &t).await,
            AcquirerDecision::Approved { .. }
        ));
        a.capture("tx1", Money::nok(1000)).await.unwrap();
        a.capture("tx1", Money::nok(1000)).await.unwrap();
        assert_eq!(a.captured("tx1"), Some(1000));
        assert!(a.cancel("tx1").await.is_err());
        a.refund("tx1", Money::nok(600), "r1").await.unwrap();
        a.refund("tx1", Money::nok(600), "r1").await.unwrap();
        assert!(a.refund("tx1", Money::nok(600), "r2").await.is_err());
        assert!(a.capture("nope", Money::nok(1)).await.is_err());
    }
}
