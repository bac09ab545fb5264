//! Alarms and their delivery. Each alarm step is written, with its audit
//! row and one outbox row per outlet, in one transaction before anything is
//! sent; an outlet then takes its due rows, in order, until each is
//! delivered. After a crash the open alarms and the undelivered rows are
//! all still here.

use rusqlite::{params, OptionalExtension};

use super::{write, Store, StoreError};
use crate::alarm::{outbox, Alarm, AlarmState, Step};
use crate::policy::Time;

/// A step waiting for one outlet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub step: Step,
    pub attempts: u32,
}

impl Store {
    /// Stores one alarm step and queues it for each outlet, with its audit
    /// row, in one transaction. `actor` is who caused it (the device, or
    /// the staff member who acknowledged or resolved).
    /// Returns the step's place in the log of all steps (what the staff
    /// app's live stream counts by).
    pub fn record_step(
        &mut self,
        step: &Step,
        outlets: &[&str],
        actor: &str,
    ) -> Result<i64, StoreError> {
        let alarm = &step.alarm;
        let mut detail = serde_json::json!({
            "step": step.id,
            "type": step.step_type,
            "reason": step.reason,
            "kind": alarm.kind,
            "room": alarm.room,
            "state": alarm.state.name(),
            "to_all_staff": step.to_all_staff,
        });
        if let Some(resident) = &alarm.resident {
            detail["resident"] = serde_json::json!(resident.0);
        }
        if let AlarmState::Resolved { outcome, .. } = &alarm.state {
            detail["outcome"] = serde_json::json!(outcome);
        }
        let step_json = serde_json::to_string(step).map_err(|e| StoreError::Corrupt {
            file: self.file_name(),
            reason: e.to_string(),
        })?;
        let alarm_json = serde_json::to_string(alarm).map_err(|e| StoreError::Corrupt {
            file: self.file_name(),
            reason: e.to_string(),
        })?;
        let open = !matches!(alarm.state, AlarmState::Resolved { .. });
        let at = step.at.to_rfc3339();
        self.change(actor, step.at, &format!("alarm.{}", serde_json::to_value(step.reason).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()), &alarm.id, &detail, |tx| {
            write(
                tx,
                "INSERT INTO alarms (id, data, sequence, open, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data, sequence = excluded.sequence, open = excluded.open, updated_at = excluded.updated_at",
                params![alarm.id, alarm_json, step.sequence, open, at],
            )?;
            write(tx, "INSERT INTO alarm_steps (id, alarm, sequence, data) VALUES (?1, ?2, ?3, ?4)", params![step.id, alarm.id, step.sequence, step_json])?;
            let place = tx.last_insert_rowid();
            for outlet in outlets {
                write(tx, "INSERT INTO outbox (step, outlet, attempts, next_at) VALUES (?1, ?2, 0, ?3)", params![step.id, outlet, at])?;
            }
            Ok(place)
        })
    }

    /// The place of the newest step in the log (0 when there is none).
    pub fn last_step_place(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(rowid), 0) FROM alarm_steps", [], |r| {
                r.get(0)
            })
            .map_err(|cause| StoreError::Sqlite {
                file: self.file_name(),
                cause,
            })
    }

    /// Steps after place `after` in the log, oldest first, with their places.
    pub fn steps_after(&self, after: i64, limit: usize) -> Result<Vec<(i64, Step)>, StoreError> {
        let sqlite = |cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        };
        let mut statement = self
            .conn
            .prepare("SELECT rowid, data FROM alarm_steps WHERE rowid > ?1 ORDER BY rowid LIMIT ?2")
            .map_err(sqlite)?;
        let rows = statement
            .query_map(params![after, limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sqlite)?;
        let mut out = Vec::new();
        for row in rows {
            let (place, data) = row.map_err(sqlite)?;
            out.push((place, self.parse(&data)?));
        }
        Ok(out)
    }

    /// The alarms still open, each with the last sequence number it reached.
    pub fn open_alarms(&self) -> Result<Vec<(Alarm, u32)>, StoreError> {
        let sqlite = |cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        };
        let mut statement = self
            .conn
            .prepare("SELECT data, sequence FROM alarms WHERE open ORDER BY updated_at")
            .map_err(sqlite)?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))
            .map_err(sqlite)?;
        let mut out = Vec::new();
        for row in rows {
            let (data, sequence) = row.map_err(sqlite)?;
            out.push((self.parse(&data)?, sequence));
        }
        Ok(out)
    }

    /// One alarm as last stored, open or not.
    pub fn alarm(&self, id: &str) -> Result<Option<Alarm>, StoreError> {
        self.record_by_id("alarms", id)
    }

    /// Up to `limit` steps due for `outlet` at `now`, oldest first. A step
    /// set to wait longer than any retry waits was set so by a wall clock
    /// that has since been set back: it is due now, not in an hour.
    pub fn due(&self, outlet: &str, now: Time, limit: usize) -> Result<Vec<Pending>, StoreError> {
        let sqlite = |cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        };
        let mut statement = self
            .conn
            .prepare(
                "SELECT s.data, o.attempts FROM outbox o JOIN alarm_steps s ON s.id = o.step
                 WHERE o.outlet = ?1 AND o.delivered_at IS NULL AND (o.next_at <= ?2 OR o.next_at > ?4)
                 ORDER BY o.rowid LIMIT ?3",
            )
            .map_err(sqlite)?;
        let longest = now + chrono::Duration::milliseconds(outbox::LONGEST_WAIT_MS + 1000);
        let rows = statement
            .query_map(
                params![outlet, now.to_rfc3339(), limit as i64, longest.to_rfc3339()],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)),
            )
            .map_err(sqlite)?;
        let mut out = Vec::new();
        for row in rows {
            let (data, attempts) = row.map_err(sqlite)?;
            out.push(Pending {
                step: self.parse(&data)?,
                attempts,
            });
        }
        Ok(out)
    }

    /// The outlet has taken the step.
    pub fn delivered(&mut self, step: &str, outlet: &str, now: Time) -> Result<(), StoreError> {
        self.sql(|c| {
            c.execute(
                "UPDATE outbox SET delivered_at = ?3 WHERE step = ?1 AND outlet = ?2",
                params![step, outlet, now.to_rfc3339()],
            )
            .map(|_| ())
        })
    }

    /// The outlet could not take it: try again later, waiting longer each time.
    pub fn delivery_failed(
        &mut self,
        step: &str,
        outlet: &str,
        error: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let attempts: Option<u32> = self.sql(|c| {
            c.query_row(
                "SELECT attempts FROM outbox WHERE step = ?1 AND outlet = ?2",
                params![step, outlet],
                |r| r.get(0),
            )
            .optional()
        })?;
        let attempts = attempts.unwrap_or(0) + 1;
        let next = outbox::next_attempt(attempts, now).to_rfc3339();
        self.sql(|c| c.execute("UPDATE outbox SET attempts = ?3, next_at = ?4, last_error = ?5 WHERE step = ?1 AND outlet = ?2", params![step, outlet, attempts, next, error]).map(|_| ()))
    }

    /// The outlet cannot be reached at all: every step waiting for it says
    /// why, so the outbox shows it; no try is counted.
    pub fn outlet_unreachable(&mut self, outlet: &str, error: &str) -> Result<(), StoreError> {
        self.sql(|c| c.execute("UPDATE outbox SET last_error = ?2 WHERE outlet = ?1 AND delivered_at IS NULL AND last_error IS NOT ?2", params![outlet, error]).map(|_| ()))
    }

    /// The oldest step `outlet` has not taken, and why its last try failed.
    pub fn backlog(&self, outlet: &str) -> Result<crate::alarm::device::OutletBacklog, StoreError> {
        let sqlite = |cause| StoreError::Sqlite {
            file: self.file_name(),
            cause,
        };
        let row: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT s.data, o.last_error FROM outbox o JOIN alarm_steps s ON s.id = o.step
                 WHERE o.outlet = ?1 AND o.delivered_at IS NULL ORDER BY o.rowid LIMIT 1",
                params![outlet],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sqlite)?;
        let (oldest, last_error) = match row {
            Some((data, last_error)) => (Some(self.parse::<Step>(&data)?.at), last_error),
            None => (None, None),
        };
        Ok(crate::alarm::device::OutletBacklog {
            outlet: outlet.to_string(),
            oldest,
            last_error,
        })
    }

    /// How many steps are not yet delivered to `outlet`.
    pub fn undelivered(&self, outlet: &str) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE outlet = ?1 AND delivered_at IS NULL",
                params![outlet],
                |r| r.get(0),
            )
            .map_err(|cause| StoreError::Sqlite {
                file: self.file_name(),
                cause,
            })?;
        Ok(n as usize)
    }
}
