//! MediaPipe's short-range face detector, used to check that what leaves the
//! room shows no face (R6.1): a picture in which this detector finds a face
//! must never be sent. It runs on the silhouette, never on camera frames in
//! normal operation.

use std::path::Path;

use super::geometry::{crop_to_tensor, Border, Roi};
use super::models::FACE_DETECTION_SHORT_RANGE;
use super::ssd::{self, AnchorOptions};
use super::VisionError;
use crate::capture::Frame;
use crate::inference::{output_f32, Model, Runtime};

const INPUT: usize = 128;
const ANCHORS: AnchorOptions = AnchorOptions {
    input_size: INPUT,
    min_scale: 0.1484375,
    max_scale: 0.75,
    strides: &[8, 16, 16, 16],
    anchor_offset: 0.5,
};
/// MediaPipe's own threshold for this model.
pub const MIN_FACE_SCORE: f32 = 0.5;

/// A face found in an image: score and box in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceFound {
    pub score: f32,
    pub bbox: [f32; 4],
}

pub struct FaceDetector {
    model: Model,
    anchors: Vec<(f32, f32)>,
    input: Vec<f32>,
}

impl FaceDetector {
    pub fn load(runtime: &Runtime, models_dir: &Path) -> Result<FaceDetector, VisionError> {
        Ok(FaceDetector {
            model: Model::load(runtime, models_dir, FACE_DETECTION_SHORT_RANGE, 0)?,
            anchors: ssd::anchors(&ANCHORS),
            input: vec![0.0; INPUT * INPUT * 3],
        })
    }

    /// Faces in the image (letterboxed to the detector's square input).
    pub fn faces(&mut self, image: &Frame) -> Result<Vec<FaceFound>, VisionError> {
        let (w, h) = (image.width() as f32, image.height() as f32);
        let letterbox = Roi {
            center_x: w / 2.0,
            center_y: h / 2.0,
            size: w.max(h),
            rotation: 0.0,
        };
        crop_to_tensor(
            image.rgb(),
            image.width(),
            image.height(),
            &letterbox,
            INPUT,
            (-1.0, 1.0),
            Border::Constant(-1.0),
            &mut self.input,
        );
        let anchors = &self.anchors;
        let found = self.model.run_with(&self.input, |outputs| {
            Ok(ssd::decode(
                anchors,
                output_f32(outputs, 0)?,
                output_f32(outputs, 1)?,
                16,
                INPUT,
                MIN_FACE_SCORE,
            ))
        })?;
        Ok(ssd::weighted_nms(found, 0.3)
            .into_iter()
            .map(|d| {
                let (x0, y0) = letterbox.crop_to_frame(d.bbox[0], d.bbox[1]);
                let (x1, y1) = letterbox.crop_to_frame(d.bbox[2], d.bbox[3]);
                FaceFound {
                    score: d.score,
                    bbox: [x0, y0, x1, y1],
                }
            })
            .collect())
    }
}
