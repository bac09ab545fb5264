//! A look from the terminal (`tour --resident`), under the same rule as a
//! look from the staff app (R3.2): the silhouette is drawn only under the
//! gate's supervision permit, with a reason, for at most the minutes the
//! basis allows. The start, the end and any refusal are on record, and the
//! look shuts at its end or the moment the gate says no.

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::gate_watch::{case_denial, watch_while, GateWatch, GateWatchError};
use crate::domain::{Kind, ResidentId};
use crate::policy::{assess, permit_supervision, Denial};
use crate::store::{Store, StoreError};

/// A look asked for: how long (the basis' most when `None`) and why.
#[derive(Debug, Clone)]
pub struct LookAsked {
    pub minutes: Option<u32>,
    pub reason: String,
}

/// A look that the gate allowed.
#[derive(Debug, Clone)]
pub struct OpenLook {
    pub id: String,
    pub until: DateTime<Utc>,
}

/// Asks the gate for a look at `resident` from `now` (the real time for a
/// live camera); refused or granted, it is audited. The watch shuts it.
pub fn open_look(
    data_dir: &Path,
    resident: &ResidentId,
    asked: &LookAsked,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<(OpenLook, GateWatch), GateWatchError> {
    let mut store = Store::open(data_dir)?;
    let case = store.case_file(resident)?;
    let minutes = asked
        .minutes
        .or(assess(&case, now).supervision_max_minutes)
        .unwrap_or(0);
    let permit = match permit_supervision(&case, Kind::Video, minutes, now) {
        Ok(permit) => permit,
        Err(denial) => {
            let detail = json!({ "reason": asked.reason, "minutes": minutes, "rule": denial.rule, "why": denial.reason, "from": "terminal" });
            store.audit_action("look.refused", &resident.0, &detail, actor, now)?;
            return Err(GateWatchError::Denied {
                resident: resident.clone(),
                kind: "video look",
                denial,
            });
        }
    };
    let (id, until) = (look_id()?, permit.get().until);
    let detail = json!({ "look": id, "reason": asked.reason, "minutes": minutes, "until": until.to_rfc3339(), "basis": permit.basis_id(), "from": "terminal" });
    store.audit_action("look.start", &resident.0, &detail, actor, now)?;
    let watch = watch_look(data_dir, resident, &id, until, now, actor)?;
    Ok((OpenLook { id, until }, watch))
}

/// Puts the end of a look that its watch did not shut on record.
pub fn close_look(
    data_dir: &Path,
    resident: &ResidentId,
    look: &OpenLook,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let detail = json!({ "look": look.id, "early": now < look.until });
    Store::open(data_dir)?.audit_action("look.end", &resident.0, &detail, actor, now)
}

/// Shuts the look at `until`, or sooner when the gate says no.
fn watch_look(
    data_dir: &Path,
    resident: &ResidentId,
    id: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<GateWatch, GateWatchError> {
    let (dir, resident, id, actor) = (
        data_dir.to_path_buf(),
        resident.clone(),
        id.to_string(),
        actor.to_string(),
    );
    let started = Instant::now();
    watch_while(move || {
        let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        // The law first: at a basis' end the look ends for that reason.
        let (denial, mut store) = match case_denial(&dir, &resident, Kind::Video, at) {
            Some((denial, mut store)) => {
                if let Some(store) = store.as_mut() {
                    let why = denial.to_string();
                    let _ = store.audit_gate("gate.shut", &resident, Kind::Video, &why, &actor, at);
                }
                (denial, store)
            }
            None if at >= until => {
                let reason = format!("the look ended at {}", until.to_rfc3339());
                let ended = Denial {
                    rule: "R3.2",
                    reason,
                };
                (ended, Store::open(&dir).ok())
            }
            None => return None,
        };
        if let Some(store) = store.as_mut() {
            let detail = json!({ "look": id, "why": denial.to_string() });
            let _ = store.audit_action("look.end", &resident.0, &detail, &actor, at);
        }
        Some(denial)
    })
}

/// A look's id: random, so that nothing can be read from it.
fn look_id() -> Result<String, GateWatchError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| GateWatchError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}
