//! Data minimisation (R8.4): alarm history is kept for a set number of
//! days after an alarm is resolved, then deleted with its steps and their
//! outbox rows. The audit trail is kept longer, for the authorities and for
//! complaints; when its oldest rows go, the number and hash of the last one
//! deleted become the chain's anchor, and the deletion is itself a row of
//! the chain naming that anchor, so what remains still verifies and an
//! anchor set behind the device's back does not.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::policy::Time;

/// `[retention]` in the settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Days a resolved alarm and its steps are kept.
    pub alarm_days: u32,
    /// Days an audit row is kept.
    pub audit_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            alarm_days: 90,
            audit_days: 5 * 365,
        }
    }
}

impl Retention {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, days) in [
            ("alarm_days", self.alarm_days),
            ("audit_days", self.audit_days),
        ] {
            if !(1..=36_500).contains(&days) {
                problems.push(format!("{name} {days}: between 1 and 36500 days"));
            }
        }
        problems
    }
}

/// What one pruning deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pruned {
    pub alarms: usize,
    pub steps: usize,
    pub outbox_rows: usize,
    pub audit_rows: usize,
    /// On a hub: device events taken, kept as long as the alarms.
    pub device_events: usize,
}

impl Pruned {
    pub fn nothing(&self) -> bool {
        *self == Pruned::default()
    }
}

fn sqlite_error(tx: &Transaction<'_>) -> impl Fn(rusqlite::Error) -> StoreError {
    let file = tx.path().unwrap_or("database").to_string();
    move |cause| StoreError::Sqlite {
        file: file.clone(),
        cause,
    }
}

impl Store {
    /// Deletes what `retention` no longer allows to keep, in one
    /// transaction with its audit row (none when nothing was due).
    pub fn prune(
        &mut self,
        retention: &Retention,
        actor: &str,
        now: Time,
    ) -> Result<Pruned, StoreError> {
        let file = self.file_name();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|cause| StoreError::Sqlite {
                file: file.clone(),
                cause,
            })?;
        let alarms_before = now - chrono::Duration::days(retention.alarm_days.into());
        let mut pruned = delete_alarms(&tx, alarms_before)?;
        let audit_before = now - chrono::Duration::days(retention.audit_days.into());
        let anchor = delete_audit_prefix(&tx, audit_before)?;
        if let Some((seq, _, deleted)) = &anchor {
            pruned.audit_rows = *deleted;
            tracing::info!(
                "audit rows up to {seq} deleted (kept {} days)",
                retention.audit_days
            );
        }
        if !pruned.nothing() {
            let mut detail = serde_json::json!({
                "alarms": pruned.alarms, "steps": pruned.steps, "outbox_rows": pruned.outbox_rows,
                "audit_rows": pruned.audit_rows, "device_events": pruned.device_events, "alarm_days": retention.alarm_days,
                "audit_days": retention.audit_days,
            });
            if let Some((seq, hash, _)) = anchor {
                detail["anchor_seq"] = seq.into();
                detail["anchor_hash"] = hash.into();
                // The deleted rows carried records' seals: the chain keeps them.
                detail["seal"] = super::seals::carry_all(&tx).map_err(sqlite_error(&tx))?;
            }
            super::audit::append(&tx, actor, now, "retention.prune", "store", &detail)
                .map_err(sqlite_error(&tx))?;
        }
        tx.commit()
            .map_err(|cause| StoreError::Sqlite { file, cause })?;
        Ok(pruned)
    }
}

/// Resolved alarms last changed before `before`, with their steps and
/// outbox rows. The newest step always stays: the places phones resume
/// from must never be given out again.
fn delete_alarms(tx: &Transaction<'_>, before: Time) -> Result<Pruned, StoreError> {
    let gone = "SELECT a.id FROM alarms a WHERE a.open = 0 AND a.updated_at < ?1
        AND a.id NOT IN (SELECT alarm FROM alarm_steps WHERE rowid = (SELECT MAX(rowid) FROM alarm_steps))";
    let before_ms = before.timestamp_millis();
    let before = before.to_rfc3339();
    let error = sqlite_error(tx);
    let outbox_rows = tx
        .execute(
            &format!("DELETE FROM outbox WHERE step IN (SELECT id FROM alarm_steps WHERE alarm IN ({gone}))"),
            params![before],
        )
        .map_err(&error)?;
    let steps = tx
        .execute(
            &format!("DELETE FROM alarm_steps WHERE alarm IN ({gone})"),
            params![before],
        )
        .map_err(&error)?;
    let alarms = tx
        .execute(
            &format!("DELETE FROM alarms WHERE id IN ({gone})"),
            params![before],
        )
        .map_err(&error)?;
    // A device resends only what the hub has not confirmed: an event
    // taken this long ago will never come again.
    let device_events = tx
        .execute(
            "DELETE FROM device_events WHERE taken_at < ?1",
            params![before_ms],
        )
        .map_err(&error)?;
    Ok(Pruned {
        alarms,
        steps,
        outbox_rows,
        audit_rows: 0,
        device_events,
    })
}

/// Audit rows written before `before`, all but the newest row; returns the
/// new anchor (the last deleted row's number and hash) and how many went.
fn delete_audit_prefix(
    tx: &Transaction<'_>,
    before: Time,
) -> Result<Option<(i64, String, usize)>, StoreError> {
    let error = sqlite_error(tx);
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit WHERE at < ?1 AND seq < (SELECT MAX(seq) FROM audit)
             ORDER BY seq DESC LIMIT 1",
            params![before.to_rfc3339()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(&error)?;
    let Some((seq, hash)) = last else {
        return Ok(None);
    };
    let deleted = tx
        .execute("DELETE FROM audit WHERE seq <= ?1", params![seq])
        .map_err(&error)?;
    tx.execute(
        "INSERT INTO audit_anchor (one, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT(one) DO UPDATE SET seq = ?1, hash = ?2",
        params![seq, hash],
    )
    .map_err(&error)?;
    Ok(Some((seq, hash, deleted)))
}
