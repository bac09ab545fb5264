//! Many people, frame after frame: crops follow each person from their last
//! landmarks, and the detector runs only when someone may be new.

use std::path::Path;

use super::geometry::iou;
use super::{PersonView, PoseEstimator, VisionError};
use crate::capture::Frame;
use crate::inference::Runtime;

/// How the vision stage looks. Checked by `config`; defaults follow MediaPipe.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct VisionSettings {
    /// At most this many people are followed at once (residents and staff).
    pub max_persons: usize,
    /// Detector score a new person needs (MediaPipe's min_detection_confidence).
    pub min_detection_score: f32,
    /// Landmark model confidence a person needs to stay tracked.
    pub min_pose_score: f32,
    /// While fewer than `max_persons` are tracked, look for newcomers every
    /// this many frames.
    pub detect_every_frames: u32,
    /// ONNX Runtime threads per model; 0 lets ONNX Runtime choose.
    pub threads: usize,
}

impl Default for VisionSettings {
    fn default() -> Self {
        VisionSettings {
            max_persons: 4,
            min_detection_score: 0.5,
            min_pose_score: 0.5,
            detect_every_frames: 15,
            threads: 0,
        }
    }
}

impl VisionSettings {
    /// Every problem with these settings, in words.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(1..=16).contains(&self.max_persons) {
            out.push(format!(
                "max_persons must be 1 to 16, got {}",
                self.max_persons
            ));
        }
        for (name, v) in [
            ("min_detection_score", self.min_detection_score),
            ("min_pose_score", self.min_pose_score),
        ] {
            if !(v > 0.0 && v < 1.0) {
                out.push(format!("{name} must be between 0 and 1, got {v}"));
            }
        }
        if self.detect_every_frames == 0 {
            out.push("detect_every_frames must be at least 1".into());
        }
        if self.threads > 64 {
            out.push(format!("threads must be at most 64, got {}", self.threads));
        }
        out
    }
}

/// Two views of one person overlap this much or more.
const SAME_PERSON_IOU: f32 = 0.5;

pub struct PoseTracker {
    estimator: PoseEstimator,
    settings: VisionSettings,
    tracked: Vec<PersonView>,
    frames_since_detection: u32,
}

impl PoseTracker {
    pub fn load(
        runtime: &Runtime,
        models_dir: &Path,
        settings: VisionSettings,
    ) -> Result<Self, VisionError> {
        let estimator = PoseEstimator::load(
            runtime,
            models_dir,
            settings.threads,
            settings.min_detection_score,
            settings.min_pose_score,
        )?;
        Ok(PoseTracker {
            estimator,
            settings,
            tracked: Vec::new(),
            frames_since_detection: 0,
        })
    }

    /// Forgets everyone tracked.
    pub fn forget(&mut self) {
        self.tracked.clear();
        self.frames_since_detection = 0;
    }

    pub fn estimator_mut(&mut self) -> &mut PoseEstimator {
        &mut self.estimator
    }

    pub fn estimator(&self) -> &PoseEstimator {
        &self.estimator
    }

    /// One still image: detect everyone, then landmarks for each. Forgets
    /// any tracking state.
    pub fn analyze_image(&mut self, frame: &Frame) -> Result<Vec<PersonView>, VisionError> {
        self.forget();
        let mut persons = Vec::new();
        self.add_newcomers(frame, &mut persons)?;
        sort_best_first(&mut persons);
        Ok(persons)
    }

    /// The next frame of a video: follow everyone tracked, and look for
    /// newcomers when nobody is tracked, every `detect_every_frames`, and
    /// at once when someone tracked was lost (a fast fall can leave its
    /// crop; with a second person in view nothing else would look again).
    pub fn track(&mut self, frame: &Frame) -> Result<&[PersonView], VisionError> {
        let previous = std::mem::take(&mut self.tracked);
        let mut persons: Vec<PersonView> = Vec::with_capacity(previous.len());
        for person in &previous {
            if let Some(view) = self.estimator.landmarks(frame, &person.next_roi)? {
                if !persons
                    .iter()
                    .any(|p| iou(&p.pose.bbox, &view.pose.bbox) >= SAME_PERSON_IOU)
                {
                    persons.push(view);
                }
            }
        }
        self.frames_since_detection += 1;
        let room_for_more = persons.len() < self.settings.max_persons;
        let lost_someone = persons.len() < previous.len();
        let due = self.frames_since_detection >= self.settings.detect_every_frames;
        if persons.is_empty() || (room_for_more && (lost_someone || due)) {
            self.add_newcomers(frame, &mut persons)?;
        }
        sort_best_first(&mut persons);
        self.tracked = persons;
        Ok(&self.tracked)
    }

    /// Looks for people not yet in `persons`, in rounds: each round hides
    /// everyone found so far from the detector, until a round finds nobody
    /// new or `max_persons` are found.
    fn add_newcomers(
        &mut self,
        frame: &Frame,
        persons: &mut Vec<PersonView>,
    ) -> Result<(), VisionError> {
        self.frames_since_detection = 0;
        while persons.len() < self.settings.max_persons {
            let mut found_new = false;
            for detection in self.estimator.detect(frame, persons)? {
                if persons.len() >= self.settings.max_persons {
                    break;
                }
                if persons
                    .iter()
                    .any(|p| iou(&p.pose.bbox, &detection.bbox) >= SAME_PERSON_IOU * 0.6)
                {
                    continue;
                }
                if let Some(view) = self.estimator.landmarks(frame, &detection.roi)? {
                    if !persons
                        .iter()
                        .any(|p| iou(&p.pose.bbox, &view.pose.bbox) >= SAME_PERSON_IOU)
                    {
                        persons.push(view);
                        found_new = true;
                    }
                }
            }
            if !found_new {
                break;
            }
        }
        Ok(())
    }
}

/// Best first, by score in hundredths; equal scores keep their order, which
/// is the detector's (its most confident person first, as in MediaPipe) or
/// the order people have been tracked in. Clear poses all score about 1.00,
/// so a finer order would be noise.
fn sort_best_first(persons: &mut [PersonView]) {
    persons.sort_by_key(|p| std::cmp::Reverse(score_in_hundredths(p.pose.score)));
}

pub fn score_in_hundredths(score: f32) -> i32 {
    (score * 100.0).round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_are_valid() {
        assert!(VisionSettings::default().problems().is_empty());
    }

    #[test]
    fn every_bad_setting_is_reported_at_once() {
        let bad = VisionSettings {
            max_persons: 0,
            min_detection_score: 1.5,
            min_pose_score: f32::NAN,
            detect_every_frames: 0,
            threads: 100,
        };
        assert_eq!(bad.problems().len(), 5);
    }
}
