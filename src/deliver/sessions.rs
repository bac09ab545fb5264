//! Log-in sessions and the log-in rate limit, in memory: a restart logs
//! everyone out, which is the safe way round. Tokens are 32 random bytes.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Duration;

use crate::policy::Time;
use crate::store::User;

/// How long a session lasts (a shift and a bit).
pub const SESSION_HOURS: i64 = 12;
/// Failed log-ins allowed per name and per address in `WINDOW_MINUTES`...
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

    /// Whether `keys` (the name tried, the address) may try now.
    pub fn may_try(&self, keys: &[&str], now: Time) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter().all(|key| {
            let list = failures.entry(key.to_string()).or_default();
            list.retain(|t| now - *t < Duration::minutes(WINDOW_MINUTES));
            list.len() < MAX_FAILURES
        })
    }

    pub fn failed(&self, keys: &[&str], now: Time) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            failures.entry(key.to_string()).or_default().push(now);
        }
    }
}
