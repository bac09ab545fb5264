//! Voice activity with Silero VAD (PyPI `silero-vad==6.2.3`, MIT; see
//! models/README.md): a speech probability per 32 ms frame, with the
//! model's recurrent state carried from call to call, and speech segments
//! cut from those probabilities as `silero_vad.get_speech_timestamps` does.

use std::path::Path;

use zeroize::Zeroize;

use super::SAMPLE_RATE;
use crate::inference::{output_f32, InputData, Model, ModelError, ModelSpec, Runtime, TensorSpec};

/// New samples per frame at 16 kHz...
pub const CHUNK_SAMPLES: usize = 512;
/// ...preceded by the last samples of the frame before.
const CONTEXT_SAMPLES: usize = 64;
const ROW: usize = CONTEXT_SAMPLES + CHUNK_SAMPLES;
const STATE_LEN: usize = 128;
/// Frames per warm-up run: one patch hop (0.48 s).
const WARM_UP_FRAMES: i64 = 15;

/// The wheel's 16 kHz model that takes a run of frames per call and gives
/// the same probabilities as its streaming model called frame by frame
/// (checked by scripts/audio/models.py), at half the cost per frame.
pub const SILERO_VAD: ModelSpec = ModelSpec {
    file: "silero_vad_16k_sequence.onnx",
    sha256: "9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85",
    quantised: false,
    inputs: &[
        TensorSpec::f32("input", &[WARM_UP_FRAMES, ROW as i64]).declared_as(&[-1, ROW as i64]),
        TensorSpec::f32("h", &[1, 1, 128]),
        TensorSpec::f32("c", &[1, 1, 128]),
    ],
    outputs: &[
        TensorSpec::f32("speech_probs", &[WARM_UP_FRAMES]).declared_as(&[-1]),
        TensorSpec::f32("hn", &[1, 1, 128]),
        TensorSpec::f32("cn", &[1, 1, 128]),
    ],
};

/// Silero VAD with its state: feed it consecutive 512-sample frames.
pub struct Vad {
    model: Model,
    h: Vec<f32>,
    c: Vec<f32>,
    /// The last 64 samples of the previous frame.
    context: [f32; CONTEXT_SAMPLES],
    rows: Vec<f32>,
}

impl Vad {
    /// One ONNX Runtime thread: the model is small, where thread hand-over
    /// costs more than it gains.
    pub fn load(runtime: &Runtime, models_dir: &Path) -> Result<Vad, ModelError> {
        let model = Model::load(runtime, models_dir, SILERO_VAD, 1)?;
        Ok(Vad {
            model,
            h: vec![0.0; STATE_LEN],
            c: vec![0.0; STATE_LEN],
            context: [0.0; CONTEXT_SAMPLES],
            rows: Vec::new(),
        })
    }

    /// Forgets the sound heard so far (a new file or a restarted microphone).
    pub fn reset(&mut self) {
        self.h.fill(0.0);
        self.c.fill(0.0);
        self.context.fill(0.0);
    }

    /// The speech probability of each of the next 512-sample frames
    /// (`samples` holds whole frames; a partial one at the end is ignored).
    pub fn probabilities(&mut self, samples: &[f32]) -> Result<Vec<f32>, ModelError> {
        let frames = samples.len() / CHUNK_SAMPLES;
        if frames == 0 {
            return Ok(Vec::new());
        }
        self.rows.clear();
        for frame in samples.chunks_exact(CHUNK_SAMPLES) {
            self.rows.extend_from_slice(&self.context);
            self.rows.extend_from_slice(frame);
            self.context
                .copy_from_slice(&frame[CHUNK_SAMPLES - CONTEXT_SAMPLES..]);
        }
        let shape = [frames as i64, ROW as i64];
        let state = [1, 1, STATE_LEN as i64];
        let inputs = [
            (InputData::F32(&self.rows), &shape[..]),
            (InputData::F32(&self.h), &state[..]),
            (InputData::F32(&self.c), &state[..]),
        ];
        let result = self.model.run_shaped_with(&inputs, |outputs| {
            let probabilities = output_f32(outputs, 0)?;
            let (h, c) = (output_f32(outputs, 1)?, output_f32(outputs, 2)?);
            if probabilities.len() != frames || h.len() != STATE_LEN || c.len() != STATE_LEN {
                return Err(format!(
                    "{} probabilities for {frames} frames, states of {} and {}",
                    probabilities.len(),
                    h.len(),
                    c.len()
                ));
            }
            Ok((probabilities.to_vec(), h.to_vec(), c.to_vec()))
        });
        // The rows are sound (R5.4).
        self.rows.zeroize();
        let (probabilities, h, c) = result?;
        self.h.copy_from_slice(&h);
        self.c.copy_from_slice(&c);
        Ok(probabilities)
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }
}

impl Drop for Vad {
    fn drop(&mut self) {
        // The context holds the last 4 ms of sound.
        self.context.zeroize();
    }
}

/// When speech counts as speech; the defaults are `get_speech_timestamps`'s.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpeechSettings {
    /// Speech starts at this probability...
    pub threshold: f32,
    /// ...and ends when it falls below this one for `min_silence_ms`.
    pub end_threshold: f32,
    pub min_speech_ms: u32,
    pub min_silence_ms: u32,
    /// Added before and after each segment.
    pub pad_ms: u32,
}

impl Default for SpeechSettings {
    fn default() -> Self {
        SpeechSettings {
            threshold: 0.5,
            end_threshold: 0.35,
            min_speech_ms: 250,
            min_silence_ms: 100,
            pad_ms: 30,
        }
    }
}

impl SpeechSettings {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(0.0..=1.0).contains(&self.threshold) || self.threshold.is_nan() {
            problems.push(format!(
                "threshold {} is not a probability (0 to 1)",
                self.threshold
            ));
        }
        if !(0.0..=self.threshold).contains(&self.end_threshold) {
            problems.push(format!(
                "end_threshold {} must be from 0 up to threshold {}",
                self.end_threshold, self.threshold
            ));
        }
        if self.min_speech_ms > 60_000 || self.min_silence_ms > 60_000 || self.pad_ms > 5_000 {
            problems.push(
                "min_speech_ms and min_silence_ms are at most 60000, pad_ms at most 5000"
                    .to_string(),
            );
        }
        problems
    }
}

/// A stretch of speech, in samples from the start of the sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeechSegment {
    pub start: u64,
    pub end: u64,
}

impl SpeechSegment {
    pub fn start_s(&self) -> f64 {
        self.start as f64 / f64::from(SAMPLE_RATE)
    }
    pub fn end_s(&self) -> f64 {
        self.end as f64 / f64::from(SAMPLE_RATE)
    }
}

/// Cuts speech segments from per-chunk probabilities as they come, so a
/// microphone gives the same segments as a whole file. Pure: no model.
#[derive(Debug, Clone)]
pub struct SpeechSegmenter {
    settings: SpeechSettings,
    /// Samples of sound seen so far.
    position: u64,
    speech_start: Option<u64>,
    /// Where the probability last fell below `end_threshold` during speech.
    silence_start: Option<u64>,
    /// Where the previous segment ended, padding included.
    last_end: u64,
}

impl SpeechSegmenter {
    pub fn new(settings: SpeechSettings) -> SpeechSegmenter {
        SpeechSegmenter {
            settings,
            position: 0,
            speech_start: None,
            silence_start: None,
            last_end: 0,
        }
    }

    fn ms(&self, ms: u32) -> u64 {
        u64::from(ms) * u64::from(SAMPLE_RATE) / 1000
    }

    /// Takes the probability of the next 512-sample chunk; gives a segment
    /// when one has ended.
    pub fn push(&mut self, probability: f32) -> Option<SpeechSegment> {
        let chunk_start = self.position;
        self.position += CHUNK_SAMPLES as u64;
        if probability >= self.settings.threshold {
            self.silence_start = None;
            if self.speech_start.is_none() {
                self.speech_start = Some(chunk_start);
            }
            return None;
        }
        let start = self.speech_start?;
        if probability >= self.settings.end_threshold {
            return None;
        }
        let silence = *self.silence_start.get_or_insert(chunk_start);
        if self.position - silence < self.ms(self.settings.min_silence_ms) {
            return None;
        }
        self.speech_start = None;
        self.silence_start = None;
        self.close(start, silence)
    }

    /// Ends the sound: closes a segment still open, and starts again at 0 s.
    pub fn finish(&mut self) -> Option<SpeechSegment> {
        let open = self.speech_start.take().and_then(|start| {
            let end = self.silence_start.take().unwrap_or(self.position);
            self.close(start, end)
        });
        *self = SpeechSegmenter::new(self.settings.clone());
        open
    }

    fn close(&mut self, start: u64, end: u64) -> Option<SpeechSegment> {
        if end - start < self.ms(self.settings.min_speech_ms) {
            return None;
        }
        let pad = self.ms(self.settings.pad_ms);
        let segment = SpeechSegment {
            start: start.saturating_sub(pad).max(self.last_end),
            end: (end + pad).min(self.position),
        };
        self.last_end = segment.end;
        Some(segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(probabilities: &[f32]) -> Vec<(u64, u64)> {
        let mut cutter = SpeechSegmenter::new(SpeechSettings::default());
        let mut out: Vec<_> = probabilities
            .iter()
            .filter_map(|p| cutter.push(*p))
            .collect();
        out.extend(cutter.finish());
        out.into_iter().map(|s| (s.start, s.end)).collect()
    }

    #[test]
    fn segments_follow_the_thresholds() {
        let chunk = CHUNK_SAMPLES as u64;
        let pad = 480;
        // 10 chunks of speech (320 ms) between silence.
        let mut p = vec![0.1; 5];
        p.extend([0.9; 10]);
        p.extend([0.1; 10]);
        assert_eq!(segments(&p), vec![(5 * chunk - pad, 15 * chunk + pad)]);
        // Too short to be speech: 5 chunks = 160 ms.
        let mut p = vec![0.1; 5];
        p.extend([0.9; 5]);
        p.extend([0.1; 10]);
        assert!(segments(&p).is_empty());
        // A dip under 100 ms does not split the segment, one that is long enough does.
        let mut p = vec![0.9; 10];
        p.extend([0.1; 2]);
        p.extend([0.9; 10]);
        assert_eq!(segments(&p).len(), 1);
        let mut p = vec![0.9; 10];
        p.extend([0.1; 8]);
        p.extend([0.9; 10]);
        assert_eq!(segments(&p).len(), 2);
        // Between the two thresholds speech goes on.
        let mut p = vec![0.9; 10];
        p.extend([0.4; 20]);
        assert_eq!(segments(&p), vec![(0, 30 * chunk)]);
    }

    #[test]
    fn settings_are_checked() {
        assert!(SpeechSettings::default().problems().is_empty());
        let bad = SpeechSettings {
            threshold: 1.5,
            end_threshold: 1.6,
            ..SpeechSettings::default()
        };
        assert_eq!(bad.problems().len(), 2);
    }
}
