//! The device–hub link's own records: on a room device, the events kept
//! until the hub has stored them (so a restart or a long outage loses
//! none); on the hub, the events already taken (so one sent again raises
//! nothing twice). Events carry only what the protocol allows (R8.5).

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::policy::Time;

/// Events a device keeps at most while the hub does not answer; the
/// oldest go first (a device cut off for days is `device_offline` at the
/// hub long before).
pub const MAX_OUTBOX: i64 = 10_000;

impl Store {
    /// Keeps an event (its id and protocol text) until the hub stores it.
    pub fn keep_for_hub(&mut self, id: &str, payload: &str, at: Time) -> Result<(), StoreError> {
        self.sql(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT OR IGNORE INTO hub_outbox (id, payload, made_at) VALUES (?1, ?2, ?3)",
                params![id, payload, at.timestamp_millis()],
            )?;
            tx.execute(
                "DELETE FROM hub_outbox WHERE id IN (SELECT id FROM hub_outbox ORDER BY made_at DESC, id DESC LIMIT -1 OFFSET ?1)",
                params![MAX_OUTBOX],
            )?;
            tx.commit()
        })?;
        Ok(())
    }

    /// The events the hub has not stored yet, oldest first: (id, payload).
    pub fn waiting_for_hub(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        self.read(|c| {
            let mut statement =
                c.prepare("SELECT id, payload FROM hub_outbox ORDER BY made_at, id LIMIT ?1")?;
            let rows = statement.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
    }

    /// The hub has stored these: they leave the outbox.
    pub fn stored_by_hub(&mut self, ids: &[String]) -> Result<(), StoreError> {
        self.sql(|c| {
            let tx = c.transaction()?;
            for id in ids {
                tx.execute("DELETE FROM hub_outbox WHERE id = ?1", [id])?;
            }
            tx.commit()
        })?;
        Ok(())
    }

    /// On the hub: what was done with a device's event, if it was taken.
    pub fn event_taken(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT outcome FROM device_events WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// On the hub: an event taken, with what was done with it.
    pub fn take_event(
        &mut self,
        id: &str,
        room: &str,
        outcome: &str,
        at: Time,
    ) -> Result<(), StoreError> {
        self.sql(|c| {
            c.execute(
                "INSERT OR IGNORE INTO device_events (id, room, taken_at, outcome) VALUES (?1, ?2, ?3, ?4)",
                params![id, room, at.timestamp_millis(), outcome],
            )
        })?;
        Ok(())
    }
}
