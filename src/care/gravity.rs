//! Which way is up, as the camera sees it, learnt from the people it sees
//! standing. The pose model's world landmarks give each body's 3D shape in
//! the camera's axes (x right, y down, z away); a standing torso points up
//! in the room, so the mean of clearly standing torsos is the room's up in
//! the camera's axes, whatever the camera's height and tilt. With it a
//! body lying towards or away from a camera high on the wall, which stands
//! upright in the picture, lies flat in the room. No room file needed; a
//! `[camera]` pitch in the room file sets it instead.

use serde::Serialize;

/// A 3D direction in the camera's axes.
pub type Direction = [f32; 3];

pub fn dot(a: Direction, b: Direction) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn unit(v: Direction) -> Option<Direction> {
    let n = dot(v, v).sqrt();
    (n > 1e-6 && n.is_finite()).then(|| [v[0] / n, v[1] / n, v[2] / n])
}

/// The angle between two unit directions, in degrees.
pub fn angle_deg(a: Direction, b: Direction) -> f32 {
    dot(a, b).clamp(-1.0, 1.0).acos().to_degrees()
}

/// A level camera's up: against the picture's y.
const LEVEL_UP: Direction = [0.0, -1.0, 0.0];
/// The level prior counts as this many standing frames, so a few seconds
/// of someone standing outweigh it and one odd frame does not.
const PRIOR_FRAMES: f32 = 30.0;
/// A standing torso further than this from the current estimate is not
/// taken: it is more likely a body lying towards the camera that the
/// picture reads as upright.
const CONSISTENT_DEG: f32 = 35.0;
/// Legs must hang this close to straight down for a frame to teach up.
const LEGS_DOWN_DEG: f32 = 30.0;
/// The estimate remembers about this many standing frames (five minutes
/// of standing at 30 a second), so a camera that is moved is learnt anew.
const MEMORY_FRAMES: f32 = 9000.0;

/// How far a camera whose up is `up` looks down, in degrees.
pub fn pitch_deg(up: Direction) -> f32 {
    (-up[2]).atan2(-up[1]).to_degrees()
}

/// The room's up, from a prior and the standing bodies seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Gravity {
    sum: Direction,
    frames: u32,
    fixed: bool,
}

/// What the installer is shown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GravityReport {
    /// How far the camera looks down, in degrees, as learnt.
    pub pitch_deg: f32,
    /// Standing frames it was learnt from (0: the level prior alone).
    pub frames: u32,
    /// Set by the room file's `[camera]`, not learnt.
    pub fixed: bool,
}

impl Default for Gravity {
    fn default() -> Self {
        Gravity {
            sum: LEVEL_UP.map(|v| v * PRIOR_FRAMES),
            frames: 0,
            fixed: false,
        }
    }
}

impl Gravity {
    /// A camera whose pitch is known (degrees down from level).
    pub fn with_pitch(pitch_deg: f32) -> Gravity {
        let (sin, cos) = pitch_deg.to_radians().sin_cos();
        Gravity {
            sum: [0.0, -cos, -sin],
            frames: 0,
            fixed: true,
        }
    }

    /// As learnt before (kept by the device across restarts): `up` from
    /// `frames` standing frames, weighed as if seen again.
    pub fn resume(up: Direction, frames: u32) -> Gravity {
        let weight = (frames as f32 + PRIOR_FRAMES).min(MEMORY_FRAMES);
        match unit(up) {
            Some(up) => Gravity {
                sum: up.map(|v| v * weight),
                frames,
                fixed: false,
            },
            None => Gravity::default(),
        }
    }

    /// Whether anything was learnt (a fixed pitch is not learnt).
    pub fn learnt(&self) -> bool {
        !self.fixed && self.frames > 0
    }

    pub fn up(&self) -> Direction {
        unit(self.sum).unwrap_or(LEVEL_UP)
    }

    /// A body the picture reads as standing straight: its world torso and
    /// legs teach the estimate, if they agree with it.
    pub fn observe_standing(&mut self, torso: Direction, legs: Direction) {
        let up = self.up();
        let down = up.map(|v| -v);
        if self.fixed
            || angle_deg(torso, up) > CONSISTENT_DEG
            || angle_deg(legs, down) > LEGS_DOWN_DEG
        {
            return;
        }
        let weight = dot(self.sum, self.sum).sqrt();
        let keep = if weight > MEMORY_FRAMES {
            MEMORY_FRAMES / weight
        } else {
            1.0
        };
        for (s, (t, l)) in self.sum.iter_mut().zip(torso.iter().zip(legs)) {
            *s = *s * keep + (t - l) / 2.0;
        }
        self.frames = self.frames.saturating_add(1);
    }

    pub fn report(&self) -> GravityReport {
        GravityReport {
            pitch_deg: pitch_deg(self.up()),
            frames: self.frames,
            fixed: self.fixed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tilted(pitch_deg: f32) -> Direction {
        Gravity::with_pitch(pitch_deg).up()
    }

    #[test]
    fn standing_bodies_teach_the_camera_pitch() {
        let mut gravity = Gravity::default();
        let up = tilted(20.0);
        for _ in 0..300 {
            gravity.observe_standing(up, up.map(|v| -v));
        }
        let report = gravity.report();
        assert!((report.pitch_deg - 20.0).abs() < 2.0, "{report:?}");
        assert_eq!(report.frames, 300);
    }

    #[test]
    fn a_camera_that_is_moved_is_learnt_anew_and_a_restart_keeps_what_was_learnt() {
        let mut gravity = Gravity::default();
        let (before, after) = (tilted(10.0), tilted(30.0));
        for _ in 0..20_000 {
            gravity.observe_standing(before, before.map(|v| -v));
        }
        // Moved 20° further down: near enough the old tilt to be taken.
        for _ in 0..30_000 {
            gravity.observe_standing(after, after.map(|v| -v));
        }
        assert!(
            (gravity.report().pitch_deg - 30.0).abs() < 3.0,
            "{:?}",
            gravity.report()
        );
        let resumed = Gravity::resume(gravity.up(), gravity.report().frames);
        assert!((resumed.report().pitch_deg - gravity.report().pitch_deg).abs() < 0.01);
        assert_eq!(resumed.report().frames, 50_000);
        assert!(resumed.learnt() && !Gravity::with_pitch(30.0).learnt());
    }

    #[test]
    fn a_body_lying_towards_the_camera_teaches_nothing() {
        let mut gravity = Gravity::default();
        let along_view = [0.0, 0.0, -1.0];
        for _ in 0..300 {
            gravity.observe_standing(along_view, [0.0, 0.0, 1.0]);
        }
        assert_eq!(gravity.report().frames, 0);
        assert!(gravity.report().pitch_deg.abs() < 0.1);
    }

    #[test]
    fn a_known_pitch_is_kept() {
        let mut gravity = Gravity::with_pitch(40.0);
        gravity.observe_standing([0.0, -1.0, 0.0], [0.0, 1.0, 0.0]);
        let report = gravity.report();
        assert!(report.fixed && (report.pitch_deg - 40.0).abs() < 0.01);
    }
}
