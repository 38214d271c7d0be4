//! Per-payment sliding-window rate limits (simulated time), as Vipps documents them
//! (shared/docs/vipps-api.md §1.9). Like the Azure gateway in front of Vipps, every call counts:
//! idempotent replays and calls that were themselves answered 429.

use std::collections::{HashMap, VecDeque};

use time::OffsetDateTime;

/// Create, capture, cancel and refund: each operation 5/min per reference + MSN.
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
    /// Count one call (always, as the gateway does); `Err(retry_after_secs)` when more than
    /// `limit` calls fell in the last minute. `Retry-After` is honest: a caller that waits that
    /// long and makes no other call in between is let through.
    pub fn check(&mut self, key: String, limit: usize, now: OffsetDateTime) -> Result<(), u64> {
        let window = time::Duration::minutes(1);
        let q = self.windows.entry(key).or_default();
        while q.front().is_some_and(|t| now - *t >= window) {
            q.pop_front();
        }
        q.push_back(now);
        if q.len() <= limit {
            return Ok(());
        }
        // The next call passes once all but `limit - 1` of these calls have left the window.
        let idx = q.len() - limit;
        let frees_at = q.get(idx).copied().unwrap_or(now) + window;
        let wait = (frees_at - now).as_seconds_f64().ceil().max(1.0);
        // Bound the queue: entries beyond a few windows' worth only lengthen Retry-After.
        while q.len() > limit.saturating_mul(20).max(100) {
            q.pop_front();
        }
        Err(wait as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s)
    }

    #[test]
    fn sixth_call_in_a_minute_is_limited_then_window_slides() {
        let mut r = RateLimiter::default();
        for i in 0..5 {
            assert!(r.check("k".into(), 5, at(i)).is_ok());
        }
        // calls at 0,1,2,3,4,10: the next passes when 1 leaves the window (at 61)
        assert_eq!(r.check("k".into(), 5, at(10)), Err(51));
        assert!(r.check("other".into(), 5, at(0)).is_ok());
        // obeying Retry-After is enough
        assert!(r.check("k".into(), 5, at(61)).is_ok());
    }

    #[test]
    fn limited_calls_count_too() {
        let mut r = RateLimiter::default();
        for i in 0..5 {
            assert!(r.check("k".into(), 5, at(i)).is_ok());
        }
        // a client that hammers keeps pushing its own window out
        assert_eq!(r.check("k".into(), 5, at(5)), Err(56));
        assert_eq!(r.check("k".into(), 5, at(6)), Err(56));
        // at 60 the call at 0 has left, but 1..6 are still five calls
        assert_eq!(r.check("k".into(), 5, at(60)), Err(3));
        assert!(r.check("k".into(), 5, at(120)).is_ok());
    }
}
