//! tryghed: a room device for Danish care homes that watches and listens in
//! memory only and tells staff when a resident is at risk.
//!
//! Data flows one way: `capture` (camera, replay) → `vision` (BlazePose via
//! ONNX Runtime, in `inference`) → results that hold no camera pixel: poses
//! and the silhouette (R6.1). Frames cannot be serialised, cloned or printed
//! and are zeroed on drop (R6.2). See ARCHITECTURE.md for the map.

#![forbid(unsafe_code)]

pub mod alarm;
pub mod app;
pub mod audio;
pub mod bench;
pub mod capture;
pub mod care;
pub mod config;
pub mod deliver;
pub mod demo;
pub mod domain;
pub mod enrol;
pub mod eval;
pub mod inference;
pub mod link;
pub mod listen;
pub mod permit;
pub mod photo_cases;
pub mod policy;
pub mod protocol;
pub mod random;
pub mod replay;
pub mod report;
pub mod store;
pub mod vision;
