//! From poses (and later sounds) to what staff must know: postures, zones
//! and care events. Pure state machines: observations with their time in,
//! events out; no clock, no I/O, no threads. Imports `domain`, and
//! `audio::events` for the levels of sound events.

pub mod activity;
pub mod bed;
pub mod cases;
pub mod exit;
pub mod fall;
pub mod gravity;
pub mod levels;
pub mod posture;
pub mod synth;
pub mod zones;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audio::events::SoundKind;
use crate::domain::Kind;

/// What happened, for staff.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
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
    /// Sound events (`audio::events`), as care events.
    Scream,
    Distress,
    Calling,
    Impact,
    GlassBreaking,
    SmokeAlarm,
    Coughing,
    Breathing,
}

impl CareKind {
    pub const ALL: [CareKind; 16] = [
        CareKind::Fall,
        CareKind::OnFloor,
        CareKind::BedEdge,
        CareKind::BedExit,
        CareKind::RoomExit,
        CareKind::Inactivity,
        CareKind::Seizure,
        CareKind::SeveralPersons,
        CareKind::Scream,
        CareKind::Distress,
        CareKind::Calling,
        CareKind::Impact,
        CareKind::GlassBreaking,
        CareKind::SmokeAlarm,
        CareKind::Coughing,
        CareKind::Breathing,
    ];

    /// What the gate must allow for it (R2): sound kinds are heard, the rest
    /// seen. A fall joined with an impact sound stays `video`: it is a fall
    /// the camera saw, and the sound only reaches the care layer when the
    /// sound gate is open.
    pub fn signal(self) -> Kind {
        match self.sound() {
            Some(_) => Kind::Sound,
            None => Kind::Video,
        }
    }

    /// The sound kind behind a sound event.
    pub fn sound(self) -> Option<SoundKind> {
        Some(match self {
            CareKind::Scream => SoundKind::Scream,
            CareKind::Distress => SoundKind::Distress,
            CareKind::Calling => SoundKind::Calling,
            CareKind::Impact => SoundKind::Impact,
            CareKind::GlassBreaking => SoundKind::GlassBreaking,
            CareKind::SmokeAlarm => SoundKind::SmokeAlarm,
            CareKind::Coughing => SoundKind::Coughing,
            CareKind::Breathing => SoundKind::Breathing,
            _ => return None,
        })
    }

    /// The name in config, JSON and case files (`bed_exit`, `scream`, …).
    pub fn name(self) -> &'static str {
        match self {
            CareKind::Fall => "fall",
            CareKind::OnFloor => "on_floor",
            CareKind::BedEdge => "bed_edge",
            CareKind::BedExit => "bed_exit",
            CareKind::RoomExit => "room_exit",
            CareKind::Inactivity => "inactivity",
            CareKind::Seizure => "seizure",
            CareKind::SeveralPersons => "several_persons",
            other => other.sound().map_or("", SoundKind::name),
        }
    }

    pub fn from_name(name: &str) -> Option<CareKind> {
        CareKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl From<SoundKind> for CareKind {
    fn from(kind: SoundKind) -> CareKind {
        match kind {
            SoundKind::Scream => CareKind::Scream,
            SoundKind::Distress => CareKind::Distress,
            SoundKind::Calling => CareKind::Calling,
            SoundKind::Impact => CareKind::Impact,
            SoundKind::GlassBreaking => CareKind::GlassBreaking,
            SoundKind::SmokeAlarm => CareKind::SmokeAlarm,
            SoundKind::Coughing => CareKind::Coughing,
            SoundKind::Breathing => CareKind::Breathing,
        }
    }
}

impl std::fmt::Display for CareKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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
    /// The tracked person's number; `None` for what belongs to the room
    /// (a sound, several persons in view).
    pub person: Option<usize>,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub rule: &'static str,
    pub values: BTreeMap<&'static str, f64>,
    /// For sound events: the AudioSet classes heard, loudest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

impl Evidence {
    pub fn new(rule: &'static str, values: BTreeMap<&'static str, f64>) -> Evidence {
        Evidence {
            rule,
            values,
            classes: Vec::new(),
        }
    }
}

/// A sound event as the care layer hears it: known at some moment, begun
/// at `start_s` (both on the frames' clock).
#[derive(Debug, Clone, PartialEq)]
pub struct SoundCue {
    pub kind: SoundKind,
    pub start_s: f64,
    /// When the whole event is already known (a recording), its end.
    pub end_s: Option<f64>,
    pub score: f32,
    pub classes: Vec<String>,
}

use activity::{ActivitySettings, ActivityWatch};
use bed::{BedSettings, BedWatch};
use exit::{ExitSettings, ExitWatch};
use fall::{FallDetector, FallSettings, Impact};
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
    /// Kinds not raised while someone is with the resident (more than one
    /// person seen within `quiet_for_s`): staff helping a resident out of
    /// bed is no bed exit. Falls, the floor and seizures are never quieted.
    pub quiets: Vec<String>,
    pub quiet_for_s: f64,
}

impl Default for SeveralSettings {
    fn default() -> Self {
        SeveralSettings {
            after_s: 3.0,
            quiets: vec!["bed_edge".into(), "bed_exit".into()],
            quiet_for_s: 30.0,
        }
    }
}

/// Kinds that may be quieted while the resident is attended.
const QUIETABLE: [CareKind; 4] = [
    CareKind::BedEdge,
    CareKind::BedExit,
    CareKind::RoomExit,
    CareKind::Inactivity,
];

impl CareSettings {
    pub fn problems(&self) -> Vec<String> {
        let several = &self.several_persons;
        let mut problems = Vec::new();
        for name in &several.quiets {
            match CareKind::from_name(name) {
                Some(kind) if QUIETABLE.contains(&kind) => {}
                Some(_) => problems.push(format!("several_persons.quiets: {name} is never quieted (a fall, the floor, a seizure or a sound must always reach staff)")),
                None => problems.push(format!("several_persons.quiets: {name} is not a care kind")),
            }
        }
        for (name, seconds) in [
            ("after_s", several.after_s),
            ("quiet_for_s", several.quiet_for_s),
        ] {
            if !(seconds.is_finite() && (0.0..=3600.0).contains(&seconds)) {
                problems.push(format!(
                    "several_persons.{name}: {seconds} must be between 0 and 3600 seconds"
                ));
            }
        }
        problems
    }
}

/// One person followed through time: posture with hysteresis, the fall and
/// floor watch, the bed and the door. Feed it every frame in time order,
/// with `None` when the person is not seen.
pub struct PersonWatch {
    number: usize,
    room: Room,
    settings: PostureSettings,
    filter: PostureFilter,
    fall: FallDetector,
    bed: BedWatch,
    exit: ExitWatch,
    activity: ActivityWatch,
    /// Where the hips were in the last moments: (t, hips, scale), oldest first.
    recent_hips: std::collections::VecDeque<(f64, (f32, f32), f32)>,
}

/// Walking speed is read over this long a baseline: frame to frame, keypoint
/// jitter alone looks like walking.
const SPEED_BASELINE_S: f64 = 0.4;

impl PersonWatch {
    pub fn new(person: usize, room: Room, settings: &CareSettings) -> PersonWatch {
        PersonWatch {
            number: person,
            filter: PostureFilter::new(settings.posture.hold_s),
            room,
            settings: settings.posture.clone(),
            fall: FallDetector::new(person, settings.fall.clone()),
            bed: BedWatch::new(person, settings.bed.clone()),
            exit: ExitWatch::new(person, settings.exit.clone()),
            activity: ActivityWatch::new(person, settings.activity.clone()),
            recent_hips: std::collections::VecDeque::new(),
        }
    }

    /// An impact sound became known at `t`.
    pub fn push_impact(&mut self, t: f64, impact: Impact) -> Vec<CareEvent> {
        self.fall.push_impact(t, impact)
    }

    /// Where the hips were last seen, and when.
    pub fn last_seen(&self) -> Option<(f64, (f32, f32), f32)> {
        self.recent_hips.back().copied()
    }

    /// One frame at `t` seconds: the person's pose, or `None` when not seen;
    /// `up` is the room's up in the camera's axes. Returns the filtered
    /// posture and any events.
    pub fn push(
        &mut self,
        t: f64,
        pose: Option<&crate::domain::Pose>,
        up: gravity::Direction,
    ) -> (Posture, Vec<CareEvent>) {
        self.push_shaped(t, pose, pose.and_then(BodyShape::of), up)
    }

    /// As `push`, with the body's shape already read from the pose.
    fn push_shaped(
        &mut self,
        t: f64,
        pose: Option<&crate::domain::Pose>,
        shape: Option<BodyShape>,
        up: gravity::Direction,
    ) -> (Posture, Vec<CareEvent>) {
        let raw = match &shape {
            None => Posture::NotInView,
            Some(shape) => {
                // Speed over the baseline, and only through frames close in
                // time: a gap says nothing.
                if self
                    .recent_hips
                    .back()
                    .is_some_and(|(t0, _, _)| t - t0 > 0.5 || t <= *t0)
                {
                    self.recent_hips.clear();
                }
                while self.recent_hips.len() > 1
                    && self
                        .recent_hips
                        .get(1)
                        .is_some_and(|(t1, _, _)| t - t1 >= SPEED_BASELINE_S)
                {
                    self.recent_hips.pop_front();
                }
                let speed = match self.recent_hips.front() {
                    Some(&(t0, hips, scale)) if t - t0 > 0.0 => {
                        let d = ((shape.hips.0 - hips.0).powi(2) + (shape.hips.1 - hips.1).powi(2))
                            .sqrt();
                        d / scale.max(shape.scale) / (t - t0) as f32
                    }
                    _ => 0.0,
                };
                self.recent_hips.push_back((t, shape.hips, shape.scale));
                classify(shape, speed, &self.room, &self.settings, up)
            }
        };
        let posture = self.filter.push(raw, t);
        let mut events = self.fall.push(t, shape.as_ref(), posture, raw);
        events.extend(self.bed.push(t, posture));
        let at_door = shape.map(|s| {
            self.room.in_door(s.hips.0, s.hips.1)
                || s.feet.is_some_and(|(x, y)| self.room.in_door(x, y))
        });
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
    /// The room's up, learnt from the people seen standing.
    gravity: gravity::Gravity,
    /// The people followed, oldest first; someone unseen for long is forgotten.
    persons: Vec<PersonWatch>,
    /// The number the next newcomer gets: numbers are never reused.
    next_number: usize,
    /// Someone unseen this long is forgotten.
    forget_after_s: f64,
    several_since: Option<f64>,
    several_reported: bool,
    /// When more than one person was last seen.
    attended_at: Option<f64>,
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
        let gravity = room.camera.map_or_else(gravity::Gravity::default, |c| {
            gravity::Gravity::with_pitch(c.pitch_deg)
        });
        let forget_after_s = forget_after_s(&settings);
        RoomWatch {
            room,
            settings,
            gravity,
            persons: Vec::new(),
            next_number: 0,
            forget_after_s,
            several_since: None,
            several_reported: false,
            attended_at: None,
        }
    }

    /// How many different people have been followed so far.
    pub fn persons_seen(&self) -> usize {
        self.next_number
    }

    /// The camera's tilt as learnt so far, for the installer.
    pub fn gravity(&self) -> gravity::GravityReport {
        self.gravity.report()
    }

    /// Starts from the room's up as learnt before (kept across restarts),
    /// unless the room file sets the camera's pitch.
    pub fn resume_up(&mut self, up: gravity::Direction, frames: u32) {
        if self.room.camera.is_none() {
            self.gravity = gravity::Gravity::resume(up, frames);
        }
    }

    /// The room's up and the standing frames it was learnt from, when learnt.
    pub fn learnt_up(&self) -> Option<(gravity::Direction, u32)> {
        self.gravity
            .learnt()
            .then(|| (self.gravity.up(), self.gravity.report().frames))
    }

    /// Bodies the picture shows standing straight teach the room's up.
    fn learn_up(&mut self, seen: &[(&crate::domain::Pose, Option<BodyShape>)]) {
        for shape in seen.iter().filter_map(|(_, shape)| shape.as_ref()) {
            let straight =
                shape.torso_tilt_deg < 20.0 && shape.leg_extension.is_some_and(|l| l >= 0.85);
            let world = shape.world.filter(|_| straight);
            if let Some((body, legs)) = world.and_then(|b| Some((b, b.legs?))) {
                self.gravity.observe_standing(body.torso, legs);
            }
        }
    }

    /// A sound event became known at `t` (seconds on the frames' clock):
    /// it is a care event of its own, and an impact goes to everyone's fall
    /// watch (sound says nothing of who made it).
    pub fn push_sound(&mut self, t: f64, cue: &SoundCue) -> Vec<CareEvent> {
        let mut values =
            BTreeMap::from([("start_s", cue.start_s), ("score", f64::from(cue.score))]);
        if let Some(end) = cue.end_s {
            values.insert("end_s", end);
        }
        let mut events = vec![CareEvent {
            kind: CareKind::from(cue.kind),
            t_s: t,
            confidence: cue.score.clamp(0.0, 1.0),
            person: None,
            evidence: Evidence {
                rule: "sound classes over the kind's threshold",
                values,
                classes: cue.classes.clone(),
            },
        }];
        if cue.kind == SoundKind::Impact {
            let impact = Impact {
                start_s: cue.start_s,
                score: cue.score,
            };
            for person in &mut self.persons {
                events.extend(person.push_impact(t, impact));
            }
        }
        events
    }

    /// One frame at `t`: the poses seen in it. Poses whose hips lie in an
    /// ignore zone (a television, a mirror, a poster) are left out. Each
    /// body's shape is read once here and handed on.
    pub fn push(&mut self, t: f64, poses: &[crate::domain::Pose]) -> FrameResult {
        let seen: Vec<(&crate::domain::Pose, Option<BodyShape>)> = poses
            .iter()
            .map(|p| (p, BodyShape::of(p)))
            .filter(|(_, s)| !s.is_some_and(|s| self.room.ignored(s.hips.0, s.hips.1)))
            .collect();
        self.learn_up(&seen);
        let up = self.gravity.up();
        self.forget_long_gone(t);
        let assigned = self.assign(t, &seen);
        let mut result = FrameResult {
            postures: Vec::new(),
            events: Vec::new(),
        };
        for (index, watch) in self.persons.iter_mut().enumerate() {
            let body = assigned
                .iter()
                .position(|a| *a == Some(index))
                .map(|i| &seen[i]);
            let (posture, events) = match body {
                Some((pose, shape)) => watch.push_shaped(t, Some(pose), *shape, up),
                None => watch.push_shaped(t, None, None, up),
            };
            if body.is_some() {
                result.postures.push((watch.number, posture));
            }
            result.events.extend(events);
        }
        if seen.len() > 1 {
            let since = *self.several_since.get_or_insert(t);
            if !self.several_reported && t - since >= self.settings.several_persons.after_s {
                self.several_reported = true;
                let values =
                    BTreeMap::from([("persons", seen.len() as f64), ("seconds", t - since)]);
                result.events.push(CareEvent {
                    kind: CareKind::SeveralPersons,
                    t_s: t,
                    confidence: 0.9,
                    person: None,
                    evidence: Evidence::new("more than one person in view for after_s", values),
                });
            }
        } else {
            self.several_since = None;
            self.several_reported = false;
        }
        if seen.len() > 1 {
            self.attended_at = Some(t);
        }
        let several = &self.settings.several_persons;
        if self
            .attended_at
            .is_some_and(|at| t - at <= several.quiet_for_s)
        {
            result.events.retain(|e| {
                !(QUIETABLE.contains(&e.kind) && several.quiets.iter().any(|q| q == e.kind.name()))
            });
        }
        result
    }

    /// People not seen for `forget_after_s`: a room that sees a hundred
    /// visitors a day must not follow each of them for ever, every frame.
    fn forget_long_gone(&mut self, t: f64) {
        let horizon = self.forget_after_s;
        self.persons.retain(|p| {
            p.last_seen()
                .is_some_and(|(seen, _, _)| t - seen <= horizon)
        });
    }

    /// For each pose, the index of the person it belongs to (new people are
    /// added), or `None` for a body whose shape cannot be read, which cannot
    /// be followed. Pairs are taken nearest first over the whole frame, so
    /// the order the detector lists bodies in cannot hand a person's number
    /// to a stranger.
    fn assign(
        &mut self,
        t: f64,
        seen: &[(&crate::domain::Pose, Option<BodyShape>)],
    ) -> Vec<Option<usize>> {
        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        for (body, (_, shape)) in seen.iter().enumerate() {
            let Some(shape) = shape else { continue };
            for (person, watch) in self.persons.iter().enumerate() {
                if let Some(d) = match_distance(t, shape, watch) {
                    pairs.push((d, body, person));
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut assigned: Vec<Option<usize>> = vec![None; seen.len()];
        let mut taken = vec![false; self.persons.len()];
        for (_, body, person) in pairs {
            if assigned[body].is_none() && !taken[person] {
                assigned[body] = Some(person);
                taken[person] = true;
            }
        }
        assigned
            .into_iter()
            .zip(seen)
            .map(|(a, (_, shape))| {
                shape.as_ref()?;
                Some(a.unwrap_or_else(|| {
                    self.persons.push(PersonWatch::new(
                        self.next_number,
                        self.room.clone(),
                        &self.settings,
                    ));
                    self.next_number += 1;
                    self.persons.len() - 1
                }))
            })
            .collect()
    }
}

/// Someone unseen this long, at the least, is forgotten.
const FORGET_UNSEEN_AFTER_S: f64 = 600.0;

/// Longer than anything someone unseen could still raise: the longest of
/// the care timers, and at least `FORGET_UNSEEN_AFTER_S`.
fn forget_after_s(s: &CareSettings) -> f64 {
    [
        s.bed.exit_tolerance_s,
        s.bed.edge_after_s,
        s.exit.after_s,
        s.activity.inactivity_after_s,
        s.fall.unseen_on_floor_after_s,
        s.fall.floor_after_impact_s,
    ]
    .into_iter()
    .fold(FORGET_UNSEEN_AFTER_S, f64::max)
}

/// How far a body may move a second, in its own torso lengths: a brisk
/// walk is about three, the hips of a falling body as much. After frames
/// stalled for half a second, a fallen body is still its own person.
const MOVES_PER_S: f32 = 4.0;

/// How far, in body sizes, a body is from where a person was last seen;
/// `None` when too far for the time since.
fn match_distance(t: f64, shape: &BodyShape, watch: &PersonWatch) -> Option<f32> {
    let (seen, hips, scale) = watch.last_seen()?;
    let d = ((shape.hips.0 - hips.0).powi(2) + (shape.hips.1 - hips.1).powi(2)).sqrt()
        / scale.max(shape.scale);
    (d <= 1.0 + MOVES_PER_S * (t - seen) as f32).then_some(d)
}

/// What a recording gave: the events, how many person-frames showed each
/// posture, and each person's posture changes as (person, from_s, posture).
#[derive(Debug, Clone, Default)]
pub struct Played {
    pub events: Vec<CareEvent>,
    pub postures: BTreeMap<&'static str, usize>,
    pub timeline: Vec<(usize, f64, &'static str)>,
}

/// Plays a recording through the watch in time order: each frame's poses,
/// and each sound cue at the moment it became known (a cue known at the
/// same moment as a frame comes first, as it would have arrived while the
/// frame was being analysed).
pub fn play(
    watch: &mut RoomWatch,
    frames: &[(f64, Vec<crate::domain::Pose>)],
    sounds: &[(f64, SoundCue)],
) -> Played {
    let mut sounds: Vec<&(f64, SoundCue)> = sounds.iter().collect();
    sounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut next_sound = sounds.into_iter().peekable();
    let mut played = Played::default();
    let mut last: BTreeMap<usize, Posture> = BTreeMap::new();
    for (t, poses) in frames {
        while let Some((known, cue)) = next_sound.next_if(|(known, _)| known <= t) {
            played.events.extend(watch.push_sound(*known, cue));
        }
        let result = watch.push(*t, poses);
        for &(person, posture) in &result.postures {
            *played.postures.entry(posture.name()).or_default() += 1;
            if last.insert(person, posture) != Some(posture) {
                played.timeline.push((person, *t, posture.name()));
            }
        }
        played.events.extend(result.events);
    }
    for (known, cue) in next_sound {
        played.events.extend(watch.push_sound(*known, cue));
    }
    played
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::care::synth::Body;
    use crate::domain::{bounding_box, Pose};

    fn standing_at(x: f32) -> Pose {
        let body = Body {
            height: 300.0,
            facing: 1.0,
        };
        let keypoints = body.keypoints(&body.standing(x, 400.0));
        Pose {
            score: 0.95,
            bbox: bounding_box(keypoints.iter().map(|k| (k.x, k.y))),
            keypoints,
            world: None,
        }
    }

    #[test]
    fn a_stranger_listed_first_does_not_take_a_followed_persons_number() {
        let mut watch = RoomWatch::new(Room::unzoned(640, 480), CareSettings::default());
        watch.push(0.0, &[standing_at(300.0)]);
        // A second body close by is listed first; the followed person has
        // hardly moved.
        watch.push(0.04, &[standing_at(360.0), standing_at(302.0)]);
        let hips_x = |person: usize| watch.persons[person].last_seen().unwrap().1 .0;
        let first = standing_at(300.0);
        let offset = BodyShape::of(&first).unwrap().hips.0 - 300.0;
        assert!((hips_x(0) - offset - 302.0).abs() < 0.5, "{}", hips_x(0));
        assert!((hips_x(1) - offset - 360.0).abs() < 0.5, "{}", hips_x(1));
    }

    #[test]
    fn a_body_with_no_readable_shape_is_nobody_to_follow() {
        let mut watch = RoomWatch::new(Room::unzoned(640, 480), CareSettings::default());
        let mut ghost = standing_at(300.0);
        for k in ghost.keypoints.iter_mut() {
            k.visibility = 0.0;
            k.presence = 0.0;
        }
        assert!(
            BodyShape::of(&ghost).is_none(),
            "the test needs a shapeless body"
        );
        for i in 0..100 {
            watch.push(f64::from(i) * 0.04, std::slice::from_ref(&ghost));
        }
        assert_eq!(watch.persons_seen(), 0);
    }

    #[test]
    fn people_long_gone_are_forgotten_and_their_numbers_not_reused() {
        let mut watch = RoomWatch::new(Room::unzoned(640, 480), CareSettings::default());
        watch.push(0.0, &[standing_at(300.0)]);
        watch.push(1.0, &[]);
        assert_eq!(watch.persons.len(), 1, "kept while they may come back");
        // A visitor three hours later (past the longest timer, inactivity's two).
        let result = watch.push(3.0 * 3600.0, &[standing_at(100.0)]);
        assert_eq!(watch.persons.len(), 1, "the first is forgotten");
        assert_eq!(result.postures[0].0, 1, "the newcomer's number is new");
        assert_eq!(watch.persons_seen(), 2);
    }
}
