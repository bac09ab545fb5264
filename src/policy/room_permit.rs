//! A room's permit: what the gate on a room device needs from the
//! resident's case file, granted by the hub's gate kind by kind. Pure data
//! here; signing and verifying it is `crate::permit`'s, and only the gate
//! (`gate::may_open_by_permit`, `gate::permit_alarm_by_permit`) turns a
//! verified permit into a [`super::Permitted`].

use std::collections::BTreeSet;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::records::{CaseFile, Time};
use crate::domain::{Kind, ResidentId};

/// The longest a permit lasts without a newer one from the hub (why ten
/// minutes: `crate::permit`).
pub const LEASE: Duration = Duration::minutes(10);

/// The permit format this build reads and writes.
pub const PERMIT_VERSION: u32 = 1;

/// What one room's device may do until `valid_until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomPermit {
    pub version: u32,
    pub room: String,
    pub resident: ResidentId,
    /// Grows with every permit the hub issues for the room: an older one
    /// sent again (a replay) is refused.
    pub sequence: u64,
    pub issued_at: Time,
    /// The lease's end, or the basis' end or stop if sooner.
    pub valid_until: Time,
    pub basis_id: Option<String>,
    /// The kinds whose sources may open: the gate's answer, kind by kind.
    pub kinds: BTreeSet<Kind>,
    pub signals: BTreeSet<String>,
    pub reactive_alarm: bool,
    pub supervision_max_minutes: Option<u32>,
    /// Why nothing may open, when nothing may (the gate's denial).
    pub denial: Option<String>,
}

impl RoomPermit {
    /// The permit the hub's gate grants the room of `case` at `now`.
    pub fn grant(case: &CaseFile, sequence: u64, now: Time) -> RoomPermit {
        let kinds: BTreeSet<Kind> = Kind::ALL
            .into_iter()
            .filter(|kind| super::may_open(case, *kind, now).is_ok())
            .collect();
        let assessment = super::assess(case, now);
        let basis = assessment
            .basis_id
            .as_ref()
            .and_then(|id| case.bases.iter().find(|b| &b.id == id))
            .filter(|_| !kinds.is_empty());
        let lease_end = now + LEASE;
        let denial = match (&basis, assessment.problems.first()) {
            (None, Some(problem)) => Some(problem.to_string()),
            (None, None) => Some("no kind may open".to_string()),
            (Some(_), _) => None,
        };
        RoomPermit {
            version: PERMIT_VERSION,
            room: case.resident.room.clone(),
            resident: case.resident.id.clone(),
            sequence,
            issued_at: now,
            valid_until: assessment
                .expires_at
                .filter(|end| basis.is_some() && *end < lease_end)
                .unwrap_or(lease_end),
            basis_id: basis.map(|b| b.id.clone()),
            kinds,
            signals: basis.map(|b| b.signals.clone()).unwrap_or_default(),
            reactive_alarm: basis.is_some_and(|b| b.reactive_alarm),
            supervision_max_minutes: basis.and_then(|b| b.supervision_max_minutes),
            denial,
        }
    }
}
