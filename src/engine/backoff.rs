//! Retry timing for outbox rows and status reads. Pure: the caller passes the attempt number
//! and any `Retry-After` the server sent; nothing here sleeps or reads a clock.

use std::time::Duration;

/// Exponential back-off with a cap. `attempt` counts failed attempts so far (1 = first failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay between two attempts.
    pub max: Duration,
    /// After this many failed attempts of a *permanent-looking* kind the row goes dead.
    /// Transient failures (offline, 5xx, 429) never kill a money-moving row: it keeps its key
    /// and retries at `max` spacing until staff act.
    pub max_attempts: u32,
    /// Cap on how long a server-sent `Retry-After` may push a retry out.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(500),
            max: Duration::from_secs(60),
            max_attempts: 8,
            retry_after_cap: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A fast policy for tests and the demo.
    pub fn fast() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(20),
            max: Duration::from_millis(200),
            max_attempts: 5,
            retry_after_cap: Duration::from_millis(500),
        }
    }

    /// Delay before the next try after `attempt` failures. `Retry-After` wins (capped).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.retry_after_cap);
        }
        let shift = attempt.saturating_sub(1).min(20);
        let factor = 1u32 << shift;
        self.base.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, None), Duration::from_millis(500));
        assert_eq!(p.delay(2, None), Duration::from_secs(1));
        assert_eq!(p.delay(3, None), Duration::from_secs(2));
        assert_eq!(p.delay(8, None), Duration::from_secs(60));
        assert_eq!(p.delay(1000, None), Duration::from_secs(60));
        assert_eq!(p.delay(0, None), Duration::from_millis(500));
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(120)
        );
    }
}
