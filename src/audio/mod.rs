//! Sound, in memory only (R2.2, R5): WAV or microphone → 16 kHz mono
//! [`AudioChunk`]. There is no playback path in this crate at all (R5.2):
//! nothing here, or anywhere, opens an output stream.

mod chunk;
pub mod logmel;
pub mod resample;
pub mod wav;
pub mod yamnet;

pub use chunk::{AudioChunk, SAMPLE_RATE};
