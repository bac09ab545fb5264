//! Log-in sessions and the log-in rate limit, in memory: a restart logs
//! everyone out, which is the safe way round. Tokens are 32 random bytes.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Duration;

use crate::policy::Time;
use crate::store::User;

/// How long a session lasts (a shift and a bit).
pub const SESSION_HOURS: i64 = 12;
/// Failed log-ins allowed from one address in `WINDOW_MINUTES`. Names are
/// never locked: anyone could lock a colleague out by typing her name.
pub const MAX_FAILURES: usize = 5;
pub const WINDOW_MINUTES: i64 = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: User,
    pub expires_at: Time,
}

#[derive(Default)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Vec<Time>>>,
}

impl Sessions {
    /// A new session for `user`; returns its token.
    pub fn start(&self, user: User, now: Time) -> Result<String, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a session: {e}"))?;
        let token = hex::encode(bytes);
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.expires_at > now);
        sessions.insert(
            token.clone(),
            Session {
                user,
                expires_at: now + Duration::hours(SESSION_HOURS),
            },
        );
        Ok(token)
    }

    /// The session of a token, while it lasts.
    pub fn get(&self, token: &str, now: Time) -> Option<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.get(token).filter(|s| s.expires_at > now).cloned()
    }

    pub fn end(&self, token: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(token);
    }

    /// Starts a log-in attempt from `address`, or refuses it while the
    /// address has used up its failures. The attempt counts as failed until
    /// [`Sessions::attempt_succeeded`] says otherwise, so a burst of
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
