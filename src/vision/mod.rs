//! From frames to poses: BlazePose detection and landmarks, tracking
//! between frames, and the silhouette, the only visual output (R6.1).
//!
//! Imports `capture` (for `Frame`), `inference` and `domain`; nothing that
//! stores or sends. What leaves this module holds no camera pixel.

pub mod face;
pub mod geometry;
mod light;
pub mod models;
mod pose;
pub mod silhouette;
pub mod ssd;
mod tracker;

pub use pose::{CropMask, ModelTime, PersonDetection, PersonView, PoseEstimator};
pub use tracker::{score_in_hundredths, PoseTracker, VisionSettings};

#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error(transparent)]
    Model(#[from] crate::inference::ModelError),
    #[error(transparent)]
    Runtime(#[from] crate::inference::RuntimeError),
}
