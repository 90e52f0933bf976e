//! Exponential backoff between retries of an operation that failed for a
//! reason that may pass (a broker restart, a database failover, an S3 hiccup).

use std::time::Duration;

/// Delays that double from `initial` up to `max`, each shortened by a
/// pseudo-random fraction of up to a quarter so that many workers retrying
/// the same outage do not hit the recovering service in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
    jitter_state: u64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.subsec_nanos() as u64 | 1);
        Self {
            initial,
            max,
            next: initial,
            jitter_state: seed,
        }
    }

    /// The schedule the services use for their connections: 0.2 s doubling to 10 s.
    pub fn for_connections() -> Self {
        Self::new(Duration::from_millis(200), Duration::from_secs(10))
    }

    /// The delay to wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        // xorshift: enough to spread retries, no need for a real generator.
        self.jitter_state ^= self.jitter_state << 13;
        self.jitter_state ^= self.jitter_state >> 7;
        self.jitter_state ^= self.jitter_state << 17;
        let fraction = (self.jitter_state % 1000) as f64 / 4000.0;
        base.mul_f64(1.0 - fraction)
    }

    /// Starts the schedule again after a success.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(700));
        let delays: Vec<_> = (0..5).map(|_| backoff.next_delay()).collect();
        let bases = [100, 200, 400, 700, 700];
        for (delay, base) in delays.iter().zip(bases) {
            let base = Duration::from_millis(base);
            assert!(
                *delay <= base && *delay >= base.mul_f64(0.75),
                "{delay:?} vs {base:?}"
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }
}
