//! Fault injection (`POST /sim/v1/faults`): dropped responses after commit, injected 5xx and
//! 429, latency. Probabilities are drawn from the seeded RNG in the state.

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
    /// Refuse the credentials: every Vipps API call (access token included) answers 401, as
    /// after a key rotation or a wrong config. Nothing is performed.
    #[serde(default)]
    pub reject_auth: bool,
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
        Ok(())
    }
}
