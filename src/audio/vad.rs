//! Voice activity with Silero VAD (PyPI `silero-vad==6.2.3`, MIT; see
//! models/README.md): a speech probability per 32 ms, with the model's
//! recurrent state carried from call to call, and speech segments cut from
//! those probabilities the way `silero_vad.get_speech_timestamps` cuts them.

use std::path::Path;

use zeroize::Zeroize;

use super::SAMPLE_RATE;
use crate::inference::{output_f32, InputData, Model, ModelError, ModelSpec, Runtime, TensorSpec};

/// New samples per call at 16 kHz...
pub const CHUNK_SAMPLES: usize = 512;
/// ...preceded by the last samples of the call before.
const CONTEXT_SAMPLES: usize = 64;
const STATE_LEN: usize = 2 * 128;

pub const SILERO_VAD: ModelSpec = ModelSpec {
    file: "silero_vad.onnx",
    sha256: "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
    inputs: &[
        TensorSpec::f32("input", &[1, (CONTEXT_SAMPLES + CHUNK_SAMPLES) as i64]).declared_as(&[-1, -1]),
        TensorSpec::f32("state", &[2, 1, 128]).declared_as(&[2, -1, 128]),
        TensorSpec::i64("sr", &[]),
    ],
    outputs: &[TensorSpec::f32("output", &[1, 1]).declared_as(&[-1, 1]), TensorSpec::f32("stateN", &[2, 1, 128]).declared_as(&[-1, -1, -1])],
};

/// Silero VAD with its state: feed it consecutive 512-sample chunks.
pub struct Vad {
    model: Model,
    state: Vec<f32>,
    input: Vec<f32>,
}

impl Vad {
    /// One ONNX Runtime thread: the model is small and called every 32 ms,
    /// where thread hand-over costs more than it gains.
    pub fn load(runtime: &Runtime, models_dir: &Path) -> Result<Vad, ModelError> {
        let model = Model::load(runtime, models_dir, SILERO_VAD, 1)?;
        Ok(Vad { model, state: vec![0.0; STATE_LEN], input: vec![0.0; CONTEXT_SAMPLES + CHUNK_SAMPLES] })
    }

    /// Forgets the sound heard so far (a new file or a restarted microphone).
    pub fn reset(&mut self) {
        self.state.fill(0.0);
        self.input.fill(0.0);
    }

    /// The speech probability of the next 512 samples.
    pub fn probability(&mut self, chunk: &[f32; CHUNK_SAMPLES]) -> Result<f32, ModelError> {
        // The last 64 samples of the previous chunk stay in front as context.
        self.input.copy_within(CHUNK_SAMPLES.., 0);
        self.input[CONTEXT_SAMPLES..].copy_from_slice(chunk);
        let rate = [i64::from(SAMPLE_RATE)];
        let inputs = [InputData::F32(&self.input), InputData::F32(&self.state), InputData::I64(&rate)];
        let (probability, state) = self.model.run_inputs_with(&inputs, |outputs| {
            let probability = *output_f32(outputs, 0)?.first().ok_or("no speech probability")?;
            let state = output_f32(outputs, 1)?;
            if state.len() != STATE_LEN {
                return Err(format!("a state of {} values, expected {STATE_LEN}", state.len()));
            }
            Ok((probability, state.to_vec()))
        })?;
        self.state.copy_from_slice(&state);
        Ok(probability)
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
        self.input.zeroize();
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
        SpeechSettings { threshold: 0.5, end_threshold: 0.35, min_speech_ms: 250, min_silence_ms: 100, pad_ms: 30 }
    }
}

impl SpeechSettings {
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(0.0..=1.0).contains(&self.threshold) || self.threshold.is_nan() {
            problems.push(format!("threshold {} is not a probability (0 to 1)", self.threshold));
        }
        if !(0.0..=self.threshold).contains(&self.end_threshold) {
            problems.push(format!("end_threshold {} must be from 0 up to threshold {}", self.end_threshold, self.threshold));
        }
        if self.min_speech_ms > 60_000 || self.min_silence_ms > 60_000 || self.pad_ms > 5_000 {
            problems.push("min_speech_ms and min_silence_ms are at most 60000, pad_ms at most 5000".to_string());
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
        SpeechSegmenter { settings, position: 0, speech_start: None, silence_start: None, last_end: 0 }
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
        let segment = SpeechSegment { start: start.saturating_sub(pad).max(self.last_end), end: (end + pad).min(self.position) };
        self.last_end = segment.end;
        Some(segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(probabilities: &[f32]) -> Vec<(u64, u64)> {
        let mut cutter = SpeechSegmenter::new(SpeechSettings::default());
        let mut out: Vec<_> = probabilities.iter().filter_map(|p| cutter.push(*p)).collect();
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
        let bad = SpeechSettings { threshold: 1.5, end_threshold: 1.6, ..SpeechSettings::default() };
        assert_eq!(bad.problems().len(), 2);
    }
}
