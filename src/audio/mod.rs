//! Sound, in memory only (R2.2, R5): WAV or microphone → 16 kHz mono
//! [`AudioChunk`]. There is no playback path in this crate at all (R5.2):
//! nothing here, or anywhere, opens an output stream.

pub mod alarm_pattern;
pub mod analyzer;
mod chunk;
pub mod events;
pub mod logmel;
pub mod report;
pub mod resample;
pub mod tone;
pub mod vad;
pub mod wav;
pub mod yamnet;

pub use chunk::{AudioChunk, SAMPLE_RATE};
