//! When to try a delivery again. Every alarm step is stored before it is
//! sent, then sent to each outlet (staff app, MQTT, webhook) until that
//! outlet has taken it; a failed try waits longer each time, up to a
//! minute, so a broker that is down is not hammered and one that comes
//! back is soon served.

use chrono::Duration;

use crate::policy::Time;

/// The first retry waits this long; each further one twice as long.
pub const FIRST_RETRY_MS: i64 = 500;
pub const LONGEST_WAIT_MS: i64 = 60_000;

/// When to try again after `attempts` failed tries (1 for the first failure).
pub fn next_attempt(attempts: u32, now: Time) -> Time {
    let factor = 1i64 << attempts.saturating_sub(1).min(20);
    now + Duration::milliseconds((FIRST_RETRY_MS.saturating_mul(factor)).min(LONGEST_WAIT_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_a_minute() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let waits: Vec<i64> = (1..=10)
            .map(|a| (next_attempt(a, now) - now).num_milliseconds())
            .collect();
        assert_eq!(
            waits,
            vec![500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]
        );
        assert_eq!(
            (next_attempt(u32::MAX, now) - now).num_milliseconds(),
            60000,
            "no overflow"
        );
    }
}
