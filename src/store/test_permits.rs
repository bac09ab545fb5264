//! An installer's test permit: a live camera or microphone may be tried in
//! a room where no resident lives, for a bounded time, by a named person,
//! for a stated reason (R1.2: where a resident lives, only the resident's
//! own basis opens a source). Granting is audited; so is every use.

use rusqlite::params;
use serde::Serialize;
use serde_json::json;

use super::{write, Store, StoreError};
use crate::policy::Time;

/// The longest test permit: long enough to mount and aim a camera, short
/// enough that a forgotten one soon ends.
pub const MAX_TEST_MINUTES: u32 = 120;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestPermit {
    pub id: i64,
    pub room: String,
    pub by: String,
    pub from: Time,
    pub until: Time,
    pub reason: String,
}

impl Store {
    /// Grants a test permit for `room` from `now` for `minutes` (audited);
    /// refused where a resident lives.
    pub fn grant_test_permit(
        &mut self,
        room: &str,
        minutes: u32,
        reason: &str,
        actor: &str,
        now: Time,
    ) -> Result<TestPermit, StoreError> {
        let (room, reason) = (room.trim(), reason.trim());
        if room.is_empty() || reason.is_empty() || !(1..=MAX_TEST_MINUTES).contains(&minutes) {
            return Err(StoreError::TestPermit(format!(
                "a test permit names a room and a reason, for 1 to {MAX_TEST_MINUTES} minutes"
            )));
        }
        self.room_is_empty(room)?;
        let until = now + chrono::Duration::minutes(i64::from(minutes));
        let detail = json!({ "until": until.to_rfc3339(), "reason": reason });
        let id = self.change(actor, now, "room.test_permit", room, &detail, |tx| {
            write(
                tx,
                "INSERT INTO test_permits (room, by, from_at, until_at, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![room, actor, now.timestamp(), until.timestamp(), reason],
            )?;
            Ok(tx.last_insert_rowid())
        })?;
        Ok(TestPermit {
            id,
            room: room.to_string(),
            by: actor.to_string(),
            from: now,
            until,
            reason: reason.to_string(),
        })
    }

    /// The test permit that holds for `room` at `now`, while the room has
    /// no resident; otherwise why not, in words.
    pub fn test_permit(&self, room: &str, now: Time) -> Result<TestPermit, StoreError> {
        self.room_is_empty(room)?;
        let row: Option<(i64, String, i64, i64, String)> = self.read(|c| {
            use rusqlite::OptionalExtension;
            c.query_row(
                "SELECT id, by, from_at, until_at, reason FROM test_permits
                 WHERE room = ?1 AND from_at <= ?2 AND until_at > ?2
                 ORDER BY until_at DESC LIMIT 1",
                params![room, now.timestamp()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
        })?;
        let time = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap_or(now);
        row.map(|(id, by, from, until, reason)| TestPermit {
            id,
            room: room.to_string(),
            by,
            from: time(from),
            until: time(until),
            reason,
        })
        .ok_or_else(|| {
            StoreError::TestPermit(format!(
                "room {room} has no test permit now (tryghed room test-permit --room {room})"
            ))
        })
    }

    /// An error naming the resident if one lives in `room`.
    fn room_is_empty(&self, room: &str) -> Result<(), StoreError> {
        match self.residents()?.into_iter().find(|r| r.room == room) {
            Some(resident) => Err(StoreError::TestPermit(format!(
                "resident {} lives in room {room}: only the resident's own basis opens a source there (--resident {})",
                resident.id, resident.id
            ))),
            None => Ok(()),
        }
    }
}
