//! The one door to a live camera or microphone for the diagnostic commands
//! (`listen`, `tour --camera`). It opens at the real time, never a what-if
//! time (`--now` is for records and reports), and only for a resident's
//! current basis or, in a room where nobody lives, an installer's test
//! permit (R1.2). Opening and shutting are audited; the door shuts the
//! moment the basis or the permit ends.

use std::path::Path;

use chrono::Utc;

use super::gate_watch::{watch_gate, watch_while, GateWatch, GateWatchError};
use crate::domain::{Kind, ResidentId};
use crate::policy::Denial;
use crate::store::{Store, StoreError};

/// Whose room a live source is opened for.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveFor {
    /// A resident: her current basis must allow the source's kind.
    Resident(ResidentId),
    /// A room where no resident lives, under an installer's test permit.
    EmptyRoom(String),
}

impl LiveFor {
    /// From the command line's `--resident` or `--room`; one is needed.
    pub fn from_args(resident: Option<String>, room: Option<String>) -> Option<LiveFor> {
        match (resident, room) {
            (Some(id), _) => Some(LiveFor::Resident(ResidentId(id))),
            (None, Some(room)) => Some(LiveFor::EmptyRoom(room)),
            (None, None) => None,
        }
    }
}

/// Opens the door for `kind` now, audited; the watch says when it shuts.
pub fn open_live(
    data_dir: &Path,
    live_for: &LiveFor,
    kind: Kind,
    actor: &str,
) -> Result<GateWatch, GateWatchError> {
    match live_for {
        LiveFor::Resident(resident) => {
            watch_gate(data_dir, resident, kind, Utc::now(), actor).map(|(_, watch)| watch)
        }
        LiveFor::EmptyRoom(room) => open_for_test(data_dir, room, kind, actor),
    }
}

/// Puts the end of a use on record, with `detail` (how long it ran).
pub fn close_live(
    data_dir: &Path,
    live_for: &LiveFor,
    kind: Kind,
    detail: &serde_json::Value,
    actor: &str,
) -> Result<(), StoreError> {
    let subject = match live_for {
        LiveFor::Resident(resident) => resident.0.as_str(),
        LiveFor::EmptyRoom(room) => room.as_str(),
    };
    let mut detail = detail.clone();
    detail["kind"] = serde_json::json!(kind.name());
    Store::open(data_dir)?.audit_action("live.close", subject, &detail, actor, Utc::now())
}

fn open_for_test(
    data_dir: &Path,
    room: &str,
    kind: Kind,
    actor: &str,
) -> Result<GateWatch, GateWatchError> {
    let mut store = Store::open(data_dir)?;
    let now = Utc::now();
    let permit = match store.test_permit(room, now) {
        Ok(permit) => permit,
        Err(StoreError::TestPermit(reason)) => {
            return Err(GateWatchError::NoTestPermit {
                room: room.to_string(),
                kind: kind.name(),
                reason,
            })
        }
        Err(e) => return Err(e.into()),
    };
    let detail = serde_json::json!({ "kind": kind.name(), "test_permit": permit.id, "until": permit.until.to_rfc3339() });
    store.audit_action("live.open", room, &detail, actor, now)?;
    let (dir, room_name, actor) = (data_dir.to_path_buf(), room.to_string(), actor.to_string());
    watch_while(move || {
        let now = Utc::now();
        match Store::open(&dir).and_then(|s| s.test_permit(&room_name, now)) {
            Ok(_) => None,
            Err(e) => {
                let denial = Denial {
                    rule: "R1.2",
                    reason: e.to_string(),
                };
                if let Ok(mut store) = Store::open(&dir) {
                    let detail = serde_json::json!({ "kind": kind.name(), "why": denial.reason });
                    let _ = store.audit_action("live.shut", &room_name, &detail, &actor, now);
                }
                Some(denial)
            }
        }
    })
}
