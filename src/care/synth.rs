//! A documented generator of keypoint sequences for testing the care
//! layer: a jointed stick body (torso, thighs, shins, arms, head) posed by
//! a script of key poses over time, seen side-on by a camera, with
//! sensor-like noise, dropped frames and an optional second person. It
//! stands in for the hours of labelled care-home video no registry holds.
//!
//! `View::Camera` shows the same scripts from a camera high on a wall or in
//! a ceiling corner, looking down at an angle, with perspective.
//!
//! A script is a list of (time, key pose); poses are blended linearly in
//! between. Angles are in degrees: the torso from straight up (90 = lying),
//! thighs and shins from straight down (90 = horizontal, pointing the way
//! the person faces).

use crate::domain::{bounding_box, Keypoint, Pose, BODY_KEYPOINTS};
use crate::random::Random;

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
        KeyPose {
            hip_x: x,
            hip_y: floor_y - self.thigh() - self.shin(),
            torso_deg: 0.0,
            thigh_deg: 0.0,
            shin_deg: 0.0,
        }
    }

    /// Sitting on a seat `seat_height` pixels above the floor.
    pub fn sitting(&self, x: f32, floor_y: f32, seat_height: f32) -> KeyPose {
        KeyPose {
            hip_x: x,
            hip_y: floor_y - seat_height,
            torso_deg: 5.0,
            thigh_deg: 85.0,
            shin_deg: 0.0,
        }
    }

    /// Lying flat, hips `above` pixels above `surface_y`.
    pub fn lying(&self, x: f32, surface_y: f32, above: f32) -> KeyPose {
        KeyPose {
            hip_x: x,
            hip_y: surface_y - above,
            torso_deg: 90.0,
            thigh_deg: -90.0,
            shin_deg: -90.0,
        }
    }

    /// Kneeling upright, shins on the floor behind.
    pub fn kneeling(&self, x: f32, floor_y: f32) -> KeyPose {
        KeyPose {
            hip_x: x,
            hip_y: floor_y - self.thigh() - 0.03 * self.height,
            torso_deg: 5.0,
            thigh_deg: 0.0,
            shin_deg: -90.0,
        }
    }

    /// Bent over from the hips with straight legs (picking something up).
    pub fn bending(&self, x: f32, floor_y: f32) -> KeyPose {
        KeyPose {
            torso_deg: 95.0,
            ..self.standing(x, floor_y)
        }
    }

    /// The 33 keypoints of a pose, seen side-on: the body's plane is the
    /// image, and points of the far side are shifted a little.
    pub fn keypoints(&self, p: &KeyPose) -> [Keypoint; BODY_KEYPOINTS] {
        let far = (0.04 * self.height * -self.facing, -0.01 * self.height);
        let mut k = self.joints(p).map(|(x, y, _)| Keypoint {
            x,
            y,
            z: 0.0,
            visibility: 0.95,
            presence: 0.99,
        });
        // The body's right side is the far one; the face is seen whole.
        for point in k.iter_mut().skip(12).step_by(2) {
            point.x += far.0;
            point.y += far.1;
        }
        k
    }

    /// Each keypoint in the body's plane (pixels, y down) and its sideways
    /// offset from that plane (pixels; the body's left negative, right
    /// positive), so a camera at any angle can see it.
    pub fn joints(&self, p: &KeyPose) -> [(f32, f32, f32); BODY_KEYPOINTS] {
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
        let foot = add(
            ankle,
            (
                f * (p.shin_deg + 90.0).to_radians().cos().abs().max(0.3),
                0.0,
            ),
            0.08 * self.height,
        );
        let heel = add(ankle, (-f, 0.0), 0.02 * self.height);
        let face = |dx: f32, dy: f32, side: f32| {
            (
                head.0 + f * dx * self.height,
                head.1 + dy * self.height,
                side * self.height,
            )
        };
        let mut k = [(head.0, head.1, 0.0); BODY_KEYPOINTS];
        k[0] = face(0.04, 0.0, 0.0);
        for (i, (dx, dy, side)) in [
            (1, (0.03, -0.015, -0.02)),
            (2, (0.03, -0.015, -0.03)),
            (3, (0.025, -0.015, -0.04)),
            (4, (0.03, -0.015, 0.02)),
            (5, (0.03, -0.015, 0.03)),
            (6, (0.025, -0.015, 0.04)),
            (7, (0.0, -0.01, -0.045)),
            (8, (0.0, -0.01, 0.045)),
            (9, (0.035, 0.02, -0.015)),
            (10, (0.035, 0.02, 0.015)),
        ] {
            k[i] = face(dx, dy, side);
        }
        // Half-widths as fractions of the height: shoulders, elbows, wrists and hands, hips, knees, ankles and feet.
        for (left, right, at, half) in [
            (11, 12, shoulder, 0.11),
            (13, 14, elbow, 0.14),
            (15, 16, wrist, 0.14),
            (17, 18, wrist, 0.15),
            (19, 20, wrist, 0.15),
            (21, 22, wrist, 0.14),
            (23, 24, hip, 0.09),
            (25, 26, knee, 0.07),
            (27, 28, ankle, 0.07),
            (29, 30, heel, 0.07),
            (31, 32, foot, 0.08),
        ] {
            k[left] = (at.0, at.1, -half * self.height);
            k[right] = (at.0, at.1, half * self.height);
        }
        k
    }
}

/// A camera high on a wall or in a ceiling corner, looking down into the
/// room. The scripts' plane (side-view pixels, 300 px = 1.8 m) stands on
/// the floor `distance_m` in front of the camera, turned `yaw_deg` from
/// the image's horizontal: 0 moves across the picture, 90 towards and away
/// from the camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub height_m: f32,
    /// How far the camera looks down from level.
    pub pitch_deg: f32,
    pub yaw_deg: f32,
    pub distance_m: f32,
    /// The scripts' x at the middle of the picture, and their floor line.
    pub centre_x: f32,
    pub floor_y: f32,
    pub width: u32,
    pub height: u32,
    /// Focal length in pixels (320 for 90° across 640 px).
    pub focal_px: f32,
}

/// Metres per side-view pixel.
const METRES_PER_PX: f32 = 1.8 / 300.0;

impl Camera {
    /// A plane point (x, y, sideways offset, side-view pixels) in the
    /// image: (u, v) and its distance from the camera, `None` behind it.
    pub fn project(&self, (x, y, side): (f32, f32, f32)) -> Option<(f32, f32, f32)> {
        let along = (x - self.centre_x) * METRES_PER_PX;
        let up = (self.floor_y - y) * METRES_PER_PX;
        let side = side * METRES_PER_PX;
        let (sy, cy) = self.yaw_deg.to_radians().sin_cos();
        let world_x = along * cy - side * sy;
        let world_z = self.distance_m + along * sy + side * cy;
        let rel_y = up - self.height_m;
        let (sp, cp) = self.pitch_deg.to_radians().sin_cos();
        let depth = -rel_y * sp + world_z * cp;
        if depth < 0.1 {
            return None;
        }
        let down = -rel_y * cp - world_z * sp;
        let u = self.width as f32 / 2.0 + self.focal_px * world_x / depth;
        let v = self.height as f32 / 2.0 + self.focal_px * down / depth;
        Some((u, v, depth))
    }

    /// A pose as this camera sees it. Points out of the picture or behind
    /// the camera are kept where they fall, with low visibility, as the
    /// pose model reports them.
    pub fn keypoints(&self, body: &Body, p: &KeyPose) -> [Keypoint; BODY_KEYPOINTS] {
        let joints = body.joints(p);
        let hips = self
            .project(joints[23])
            .map_or(self.distance_m, |(_, _, d)| d);
        joints.map(|j| match self.project(j) {
            Some((x, y, depth)) => {
                let inside =
                    x >= 0.0 && y >= 0.0 && x < self.width as f32 && y < self.height as f32;
                // Depth relative to the hips, in the scale of x, as the pose model gives it.
                let z = (depth - hips) * self.focal_px / hips;
                Keypoint {
                    x,
                    y,
                    z,
                    visibility: if inside { 0.95 } else { 0.1 },
                    presence: 0.99,
                }
            }
            None => Keypoint {
                x: 0.0,
                y: 0.0,
                z: 0.0,
                visibility: 0.0,
                presence: 0.0,
            },
        })
    }

    /// How many image pixels one side-view pixel is at the hips' distance.
    fn pixels_per_px(&self, body: &Body, p: &KeyPose) -> f32 {
        let hips = self
            .project(body.joints(p)[23])
            .map_or(self.distance_m, |(_, _, d)| d);
        self.focal_px * METRES_PER_PX / hips
    }
}

/// Where the scripts are seen from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View {
    /// The body's plane is the image (a camera at hip height, far away).
    Side,
    Camera(Camera),
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
/// the body's height), frames lost, the body unseen, and the seed that
/// makes them repeatable.
#[derive(Debug, Clone, Copy)]
pub struct Noise {
    pub jitter: f32,
    /// The share of single frames lost at random.
    pub drop_rate: f32,
    /// A stretch where the body goes unseen, (start s, length s): frames
    /// come and show nobody, as when a tracker loses a falling body.
    pub dropout: Option<(f64, f64)>,
    /// A stretch with no frames at all, (start s, length s): the device
    /// was too busy to look.
    pub stall: Option<(f64, f64)>,
    pub seed: u64,
}

impl Noise {
    pub const NONE: Noise = Noise {
        jitter: 0.0,
        drop_rate: 0.0,
        dropout: None,
        stall: None,
        seed: 1,
    };
}

/// One observed frame: its time and the poses seen.
#[derive(Debug, Clone)]
pub struct SynthFrame {
    pub t: f64,
    pub poses: Vec<Pose>,
}

/// Frames at `fps` of the scripts seen side-on, with noise. A dropped
/// frame is left out; a frame in a dropout shows nobody.
pub fn render(scripts: &[Script], fps: f64, noise: Noise) -> Vec<SynthFrame> {
    render_from(scripts, fps, noise, View::Side)
}

/// Frames at `fps` of the scripts as `view` sees them, with noise (jitter
/// in proportion to the person's size in the picture).
pub fn render_from(scripts: &[Script], fps: f64, noise: Noise, view: View) -> Vec<SynthFrame> {
    let mut random = Random(noise.seed.max(1) * 0x9E37_79B9_7F4A_7C15);
    let duration = scripts.iter().map(Script::duration).fold(0.0, f64::max);
    let count = (duration * fps).floor() as usize + 1;
    let mut frames = Vec::with_capacity(count);
    for i in 0..count {
        let t = i as f64 / fps;
        let within =
            |stretch: Option<(f64, f64)>| stretch.is_some_and(|(s, l)| t >= s && t < s + l);
        let dropped = random.uniform() < noise.drop_rate || within(noise.stall);
        if dropped {
            continue;
        }
        if within(noise.dropout) {
            frames.push(SynthFrame {
                t,
                poses: Vec::new(),
            });
            continue;
        }
        let poses = scripts
            .iter()
            .filter(|s| t <= s.duration() + 1e-9)
            .map(|script| {
                let pose = script.at(t);
                let (mut keypoints, scale) = match &view {
                    View::Side => (script.body.keypoints(&pose), 1.0),
                    View::Camera(camera) => (
                        camera.keypoints(&script.body, &pose),
                        camera.pixels_per_px(&script.body, &pose),
                    ),
                };
                for k in keypoints.iter_mut() {
                    k.x += random.normal() * noise.jitter * script.body.height * scale;
                    k.y += random.normal() * noise.jitter * script.body.height * scale;
                }
                let bbox = bounding_box(keypoints.iter().map(|k| (k.x, k.y)));
                Pose {
                    score: 0.95,
                    bbox,
                    keypoints,
                    world: None,
                }
            })
            .collect();
        frames.push(SynthFrame { t, poses });
    }
    frames
}
