//! The models this build expects: file, sha256 and tensors. The files and
//! their provenance are in `models/` (see models/README.md); they are made
//! from PyPI's `mediapipe==0.10.14` by `scripts/models/regenerate`.

use crate::inference::{ModelSpec, TensorSpec};

pub const POSE_DETECTION: ModelSpec = ModelSpec {
    file: "pose_detection.onnx",
    sha256: "3265af691f8a58843bada01cfe0d4790ef07e01a9419e79805c9ad61785475f2",
    quantised: false,
    inputs: &[TensorSpec::f32("image", &[1, 224, 224, 3])],
    outputs: &[
        TensorSpec::f32("boxes", &[1, 2254, 12]),
        TensorSpec::f32("scores", &[1, 2254, 1]),
    ],
};

pub const POSE_LANDMARK_FULL: ModelSpec = ModelSpec {
    file: "pose_landmark_full.onnx",
    sha256: "955dbce0a1ab41b94f15946dc7b870f9ebc2c9fbba7bb024115e4985f09cf43b",
    quantised: false,
    inputs: &[TensorSpec::f32("image", &[1, 256, 256, 3])],
    outputs: &[
        TensorSpec::f32("landmarks", &[1, 195]),
        TensorSpec::f32("pose_flag", &[1, 1]),
        TensorSpec::f32("segmentation", &[1, 256, 256, 1]),
        TensorSpec::f32("heatmap", &[1, 64, 64, 39]),
        TensorSpec::f32("world_landmarks", &[1, 117]),
    ],
};

pub const FACE_DETECTION_SHORT_RANGE: ModelSpec = ModelSpec {
    file: "face_detection_short_range.onnx",
    sha256: "30adead61cbf3fa6911b2772cd38261c2de4ed8b6029c32127ee5d88c0381216",
    quantised: false,
    inputs: &[TensorSpec::f32("image", &[1, 128, 128, 3])],
    outputs: &[
        TensorSpec::f32("boxes", &[1, 896, 16]),
        TensorSpec::f32("scores", &[1, 896, 1]),
    ],
};
