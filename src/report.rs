//! What `analyze-image` prints: poses as JSON, keypoints in image pixels.

use serde::Serialize;

use crate::domain::Pose;

#[derive(Debug, Serialize)]
pub struct PersonReport {
    pub score: f32,
    pub bbox: [f32; 4],
    /// `[x, y, z, visibility, presence]` for each of the 33 keypoints.
    pub keypoints: Vec<[f32; 5]>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ImageReport {
    Analysed {
        file: String,
        width: u32,
        height: u32,
        persons: Vec<PersonReport>,
    },
    Failed {
        file: String,
        error: String,
    },
}

impl PersonReport {
    pub fn from_pose(pose: &Pose) -> PersonReport {
        let round = |v: f32| (v * 1000.0).round() / 1000.0;
        PersonReport {
            // Hundredths, the precision persons are ordered by.
            score: crate::vision::score_in_hundredths(pose.score) as f32 / 100.0,
            bbox: pose.bbox.map(round),
            keypoints: pose
                .keypoints
                .iter()
                .map(|k| [k.x, k.y, k.z, k.visibility, k.presence].map(round))
                .collect(),
        }
    }
}
