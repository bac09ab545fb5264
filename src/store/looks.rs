//! Looks are held in memory while they last; their start and end are on
//! the audit chain. A device stopped during a look (a crash, a power cut)
//! leaves a start with no end: the next start puts the end on record.

use std::collections::BTreeSet;

use serde_json::json;

use super::{Store, StoreError};
use crate::policy::Time;

/// A look started on record and never ended there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOpen {
    pub look: String,
    pub resident: String,
    /// When it was to end at the latest.
    pub until: String,
    /// Asked for at a terminal (`tryghed tour`), not in the staff app.
    pub from_terminal: bool,
}

impl Store {
    /// Ends on record every look whose device stopped while it lasted
    /// (`look.end` with `after_restart`); returns them.
    pub fn end_looks_left_open(&mut self, now: Time) -> Result<Vec<LeftOpen>, StoreError> {
        // A look from a terminal (`tryghed tour`) may still run in its own
        // process: only one past its time is known to be left open.
        let left: Vec<LeftOpen> = self
            .sql(|c| looks_left_open(c))?
            .into_iter()
            .filter(|open| !open.from_terminal || past(&open.until, now))
            .collect();
        for open in &left {
            let detail = json!({ "look": open.look, "until": open.until, "after_restart": true,
                "why": "the device stopped while the look lasted" });
            self.audit_action("look.end", &open.resident, &detail, "device", now)?;
        }
        Ok(left)
    }
}

fn looks_left_open(c: &rusqlite::Connection) -> rusqlite::Result<Vec<LeftOpen>> {
    let ended: BTreeSet<String> = c
        .prepare("SELECT json_extract(detail, '$.look') FROM audit WHERE action = 'look.end'")?
        .query_map([], |r| r.get::<_, Option<String>>(0))?
        .filter_map(|r| r.transpose())
        .collect::<rusqlite::Result<_>>()?;
    let mut statement = c.prepare(
        "SELECT json_extract(detail, '$.look'), subject, COALESCE(json_extract(detail, '$.until'), ''),
         COALESCE(json_extract(detail, '$.from'), '') = 'terminal' FROM audit WHERE action = 'look.start' ORDER BY seq",
    )?;
    let started = statement.query_map([], |r| {
        Ok(LeftOpen {
            look: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            resident: r.get(1)?,
            until: r.get(2)?,
            from_terminal: r.get(3)?,
        })
    })?;
    let mut left = Vec::new();
    for look in started {
        let look = look?;
        if !look.look.is_empty() && !ended.contains(&look.look) {
            left.push(look);
        }
    }
    Ok(left)
}

/// Whether a stored time is before `now`; one that cannot be read is.
fn past(at: &str, now: Time) -> bool {
    chrono::DateTime::parse_from_rfc3339(at).map_or(true, |at| at < now)
}
