//! From poses (and later sounds) to what staff must know: postures, zones
//! and care events. Pure state machines: observations with their time in,
//! events out; no clock, no I/O, no threads. Imports `domain`, and
//! `audio::events` for the levels of sound events.

pub mod activity;
pub mod bed;
pub mod cases;
pub mod exit;
pub mod fall;
pub mod levels;
pub mod posture;
pub mod synth;
pub mod zones;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::Kind;

/// What happened, for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareKind {
    Fall,
    OnFloor,
    BedEdge,
    BedExit,
    RoomExit,
    Inactivity,
    Seizure,
    SeveralPersons,
}

impl CareKind {
    /// Every care event so far is read from the camera.
    pub fn signal(self) -> Kind {
        Kind::Video
    }
}

/// One care event with the evidence that fired it: the rule and its
/// values, never pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CareEvent {
    pub kind: CareKind,
    /// Seconds from the start of the observation.
    pub t_s: f64,
    /// 0..1.
    pub confidence: f32,
    /// The tracked person's number.
    pub person: usize,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub rule: &'static str,
    pub values: BTreeMap<&'static str, f64>,
}

use activity::{ActivitySettings, ActivityWatch};
use bed::{BedSettings, BedWatch};
use exit::{ExitSettings, ExitWatch};
use fall::{FallDetector, FallSettings};
use posture::{classify, BodyShape, Posture, PostureFilter, PostureSettings};
use zones::Room;

/// The `[care]` settings: every rule's thresholds and times.
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CareSettings {
    pub posture: PostureSettings,
    pub fall: FallSettings,
    pub bed: BedSettings,
    pub exit: ExitSettings,
    pub activity: ActivitySettings,
    pub several_persons: SeveralSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeveralSettings {
    /// More than one person in view this long is `several_persons`.
    pub after_s: f64,
}

impl Default for SeveralSettings {
    fn default() -> Self {
        SeveralSettings { after_s: 3.0 }
    }
}

/// One person followed through time: posture with hysteresis, the fall and
/// floor watch, the bed and the door. Feed it every frame in time order,
/// with `None` when the person is not seen.
pub struct PersonWatch {
    room: Room,
    settings: PostureSettings,
    filter: PostureFilter,
    fall: FallDetector,
    bed: BedWatch,
    exit: ExitWatch,
    activity: ActivityWatch,
    last_hips: Option<(f64, (f32, f32), f32)>,
}

impl PersonWatch {
    pub fn new(person: usize, room: Room, settings: &CareSettings) -> PersonWatch {
        PersonWatch {
            filter: PostureFilter::new(settings.posture.hold_s),
            room,
            settings: settings.posture.clone(),
            fall: FallDetector::new(person, settings.fall.clone()),
            bed: BedWatch::new(person, settings.bed.clone()),
            exit: ExitWatch::new(person, settings.exit.clone()),
            activity: ActivityWatch::new(person, settings.activity.clone()),
            last_hips: None,
        }
    }

    /// Where the hips were last seen, and when.
    pub fn last_seen(&self) -> Option<(f64, (f32, f32), f32)> {
        self.last_hips
    }

    /// One frame at `t` seconds: the person's pose, or `None` when not seen.
    /// Returns the filtered posture and any events.
    pub fn push(&mut self, t: f64, pose: Option<&crate::domain::Pose>) -> (Posture, Vec<CareEvent>) {
        let shape = pose.and_then(BodyShape::of);
        let raw = match &shape {
            None => Posture::NotInView,
            Some(shape) => {
                // Speed only between frames close in time: a gap says nothing.
                let speed = match self.last_hips {
                    Some((t0, hips, scale)) if t - t0 > 0.0 && t - t0 <= 0.5 => {
                        let d = ((shape.hips.0 - hips.0).powi(2) + (shape.hips.1 - hips.1).powi(2)).sqrt();
                        d / scale.max(shape.scale) / (t - t0) as f32
                    }
                    _ => 0.0,
                };
                self.last_hips = Some((t, shape.hips, shape.scale));
                classify(shape, speed, &self.room, &self.settings)
            }
        };
        let posture = self.filter.push(raw, t);
        let mut events = self.fall.push(t, shape.as_ref(), posture);
        events.extend(self.bed.push(t, posture));
        let at_door = shape.map(|s| self.room.in_door(s.hips.0, s.hips.1) || s.feet.is_some_and(|(x, y)| self.room.in_door(x, y)));
        events.extend(self.exit.push(t, at_door));
        events.extend(self.activity.push(t, pose, shape.as_ref(), posture));
        (posture, events)
    }
}

/// Everyone in a room: poses are matched to the people followed so far by
/// nearness, newcomers get a new number, and more than one person in view
/// for a while is `several_persons` (staff are likely there).
pub struct RoomWatch {
    room: Room,
    settings: CareSettings,
    persons: Vec<PersonWatch>,
    several_since: Option<f64>,
    several_reported: bool,
}

/// What one frame gave.
#[derive(Debug, Clone)]
pub struct FrameResult {
    /// (person number, posture) for everyone seen in the frame.
    pub postures: Vec<(usize, Posture)>,
    pub events: Vec<CareEvent>,
}

impl RoomWatch {
    pub fn new(room: Room, settings: CareSettings) -> RoomWatch {
        RoomWatch { room, settings, persons: Vec::new(), several_since: None, several_reported: false }
    }

    pub fn persons_seen(&self) -> usize {
        self.persons.len()
    }

    /// One frame at `t`: the poses seen in it.
    pub fn push(&mut self, t: f64, poses: &[crate::domain::Pose]) -> FrameResult {
        let assigned = self.assign(t, poses);
        let mut result = FrameResult { postures: Vec::new(), events: Vec::new() };
        for (number, watch) in self.persons.iter_mut().enumerate() {
            let pose = assigned.iter().position(|a| *a == number).map(|i| &poses[i]);
            let (posture, events) = watch.push(t, pose);
            if pose.is_some() {
                result.postures.push((number, posture));
            }
            result.events.extend(events);
        }
        let seen = poses.len();
        if seen > 1 {
            let since = *self.several_since.get_or_insert(t);
            if !self.several_reported && t - since >= self.settings.several_persons.after_s {
                self.several_reported = true;
                let values = BTreeMap::from([("persons", seen as f64), ("seconds", t - since)]);
                result.events.push(CareEvent {
                    kind: CareKind::SeveralPersons,
                    t_s: t,
                    confidence: 0.9,
                    person: 0,
                    evidence: Evidence { rule: "more than one person in view for after_s", values },
                });
            }
        } else {
            self.several_since = None;
            self.several_reported = false;
        }
        result
    }

    /// For each pose, the person it belongs to (new people are added).
    fn assign(&mut self, t: f64, poses: &[crate::domain::Pose]) -> Vec<usize> {
        let mut taken = vec![false; self.persons.len()];
        let mut assigned = Vec::with_capacity(poses.len());
        for pose in poses {
            let best = BodyShape::of(pose).and_then(|shape| {
                self.persons
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !taken[*i])
                    .filter_map(|(i, w)| {
                        let (seen, hips, scale) = w.last_seen()?;
                        let d = ((shape.hips.0 - hips.0).powi(2) + (shape.hips.1 - hips.1).powi(2)).sqrt() / scale.max(shape.scale);
                        // Near enough for the time since last seen (people move about 1.5 body sizes a second at most).
                        (d <= 1.0 + 1.5 * (t - seen) as f32).then_some((i, d))
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(i, _)| i)
            });
            let number = match best {
                Some(i) => i,
                None => {
                    self.persons.push(PersonWatch::new(self.persons.len(), self.room.clone(), &self.settings));
                    taken.push(false);
                    self.persons.len() - 1
                }
            };
            taken[number] = true;
            assigned.push(number);
        }
        assigned
    }
}
