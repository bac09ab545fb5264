//! Alarms, from the moment the gate lets a care event out until a person
//! has dealt with it (R13): raised, acknowledged (by whom, when), resolved
//! (by whom, with what outcome). While nobody acknowledges, an alarm
//! repeats, and escalates to all staff. Pure: time is passed in, every call
//! returns the steps it took, and the caller stores and delivers them.
//! Repeats and escalation are timed on a clock that never steps ([`Now`]),
//! so a board setting its clock at boot escalates nothing by itself.
//! Imports `policy` (only a `Permitted<Alarm>` can be raised), `care` for
//! levels, and `domain`.

pub mod device;
pub mod outbox;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::care::levels::Level;
use crate::domain::{DeviceFault, ResidentId};
use crate::policy::{Permitted, Time};

/// A reading of the clocks: the wall time, to show and to store, and the
/// seconds on a clock that never steps (monotonic, from any start), for
/// every duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Now {
    pub wall: Time,
    pub steady_s: f64,
}

/// A wall time alone: the steady clock read as the same seconds, which
/// holds while the wall clock does not step (tests, tools).
impl From<Time> for Now {
    fn from(wall: Time) -> Now {
        Now {
            wall,
            steady_s: wall.timestamp_millis() as f64 / 1000.0,
        }
    }
}

/// One alarm: what happened, to whom, where, and its evidence (rules and
/// values, never media).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    /// Stable: the same alarm keeps it through every step, restarts too.
    pub id: String,
    pub room: String,
    /// `None` for a device fault, which belongs to the room, not a person.
    pub resident: Option<ResidentId>,
    /// A care kind (`fall`, `bed_exit`, `scream`, …) or a device fault
    /// (`camera_silent`, `model_failed`, …).
    pub kind: String,
    pub level: Level,
    pub confidence: f32,
    pub evidence: serde_json::Value,
    pub raised_at: Time,
    /// When the situation was last seen again (an open alarm takes repeats).
    pub last_seen_at: Time,
    /// How many times the situation was reported while open.
    pub occurrences: u32,
    pub state: AlarmState,
    /// Repeats sent while unacknowledged.
    pub repeats: u32,
    /// Sent to all staff, not only the room's.
    pub escalated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AlarmState {
    Raised,
    Acknowledged {
        by: String,
        at: Time,
    },
    Resolved {
        acknowledged_by: String,
        acknowledged_at: Time,
        by: String,
        at: Time,
        outcome: String,
    },
}

impl AlarmState {
    pub fn name(&self) -> &'static str {
        match self {
            AlarmState::Raised => "raised",
            AlarmState::Acknowledged { .. } => "acknowledged",
            AlarmState::Resolved { .. } => "resolved",
        }
    }
}

/// What an alarm step means for those who receive it (the MQTT and webhook
/// `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepType {
    New,
    Update,
    End,
}

/// Why a step happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Raised,
    /// The situation was reported again while the alarm was open.
    SeenAgain,
    /// Nobody has acknowledged: it sounds again.
    Repeat,
    /// Nobody has acknowledged for long: now all staff are told.
    Escalated,
    Acknowledged,
    Resolved,
}

/// One step of one alarm: what is stored (with its audit row) and then
/// delivered to every outlet. `id` is stable, so a receiver that gets a
/// step twice (delivery is at least once) can drop the second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// `{alarm id}.{sequence}`.
    pub id: String,
    pub sequence: u32,
    #[serde(rename = "type")]
    pub step_type: StepType,
    pub reason: Reason,
    pub at: Time,
    /// Everyone on duty, or the room's own staff.
    pub to_all_staff: bool,
    pub alarm: Alarm,
}

/// Repeat and escalation times, by alarm kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmSettings {
    /// An unacknowledged alarm sounds again this often...
    pub repeat_s: f64,
    /// ...and goes to all staff after this long.
    pub escalate_s: f64,
    /// A step an outlet (MQTT, webhook) has not taken for this long is a
    /// device fault: the nurse-call link is down.
    pub outlet_late_s: f64,
    /// Changes for single kinds: `[alarms.kinds.bed_exit] repeat_s = 60`.
    pub kinds: BTreeMap<String, KindTimes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindTimes {
    pub repeat_s: Option<f64>,
    pub escalate_s: Option<f64>,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        AlarmSettings {
            repeat_s: 120.0,
            escalate_s: 240.0,
            outlet_late_s: 60.0,
            kinds: BTreeMap::new(),
        }
    }
}

impl AlarmSettings {
    /// (repeat, escalate) seconds for `kind`.
    pub fn times(&self, kind: &str) -> (f64, f64) {
        let own = self.kinds.get(kind).copied().unwrap_or_default();
        (
            own.repeat_s.unwrap_or(self.repeat_s),
            own.escalate_s.unwrap_or(self.escalate_s),
        )
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut times = vec![
            ("repeat_s".to_string(), self.repeat_s),
            ("escalate_s".to_string(), self.escalate_s),
            ("outlet_late_s".to_string(), self.outlet_late_s),
        ];
        for (kind, own) in &self.kinds {
            if crate::care::CareKind::from_name(kind).is_none()
                && DeviceFault::from_name(kind).is_none()
            {
                problems.push(format!("kinds.{kind}: not an alarm kind"));
            }
            times.extend(own.repeat_s.map(|s| (format!("kinds.{kind}.repeat_s"), s)));
            times.extend(
                own.escalate_s
                    .map(|s| (format!("kinds.{kind}.escalate_s"), s)),
            );
        }
        for (name, seconds) in times {
            if !(seconds.is_finite() && (5.0..=86_400.0).contains(&seconds)) {
                problems.push(format!(
                    "{name}: {seconds} must be between 5 and 86400 seconds"
                ));
            }
        }
        problems
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmError {
    #[error("no open alarm {0}")]
    NotOpen(String),
    #[error("alarm {0} is already acknowledged by {1}")]
    AlreadyAcknowledged(String, String),
    #[error("alarm {0} must be acknowledged before it is resolved")]
    NotAcknowledged(String),
    #[error("{0} must not be empty")]
    Empty(&'static str),
}

/// What the gate let out, ready to be raised.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmRequest {
    pub room: String,
    pub resident: Option<ResidentId>,
    pub kind: String,
    pub level: Level,
    pub confidence: f32,
    pub evidence: serde_json::Value,
}

/// An open alarm, its sequence counter, and when it was raised on the
/// steady clock.
#[derive(Debug, Clone)]
struct Open {
    alarm: Alarm,
    sequence: u32,
    raised_steady_s: f64,
}

/// Every open alarm of the device. A new request for a room and kind that
/// already has an open alarm updates it rather than raising another.
#[derive(Debug, Clone, Default)]
pub struct AlarmBook {
    settings: AlarmSettings,
    open: BTreeMap<String, Open>,
}

impl AlarmBook {
    pub fn new(settings: AlarmSettings) -> AlarmBook {
        AlarmBook {
            settings,
            open: BTreeMap::new(),
        }
    }

    /// Takes back the open alarms the store kept over a restart, with the
    /// last sequence number each reached. Their age is taken from the wall
    /// clock once, here: the steady clock starts anew with each process.
    pub fn reopen(
        settings: AlarmSettings,
        open: Vec<(Alarm, u32)>,
        now: impl Into<Now>,
    ) -> AlarmBook {
        let now = now.into();
        let open = open
            .into_iter()
            .map(|(alarm, sequence)| {
                let age_s = (now.wall - alarm.raised_at).num_milliseconds() as f64 / 1000.0;
                let raised_steady_s = now.steady_s - age_s.max(0.0);
                (
                    alarm.id.clone(),
                    Open {
                        alarm,
                        sequence,
                        raised_steady_s,
                    },
                )
            })
            .collect();
        AlarmBook { settings, open }
    }

    pub fn open_alarms(&self) -> impl Iterator<Item = &Alarm> {
        self.open.values().map(|o| &o.alarm)
    }

    pub fn get(&self, id: &str) -> Option<&Alarm> {
        self.open.get(id).map(|o| &o.alarm)
    }

    fn step(open: &mut Open, step_type: StepType, reason: Reason, at: Time) -> Step {
        open.sequence += 1;
        Step {
            id: format!("{}.{}", open.alarm.id, open.sequence),
            sequence: open.sequence,
            step_type,
            reason,
            at,
            to_all_staff: open.alarm.escalated,
            alarm: open.alarm.clone(),
        }
    }

    /// Raises what the gate permitted. Silent levels raise nothing (they
    /// are kept in the event log, not sent). Returns the step taken.
    pub fn raise(&mut self, request: Permitted<AlarmRequest>, now: impl Into<Now>) -> Option<Step> {
        self.raise_request(request.into_inner(), now.into())
    }

    fn raise_request(&mut self, request: AlarmRequest, now: Now) -> Option<Step> {
        let (steady_s, now) = (now.steady_s, now.wall);
        if request.level == Level::Silent {
            return None;
        }
        let same = self.open.values_mut().find(|o| {
            o.alarm.room == request.room
                && o.alarm.kind == request.kind
                && o.alarm.resident == request.resident
                && !matches!(o.alarm.state, AlarmState::Resolved { .. })
        });
        if let Some(open) = same {
            open.alarm.last_seen_at = now;
            open.alarm.occurrences += 1;
            open.alarm.confidence = open.alarm.confidence.max(request.confidence);
            // A warning that turns into an alarm becomes the alarm.
            open.alarm.level = open.alarm.level.max(request.level);
            open.alarm.evidence = request.evidence;
            return Some(Self::step(open, StepType::Update, Reason::SeenAgain, now));
        }
        let id = format!(
            "{}-{}-{}",
            request.room,
            request.kind,
            now.timestamp_millis()
        );
        let alarm = Alarm {
            id: id.clone(),
            room: request.room,
            resident: request.resident,
            kind: request.kind,
            level: request.level,
            confidence: request.confidence,
            evidence: request.evidence,
            raised_at: now,
            last_seen_at: now,
            occurrences: 1,
            state: AlarmState::Raised,
            repeats: 0,
            escalated: false,
        };
        let open = self.open.entry(id).or_insert(Open {
            alarm,
            sequence: 0,
            raised_steady_s: steady_s,
        });
        Some(Self::step(open, StepType::New, Reason::Raised, now))
    }

    /// Raises a device fault for `room`, with what is known of it.
    pub fn raise_fault(
        &mut self,
        room: &str,
        fault: Permitted<DeviceFault>,
        detail: &str,
        now: impl Into<Now>,
    ) -> Option<Step> {
        let kind = fault.get().name().to_string();
        let request = AlarmRequest {
            room: room.to_string(),
            resident: None,
            kind,
            level: Level::Alarm,
            confidence: 1.0,
            evidence: serde_json::json!({ "fault": detail }),
        };
        self.raise_request(request, now.into())
    }

    /// A person has seen it and is on the way.
    pub fn acknowledge(&mut self, id: &str, by: &str, now: Time) -> Result<Step, AlarmError> {
        if by.trim().is_empty() {
            return Err(AlarmError::Empty("who acknowledges"));
        }
        let open = self
            .open
            .get_mut(id)
            .ok_or_else(|| AlarmError::NotOpen(id.to_string()))?;
        match &open.alarm.state {
            AlarmState::Raised => {}
            AlarmState::Acknowledged { by: first, .. } => {
                return Err(AlarmError::AlreadyAcknowledged(
                    id.to_string(),
                    first.clone(),
                ))
            }
            AlarmState::Resolved { .. } => return Err(AlarmError::NotOpen(id.to_string())),
        }
        open.alarm.state = AlarmState::Acknowledged {
            by: by.to_string(),
            at: now,
        };
        Ok(Self::step(
            open,
            StepType::Update,
            Reason::Acknowledged,
            now,
        ))
    }

    /// Dealt with: `outcome` says what was found (a fall, a false alarm, …).
    pub fn resolve(
        &mut self,
        id: &str,
        by: &str,
        outcome: &str,
        now: Time,
    ) -> Result<Step, AlarmError> {
        if by.trim().is_empty() {
            return Err(AlarmError::Empty("who resolves"));
        }
        if outcome.trim().is_empty() {
            return Err(AlarmError::Empty("the outcome"));
        }
        let open = self
            .open
            .get_mut(id)
            .ok_or_else(|| AlarmError::NotOpen(id.to_string()))?;
        let AlarmState::Acknowledged {
            by: acknowledged_by,
            at: acknowledged_at,
        } = open.alarm.state.clone()
        else {
            return Err(AlarmError::NotAcknowledged(id.to_string()));
        };
        open.alarm.state = AlarmState::Resolved {
            acknowledged_by,
            acknowledged_at,
            by: by.to_string(),
            at: now,
            outcome: outcome.to_string(),
        };
        let step = Self::step(open, StepType::End, Reason::Resolved, now);
        self.open.remove(id);
        Ok(step)
    }

    /// Repeats and escalations due by `now`, for alarms nobody has
    /// acknowledged. Call it often (every second); a late call catches up
    /// with one repeat, not a burst.
    pub fn tick(&mut self, now: impl Into<Now>) -> Vec<Step> {
        let Now {
            wall: now,
            steady_s,
        } = now.into();
        let mut steps = Vec::new();
        for open in self.open.values_mut() {
            if open.alarm.state != AlarmState::Raised {
                continue;
            }
            let (repeat_s, escalate_s) = self.settings.times(&open.alarm.kind);
            let age_s = steady_s - open.raised_steady_s;
            if !open.alarm.escalated && age_s >= escalate_s {
                open.alarm.escalated = true;
                open.alarm.repeats = (age_s / repeat_s).floor() as u32;
                steps.push(Self::step(open, StepType::Update, Reason::Escalated, now));
                continue;
            }
            let due = (age_s / repeat_s).floor() as u32;
            if due > open.alarm.repeats {
                open.alarm.repeats = due;
                steps.push(Self::step(open, StepType::Update, Reason::Repeat, now));
            }
        }
        steps
    }
}

#[cfg(test)]
mod tests;
