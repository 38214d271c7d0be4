//! Per-payment sliding-window rate limits (simulated time), as Vipps documents them.

use std::collections::{HashMap, VecDeque};

use time::OffsetDateTime;

/// Create/capture/cancel/refund per reference + MSN.
pub const MUTATIONS_PER_MIN: usize = 5;
/// eCom initiate per orderId + MSN.
pub const ECOM_INITIATE_PER_MIN: usize = 2;
/// Reads per reference + subscription key.
pub const READS_PER_MIN: usize = 120;

#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: HashMap<String, VecDeque<OffsetDateTime>>,
}

impl RateLimiter {
    /// Count one call; `Err(retry_after_secs)` when the limit is exceeded (the call is not
    /// counted).
    pub fn check(&mut self, key: String, limit: usize, now: OffsetDateTime) -> Result<(), u64> {
        let window = time::Duration::minutes(1);
        let q = self.windows.entry(key).or_default();
        while q.front().is_some_and(|t| now - *t >= window) {
            q.pop_front();
        }
        if q.len() >= limit {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = (oldest + window - now).whole_seconds().max(1);
            return Err(u64::try_from(wait).unwrap_or(1));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixth_call_in_a_minute_is_limited_then_window_slides() {
        let mut r = RateLimiter::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        for i in 0..5 {
            assert!(
                r.check("k".into(), 5, t0 + time::Duration::seconds(i))
                    .is_ok()
            );
        }
        let wait = r.check("k".into(), 5, t0 + time::Duration::seconds(10));
        assert_eq!(wait, Err(50));
        assert!(r.check("other".into(), 5, t0).is_ok());
        assert!(
            r.check("k".into(), 5, t0 + time::Duration::seconds(60))
                .is_ok()
        );
    }
}
