//! Inactivity (no meaningful movement for a long time while out of bed)
//! and seizures (rhythmic jerking of the limbs, roughly 1–8 Hz, going on).

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::posture::{BodyShape, Posture};
use super::{CareEvent, CareKind, Evidence};
use crate::domain::Pose;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActivitySettings {
    /// Still this long, out of bed, is `inactivity`.
    pub inactivity_after_s: f64,
    /// Moving less than this many body sizes from where the stillness began is still.
    pub still_radius: f32,
    /// Rhythmic jerking this long is `seizure`.
    pub seizure_after_s: f64,
    /// The band of a seizure's rhythm, in Hz.
    pub seizure_min_hz: f32,
    pub seizure_max_hz: f32,
    /// Jerks smaller than this many body sizes do not count (keypoint
    /// jitter is about 0.02).
    pub seizure_min_amplitude: f32,
}

impl Default for ActivitySettings {
    fn default() -> Self {
        ActivitySettings {
            inactivity_after_s: 7200.0,
            still_radius: 0.15,
            seizure_after_s: 10.0,
            seizure_min_hz: 1.5,
            seizure_max_hz: 8.0,
            seizure_min_amplitude: 0.08,
        }
    }
}

/// Wrists and ankles: the limbs a seizure shakes.
const LIMBS: [usize; 4] = [15, 16, 27, 28];
const WINDOW_S: f64 = 3.0;

#[derive(Debug, Clone)]
pub struct ActivityWatch {
    settings: ActivitySettings,
    person: usize,
    still_since: Option<(f64, (f32, f32))>,
    inactivity_reported: bool,
    /// Recent limb positions relative to the hips, in body sizes.
    limbs: VecDeque<(f64, [(f32, f32); 4])>,
    rhythm_since: Option<f64>,
    seizure_reported: bool,
}

impl ActivityWatch {
    pub fn new(person: usize, settings: ActivitySettings) -> ActivityWatch {
        ActivityWatch { settings, person, still_since: None, inactivity_reported: false, limbs: VecDeque::new(), rhythm_since: None, seizure_reported: false }
    }

    pub fn push(&mut self, t: f64, pose: Option<&Pose>, shape: Option<&BodyShape>, posture: Posture) -> Vec<CareEvent> {
        let mut events = Vec::new();
        let (Some(pose), Some(shape)) = (pose, shape) else { return events };
        // Inactivity: out of bed, still.
        if posture.in_bed() {
            self.still_since = None;
            self.inactivity_reported = false;
        } else {
            match self.still_since {
                Some((_, at)) if ((shape.hips.0 - at.0).powi(2) + (shape.hips.1 - at.1).powi(2)).sqrt() / shape.scale > self.settings.still_radius => {
                    self.still_since = Some((t, shape.hips));
                    self.inactivity_reported = false;
                }
                None => self.still_since = Some((t, shape.hips)),
                Some((since, _)) if !self.inactivity_reported && t - since >= self.settings.inactivity_after_s => {
                    self.inactivity_reported = true;
                    let values = BTreeMap::from([("seconds_still", t - since), ("still_radius_body_sizes", f64::from(self.settings.still_radius))]);
                    events.push(CareEvent { kind: CareKind::Inactivity, t_s: t, confidence: 0.7, person: Some(self.person), evidence: Evidence::new("no movement beyond still_radius for inactivity_after_s, out of bed", values) });
                }
                Some(_) => {}
            }
        }
        // Seizure: limbs shaking in rhythm while not up and about.
        let relative = LIMBS.map(|i| ((pose.keypoints[i].x - shape.hips.0) / shape.scale, (pose.keypoints[i].y - shape.hips.1) / shape.scale));
        self.limbs.push_back((t, relative));
        while self.limbs.front().is_some_and(|(t0, _)| t - t0 > WINDOW_S) {
            self.limbs.pop_front();
        }
        let rhythmic = !posture.is_upright() && self.rhythmic_limbs() >= 2;
        if !rhythmic {
            self.rhythm_since = None;
            self.seizure_reported = false;
            return events;
        }
        let since = *self.rhythm_since.get_or_insert(t);
        if !self.seizure_reported && t - since >= self.settings.seizure_after_s {
            self.seizure_reported = true;
            let values = BTreeMap::from([("seconds_rhythmic", t - since), ("limbs_rhythmic", self.rhythmic_limbs() as f64), ("hz", f64::from(self.dominant_hz()))]);
            events.push(CareEvent { kind: CareKind::Seizure, t_s: t, confidence: 0.75, person: Some(self.person), evidence: Evidence::new("two or more limbs jerking at 1.5-8 Hz for seizure_after_s", values) });
        }
        events
    }

    /// Per limb: the rate of its up-and-down turns and how far it moves.
    fn limb_rhythms(&self) -> Vec<(f32, f32)> {
        let span = match (self.limbs.front(), self.limbs.back()) {
            (Some(a), Some(b)) if b.0 - a.0 >= WINDOW_S * 0.8 => (b.0 - a.0) as f32,
            _ => return Vec::new(),
        };
        (0..LIMBS.len())
            .map(|limb| {
                let ys: Vec<f32> = self.limbs.iter().map(|(_, p)| p[limb].1).collect();
                let mean = ys.iter().sum::<f32>() / ys.len() as f32;
                let amplitude = (ys.iter().map(|y| (y - mean).powi(2)).sum::<f32>() / ys.len() as f32).sqrt();
                // Direction changes of the motion, ignoring wobbles under half its spread.
                let mut turns = 0;
                let mut direction = 0.0f32;
                let mut anchor = ys[0];
                for y in &ys[1..] {
                    let step = y - anchor;
                    if step.abs() >= amplitude * 0.5 {
                        if direction != 0.0 && step.signum() != direction {
                            turns += 1;
                        }
                        direction = step.signum();
                        anchor = *y;
                    }
                }
                (turns as f32 / 2.0 / span, amplitude)
            })
            .collect()
    }

    fn rhythmic_limbs(&self) -> usize {
        let s = &self.settings;
        self.limb_rhythms().iter().filter(|(hz, amplitude)| *hz >= s.seizure_min_hz && *hz <= s.seizure_max_hz && *amplitude >= s.seizure_min_amplitude).count()
    }

    fn dominant_hz(&self) -> f32 {
        let rhythms = self.limb_rhythms();
        rhythms.iter().map(|r| r.0).sum::<f32>() / rhythms.len().max(1) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::care::synth::Body;

    /// Someone lying on the floor whose wrists and ankles move at `hz`.
    fn run(hz: f32, amplitude_px: f32, seconds: f64) -> Vec<CareKind> {
        let body = Body { height: 300.0, facing: 1.0 };
        let lying = body.lying(320.0, 440.0, 15.0);
        let mut watch = ActivityWatch::new(0, ActivitySettings::default());
        let mut kinds = Vec::new();
        for i in 0..(seconds * 15.0) as usize {
            let t = i as f64 / 15.0;
            let mut keypoints = body.keypoints(&lying);
            let offset = (2.0 * std::f32::consts::PI * hz * t as f32).sin() * amplitude_px;
            for limb in LIMBS {
                keypoints[limb].y += offset;
            }
            let pose = Pose { score: 0.9, bbox: [0.0; 4], keypoints };
            let shape = BodyShape::of(&pose).unwrap();
            kinds.extend(watch.push(t, Some(&pose), Some(&shape), Posture::LyingOnFloor).into_iter().map(|e| e.kind));
        }
        kinds
    }

    #[test]
    fn rhythmic_jerking_is_a_seizure_and_slow_or_no_movement_is_not() {
        assert_eq!(run(4.0, 12.0, 20.0), vec![CareKind::Seizure], "4 Hz jerks for 20 s");
        assert!(run(4.0, 12.0, 8.0).is_empty(), "too short");
        assert!(run(0.5, 12.0, 20.0).is_empty(), "slow movement (stretching) is not");
        assert!(run(4.0, 0.5, 20.0).is_empty(), "a tremor too small to see is not");
        assert!(run(0.0, 0.0, 20.0).is_empty());
    }

    #[test]
    fn stillness_out_of_bed_is_inactivity_once() {
        let body = Body { height: 300.0, facing: 1.0 };
        let pose = Pose { score: 0.9, bbox: [0.0; 4], keypoints: body.keypoints(&body.sitting(320.0, 440.0, 110.0)) };
        let shape = BodyShape::of(&pose).unwrap();
        let settings = ActivitySettings { inactivity_after_s: 60.0, ..ActivitySettings::default() };
        let mut watch = ActivityWatch::new(0, settings.clone());
        let kinds: Vec<_> = (0..200).flat_map(|i| watch.push(f64::from(i), Some(&pose), Some(&shape), Posture::Sitting)).map(|e| e.kind).collect();
        assert_eq!(kinds, vec![CareKind::Inactivity]);
        let mut watch = ActivityWatch::new(0, settings);
        let in_bed: Vec<_> = (0..200).flat_map(|i| watch.push(f64::from(i), Some(&pose), Some(&shape), Posture::LyingInBed)).collect();
        assert!(in_bed.is_empty(), "sleeping is not inactivity");
    }
}
