//! Retry decisions are data: one pure classifier ([`classify`]) plus caps and jittered
//! back-off ([`decide`]). The HTTP client only executes what these say.

use std::time::Duration;

/// What to do after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Success: hand the answer to the caller.
    Done,
    /// Try again (same key, same bytes) after this long.
    RetryAfter(Duration),
    /// Stop: return the error to the caller.
    GiveUp,
}

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// Vipps answered. `code` is the API's error code if the body had one
    /// (ePayment `extraDetails` ErrorCode, eCom `errorCode`), `group` the eCom `errorGroup`.
    Response {
        status: u16,
        retry_after: Option<Duration>,
        code: Option<&'a str>,
        group: Option<&'a str>,
    },
    /// No answer: connection refused / reset / DNS, or timeout.
    Transport { timeout: bool },
}

/// Whether a request may be sent again after a transport failure: reads, and writes that
/// carry an idempotency key (`Idempotency-Key`, `X-Request-Id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeatable {
    Yes,
    No,
}

/// The category of an attempt, before caps and back-off are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Done,
    /// Retry, honouring the server's `Retry-After` if given.
    Retry(Option<Duration>),
    Final,
}

/// The pure retry table (issue 2):
/// - 2xx → done;
/// - 429 and 423 → retry, honouring `Retry-After`;
/// - 5xx → retry;
/// - ePayment 6160 / 6280 and eCom 94 → retry with the same key;
/// - connection errors and timeouts → retry only for reads or keyed requests;
/// - every other 4xx (and anything else) → final.
pub fn classify(attempt: &Attempt<'_>, repeatable: Repeatable) -> Class {
    match attempt {
        Attempt::Response { status, .. } if (200..300).contains(status) => Class::Done,
        Attempt::Response {
            status: 429 | 423,
            retry_after,
            ..
        } => Class::Retry(*retry_after),
        Attempt::Response {
            status,
            retry_after,
            ..
        } if (500..600).contains(status) => Class::Retry(*retry_after),
        Attempt::Response {
            code: Some(c),
            group,
            retry_after,
            ..
        } if matches!(*c, "6160" | "6280")
            || (*c == "94" && group.is_none_or(|g| g == "VippsError")) =>
        {
            Class::Retry(*retry_after)
        }
        Attempt::Response { .. } => Class::Final,
        Attempt::Transport { .. } => match repeatable {
            Repeatable::Yes => Class::Retry(None),
            Repeatable::No => Class::Final,
        },
    }
}

/// Caps and back-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (≥1).
    pub max_attempts: u32,
    /// No new attempt is started once this much time has passed since the first.
    pub max_total: Duration,
    /// First back-off; doubles each attempt.
    pub base_delay: Duration,
    /// Largest back-off (and largest honoured `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            max_total: Duration::from_secs(30),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

/// Source of jitter in `[0, 1)`; injected so tests are deterministic.
pub trait Jitter: Send + Sync + 'static {
    fn unit(&self) -> f64;
}

/// Real randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn unit(&self) -> f64 {
        rand::random::<f64>()
    }
}

/// Always the same value (tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedJitter(pub f64);

impl Jitter for FixedJitter {
    fn unit(&self) -> f64 {
        self.0
    }
}

impl RetryPolicy {
    /// Back-off before attempt `attempt + 1` (attempt counts from 1): "equal jitter",
    /// `d/2 + jitter·d/2` where `d = min(max_delay, base·2^(attempt−1))`.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(16);
        let d = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let j = jitter.clamp(0.0, 1.0);
        d / 2 + d.mul_f64(j) / 2
    }
}

/// Full decision for attempt number `attempt` (1-based), `elapsed` since the first attempt.
pub fn decide(
    policy: &RetryPolicy,
    outcome: &Attempt<'_>,
    repeatable: Repeatable,
    attempt: u32,
    elapsed: Duration,
    jitter: &dyn Jitter,
) -> Decision {
    match classify(outcome, repeatable) {
        Class::Done => Decision::Done,
        Class::Final => Decision::GiveUp,
        Class::Retry(server_wait) => {
            if attempt >= policy.max_attempts {
                return Decision::GiveUp;
            }
            let wait = match server_wait {
                Some(w) => w,
                None => policy.backoff(attempt, jitter.unit()),
            };
            if wait > policy.max_delay.max(policy.base_delay) && server_wait.is_some() {
                // The server asks for a longer pause than we are willing to hold a cashier.
                return Decision::GiveUp;
            }
            if elapsed.saturating_add(wait) > policy.max_total {
                return Decision::GiveUp;
            }
            Decision::RetryAfter(wait)
        }
    }
}

/// Parse a `Retry-After` header value (RFC 9110 § 10.2.3): delta-seconds (`120`) or an
/// HTTP-date (`Fri, 04 Dec 2026 16:40:03 GMT`), which becomes the time from `now` until then
/// (zero when it is already past). Anything else is ignored.
pub fn parse_retry_after(v: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(v)?;
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

/// An HTTP-date in the form HTTP/1.1 senders use (IMF-fixdate, RFC 9110 § 5.6.7):
/// `Sat, 21 Nov 2026 12:00:01 GMT`. Used for `Retry-After` and for `Date` (doctor's clock check).
pub fn parse_http_date(s: &str) -> Option<time::OffsetDateTime> {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(s.trim(), &fmt)
        .ok()
        .map(|p| p.assume_utc())
}

/// Client timeouts (Vipps: connect ≥ 1 s, read ≥ 5 s). `None` disables one (tests only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Option<Duration>,
    pub read: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Some(Duration::from_secs(3)),
            read: Some(Duration::from_secs(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16) -> Attempt<'static> {
        Attempt::Response {
            status,
            retry_after: None,
            code: None,
            group: None,
        }
    }

    #[test]
    fn classification_table() {
        use Class::*;
        let s = |n| Some(Duration::from_secs(n));
        let cases: Vec<(Attempt<'static>, Repeatable, Class)> = vec![
            (resp(200), Repeatable::No, Done),
            (resp(201), Repeatable::No, Done),
            (resp(204), Repeatable::Yes, Done),
            (resp(429), Repeatable::No, Retry(None)),
            (
                Attempt::Response {
                    status: 429,
                    retry_after: s(3),
                    code: None,
                    group: None,
                },
                Repeatable::No,
                Retry(s(3)),
            ),
            (
                Attempt::Response {
                    status: 423,
                    retry_after: s(1),
                    code: None,
                    group: None,
                },
                Repeatable::Yes,
                Retry(s(1)),
            ),
            (resp(500), Repeatable::No, Retry(None)),
            (resp(502), Repeatable::Yes, Retry(None)),
            (resp(503), Repeatable::Yes, Retry(None)),
            (resp(504), Repeatable::Yes, Retry(None)),
            (
                Attempt::Response {
                    status: 409,
                    retry_after: None,
                    code: Some("6160"),
                    group: None,
                },
                Repeatable::Yes,
                Retry(None),
            ),
            (
                Attempt::Response {
                    status: 400,
                    retry_after: None,
                    code: Some("6280"),
                    group: None,
                },
                Repeatable::Yes,
                Retry(None),
            ),
            (
                Attempt::Response {
                    status: 400,
                    retry_after: None,
                    code: Some("94"),
                    group: Some("VippsError"),
                },
                Repeatable::Yes,
                Retry(None),
            ),
            (
                Attempt::Response {
                    status: 400,
                    retry_after: None,
                    code: Some("94"),
                    group: Some("Payment"),
                },
                Repeatable::Yes,
                Final,
            ),
            (
                Attempt::Response {
                    status: 400,
                    retry_after: None,
                    code: Some("6040"),
                    group: None,
                },
                Repeatable::Yes,
                Final,
            ),
            (resp(400), Repeatable::Yes, Final),
            (resp(401), Repeatable::Yes, Final),
            (resp(403), Repeatable::Yes, Final),
            (resp(404), Repeatable::Yes, Final),
            (resp(409), Repeatable::Yes, Final),
            (resp(422), Repeatable::Yes, Final),
            (
                Attempt::Transport { timeout: true },
                Repeatable::Yes,
                Retry(None),
            ),
            (
                Attempt::Transport { timeout: false },
                Repeatable::Yes,
                Retry(None),
            ),
            (Attempt::Transport { timeout: true }, Repeatable::No, Final),
            (Attempt::Transport { timeout: false }, Repeatable::No, Final),
        ];
        for (a, r, want) in cases {
            assert_eq!(classify(&a, r), want, "{a:?} {r:?}");
        }
    }

    #[test]
    fn caps_and_backoff() {
        let p = RetryPolicy::default();
        let j = FixedJitter(0.0);
        // back-off doubles: 250, 500, 1000 ms with jitter 0 (equal jitter: d/2)
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(250));
        assert_eq!(p.backoff(2, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(1000));
        assert_eq!(p.backoff(30, 1.0), p.max_delay);
        assert_eq!(
            decide(&p, &resp(500), Repeatable::No, 1, Duration::ZERO, &j),
            Decision::RetryAfter(Duration::from_millis(250))
        );
        assert_eq!(
            decide(
                &p,
                &resp(500),
                Repeatable::No,
                p.max_attempts,
                Duration::ZERO,
                &j
            ),
            Decision::GiveUp
        );
        assert_eq!(
            decide(&p, &resp(500), Repeatable::No, 1, p.max_total, &j),
            Decision::GiveUp
        );
        let ra = Attempt::Response {
            status: 429,
            retry_after: Some(Duration::from_secs(2)),
            code: None,
            group: None,
        };
        assert_eq!(
            decide(&p, &ra, Repeatable::No, 1, Duration::ZERO, &j),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        let long = Attempt::Response {
            status: 429,
            retry_after: Some(Duration::from_secs(600)),
            code: None,
            group: None,
        };
        assert_eq!(
            decide(&p, &long, Repeatable::No, 1, Duration::ZERO, &j),
            Decision::GiveUp
        );
        assert_eq!(
            decide(
                &p,
                &resp(200),
                Repeatable::No,
                9,
                Duration::from_secs(999),
                &j
            ),
            Decision::Done
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = time::macros::datetime!(2015-10-21 07:27:50 UTC);
        assert_eq!(parse_retry_after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        // A date already past means "now"; garbage is ignored.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
