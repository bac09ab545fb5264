//! Posture per person per frame, from keypoints alone: how upright the
//! torso is, how stretched the legs are, how wide the body lies, and where
//! the hips are in the room. A posture changes only after the new one has
//! held for a moment (hysteresis), so one noisy frame changes nothing.

use serde::Serialize;

use super::gravity::{angle_deg, unit, Direction};
use super::zones::Room;
use crate::domain::{Keypoint, Pose};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Posture {
    Standing,
    Walking,
    /// Sitting, not on the bed (a chair, a wheelchair, the floor's edge).
    Sitting,
    SittingOnBed,
    /// Sitting on the bed with the feet off it: often the moment before getting up.
    SittingOnBedEdge,
    LyingInBed,
    LyingOnFloor,
    KneelingOrCrawling,
    NotInView,
}

impl Posture {
    pub fn is_upright(self) -> bool {
        matches!(self, Posture::Standing | Posture::Walking)
    }

    pub fn in_bed(self) -> bool {
        matches!(
            self,
            Posture::SittingOnBed | Posture::SittingOnBedEdge | Posture::LyingInBed
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Posture::Standing => "standing",
            Posture::Walking => "walking",
            Posture::Sitting => "sitting",
            Posture::SittingOnBed => "sitting_on_bed",
            Posture::SittingOnBedEdge => "sitting_on_bed_edge",
            Posture::LyingInBed => "lying_in_bed",
            Posture::LyingOnFloor => "lying_on_floor",
            Posture::KneelingOrCrawling => "kneeling_or_crawling",
            Posture::NotInView => "not_in_view",
        }
    }
}

/// Keypoints count when the model thinks them this likely visible.
const VISIBLE: f32 = 0.5;

/// What the posture is read from: measures that hold whatever the person's
/// size in the image, so a camera high on a wall and one at eye level read
/// alike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BodyShape {
    /// Mid-hip, in image pixels.
    pub hips: (f32, f32),
    /// Mid-shoulder, in image pixels.
    pub shoulders: (f32, f32),
    /// Mid-ankle, when the ankles are seen.
    pub feet: Option<(f32, f32)>,
    /// The body's size in pixels: the longer of the torso and 1.2 × the
    /// shoulder width (a torso seen end-on is short, shoulders are not).
    pub scale: f32,
    /// Shoulder to shoulder in pixels, 0 when one is not seen.
    pub shoulder_width_px: f32,
    /// The torso's angle from straight up in the image, 0–180 degrees.
    pub torso_tilt_deg: f32,
    /// Vertical hip-to-ankle distance over leg length: about 1 standing,
    /// about 0.5 sitting, near 0 kneeling or lying.
    pub leg_extension: Option<f32>,
    /// Height over width of the box around the seen body keypoints.
    pub aspect: f32,
    /// The body in 3D, from the model's world landmarks, where it gave them.
    pub world: Option<WorldBody>,
}

/// Directions of the body's parts in the camera's axes (unit vectors from
/// the hips): the torso to the shoulders, the thighs to the knees, the legs
/// to the ankles (the last two where the knees and ankles are seen).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorldBody {
    pub torso: Direction,
    pub thighs: Option<Direction>,
    pub legs: Option<Direction>,
}

impl WorldBody {
    fn of(pose: &Pose) -> Option<WorldBody> {
        let w = pose.world.as_ref()?;
        let k = &pose.keypoints;
        let at = |a: usize, b: usize| -> Option<Direction> {
            let seen = [a, b]
                .iter()
                .filter(|&&i| k[i].visibility >= VISIBLE)
                .count();
            (seen > 0).then(|| std::array::from_fn(|d| (w[a][d] + w[b][d]) / 2.0))
        };
        let hips = at(23, 24)?;
        let from_hips = |p: Option<Direction>| {
            p.and_then(|p| unit([p[0] - hips[0], p[1] - hips[1], p[2] - hips[2]]))
        };
        Some(WorldBody {
            torso: from_hips(at(11, 12))?,
            thighs: from_hips(at(25, 26)),
            legs: from_hips(at(27, 28)),
        })
    }
}

/// How a body lies, as far as posture goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lie {
    /// The torso is up (standing, sitting, kneeling upright), or the body
    /// bends over with the legs straight under it: read on from the legs.
    Up,
    /// Torso over, thighs hanging down: on all fours.
    OnAllFours,
    /// Torso and thighs along the floor (or knees up): lying.
    Flat,
}

/// Thighs closer than this to straight down carry the body (all fours,
/// bending); lying, they point along the floor or up.
const THIGHS_CARRY_DEG: f32 = 50.0;
/// Legs this close to straight down stand: bending over, not crawling.
const LEGS_STAND_DEG: f32 = 25.0;
/// A torso leaning back this far with the knees up above the hips rests
/// on its back: no chair or bed edge holds a body so, and a squat leans
/// forward with the thighs about level.
const RECLINED_DEG: f32 = 35.0;
const KNEES_UP_DEG: f32 = 120.0;

fn lie_in_room(body: &WorldBody, up: Direction, lying_tilt_deg: f32) -> Lie {
    let down = up.map(|v| -v);
    let torso = angle_deg(body.torso, up);
    let knees_up = body
        .thighs
        .is_some_and(|t| angle_deg(t, down) > KNEES_UP_DEG);
    if torso > RECLINED_DEG && knees_up {
        return Lie::Flat;
    }
    if torso <= lying_tilt_deg {
        return Lie::Up;
    }
    if body
        .thighs
        .is_some_and(|t| angle_deg(t, down) < THIGHS_CARRY_DEG)
    {
        let bending = body
            .legs
            .is_some_and(|l| angle_deg(l, down) < LEGS_STAND_DEG);
        return if bending { Lie::Up } else { Lie::OnAllFours };
    }
    Lie::Flat
}

fn mid(a: &Keypoint, b: &Keypoint) -> Option<(f32, f32)> {
    match (a.visibility >= VISIBLE, b.visibility >= VISIBLE) {
        (true, true) => Some(((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)),
        (true, false) => Some((a.x, a.y)),
        (false, true) => Some((b.x, b.y)),
        (false, false) => None,
    }
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

impl BodyShape {
    /// The hips are down near the feet's level (lying, kneeling), not
    /// standing straight over them (bending over). Unknown legs count as low.
    fn hips_low(&self) -> bool {
        self.leg_extension.is_none_or(|l| l < 0.6)
    }

    /// `None` when the shoulders or hips are not seen: no posture can be read.
    pub fn of(pose: &Pose) -> Option<BodyShape> {
        let k = &pose.keypoints;
        let shoulders = mid(&k[11], &k[12])?;
        let hips = mid(&k[23], &k[24])?;
        let shoulder_width = if k[11].visibility >= VISIBLE && k[12].visibility >= VISIBLE {
            distance((k[11].x, k[11].y), (k[12].x, k[12].y))
        } else {
            0.0
        };
        let scale = distance(shoulders, hips).max(1.2 * shoulder_width);
        if scale < 4.0 {
            return None;
        }
        let (dx, dy) = (shoulders.0 - hips.0, shoulders.1 - hips.1);
        // Image y grows downwards: straight up is (0, -1).
        let torso_tilt_deg = (-dy).atan2(dx.abs()).to_degrees();
        let torso_tilt_deg = 90.0 - torso_tilt_deg;
        let feet = mid(&k[27], &k[28]);
        let leg_extension = feet.and_then(|feet| {
            let side = |hip: usize, knee: usize, ankle: usize| {
                let seen = [hip, knee, ankle]
                    .iter()
                    .all(|&i| k[i].visibility >= VISIBLE);
                seen.then(|| {
                    distance((k[hip].x, k[hip].y), (k[knee].x, k[knee].y))
                        + distance((k[knee].x, k[knee].y), (k[ankle].x, k[ankle].y))
                })
            };
            let leg = side(23, 25, 27)
                .into_iter()
                .chain(side(24, 26, 28))
                .fold(0.0f32, f32::max);
            (leg > 0.3 * scale).then(|| ((feet.1 - hips.1) / leg).clamp(-1.0, 1.5))
        });
        let seen: Vec<(f32, f32)> = [0, 11, 12, 23, 24, 25, 26, 27, 28]
            .iter()
            .filter(|&&i| k[i].visibility >= VISIBLE)
            .map(|&i| (k[i].x, k[i].y))
            .collect();
        let b = crate::domain::bounding_box(seen);
        let aspect = (b[3] - b[1]) / (b[2] - b[0]).max(1.0);
        Some(BodyShape {
            hips,
            shoulders,
            feet,
            scale,
            shoulder_width_px: shoulder_width,
            torso_tilt_deg,
            leg_extension,
            aspect,
            world: WorldBody::of(pose),
        })
    }
}

/// Thresholds of the posture rules (defaults from body proportions, not
/// from any one recording).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostureSettings {
    /// A torso tilted more than this from upright is lying (or crawling).
    pub lying_tilt_deg: f32,
    /// Leg extension above this is standing...
    pub standing_legs: f32,
    /// ...and below this, with an upright torso, kneeling.
    pub kneeling_legs: f32,
    /// Hips moving faster than this many body sizes per second is walking.
    pub walking_speed: f32,
    /// A new posture must hold this long before it counts.
    pub hold_s: f64,
}

impl Default for PostureSettings {
    fn default() -> Self {
        PostureSettings {
            lying_tilt_deg: 55.0,
            standing_legs: 0.75,
            kneeling_legs: 0.3,
            walking_speed: 0.6,
            hold_s: 0.4,
        }
    }
}

/// A lying adult's shoulders to hips, and hips to ankles, on the floor,
/// with room for a tall body and for keypoints a little off.
const MAX_TORSO_ON_FLOOR_M: f32 = 0.9;
const MAX_LEGS_ON_FLOOR_M: f32 = 1.15;
/// Sitting or kneeling, the feet are under the knees, near the hips.
const MIN_LEGS_ON_FLOOR_M: f32 = 0.35;
/// How high above the floor a lying body's keypoints are.
const LYING_HEIGHT_M: f32 = 0.15;
/// An adult's shoulder breadth, the short end of it (women about 0.36 m).
const SHOULDER_BREADTH_M: f32 = 0.34;

/// The body put back on the floor, as if it lay there.
struct OnFloor {
    /// Shoulders to hips, and hips to ankles when seen, in metres.
    torso_m: f32,
    legs_m: Option<f32>,
    /// The shoulders look too broad to be that far away on the floor: they
    /// are higher up, nearer the camera (sitting, kneeling). Shoulders
    /// seen edge-on look narrower, never broader, so this never wrongly
    /// rules lying out.
    shoulders_too_near: bool,
}

fn lengths_on_floor(shape: &BodyShape, camera: &super::zones::CameraGeometry) -> Option<OnFloor> {
    let shoulders = camera.on_floor(shape.shoulders, LYING_HEIGHT_M)?;
    let hips = camera.on_floor(shape.hips, LYING_HEIGHT_M)?;
    let legs_m = match shape.feet {
        Some(feet) => Some(distance(hips, camera.on_floor(feet, LYING_HEIGHT_M)?)),
        None => None,
    };
    let on_floor_m =
        (shoulders.0.powi(2) + shoulders.1.powi(2) + (camera.height_m - LYING_HEIGHT_M).powi(2))
            .sqrt();
    let shoulders_too_near = shape.shoulder_width_px > 0.0
        && camera.focal_px * SHOULDER_BREADTH_M / shape.shoulder_width_px < 0.75 * on_floor_m;
    Some(OnFloor {
        torso_m: distance(shoulders, hips),
        legs_m,
        shoulders_too_near,
    })
}

/// The posture of one frame, before hysteresis. `speed` is the hips'
/// speed in body sizes per second; `up` the room's up in the camera's axes.
pub fn classify(
    shape: &BodyShape,
    speed: f32,
    room: &Room,
    settings: &PostureSettings,
    up: Direction,
) -> Posture {
    let (hx, hy) = shape.hips;
    let in_bed = room.in_bed(hx, hy);
    let lie = match (
        room.camera
            .as_ref()
            .and_then(|camera| lengths_on_floor(shape, camera)),
        &shape.world,
    ) {
        (Some(floor), _) => lie_on_described_floor(shape, &floor, settings),
        // The body in the room: lying is lying from any view.
        (None, Some(body)) => lie_in_room(body, up, settings.lying_tilt_deg),
        (None, None) => lie_in_picture(shape, settings),
    };
    match lie {
        Lie::Flat | Lie::OnAllFours if in_bed => return Posture::LyingInBed,
        Lie::Flat => return Posture::LyingOnFloor,
        Lie::OnAllFours => return Posture::KneelingOrCrawling,
        Lie::Up => {}
    }
    let legs = shape.leg_extension;
    if in_bed {
        let feet_out = shape.feet.is_some_and(|(fx, fy)| !room.in_bed(fx, fy));
        return if feet_out {
            Posture::SittingOnBedEdge
        } else {
            Posture::SittingOnBed
        };
    }
    match legs {
        Some(l) if l >= settings.standing_legs => {
            if speed >= settings.walking_speed {
                Posture::Walking
            } else {
                Posture::Standing
            }
        }
        Some(l) if l < settings.kneeling_legs => Posture::KneelingOrCrawling,
        Some(_) => Posture::Sitting,
        // Legs unseen (a table, a blanket): upright and still reads as sitting
        // in a chair zone, standing elsewhere.
        None if room.in_chair(hx, hy) => Posture::Sitting,
        None if speed >= settings.walking_speed => Posture::Walking,
        None => Posture::Standing,
    }
}

/// Seen from above, a body lying towards or away from the camera stands
/// upright in the picture; put back on the floor it is as long as a body,
/// where a standing one would reach metres away. Bending over across the
/// picture still shows itself: the torso lies over, the legs stand straight
/// under the hips.
fn lie_on_described_floor(shape: &BodyShape, floor: &OnFloor, settings: &PostureSettings) -> Lie {
    let hips_low = shape.hips_low();
    let bending = shape.torso_tilt_deg > settings.lying_tilt_deg
        && shape.torso_tilt_deg < 180.0 - settings.lying_tilt_deg
        && !hips_low;
    let lying = floor.torso_m <= MAX_TORSO_ON_FLOOR_M
        && floor
            .legs_m
            .is_none_or(|l| (MIN_LEGS_ON_FLOOR_M..=MAX_LEGS_ON_FLOOR_M).contains(&l))
        && !floor.shoulders_too_near
        && !bending;
    if lying {
        Lie::Flat
    } else {
        Lie::Up
    }
}

/// Without world landmarks (generated poses): the picture's tilt and
/// proportions. Bending to pick something up tilts the torso too, but the
/// legs stay straight under the hips; lying, the hips are down at the feet's
/// level. On hands and knees the hips stay well off the floor line.
fn lie_in_picture(shape: &BodyShape, settings: &PostureSettings) -> Lie {
    let hips_low = shape.hips_low();
    if !(shape.torso_tilt_deg > settings.lying_tilt_deg && shape.aspect < 1.2 && hips_low) {
        return Lie::Up;
    }
    if shape.leg_extension.is_some_and(|l| l > 0.35) {
        Lie::OnAllFours
    } else {
        Lie::Flat
    }
}

/// Hysteresis over raw postures: the reported posture changes once a new
/// one has been seen for `hold_s` without a break, or once the current one
/// has not been seen for twice that (the raw posture flickering between two
/// new ones, standing and walking say, must not keep a stale one).
#[derive(Debug, Clone)]
pub struct PostureFilter {
    hold_s: f64,
    current: Posture,
    candidate: Option<(Posture, f64)>,
    /// Since when the raw posture has differed from the current one.
    away_since: Option<f64>,
}

impl PostureFilter {
    pub fn new(hold_s: f64) -> PostureFilter {
        PostureFilter {
            hold_s,
            current: Posture::NotInView,
            candidate: None,
            away_since: None,
        }
    }

    pub fn current(&self) -> Posture {
        self.current
    }

    /// Takes the raw posture at time `t` (seconds); returns the filtered one.
    pub fn push(&mut self, raw: Posture, t: f64) -> Posture {
        if raw == self.current {
            self.candidate = None;
            self.away_since = None;
            return self.current;
        }
        let away_since = *self.away_since.get_or_insert(t);
        let since = match self.candidate {
            Some((p, since)) if p == raw => since,
            _ => t,
        };
        self.candidate = Some((raw, since));
        if t - since >= self.hold_s || t - away_since >= 2.0 * self.hold_s {
            self.current = raw;
            self.candidate = None;
            self.away_since = None;
        }
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direction `deg` degrees from straight up, leaning towards +x (the
    /// way the person faces); the camera's y grows downwards.
    fn from_up(deg: f32) -> Direction {
        let r = deg.to_radians();
        [r.sin(), -r.cos(), 0.0]
    }

    fn body(torso: f32, thighs: Option<f32>, legs: Option<f32>) -> WorldBody {
        WorldBody {
            torso: from_up(torso),
            thighs: thighs.map(from_up),
            legs: legs.map(from_up),
        }
    }

    #[test]
    fn lying_is_read_from_the_body_in_the_room() {
        let up = [0.0, -1.0, 0.0];
        // (what, torso, thighs, legs: degrees from up, leaning forward; 180 is straight down)
        let table = [
            ("standing", 5.0, Some(180.0), Some(180.0), Lie::Up),
            ("sitting up", 10.0, Some(90.0), Some(120.0), Lie::Up),
            (
                "slouched in an armchair",
                -40.0,
                Some(85.0),
                Some(110.0),
                Lie::Up,
            ),
            (
                "squatting, leaning forward",
                40.0,
                Some(70.0),
                Some(150.0),
                Lie::Up,
            ),
            (
                "bending over, legs straight",
                90.0,
                Some(175.0),
                Some(178.0),
                Lie::Up,
            ),
            (
                "on all fours",
                90.0,
                Some(175.0),
                Some(100.0),
                Lie::OnAllFours,
            ),
            ("lying flat", 90.0, Some(88.0), Some(90.0), Lie::Flat),
            (
                "lying back, knees up",
                -50.0,
                Some(20.0),
                Some(60.0),
                Lie::Flat,
            ),
            ("lying, legs unseen", 95.0, None, None, Lie::Flat),
            ("sitting, legs unseen", 15.0, None, None, Lie::Up),
        ];
        for (what, torso, thighs, legs, expected) in table {
            let lie = lie_in_room(&body(torso, thighs, legs), up, 55.0);
            assert_eq!(lie, expected, "{what}");
        }
    }
}
