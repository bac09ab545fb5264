//! Session tokens and the log-in rate limit. Sessions themselves are kept
//! in the store (as hashes), so phones stay logged in across a restart.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Duration;

use crate::policy::Time;

/// How long a session lasts (a shift and a bit).
pub const SESSION_HOURS: i64 = 12;
/// Failed log-ins allowed from one address in `WINDOW_MINUTES`. Names are
/// never locked: anyone could lock a colleague out by typing her name.
pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MINUTES: i64 = 5;

/// A new session token: 32 random bytes, hex. Only its hash is stored.
pub fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a session: {e}"))?;
    Ok(hex::encode(bytes))
}

/// Failed log-ins per address, in memory: a restart forgets them, which
/// at worst gives an attacker five more guesses.
#[derive(Default)]
pub struct LogInLimit {
    failures: Mutex<HashMap<String, Vec<Time>>>,
}

impl LogInLimit {
    /// Starts a log-in attempt from `address`, or refuses it while the
    /// address has used up its failures. The attempt counts as failed until
    /// [`LogInLimit::attempt_succeeded`] says otherwise, so a burst of
    /// attempts sent at once cannot slip past the limit.
    pub fn begin_attempt(&self, address: &str, now: Time) -> bool {
        let window = Duration::minutes(WINDOW_MINUTES);
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.retain(|_, list| {
            list.retain(|t| now - *t < window);
            !list.is_empty()
        });
        let list = failures.entry(address.to_string()).or_default();
        if list.len() >= MAX_FAILURES {
            return false;
        }
        list.push(now);
        true
    }

    /// The attempt begun at `at` from `address` succeeded.
    pub fn attempt_succeeded(&self, address: &str, at: Time) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = failures.get_mut(address) {
            if let Some(i) = list.iter().rposition(|t| *t == at) {
                list.remove(i);
            }
        }
    }
}
