//! BlazePose, as MediaPipe Pose runs it: a person detector on the whole
//! frame, then the full landmark model on a rotated crop around each person.

use std::f32::consts::FRAC_PI_2;
use std::path::Path;

use super::geometry::{crop_to_tensor, Border, Roi};
use super::models::{POSE_DETECTION, POSE_LANDMARK_FULL};
use super::ssd::{self, AnchorOptions};
use super::VisionError;
use crate::capture::Frame;
use crate::domain::{bounding_box, Keypoint, Pose, BODY_KEYPOINTS};
use crate::inference::{output_f32, Model, ModelUsage, Runtime};

const DETECTOR_INPUT: usize = 224;
const LANDMARK_INPUT: usize = 256;
const HEATMAP_SIZE: usize = 64;
/// 33 body keypoints and 6 auxiliary ones; 33 and 34 align the next crop.
const ALL_LANDMARKS: usize = 39;
const VALUES_PER_LANDMARK: usize = 5;
/// Crops are 1.25 times the alignment circle, as MediaPipe's.
const ROI_SCALE: f32 = 1.25;
const NMS_MIN_IOU: f32 = 0.3;
/// Heatmap refinement: window and the confidence it needs to move a point.
const REFINE_KERNEL: usize = 7;
const REFINE_MIN_CONFIDENCE: f32 = 0.5;

const DETECTOR_ANCHORS: AnchorOptions = AnchorOptions {
    input_size: DETECTOR_INPUT,
    min_scale: 0.1484375,
    max_scale: 0.75,
    strides: &[8, 16, 32, 32, 32],
    anchor_offset: 0.5,
};

/// A person the detector found, with the crop to look at them through.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonDetection {
    pub score: f32,
    /// Box in frame pixels.
    pub bbox: [f32; 4],
    pub roi: Roi,
}

/// The landmark model's segmentation of one crop: probability that each
/// cell belongs to the person. It holds no camera pixel.
#[derive(Clone)]
pub struct CropMask {
    pub roi: Roi,
    pub size: usize,
    pub probability: Vec<u8>,
}

impl CropMask {
    /// Probability (0..255) that frame point (x, y) is the person; 0 outside the crop.
    pub fn at_frame_point(&self, x: f32, y: f32) -> u8 {
        let (u, v) = self.roi.frame_to_crop(x, y);
        if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
            return 0;
        }
        let (col, row) = (
            (u * self.size as f32) as usize,
            (v * self.size as f32) as usize,
        );
        self.probability[row.min(self.size - 1) * self.size + col.min(self.size - 1)]
    }
}

impl std::fmt::Debug for CropMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CropMask")
            .field("roi", &self.roi)
            .field("size", &self.size)
            .finish()
    }
}

/// One person's landmarks in one frame, with what tracking needs next.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub pose: Pose,
    pub mask: CropMask,
    /// The crop to use for this person in the next frame.
    pub next_roi: Roi,
}

/// Time spent inside each model, for the benchmark.
#[derive(Debug, Default, Clone, Copy)]
pub struct ModelTime {
    pub detector: ModelUsage,
    pub landmarks: ModelUsage,
}

pub struct PoseEstimator {
    detector: Model,
    landmarker: Model,
    anchors: Vec<(f32, f32)>,
    detector_input: Vec<f32>,
    landmark_input: Vec<f32>,
    min_detection_score: f32,
    min_pose_score: f32,
}

impl PoseEstimator {
    pub fn load(
        runtime: &Runtime,
        models_dir: &Path,
        threads: usize,
        min_detection_score: f32,
        min_pose_score: f32,
    ) -> Result<Self, VisionError> {
        Ok(PoseEstimator {
            detector: Model::load(runtime, models_dir, POSE_DETECTION, threads)?,
            landmarker: Model::load(runtime, models_dir, POSE_LANDMARK_FULL, threads)?,
            anchors: ssd::anchors(&DETECTOR_ANCHORS),
            detector_input: vec![0.0; DETECTOR_INPUT * DETECTOR_INPUT * 3],
            landmark_input: vec![0.0; LANDMARK_INPUT * LANDMARK_INPUT * 3],
            min_detection_score,
            min_pose_score,
        })
    }

    pub fn model_time(&self) -> ModelTime {
        ModelTime {
            detector: self.detector.usage(),
            landmarks: self.landmarker.usage(),
        }
    }

    pub fn reset_model_time(&mut self) {
        self.detector.reset_usage();
        self.landmarker.reset_usage();
    }

    /// Finds people in the frame, best first. People already `known` are
    /// greyed out of the detector's view first: the BlazePose detector
    /// favours one dominant person, so hiding those already found lets it
    /// see the next.
    pub fn detect(
        &mut self,
        frame: &Frame,
        known: &[PersonView],
    ) -> Result<Vec<PersonDetection>, VisionError> {
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        // Letterbox: the whole frame, centred in a square, black around it.
        let side = w.max(h);
        let letterbox = Roi {
            center_x: w / 2.0,
            center_y: h / 2.0,
            size: side,
            rotation: 0.0,
        };
        crop_to_tensor(
            frame.rgb(),
            frame.width(),
            frame.height(),
            &letterbox,
            DETECTOR_INPUT,
            (-1.0, 1.0),
            Border::Constant(-1.0),
            &mut self.detector_input,
        );
        super::light::lift_low_light(&mut self.detector_input, (-1.0, 1.0));
        if !known.is_empty() {
            grey_out(&mut self.detector_input, DETECTOR_INPUT, &letterbox, known);
        }
        let (anchors, min_score) = (&self.anchors, self.min_detection_score);
        let found = self.detector.run_with(&self.detector_input, |outputs| {
            Ok(ssd::decode(
                anchors,
                output_f32(outputs, 0)?,
                output_f32(outputs, 1)?,
                12,
                DETECTOR_INPUT,
                min_score,
            ))
        })?;
        tracing::debug!(
            candidates = found.len(),
            best = found.iter().map(|d| d.score).fold(0.0, f32::max),
            "person detector"
        );
        let to_frame = |(u, v): (f32, f32)| letterbox.crop_to_frame(u, v);
        Ok(ssd::weighted_nms(found, NMS_MIN_IOU)
            .into_iter()
            .map(|d| {
                let (x0, y0) = to_frame((d.bbox[0], d.bbox[1]));
                let (x1, y1) = to_frame((d.bbox[2], d.bbox[3]));
                // Keypoint 0 is the hip centre, 1 the top of the body circle.
                let roi = Roi::from_alignment_points(
                    to_frame(d.keypoints[0]),
                    to_frame(d.keypoints[1]),
                    FRAC_PI_2,
                    ROI_SCALE,
                );
                PersonDetection {
                    score: d.score,
                    bbox: [x0, y0, x1, y1],
                    roi,
                }
            })
            .collect())
    }

    /// Runs the landmark model on one crop. `None` when the model says no
    /// person is in it.
    pub fn landmarks(
        &mut self,
        frame: &Frame,
        roi: &Roi,
    ) -> Result<Option<PersonView>, VisionError> {
        // A crop smaller than a few pixels, or far larger than the frame,
        // cannot hold a person: it comes from a lost track.
        let frame_side = frame.width().max(frame.height()) as f32;
        let plausible =
            roi.size >= 4.0 && roi.size <= 16.0 * frame_side && roi.rotation.is_finite();
        let centre_near =
            roi.center_x.abs() <= 16.0 * frame_side && roi.center_y.abs() <= 16.0 * frame_side;
        if !(plausible && centre_near) {
            return Ok(None);
        }
        crop_to_tensor(
            frame.rgb(),
            frame.width(),
            frame.height(),
            roi,
            LANDMARK_INPUT,
            (0.0, 1.0),
            Border::Replicate,
            &mut self.landmark_input,
        );
        super::light::lift_low_light(&mut self.landmark_input, (0.0, 1.0));
        let min_pose_score = self.min_pose_score;
        let decoded = self.landmarker.run_with(&self.landmark_input, |outputs| {
            let score = pose_score(output_f32(outputs, 1)?[0]);
            if score.is_nan() || score < min_pose_score {
                return Ok(None);
            }
            let raw = output_f32(outputs, 0)?;
            if raw.len() < ALL_LANDMARKS * VALUES_PER_LANDMARK {
                return Err(format!(
                    "landmarks hold {} values, expected {}",
                    raw.len(),
                    ALL_LANDMARKS * VALUES_PER_LANDMARK
                ));
            }
            let mut crop_points = decode_landmarks(raw);
            refine_from_heatmap(&mut crop_points, output_f32(outputs, 3)?);
            let probability = mask_probabilities(output_f32(outputs, 2)?);
            let world = decode_world(output_f32(outputs, 4)?, roi.rotation)?;
            Ok(Some((score, crop_points, probability, world)))
        })?;
        let Some((score, crop_points, probability, world)) = decoded else {
            return Ok(None);
        };
        let mask = CropMask {
            roi: *roi,
            size: LANDMARK_INPUT,
            probability,
        };

        let project = |p: &CropPoint| {
            let (x, y) = roi.crop_to_frame(p.u, p.v);
            Keypoint {
                x,
                y,
                z: p.z * roi.size,
                visibility: ssd::sigmoid(p.visibility_logit),
                presence: ssd::sigmoid(p.presence_logit),
            }
        };
        let keypoints: [Keypoint; BODY_KEYPOINTS] =
            std::array::from_fn(|i| project(&crop_points[i]));
        let hip_centre = project(&crop_points[33]);
        let body_top = project(&crop_points[34]);
        let next_roi = Roi::from_alignment_points(
            (hip_centre.x, hip_centre.y),
            (body_top.x, body_top.y),
            FRAC_PI_2,
            ROI_SCALE,
        );
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let bbox = bounding_box(
            keypoints
                .iter()
                .map(|k| (k.x.clamp(0.0, w), k.y.clamp(0.0, h))),
        );
        Ok(Some(PersonView {
            pose: Pose {
                score,
                bbox,
                keypoints,
                world: Some(world),
            },
            mask,
            next_roi,
        }))
    }
}

/// Segmentation logits to probabilities in 0..=255. A table over logits in
/// steps of 1/16 replaces 65 536 exponentials per crop; the step moves a
/// probability by at most 1/64.
fn mask_probabilities(logits: &[f32]) -> Vec<u8> {
    const STEPS_PER_UNIT: f32 = 16.0;
    const HALF_RANGE: f32 = 8.0;
    static TABLE: std::sync::OnceLock<[u8; 257]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        std::array::from_fn(|i| {
            (ssd::sigmoid(i as f32 / STEPS_PER_UNIT - HALF_RANGE) * 255.0).round() as u8
        })
    });
    logits
        .iter()
        .map(|&logit| {
            // `as` saturates and maps NaN to 0: no evidence of a person.
            // Adding 0.5 then truncating rounds without a libm call.
            let index = ((logit + HALF_RANGE) * STEPS_PER_UNIT + 0.5) as usize;
            table[index.min(256)]
        })
        .collect()
}

/// Sets every input cell that a known person's mask covers to mid grey.
fn grey_out(input: &mut [f32], size: usize, view: &Roi, known: &[PersonView]) {
    const COVERED: u8 = 64;
    for (index, pixel) in input.chunks_exact_mut(3).enumerate() {
        let (u, v) = (
            ((index % size) as f32 + 0.5) / size as f32,
            ((index / size) as f32 + 0.5) / size as f32,
        );
        let (x, y) = view.crop_to_frame(u, v);
        if known.iter().any(|p| p.mask.at_frame_point(x, y) >= COVERED) {
            pixel.fill(0.0);
        }
    }
}

/// The pose flag output is already a probability in this model; clamp it in
/// case a model gives a value just outside 0..1.
fn pose_score(flag: f32) -> f32 {
    flag.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_table_follows_the_sigmoid() {
        let logits: Vec<f32> = (-200..=200)
            .map(|i| i as f32 / 20.0)
            .chain([f32::NAN, f32::INFINITY, f32::NEG_INFINITY])
            .collect();
        let table = mask_probabilities(&logits);
        for (logit, p) in logits.iter().zip(&table).take(401) {
            let exact = ssd::sigmoid(*logit) * 255.0;
            assert!(
                (exact - *p as f32).abs() <= 4.5,
                "logit {logit}: {p} vs {exact}"
            );
        }
        assert_eq!(&table[401..], &[0, 255, 0]);
    }
}

#[derive(Debug, Clone, Copy)]
struct CropPoint {
    u: f32,
    v: f32,
    z: f32,
    visibility_logit: f32,
    presence_logit: f32,
}

fn decode_landmarks(raw: &[f32]) -> Vec<CropPoint> {
    let scale = LANDMARK_INPUT as f32;
    raw.chunks_exact(VALUES_PER_LANDMARK)
        .take(ALL_LANDMARKS)
        .map(|v| CropPoint {
            u: v[0] / scale,
            v: v[1] / scale,
            z: v[2] / scale,
            visibility_logit: v[3],
            presence_logit: v[4],
        })
        .collect()
}

/// The world landmarks, turned back by the crop's rotation as MediaPipe's
/// `WorldLandmarkProjectionCalculator` does, so x and y follow the picture.
fn decode_world(raw: &[f32], rotation: f32) -> Result<[[f32; 3]; BODY_KEYPOINTS], String> {
    if raw.len() < BODY_KEYPOINTS * 3 {
        return Err(format!(
            "world landmarks hold {} values, expected at least {}",
            raw.len(),
            BODY_KEYPOINTS * 3
        ));
    }
    let (sin, cos) = rotation.sin_cos();
    Ok(std::array::from_fn(|i| {
        let (x, y, z) = (raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]);
        [cos * x - sin * y, sin * x + cos * y, z]
    }))
}

/// MediaPipe's `RefineLandmarksFromHeatmapCalculator`: moves each point to
/// the confidence-weighted centre of the heatmap around it, when the heatmap
/// is confident there.
fn refine_from_heatmap(points: &mut [CropPoint], heatmap: &[f32]) {
    let n = HEATMAP_SIZE as i64;
    let offset = (REFINE_KERNEL as i64 - 1) / 2;
    for (k, p) in points.iter_mut().enumerate().take(ALL_LANDMARKS) {
        let centre_col = (p.u * n as f32) as i64;
        let centre_row = (p.v * n as f32) as i64;
        if !(0..n).contains(&centre_col) || !(0..n).contains(&centre_row) {
            continue;
        }
        let (mut sum, mut max, mut col_sum, mut row_sum) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for row in (centre_row - offset).max(0)..=(centre_row + offset).min(n - 1) {
            for col in (centre_col - offset).max(0)..=(centre_col + offset).min(n - 1) {
                let confidence =
                    ssd::sigmoid(heatmap[((row * n + col) as usize) * ALL_LANDMARKS + k]);
                sum += confidence;
                max = max.max(confidence);
                col_sum += col as f32 * confidence;
                row_sum += row as f32 * confidence;
            }
        }
        if max >= REFINE_MIN_CONFIDENCE && sum > 0.0 {
            p.u = col_sum / n as f32 / sum;
            p.v = row_sum / n as f32 / sum;
        }
    }
}
