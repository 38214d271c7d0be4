//! Fault injection (`POST /sim/v1/faults`): dropped responses after commit, injected 5xx and
//! 429, latency, 401/403 on every API call, and merchant/customer conditions switched on at run
//! time (push not enabled, phone numbers that are not Vipps users). Probabilities are drawn from
//! the seeded RNG in the state.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Perform the operation, then drop the connection without a response.
    #[serde(default)]
    pub drop_after_commit: f64,
    /// Answer 500/502/503 without performing the operation.
    #[serde(default)]
    pub error_rate: f64,
    /// Answer 429 (Retry-After: 1) without performing the operation.
    #[serde(default)]
    pub rate_limit_rate: f64,
    /// Extra latency, uniformly drawn from `[min, max]` milliseconds (real time).
    #[serde(default)]
    pub latency_ms: Option<[u64; 2]>,
    /// Answer every Vipps API call (token endpoint included) with 401, as the gateway does for
    /// revoked credentials or keys.
    #[serde(default)]
    pub reject_auth: bool,
    /// Answer every Vipps API call with 403 (subscription not allowed for the API / MSN).
    #[serde(default)]
    pub forbidden: bool,
    /// No sales unit may send push (ePayment 5080, eCom 38), like `kasse sim --no-push`.
    #[serde(default)]
    pub no_push: bool,
    /// More phone numbers that are not Vipps users (ePayment 7010, eCom 81), as sent.
    #[serde(default)]
    pub not_a_user: Vec<String>,
}

impl FaultConfig {
    /// Field name and problem when a value is out of range.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (name, v) in [
            ("drop_after_commit", self.drop_after_commit),
            ("error_rate", self.error_rate),
            ("rate_limit_rate", self.rate_limit_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err((
                    name,
                    format!("{name} must be a probability between 0 and 1, got {v}"),
                ));
            }
        }
        if let Some([lo, hi]) = self.latency_ms
            && (lo > hi || hi > 60_000)
        {
            return Err((
                "latency_ms",
                format!("latency_ms must be [min, max] with min <= max <= 60000, got [{lo}, {hi}]"),
            ));
        }
        if self.reject_auth && self.forbidden {
            return Err((
                "forbidden",
                "reject_auth (401) and forbidden (403) cannot both be on".to_string(),
            ));
        }
        if let Some(p) = self
            .not_a_user
            .iter()
            .find(|p| !(8..=15).contains(&p.len()) || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err((
                "not_a_user",
                format!(
                    "not_a_user takes numbers as sent: 8-15 digits, e.g. \"4790000000\"; got \"{p}\""
                ),
            ));
        }
        Ok(())
    }
}
