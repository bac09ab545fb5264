//! The models this build expects: file, sha256 and tensors. The files and
//! their provenance are in `models/` (see models/README.md); they are made
//! from PyPI's `mediapipe==0.10.14` by `scripts/models/regenerate`.

use crate::inference::{ModelSpec, TensorSpec};

pub const POSE_DETECTION: ModelSpec = ModelSpec {
    file: "pose_detection.onnx",
    sha256: "31b3d830bf1e8544826e1135a7c06569ec47098d7077aedb4ee2bd845d791580",
    input: TensorSpec { name: "image", shape: &[1, 224, 224, 3] },
    outputs: &[TensorSpec { name: "boxes", shape: &[1, 2254, 12] }, TensorSpec { name: "scores", shape: &[1, 2254, 1] }],
};

pub const POSE_LANDMARK_FULL: ModelSpec = ModelSpec {
    file: "pose_landmark_full.onnx",
    sha256: "531bb904e5db853ec4b3e8caa634b796eed5e7d52ce2b3ae79d7f22fdc62a5bb",
    input: TensorSpec { name: "image", shape: &[1, 256, 256, 3] },
    outputs: &[
        TensorSpec { name: "landmarks", shape: &[1, 195] },
        TensorSpec { name: "pose_flag", shape: &[1, 1] },
        TensorSpec { name: "segmentation", shape: &[1, 256, 256, 1] },
        TensorSpec { name: "heatmap", shape: &[1, 64, 64, 39] },
        TensorSpec { name: "world_landmarks", shape: &[1, 117] },
    ],
};

pub const FACE_DETECTION_SHORT_RANGE: ModelSpec = ModelSpec {
    file: "face_detection_short_range.onnx",
    sha256: "637b5380d4d677ccfdecfcfa46a99dd17002f7b772ccc9fbe2d7630204cb85c9",
    input: TensorSpec { name: "image", shape: &[1, 128, 128, 3] },
    outputs: &[TensorSpec { name: "boxes", shape: &[1, 896, 16] }, TensorSpec { name: "scores", shape: &[1, 896, 1] }],
};
