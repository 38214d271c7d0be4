//! Simulated time: real elapsed time × `time_scale` since start, plus a manual offset that
//! `POST /sim/v1/clock/advance` moves forward.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct SimClock {
    start_real: Instant,
    start_wall: OffsetDateTime,
    scale: f64,
    offset: Arc<Mutex<time::Duration>>,
}

impl SimClock {
    pub fn new(start_wall: OffsetDateTime, scale: f64) -> SimClock {
        SimClock {
            start_real: Instant::now(),
            start_wall,
            scale,
            offset: Arc::new(Mutex::new(time::Duration::ZERO)),
        }
    }

    /// Jump simulated time forward (negative values are ignored: time never runs backwards).
    pub fn advance(&self, by: time::Duration) {
        if by.is_negative() {
            return;
        }
        let mut o = match self.offset.lock() {
            Ok(o) => o,
            Err(p) => p.into_inner(),
        };
        *o = o.saturating_add(by);
    }

    fn offset(&self) -> time::Duration {
        match self.offset.lock() {
            Ok(o) => *o,
            Err(p) => *p.into_inner(),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        let real = self.start_real.elapsed().as_secs_f64() * self.scale;
        let scaled = time::Duration::checked_seconds_f64(real).unwrap_or(time::Duration::ZERO);
        self.start_wall
            .checked_add(scaled.saturating_add(self.offset()))
            .unwrap_or(self.start_wall)
    }
}

impl crate::clock::Clock for SimClock {
    fn now(&self) -> OffsetDateTime {
        SimClock::now(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_forward_only() {
        let c = SimClock::new(OffsetDateTime::UNIX_EPOCH, 1.0);
        let a = c.now();
        c.advance(time::Duration::minutes(5));
        assert!(c.now() - a >= time::Duration::minutes(5));
        let b = c.now();
        c.advance(time::Duration::minutes(-5));
        assert!(c.now() >= b);
    }

    #[test]
    fn scale_speeds_time_up() {
        let c = SimClock::new(OffsetDateTime::UNIX_EPOCH, 1000.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(c.now() - OffsetDateTime::UNIX_EPOCH >= time::Duration::seconds(10));
    }
}
