//! Sources of frames (a live camera, replay of image folders, video files) and of sound
//! (a live microphone; WAV replay is `audio::wav`).
//!
//! Both yield the same in-memory [`Frame`]. A frame is never written to disk,
//! never serialised, never cloned, and its pixels are zeroed when it is
//! dropped (R6.2). Nothing outside `capture` and `vision` sees a frame.

pub mod augment;
pub mod camera;
mod frame;
pub mod latest;
pub mod microphone;
pub mod replay;
mod source;
pub mod video;

pub use frame::{Frame, FrameError, MAX_FRAME_PIXELS};
pub use source::{FramesFrom, SourceError, TimedFrame};
