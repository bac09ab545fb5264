//! From poses (and later sounds) to what staff must know: postures, zones
//! and care events. Pure state machines: observations with their time in,
//! events out; no clock, no I/O, no threads. Imports only `domain`.

pub mod bed;
pub mod exit;
pub mod fall;
pub mod posture;
pub mod synth;
pub mod zones;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::Kind;

/// What happened, for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

use fall::{FallDetector, FallSettings};
use posture::{classify, BodyShape, Posture, PostureFilter, PostureSettings};
use zones::Room;

/// One person followed through time: posture with hysteresis, and the
/// fall and floor watch. Feed it frames in time order.
pub struct PersonWatch {
    room: Room,
    settings: PostureSettings,
    filter: PostureFilter,
    fall: FallDetector,
    last_hips: Option<(f64, (f32, f32), f32)>,
}

impl PersonWatch {
    pub fn new(person: usize, room: Room, settings: PostureSettings, fall: FallSettings) -> PersonWatch {
        PersonWatch { filter: PostureFilter::new(settings.hold_s), room, settings, fall: FallDetector::new(person, fall), last_hips: None }
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
        let events = self.fall.push(t, shape.as_ref(), posture);
        (posture, events)
    }
}
