//! YAMNet's front end: 25 ms periodic-Hann frames every 10 ms, 512-point
//! FFT magnitude, 64 HTK mel bands from 125 to 7500 Hz (TensorFlow's
//! `linear_to_mel_weight_matrix`, DC bin excluded), log with a small
//! offset, and patches of 96 frames (0.96 s).

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

pub const FRAME_SAMPLES: usize = 400;
pub const HOP_SAMPLES: usize = 160;
pub const FFT_SIZE: usize = 512;
pub const SPECTRUM_BINS: usize = FFT_SIZE / 2 + 1;
pub const MEL_BANDS: usize = 64;
pub const MEL_LOW_HZ: f64 = 125.0;
pub const MEL_HIGH_HZ: f64 = 7500.0;
pub const PATCH_FRAMES: usize = 96;
/// Patches start every 0.48 s when streaming.
pub const PATCH_HOP_FRAMES: usize = 48;

/// One 0.96 s patch: 96 frames of 64 log-mel values.
pub type Patch = Vec<[f32; MEL_BANDS]>;

pub struct LogMel {
    window: Vec<f32>,
    /// For each mel band, the (spectrum bin, weight) pairs that feed it.
    bands: Vec<Vec<(usize, f32)>>,
    fft: Arc<dyn RealToComplex<f32>>,
    frame: Vec<f32>,
    spectrum: Vec<realfft::num_complex::Complex<f32>>,
    scratch: Vec<realfft::num_complex::Complex<f32>>,
    log_offset: f32,
}

fn hz_to_mel(hz: f64) -> f64 {
    1127.0 * (1.0 + hz / 700.0).ln()
}

/// TensorFlow's `linear_to_mel_weight_matrix` for 16 kHz: weights[bin][band].
pub fn mel_weights(sample_rate: f64) -> Vec<[f64; MEL_BANDS]> {
    let nyquist = sample_rate / 2.0;
    let low = hz_to_mel(MEL_LOW_HZ);
    let high = hz_to_mel(MEL_HIGH_HZ);
    let edges: Vec<f64> = (0..MEL_BANDS + 2).map(|i| low + (high - low) * i as f64 / (MEL_BANDS + 1) as f64).collect();
    (0..SPECTRUM_BINS)
        .map(|bin| {
            let mut row = [0.0; MEL_BANDS];
            if bin == 0 {
                return row; // the DC bin feeds no band
            }
            let mel = hz_to_mel(nyquist * bin as f64 / (SPECTRUM_BINS - 1) as f64);
            for (band, weight) in row.iter_mut().enumerate() {
                let (lower, centre, upper) = (edges[band], edges[band + 1], edges[band + 2]);
                let rising = (mel - lower) / (centre - lower);
                let falling = (upper - mel) / (upper - centre);
                *weight = rising.min(falling).max(0.0);
            }
            row
        })
        .collect()
}

impl LogMel {
    pub fn new(log_offset: f32) -> LogMel {
        // Periodic Hann, as tf.signal.hann_window(periodic=True).
        let window = (0..FRAME_SAMPLES).map(|n| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / FRAME_SAMPLES as f64).cos()) as f32).collect();
        let weights = mel_weights(16_000.0);
        let bands = (0..MEL_BANDS)
            .map(|band| weights.iter().enumerate().filter(|(_, row)| row[band] > 0.0).map(|(bin, row)| (bin, row[band] as f32)).collect())
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_SIZE);
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        LogMel { window, bands, fft, frame: vec![0.0; FFT_SIZE], spectrum, scratch, log_offset }
    }

    /// Log-mel frames of 16 kHz samples: one per 10 ms hop that holds a
    /// whole 25 ms window.
    pub fn frames(&mut self, samples: &[f32]) -> Vec<[f32; MEL_BANDS]> {
        if samples.len() < FRAME_SAMPLES {
            return Vec::new();
        }
        let count = 1 + (samples.len() - FRAME_SAMPLES) / HOP_SAMPLES;
        let mut out = Vec::with_capacity(count);
        let mut magnitude = [0.0f32; SPECTRUM_BINS];
        for index in 0..count {
            let start = index * HOP_SAMPLES;
            for ((slot, sample), w) in self.frame.iter_mut().zip(&samples[start..start + FRAME_SAMPLES]).zip(&self.window) {
                *slot = sample * w;
            }
            self.frame[FRAME_SAMPLES..].fill(0.0);
            // Sizes are fixed at construction, so the FFT cannot fail.
            let _ = self.fft.process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch);
            for (m, c) in magnitude.iter_mut().zip(&self.spectrum) {
                *m = c.norm();
            }
            let mut mel = [0.0f32; MEL_BANDS];
            for (value, band) in mel.iter_mut().zip(&self.bands) {
                let energy: f32 = band.iter().map(|&(bin, weight)| magnitude[bin] * weight).sum();
                *value = (energy + self.log_offset).ln();
            }
            out.push(mel);
        }
        out
    }

    /// Patches of 96 frames, one every `hop_frames` frames.
    pub fn patches(&mut self, samples: &[f32], hop_frames: usize) -> Vec<Patch> {
        let frames = self.frames(samples);
        if frames.len() < PATCH_FRAMES {
            return Vec::new();
        }
        (0..=(frames.len() - PATCH_FRAMES) / hop_frames.max(1)).map(|p| frames[p * hop_frames..p * hop_frames + PATCH_FRAMES].to_vec()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_bands_cover_125_to_7500_hz_and_skip_dc() {
        let weights = mel_weights(16_000.0);
        assert_eq!(weights.len(), 257);
        assert!(weights[0].iter().all(|w| *w == 0.0));
        // 125 Hz is bin 4 (31.25 Hz per bin); nothing below the first edge.
        assert!(weights[1..4].iter().all(|row| row.iter().all(|w| *w == 0.0)));
        assert!(weights[241..].iter().all(|row| row.iter().all(|w| *w == 0.0)), "nothing above 7500 Hz");
        for band in 0..MEL_BANDS {
            assert!(weights.iter().any(|row| row[band] > 0.0), "band {band} is empty");
        }
    }

    #[test]
    fn a_tone_lights_the_band_of_its_pitch() {
        let tone: Vec<f32> = (0..16_000).map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin()).collect();
        let mut front = LogMel::new(0.001);
        let frames = front.frames(&tone);
        assert_eq!(frames.len(), 1 + (16_000 - 400) / 160);
        let loudest = frames[50].iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        let weights = mel_weights(16_000.0);
        let bin_1k = 32; // 1000 Hz / 31.25 Hz
        let best_band = (0..MEL_BANDS).max_by(|&a, &b| weights[bin_1k][a].total_cmp(&weights[bin_1k][b])).unwrap();
        assert!(loudest.abs_diff(best_band) <= 1, "loudest band {loudest}, expected about {best_band}");
    }

    #[test]
    fn silence_is_the_log_of_the_offset_and_patches_hop() {
        let mut front = LogMel::new(0.001);
        let patches = front.patches(&vec![0.0; 16_000 * 2], PATCH_HOP_FRAMES);
        // 2 s: 198 frames, patches at 0, 48, 96 frames.
        assert_eq!(patches.len(), 3);
        assert!(patches[0][0].iter().all(|v| (v - 0.001f32.ln()).abs() < 1e-6));
        assert!(front.patches(&[0.0; 1000], PATCH_HOP_FRAMES).is_empty());
    }
}
