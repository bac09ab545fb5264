//! A documented generator of keypoint sequences for testing the care
//! layer: a jointed stick body (torso, thighs, shins, arms, head) posed by
//! a script of key poses over time, seen side-on by a camera, with
//! sensor-like noise, dropped frames and an optional second person. It
//! stands in for the hours of labelled care-home video no registry holds.
//!
//! A script is a list of (time, key pose); poses are blended linearly in
//! between. Angles are in degrees: the torso from straight up (90 = lying),
//! thighs and shins from straight down (90 = horizontal, pointing the way
//! the person faces).

use crate::domain::{bounding_box, Keypoint, Pose, BODY_KEYPOINTS};

/// One key pose. `hip_x`/`hip_y` are the mid-hip in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyPose {
    pub hip_x: f32,
    pub hip_y: f32,
    pub torso_deg: f32,
    pub thigh_deg: f32,
    pub shin_deg: f32,
}

/// Body proportions: a person `height` pixels tall when standing.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    pub height: f32,
    /// Which way the person faces: 1 right, -1 left.
    pub facing: f32,
}

impl Body {
    fn torso(&self) -> f32 {
        0.30 * self.height
    }
    fn thigh(&self) -> f32 {
        0.245 * self.height
    }
    fn shin(&self) -> f32 {
        0.245 * self.height
    }

    /// Standing at `x` with the feet on `floor_y`.
    pub fn standing(&self, x: f32, floor_y: f32) -> KeyPose {
        KeyPose { hip_x: x, hip_y: floor_y - self.thigh() - self.shin(), torso_deg: 0.0, thigh_deg: 0.0, shin_deg: 0.0 }
    }

    /// Sitting on a seat `seat_height` pixels above the floor.
    pub fn sitting(&self, x: f32, floor_y: f32, seat_height: f32) -> KeyPose {
        KeyPose { hip_x: x, hip_y: floor_y - seat_height, torso_deg: 5.0, thigh_deg: 85.0, shin_deg: 0.0 }
    }

    /// Lying flat, hips `above` pixels above `surface_y`.
    pub fn lying(&self, x: f32, surface_y: f32, above: f32) -> KeyPose {
        KeyPose { hip_x: x, hip_y: surface_y - above, torso_deg: 90.0, thigh_deg: -90.0, shin_deg: -90.0 }
    }

    /// Kneeling upright, shins on the floor behind.
    pub fn kneeling(&self, x: f32, floor_y: f32) -> KeyPose {
        KeyPose { hip_x: x, hip_y: floor_y - self.thigh() - 0.03 * self.height, torso_deg: 5.0, thigh_deg: 0.0, shin_deg: -90.0 }
    }

    /// Bent over from the hips with straight legs (picking something up).
    pub fn bending(&self, x: f32, floor_y: f32) -> KeyPose {
        KeyPose { torso_deg: 95.0, ..self.standing(x, floor_y) }
    }

    /// The 33 keypoints of a pose. Points of the far side are shifted a
    /// little, as a side view shows them.
    pub fn keypoints(&self, p: &KeyPose) -> [Keypoint; BODY_KEYPOINTS] {
        let f = self.facing;
        let dir = |deg: f32, up: bool| {
            let r = deg.to_radians();
            if up {
                (f * r.sin(), -r.cos())
            } else {
                (f * r.sin(), r.cos())
            }
        };
        let add = |a: (f32, f32), d: (f32, f32), len: f32| (a.0 + d.0 * len, a.1 + d.1 * len);
        let hip = (p.hip_x, p.hip_y);
        let torso = dir(p.torso_deg, true);
        let shoulder = add(hip, torso, self.torso());
        let head = add(shoulder, torso, 0.13 * self.height);
        let knee = add(hip, dir(p.thigh_deg, false), self.thigh());
        let ankle = add(knee, dir(p.shin_deg, false), self.shin());
        // Arms hang from the shoulders, slightly forward.
        let arm = dir(p.torso_deg * 0.5 + 10.0, false);
        let elbow = add(shoulder, arm, 0.17 * self.height);
        let wrist = add(elbow, arm, 0.15 * self.height);
        let foot = add(ankle, (f * (p.shin_deg + 90.0).to_radians().cos().abs().max(0.3), 0.0), 0.08 * self.height);
        let heel = add(ankle, (-f, 0.0), 0.02 * self.height);
        let far = (0.04 * self.height * -f, -0.01 * self.height);
        let point = |(x, y): (f32, f32), far_side: bool| {
            let (x, y) = if far_side { (x + far.0, y + far.1) } else { (x, y) };
            Keypoint { x, y, z: 0.0, visibility: 0.95, presence: 0.99 }
        };
        let face = |dx: f32, dy: f32| point((head.0 + f * dx * self.height, head.1 + dy * self.height), false);
        let mut k = [point(head, false); BODY_KEYPOINTS];
        k[0] = face(0.04, 0.0);
        for (i, (dx, dy)) in [(1, (0.03, -0.015)), (2, (0.03, -0.015)), (3, (0.025, -0.015)), (4, (0.03, -0.015)), (5, (0.03, -0.015)), (6, (0.025, -0.015)), (7, (0.0, -0.01)), (8, (0.0, -0.01)), (9, (0.035, 0.02)), (10, (0.035, 0.02))] {
            k[i] = face(dx, dy);
        }
        for (left, right, at) in [(11, 12, shoulder), (13, 14, elbow), (15, 16, wrist), (17, 18, wrist), (19, 20, wrist), (21, 22, wrist), (23, 24, hip), (25, 26, knee), (27, 28, ankle), (29, 30, heel), (31, 32, foot)] {
            k[left] = point(at, false);
            k[right] = point(at, true);
        }
        k
    }
}

/// A scripted sequence for one person.
#[derive(Debug, Clone)]
pub struct Script {
    pub body: Body,
    pub keys: Vec<(f64, KeyPose)>,
}

impl Script {
    /// The pose at time `t`, blended between key poses.
    pub fn at(&self, t: f64) -> KeyPose {
        let keys = &self.keys;
        if t <= keys[0].0 {
            return keys[0].1;
        }
        for w in keys.windows(2) {
            let ((t0, a), (t1, b)) = (w[0], w[1]);
            if t <= t1 {
                let u = ((t - t0) / (t1 - t0).max(1e-9)) as f32;
                let mix = |x: f32, y: f32| x + (y - x) * u;
                return KeyPose {
                    hip_x: mix(a.hip_x, b.hip_x),
                    hip_y: mix(a.hip_y, b.hip_y),
                    torso_deg: mix(a.torso_deg, b.torso_deg),
                    thigh_deg: mix(a.thigh_deg, b.thigh_deg),
                    shin_deg: mix(a.shin_deg, b.shin_deg),
                };
            }
        }
        keys[keys.len() - 1].1
    }

    pub fn duration(&self) -> f64 {
        self.keys.last().map_or(0.0, |k| k.0)
    }
}

/// Sensor-like imperfections: keypoint jitter (pixels, as a fraction of
/// the body's height), frames lost, and the seed that makes them repeatable.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    pub jitter: f32,
    pub drop_rate: f32,
    /// A stretch of frames lost at once: (start s, length s).
    pub dropout: Option<(f64, f64)>,
    pub seed: u64,
}

impl Noise {
    pub const NONE: Noise = Noise { jitter: 0.0, drop_rate: 0.0, dropout: None, seed: 1 };
}

/// A small, fixed random source (xorshift): the same seed gives the same sequence everywhere.
struct Random(u64);

impl Random {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Roughly normal, mean 0, deviation 1.
    fn normal(&mut self) -> f32 {
        (0..4).map(|_| self.next()).sum::<f32>() * 1.732 - 3.464
    }
}

/// One observed frame: its time and the poses seen.
#[derive(Debug, Clone)]
pub struct SynthFrame {
    pub t: f64,
    pub poses: Vec<Pose>,
}

/// Frames at `fps` of the scripts, with noise. A dropped frame is left out.
pub fn render(scripts: &[Script], fps: f64, noise: Noise) -> Vec<SynthFrame> {
    let mut random = Random(noise.seed.max(1) * 0x9E37_79B9_7F4A_7C15);
    let duration = scripts.iter().map(Script::duration).fold(0.0, f64::max);
    let count = (duration * fps).floor() as usize + 1;
    let mut frames = Vec::with_capacity(count);
    for i in 0..count {
        let t = i as f64 / fps;
        let dropped = random.next() < noise.drop_rate || noise.dropout.is_some_and(|(s, l)| t >= s && t < s + l);
        if dropped {
            continue;
        }
        let poses = scripts
            .iter()
            .filter(|s| t <= s.duration() + 1e-9)
            .map(|script| {
                let mut keypoints = script.body.keypoints(&script.at(t));
                for k in keypoints.iter_mut() {
                    k.x += random.normal() * noise.jitter * script.body.height;
                    k.y += random.normal() * noise.jitter * script.body.height;
                }
                let bbox = bounding_box(keypoints.iter().map(|k| (k.x, k.y)));
                Pose { score: 0.95, bbox, keypoints }
            })
            .collect();
        frames.push(SynthFrame { t, poses });
    }
    frames
}
