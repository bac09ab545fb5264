use std::fmt;

use zeroize::Zeroize;

/// The rate every analysis runs at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Sound at 16 kHz mono, samples in -1..1, in memory only.
///
/// Not `Clone`, not `Serialize`, and its `Debug` prints only the length:
/// sound cannot be copied, stored or logged through this type (R5.4). The
/// samples are zeroed on drop.
pub struct AudioChunk {
    samples: Vec<f32>,
}

impl AudioChunk {
    /// Takes over a buffer of 16 kHz mono samples.
    pub fn from_samples(samples: Vec<f32>) -> AudioChunk {
        AudioChunk { samples }
    }

    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / f64::from(SAMPLE_RATE)
    }
}

impl Drop for AudioChunk {
    fn drop(&mut self) {
        self.samples.zeroize();
    }
}

impl fmt::Debug for AudioChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AudioChunk({:.2} s, samples withheld)",
            self.duration_s()
        )
    }
}
