//! Injected time and ids, so the core and tests are deterministic.

use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// Source of wall-clock time (UTC).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests, snapshots).
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// 2026-11-21 12:00:00 UTC: the fixed instant used by snapshots.
    pub fn fixed() -> ManualClock {
        ManualClock::new(time::macros::datetime!(2026-11-21 12:00:00 UTC))
    }

    pub fn advance(&self, by: time::Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }

    pub fn set(&self, to: OffsetDateTime) {
        if let Ok(mut now) = self.now.lock() {
            *now = to;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        match self.now.lock() {
            Ok(now) => *now,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// Source of random ids (idempotency keys never come from here at call time: they are
/// minted once, stored, and reused).
pub trait IdGen: Send + Sync + 'static {
    fn uuid(&self) -> uuid::Uuid;
}

/// Random v4 UUIDs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGen for RandomIds {
    fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::new_v4()
    }
}

/// Sequential, predictable UUIDs for tests.
#[derive(Debug, Default)]
pub struct SeqIds {
    next: std::sync::atomic::AtomicU64,
}

impl IdGen for SeqIds {
    fn uuid(&self) -> uuid::Uuid {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        uuid::Uuid::from_u128(u128::from(n) + 1)
    }
}

/// The first id is `first` (a store's install id: tests pin it with [`FixedFirstIds::pinned`]),
/// every later one a random v4 UUID (idempotency keys stay unique between databases).
#[derive(Debug)]
pub struct FixedFirstIds {
    first: uuid::Uuid,
    used: std::sync::atomic::AtomicBool,
}

impl FixedFirstIds {
    /// First id `uuid::Uuid::from_u128(n)`; a store's install id then reads as `n` in base 36,
    /// zero-padded to 8 characters (`1` ⇒ `00000001`).
    pub fn pinned(n: u128) -> FixedFirstIds {
        FixedFirstIds {
            first: uuid::Uuid::from_u128(n),
            used: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl IdGen for FixedFirstIds {
    fn uuid(&self) -> uuid::Uuid {
        if self.used.swap(true, std::sync::atomic::Ordering::SeqCst) {
            uuid::Uuid::new_v4()
        } else {
            self.first
        }
    }
}

/// RFC 3339 with milliseconds, UTC (`2026-11-21T12:00:00.000Z`).
pub fn rfc3339_millis(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::fixed();
        let a = c.now();
        assert_eq!(c.now(), a);
        c.advance(time::Duration::seconds(5));
        assert_eq!(c.now() - a, time::Duration::seconds(5));
    }

    #[test]
    fn rfc3339_has_millis() {
        let t = time::macros::datetime!(2026-11-21 12:00:01.5 UTC);
        assert_eq!(rfc3339_millis(t), "2026-11-21T12:00:01.500Z");
    }

    #[test]
    fn seq_ids_are_predictable() {
        let ids = SeqIds::default();
        assert_eq!(ids.uuid(), uuid::Uuid::from_u128(1));
        assert_eq!(ids.uuid(), uuid::Uuid::from_u128(2));
    }
}
