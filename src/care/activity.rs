//! Inactivity (no meaningful movement for a long time while out of bed)
//! and seizures (rhythmic jerking of the limbs, roughly 1.5–8 Hz, going on).
//!
//! Rhythm is read from each limb's autocorrelation: jerking repeats, so the
//! motion matches itself one period later, while keypoint jitter of a still
//! body (and a limb the model only guesses at) matches nothing. A slow
//! movement matches itself at every short lag and shows no peak, so it is
//! not read as rhythm either.

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
    /// How well a limb's motion must match itself one period later (the
    /// autocorrelation's peak, 0–1; noise gives about 0.2).
    pub seizure_min_periodicity: f32,
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
            seizure_min_periodicity: 0.5,
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
    /// Recent limb heights relative to the hips, in body sizes; `None`
    /// where the model did not see the limb.
    limbs: VecDeque<(f64, [Option<f32>; 4])>,
    rhythm_since: Option<f64>,
    seizure_reported: bool,
}

impl ActivityWatch {
    pub fn new(person: usize, settings: ActivitySettings) -> ActivityWatch {
        ActivityWatch {
            settings,
            person,
            still_since: None,
            inactivity_reported: false,
            limbs: VecDeque::new(),
            rhythm_since: None,
            seizure_reported: false,
        }
    }

    pub fn push(
        &mut self,
        t: f64,
        pose: Option<&Pose>,
        shape: Option<&BodyShape>,
        posture: Posture,
    ) -> Vec<CareEvent> {
        let mut events = Vec::new();
        let (Some(pose), Some(shape)) = (pose, shape) else {
            return events;
        };
        // Inactivity: out of bed, still.
        if posture.in_bed() {
            self.still_since = None;
            self.inactivity_reported = false;
        } else {
            match self.still_since {
                Some((_, at))
                    if ((shape.hips.0 - at.0).powi(2) + (shape.hips.1 - at.1).powi(2)).sqrt()
                        / shape.scale
                        > self.settings.still_radius =>
                {
                    self.still_since = Some((t, shape.hips));
                    self.inactivity_reported = false;
                }
                None => self.still_since = Some((t, shape.hips)),
                Some((since, _))
                    if !self.inactivity_reported
                        && t - since >= self.settings.inactivity_after_s =>
                {
                    self.inactivity_reported = true;
                    let values = BTreeMap::from([
                        ("seconds_still", t - since),
                        (
                            "still_radius_body_sizes",
                            f64::from(self.settings.still_radius),
                        ),
                    ]);
                    events.push(CareEvent {
                        kind: CareKind::Inactivity,
                        t_s: t,
                        confidence: 0.7,
                        person: Some(self.person),
                        evidence: Evidence::new(
                            "no movement beyond still_radius for inactivity_after_s, out of bed",
                            values,
                        ),
                    });
                }
                Some(_) => {}
            }
        }
        // Seizure: limbs shaking in rhythm while not up and about.
        let relative = LIMBS.map(|i| {
            let k = &pose.keypoints[i];
            (k.visibility >= LIMB_SEEN).then(|| (k.y - shape.hips.1) / shape.scale)
        });
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
            let rhythms: Vec<Rhythm> = self
                .limb_rhythms()
                .into_iter()
                .flatten()
                .filter(|r| self.is_seizure_like(r))
                .collect();
            let n = rhythms.len().max(1) as f64;
            let values = BTreeMap::from([
                ("seconds_rhythmic", t - since),
                ("limbs_rhythmic", rhythms.len() as f64),
                (
                    "hz",
                    rhythms.iter().map(|r| f64::from(r.hz)).sum::<f64>() / n,
                ),
                (
                    "periodicity",
                    rhythms
                        .iter()
                        .map(|r| f64::from(r.periodicity))
                        .sum::<f64>()
                        / n,
                ),
                (
                    "amplitude_body_sizes",
                    rhythms.iter().map(|r| f64::from(r.amplitude)).sum::<f64>() / n,
                ),
            ]);
            events.push(CareEvent {
                kind: CareKind::Seizure,
                t_s: t,
                confidence: 0.75,
                person: Some(self.person),
                evidence: Evidence::new(
                    "two or more limbs repeating a jerk at 1.5-8 Hz for seizure_after_s",
                    values,
                ),
            });
        }
        events
    }

    /// Per limb seen through the whole window: its rhythm.
    fn limb_rhythms(&self) -> Vec<Option<Rhythm>> {
        let (Some(first), Some(last)) = (self.limbs.front(), self.limbs.back()) else {
            return Vec::new();
        };
        let span = last.0 - first.0;
        if span < WINDOW_S * 0.8 || self.limbs.len() < 8 {
            return Vec::new();
        }
        let seconds_per_sample = span / (self.limbs.len() - 1) as f64;
        (0..LIMBS.len())
            .map(|limb| {
                let ys: Option<Vec<f32>> = self.limbs.iter().map(|(_, p)| p[limb]).collect();
                rhythm_of(&ys?, seconds_per_sample, &self.settings)
            })
            .collect()
    }

    fn is_seizure_like(&self, r: &Rhythm) -> bool {
        let s = &self.settings;
        r.hz >= s.seizure_min_hz
            && r.hz <= s.seizure_max_hz
            && r.amplitude >= s.seizure_min_amplitude
            && r.periodicity >= s.seizure_min_periodicity
    }

    fn rhythmic_limbs(&self) -> usize {
        self.limb_rhythms()
            .iter()
            .flatten()
            .filter(|r| self.is_seizure_like(r))
            .count()
    }
}

/// Limbs count only where the model thinks them this likely visible: a
/// limb it cannot see, it guesses, and the guess wanders.
const LIMB_SEEN: f32 = 0.5;

/// A limb's repeating motion: its rate, how far it moves (RMS, body sizes)
/// and how well it matches itself one period later.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rhythm {
    hz: f32,
    amplitude: f32,
    periodicity: f32,
}

/// The strongest autocorrelation peak of `ys` (samples `dt` seconds apart)
/// at a period in the seizure band. A peak must rise from a dip at least
/// 0.3 below it: a slow movement only decays, noise never rises that far.
fn rhythm_of(ys: &[f32], dt: f64, settings: &ActivitySettings) -> Option<Rhythm> {
    let n = ys.len();
    let mean = ys.iter().sum::<f32>() / n as f32;
    let centred: Vec<f32> = ys.iter().map(|y| y - mean).collect();
    let energy: f32 = centred.iter().map(|y| y * y).sum();
    let amplitude = (energy / n as f32).sqrt();
    if energy <= f32::EPSILON {
        return None;
    }
    let lag_of = |hz: f32| (1.0 / (f64::from(hz) * dt)).round() as usize;
    let (shortest, longest) = (
        lag_of(settings.seizure_max_hz).max(1),
        lag_of(settings.seizure_min_hz).min(n / 2),
    );
    // Normalised so a perfect repeat over the overlap is 1 whatever the lag.
    let r = |lag: usize| {
        centred
            .iter()
            .zip(&centred[lag..])
            .map(|(a, b)| a * b)
            .sum::<f32>()
            / energy
            * n as f32
            / (n - lag) as f32
    };
    let values: Vec<f32> = (0..=longest + 1)
        .map(|lag| if lag < n { r(lag) } else { 0.0 })
        .collect();
    let mut dip = f32::INFINITY;
    let mut best: Option<(usize, f32)> = None;
    for lag in 1..=longest {
        dip = dip.min(values[lag]);
        let peak = values[lag] >= values[lag - 1] && values[lag] > values[lag + 1];
        if lag >= shortest
            && peak
            && values[lag] - dip >= 0.3
            && best.is_none_or(|(_, v)| values[lag] > v)
        {
            best = Some((lag, values[lag]));
        }
    }
    let (lag, periodicity) = best?;
    Some(Rhythm {
        hz: (1.0 / (lag as f64 * dt)) as f32,
        amplitude,
        periodicity: periodicity.min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::care::synth::Body;

    /// Someone lying on the floor whose wrists and ankles move at `hz`.
    fn run(hz: f32, amplitude_px: f32, seconds: f64) -> Vec<CareKind> {
        let body = Body {
            height: 300.0,
            facing: 1.0,
        };
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
            let pose = Pose {
                score: 0.9,
                bbox: [0.0; 4],
                keypoints,
                world: None,
            };
            let shape = BodyShape::of(&pose).unwrap();
            kinds.extend(
                watch
                    .push(t, Some(&pose), Some(&shape), Posture::LyingOnFloor)
                    .into_iter()
                    .map(|e| e.kind),
            );
        }
        kinds
    }

    #[test]
    fn rhythmic_jerking_is_a_seizure_and_slow_or_no_movement_is_not() {
        assert_eq!(
            run(4.0, 12.0, 20.0),
            vec![CareKind::Seizure],
            "4 Hz jerks for 20 s"
        );
        assert!(run(4.0, 12.0, 8.0).is_empty(), "too short");
        assert!(
            run(0.5, 12.0, 20.0).is_empty(),
            "slow movement (stretching) is not"
        );
        assert!(
            run(4.0, 0.5, 20.0).is_empty(),
            "a tremor too small to see is not"
        );
        assert!(run(0.0, 0.0, 20.0).is_empty());
    }

    #[test]
    fn jitter_of_a_still_body_has_no_rhythm() {
        // Keypoint noise of several times the real jitter, uniform and
        // independent from frame to frame, as a model guessing at a limb.
        let mut seed = 12345u32;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32 - 0.5) * 0.4
        };
        let settings = ActivitySettings::default();
        let ys: Vec<f32> = (0..45).map(|_| noise()).collect();
        let rhythm = rhythm_of(&ys, 1.0 / 15.0, &settings);
        assert!(
            rhythm.is_none_or(|r| r.periodicity < settings.seizure_min_periodicity),
            "{rhythm:?}"
        );
    }

    #[test]
    fn a_limb_the_model_does_not_see_is_no_evidence() {
        let body = Body {
            height: 300.0,
            facing: 1.0,
        };
        let mut watch = ActivityWatch::new(0, ActivitySettings::default());
        let mut kinds = Vec::new();
        for i in 0..300 {
            let t = f64::from(i) / 15.0;
            let mut keypoints = body.keypoints(&body.lying(320.0, 440.0, 15.0));
            for limb in LIMBS {
                keypoints[limb].y += (2.0 * std::f32::consts::PI * 4.0 * t as f32).sin() * 12.0;
                keypoints[limb].visibility = 0.2;
            }
            let pose = Pose {
                score: 0.9,
                bbox: [0.0; 4],
                keypoints,
                world: None,
            };
            let shape = BodyShape::of(&pose).unwrap();
            kinds.extend(watch.push(t, Some(&pose), Some(&shape), Posture::LyingOnFloor));
        }
        assert!(kinds.is_empty());
    }

    #[test]
    fn stillness_out_of_bed_is_inactivity_once() {
        let body = Body {
            height: 300.0,
            facing: 1.0,
        };
        let pose = Pose {
            score: 0.9,
            bbox: [0.0; 4],
            keypoints: body.keypoints(&body.sitting(320.0, 440.0, 110.0)),
            world: None,
        };
        let shape = BodyShape::of(&pose).unwrap();
        let settings = ActivitySettings {
            inactivity_after_s: 60.0,
            ..ActivitySettings::default()
        };
        let mut watch = ActivityWatch::new(0, settings.clone());
        let kinds: Vec<_> = (0..200)
            .flat_map(|i| watch.push(f64::from(i), Some(&pose), Some(&shape), Posture::Sitting))
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec![CareKind::Inactivity]);
        let mut watch = ActivityWatch::new(0, settings);
        let in_bed: Vec<_> = (0..200)
            .flat_map(|i| watch.push(f64::from(i), Some(&pose), Some(&shape), Posture::LyingInBed))
            .collect();
        assert!(in_bed.is_empty(), "sleeping is not inactivity");
    }
}
