//! Log-in sessions, kept by the SHA-256 of their token so that a copy of
//! the database lets nobody in. They outlive a restart of the device, so
//! phones stay logged in and keep receiving alarms; every start and end is
//! on the audit trail, and disabling a user or changing her password ends
//! hers at once.

use chrono::DateTime;
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{write, Store, StoreError, User};
use crate::policy::Time;

/// Ended and expired sessions are kept this long, then deleted (their
/// start and end stay on the audit trail).
const KEEP_ENDED_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: User,
    pub expires_at: Time,
}

/// Tokens are 32 random bytes, so a plain hash cannot be reversed by guessing.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A session's name on the audit trail: too short to log in with.
fn tag(hash: &str) -> &str {
    &hash[..12]
}

impl Store {
    /// Records a new session of `user` for `token` (audited).
    pub fn start_session(
        &mut self,
        token: &str,
        user: &str,
        expires_at: Time,
        now: Time,
    ) -> Result<(), StoreError> {
        let hash = token_hash(token);
        let detail = json!({ "session": tag(&hash), "expires_at": expires_at.to_rfc3339() });
        let forget_before = (now - chrono::Duration::days(KEEP_ENDED_DAYS)).timestamp();
        self.change(user, now, "session.start", user, &detail, |tx| {
            write(
                tx,
                "DELETE FROM sessions WHERE expires_at < ?1 OR ended_at < ?1",
                params![forget_before],
            )?;
            write(
                tx,
                "INSERT INTO sessions (token_hash, user, started_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![hash, user, now.timestamp(), expires_at.timestamp()],
            )
        })
    }

    /// The session of `token` while it lasts: not ended, not expired, and
    /// its user not disabled. The user's rooms are read afresh each time.
    pub fn session(&self, token: &str, now: Time) -> Result<Option<Session>, StoreError> {
        let row: Option<(String, i64)> = self.read(|c| {
            c.query_row(
                "SELECT s.user, s.expires_at FROM sessions s JOIN users u ON u.name = s.user
                 WHERE s.token_hash = ?1 AND s.ended_at IS NULL AND s.expires_at > ?2
                   AND u.disabled_at IS NULL",
                params![token_hash(token), now.timestamp()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        let Some((name, expires_at)) = row else {
            return Ok(None);
        };
        let expires_at = DateTime::from_timestamp(expires_at, 0).unwrap_or(now);
        Ok(self.user(&name)?.map(|user| Session { user, expires_at }))
    }

    /// Ends the session of `token` (a log-out); false when none was running.
    pub fn end_session(&mut self, token: &str, now: Time) -> Result<bool, StoreError> {
        let hash = token_hash(token);
        let user: Option<String> = self.read(|c| {
            c.query_row(
                "SELECT user FROM sessions WHERE token_hash = ?1 AND ended_at IS NULL",
                params![hash],
                |r| r.get(0),
            )
            .optional()
        })?;
        let Some(user) = user else {
            return Ok(false);
        };
        let detail = json!({ "session": tag(&hash) });
        self.change(&user, now, "session.end", &user, &detail, |tx| {
            write(
                tx,
                "UPDATE sessions SET ended_at = ?2 WHERE token_hash = ?1",
                params![hash, now.timestamp()],
            )
        })?;
        Ok(true)
    }
}

/// Ends every running session of `user` inside the caller's transaction;
/// returns how many.
pub(super) fn end_all(tx: &Transaction<'_>, user: &str, now: Time) -> Result<usize, StoreError> {
    tx.execute(
        "UPDATE sessions SET ended_at = ?2 WHERE user = ?1 AND ended_at IS NULL AND expires_at > ?2",
        params![user, now.timestamp()],
    )
    .map_err(|cause| StoreError::Sqlite {
        file: tx.path().unwrap_or("database").to_string(),
        cause,
    })
}
