//! Plain types shared by every stage. Depends on nothing but std and serde.
//!
//! Nothing here holds a camera pixel or an audio sample: these are the
//! *results* of analysis, which may be logged, stored and sent.

use serde::Serialize;

/// Number of body keypoints in the BlazePose topology (MediaPipe Pose).
pub const BODY_KEYPOINTS: usize = 33;

/// One body keypoint in frame pixels. `z` is depth relative to the hips, on
/// the same scale as `x` (MediaPipe's convention), smaller is nearer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Keypoint {
    pub x: f32,
    pub y: f32,
    pub z: f32,
    /// Probability that the point is visible (not occluded), 0..1.
    pub visibility: f32,
    /// Probability that the point is inside the frame, 0..1.
    pub presence: f32,
}

/// Axis-aligned box in frame pixels: `[x0, y0, x1, y1]`.
pub type BoxInFrame = [f32; 4];

/// One person's pose in one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Pose {
    /// The landmark model's confidence that a person is in its crop, 0..1.
    pub score: f32,
    /// Box around the person's keypoints, in frame pixels.
    pub bbox: BoxInFrame,
    pub keypoints: [Keypoint; BODY_KEYPOINTS],
}

/// Names of the 33 keypoints, in model order (for reports and the demo).
pub const KEYPOINT_NAMES: [&str; BODY_KEYPOINTS] = [
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
];

/// Bones of the stick figure, as pairs of keypoint indices. Face points are
/// left out on purpose: the stick figure must not sketch a face (R6.1).
pub const SKELETON: [(usize, usize); 22] = [
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (15, 17),
    (15, 19),
    (16, 18),
    (16, 20),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (25, 27),
    (24, 26),
    (26, 28),
    (27, 29),
    (29, 31),
    (27, 31),
    (28, 30),
    (30, 32),
    (28, 32),
];

/// Box around the given points.
pub fn bounding_box(points: impl IntoIterator<Item = (f32, f32)>) -> BoxInFrame {
    let mut b = [f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY];
    for (x, y) in points {
        b[0] = b[0].min(x);
        b[1] = b[1].min(y);
        b[2] = b[2].max(x);
        b[3] = b[3].max(y);
    }
    if b[0] > b[2] {
        return [0.0; 4];
    }
    b
}
