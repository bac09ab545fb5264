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
    /// The model's metric 3D estimate of the same points, in metres from
    /// the middle of the hips, x right and y down as in the picture, z away
    /// from the camera. `None` where no model made the pose.
    pub world: Option<[[f32; 3]; BODY_KEYPOINTS]>,
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

/// Rounded to thousandths: times in ms and scores to three places are
/// all a report needs, and 0.48 × 3 prints as 1.44, not 1.4400000000000002.
pub fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Box around the given points.
pub fn bounding_box(points: impl IntoIterator<Item = (f32, f32)>) -> BoxInFrame {
    let mut b = [
        f32::INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
    ];
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

/// The kinds of safety technology a legal basis can allow (order § 2 stk. 1,
/// §§ 3–6; R2). Every signal the device uses belongs to exactly one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Activity, inactivity, movement, bodily reactions; never camera or
    /// microphone (R2.1).
    Movement,
    /// Listening to sound in real time (R2.2, R5).
    Sound,
    /// Real-time video or image analysis, never a recognisable image (R2.3, R6).
    Video,
    /// Locating and tracking (R2.4).
    Location,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Movement, Kind::Sound, Kind::Video, Kind::Location];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Movement => "movement",
            Kind::Sound => "sound",
            Kind::Video => "video",
            Kind::Location => "location",
        }
    }

    /// Whether the device runs an AI model on this kind's signal, so the AI
    /// disclosure must be recorded first (R8.2).
    pub fn uses_ai(self) -> bool {
        matches!(self, Kind::Sound | Kind::Video)
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown kind `{s}` (movement, sound, video, location)"))
    }
}

/// A resident's pseudonymous id: what logs, alarms and the audit trail name.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct ResidentId(pub String);

impl std::fmt::Display for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A technical fault that silences the monitor: an alarm like any other,
/// since a monitor that has stopped is the most dangerous failure (R13).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DeviceFault {
    /// The camera delivered nothing for the set time.
    CameraSilent,
    MicrophoneSilent,
    /// A model returned an error.
    ModelFailed,
    /// Frames arrive but analysis has stopped keeping up.
    PipelineStalled,
    DiskNearlyFull,
    /// An outlet (MQTT, webhook) has not taken an alarm step in time.
    OutletDown,
    /// The database takes nothing: alarms still reach the phones, and
    /// wait in memory to be stored.
    StorageFailing,
    /// A resident's record does not match the seal the audit chain holds:
    /// it was changed outside tryghed, so the gate opens nothing.
    RecordsTampered,
    /// A room device the hub has not heard for too long (its heartbeat, or
    /// its last will from the broker): the room is not watched.
    DeviceOffline,
}

impl DeviceFault {
    pub const ALL: [DeviceFault; 9] = [
        DeviceFault::CameraSilent,
        DeviceFault::MicrophoneSilent,
        DeviceFault::ModelFailed,
        DeviceFault::PipelineStalled,
        DeviceFault::DiskNearlyFull,
        DeviceFault::OutletDown,
        DeviceFault::StorageFailing,
        DeviceFault::RecordsTampered,
        DeviceFault::DeviceOffline,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DeviceFault::CameraSilent => "camera_silent",
            DeviceFault::MicrophoneSilent => "microphone_silent",
            DeviceFault::ModelFailed => "model_failed",
            DeviceFault::PipelineStalled => "pipeline_stalled",
            DeviceFault::DiskNearlyFull => "disk_nearly_full",
            DeviceFault::OutletDown => "outlet_down",
            DeviceFault::StorageFailing => "storage_failing",
            DeviceFault::RecordsTampered => "records_tampered",
            DeviceFault::DeviceOffline => "device_offline",
        }
    }

    pub fn from_name(name: &str) -> Option<DeviceFault> {
        DeviceFault::ALL.into_iter().find(|f| f.name() == name)
    }
}
