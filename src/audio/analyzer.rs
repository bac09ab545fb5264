//! The whole sound path on a stream of 16 kHz chunks: log-mel patches and
//! YAMNet, Silero VAD and speech segments, and care sound events. A file
//! and a microphone go through the same code, piece by piece, so memory
//! stays bounded however long the sound is.

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::alarm_pattern::{AlarmListener, PatternUpdate};
use super::events::{EventDetector, EventRules, EventUpdate, PatchScores, RulesError};
use super::logmel::{Cut, PatchStream, CHUNK_HOP_SAMPLES, CHUNK_SAMPLES, LOG_OFFSET};
use super::vad::{SpeechSegment, SpeechSegmenter, SpeechSettings, Vad, CHUNK_SAMPLES as VAD_CHUNK};
use super::yamnet::{Yamnet, YamnetError};
use super::{AudioChunk, SAMPLE_RATE};
use crate::inference::{ModelError, Runtime};

/// The `[sound]` section of the config.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SoundSettings {
    pub speech: SpeechSettings,
    pub events: EventRules,
}

impl SoundSettings {
    pub fn problems(&self, classes: Option<&[String]>) -> Vec<String> {
        let mut problems: Vec<String> = self
            .speech
            .problems()
            .into_iter()
            .map(|p| format!("speech.{p}"))
            .collect();
        problems.extend(
            self.events
                .problems(classes)
                .into_iter()
                .map(|p| format!("events.{p}")),
        );
        problems
    }
}

/// YAMNet's verdict on one 0.96 s patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchResult {
    pub index: u64,
    pub start_s: f64,
    /// The five most likely classes: (class index, probability).
    pub top: Vec<(usize, f32)>,
    /// The same for the second look half a hop earlier, when an onset
    /// called for one; the care events read the higher of the two per class.
    pub second_look: Option<Vec<(usize, f32)>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SoundOutput {
    Patch(PatchResult),
    Speech(SpeechSegment),
    Event(EventUpdate),
}

/// Time spent per stage since the analyzer was made.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTimes {
    pub front_end: Duration,
    pub yamnet: Duration,
    pub vad: Duration,
    pub events: Duration,
    /// Tones and alarm patterns.
    pub alarm_patterns: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzerError {
    #[error(transparent)]
    Yamnet(#[from] YamnetError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Rules(#[from] RulesError),
}

pub struct SoundAnalyzer {
    patches: PatchStream,
    yamnet: Yamnet,
    vad: Vad,
    segmenter: SpeechSegmenter,
    detector: EventDetector,
    patterns: AlarmListener,
    /// Samples waiting for the VAD.
    vad_pending: Vec<f32>,
    /// Samples the VAD has heard, and its probability per chunk from
    /// `voice_start` on (older ones are no longer needed).
    vad_done: u64,
    voice: VecDeque<f32>,
    voice_start: u64,
    /// Patches waiting for the VAD to cover them.
    waiting: VecDeque<Cut>,
    times: StageTimes,
}

fn patch_window(index: u64) -> (u64, u64) {
    let start = index * CHUNK_HOP_SAMPLES as u64;
    (start, start + CHUNK_SAMPLES as u64)
}

fn probability(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit).exp())
}

/// What the care events read: per class, the higher of the patch and its
/// second look.
fn heard_probabilities(logits: &[f32], second_look: Option<&[f32]>) -> Vec<f32> {
    match second_look {
        Some(second) => logits
            .iter()
            .zip(second)
            .map(|(a, b)| probability(a.max(*b)))
            .collect(),
        None => logits.iter().map(|&l| probability(l)).collect(),
    }
}

/// The five most likely classes: (class index, probability).
fn top_five(logits: &[f32]) -> Vec<(usize, f32)> {
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(5)
        .map(|i| (i, probability(logits[i])))
        .collect()
}

fn seconds(samples: u64) -> f64 {
    samples as f64 / f64::from(SAMPLE_RATE)
}

impl SoundAnalyzer {
    pub fn load(
        runtime: &Runtime,
        models_dir: &Path,
        settings: &SoundSettings,
    ) -> Result<SoundAnalyzer, AnalyzerError> {
        let yamnet = Yamnet::load(runtime, models_dir)?;
        let vad = Vad::load(runtime, models_dir)?;
        let detector = EventDetector::new(&settings.events, yamnet.class_names())?;
        Ok(SoundAnalyzer {
            patches: PatchStream::new(LOG_OFFSET),
            yamnet,
            vad,
            segmenter: SpeechSegmenter::new(settings.speech.clone()),
            detector,
            patterns: AlarmListener::default(),
            vad_pending: Vec::new(),
            vad_done: 0,
            voice: VecDeque::new(),
            voice_start: 0,
            waiting: VecDeque::new(),
            times: StageTimes::default(),
        })
    }

    pub fn class_name(&self, index: usize) -> &str {
        self.yamnet.class_name(index)
    }

    pub fn times(&self) -> StageTimes {
        self.times
    }

    /// Analyses the next piece of sound; the chunk is wiped when the caller
    /// drops it.
    pub fn push(&mut self, chunk: &AudioChunk) -> Result<Vec<SoundOutput>, AnalyzerError> {
        let mut out = Vec::new();
        self.listen_for_voice(chunk.samples(), false, &mut out)?;
        let t = Instant::now();
        let heard = self.patterns.push(chunk.samples());
        self.hear_patterns(heard, t, &mut out);
        let t = Instant::now();
        let ready = self.patches.push(chunk.samples());
        self.times.front_end += t.elapsed();
        self.waiting.extend(ready);
        self.classify_covered(false, &mut out)?;
        Ok(out)
    }

    /// The sound has ended (end of file, microphone stopped): the last
    /// patch, open speech and open events are closed. The analyzer is
    /// then ready for a new sound.
    pub fn finish(&mut self) -> Result<Vec<SoundOutput>, AnalyzerError> {
        let mut out = Vec::new();
        let t = Instant::now();
        let heard = self.patterns.finish();
        self.hear_patterns(heard, t, &mut out);
        // The last part-frame is padded with silence, as Silero's own tools do.
        let missing = (VAD_CHUNK - self.vad_pending.len() % VAD_CHUNK) % VAD_CHUNK;
        self.listen_for_voice(&vec![0.0; missing], true, &mut out)?;
        let t = Instant::now();
        let ready = self.patches.finish();
        self.times.front_end += t.elapsed();
        self.waiting.extend(ready);
        self.classify_covered(true, &mut out)?;
        out.extend(self.segmenter.finish().map(SoundOutput::Speech));
        let t = Instant::now();
        out.extend(self.detector.finish().into_iter().map(SoundOutput::Event));
        self.times.events += t.elapsed();
        self.vad.reset();
        self.vad_done = 0;
        self.voice.clear();
        self.voice_start = 0;
        Ok(out)
    }

    fn hear_patterns(
        &mut self,
        heard: Vec<PatternUpdate>,
        since: Instant,
        out: &mut Vec<SoundOutput>,
    ) {
        for update in heard {
            out.extend(
                self.detector
                    .push_pattern(update)
                    .into_iter()
                    .map(SoundOutput::Event),
            );
        }
        self.times.alarm_patterns += since.elapsed();
    }

    /// Runs the VAD over whole frames waiting, once a patch hop's worth
    /// (15 frames) has gathered or `all` is asked for: one model call per
    /// run of frames costs half as much per frame as one per frame.
    fn listen_for_voice(
        &mut self,
        samples: &[f32],
        all: bool,
        out: &mut Vec<SoundOutput>,
    ) -> Result<(), AnalyzerError> {
        self.vad_pending.extend_from_slice(samples);
        let frames = self.vad_pending.len() / VAD_CHUNK;
        if frames == 0 || (!all && frames * VAD_CHUNK < CHUNK_HOP_SAMPLES) {
            return Ok(());
        }
        let t = Instant::now();
        let whole = frames * VAD_CHUNK;
        let probabilities = self.vad.probabilities(&self.vad_pending[..whole]);
        self.vad_pending[..whole].zeroize();
        self.vad_pending.drain(..whole);
        for probability in probabilities? {
            self.vad_done += VAD_CHUNK as u64;
            self.voice.push_back(probability);
            out.extend(self.segmenter.push(probability).map(SoundOutput::Speech));
        }
        self.times.vad += t.elapsed();
        Ok(())
    }

    /// The VAD's highest probability over the samples `start..end`.
    fn voice_over(&self, start: u64, end: u64) -> f32 {
        let first_chunk = ((start / VAD_CHUNK as u64).saturating_sub(self.voice_start)) as usize;
        let last_chunk = end
            .div_ceil(VAD_CHUNK as u64)
            .saturating_sub(self.voice_start) as usize;
        self.voice
            .range(first_chunk.min(self.voice.len())..last_chunk.min(self.voice.len()))
            .copied()
            .fold(0.0f32, f32::max)
    }

    /// YAMNet's logits for the patch and for its second look, if one was taken.
    fn classify(&mut self, mut cut: Cut) -> Result<(Vec<f32>, Option<Vec<f32>>), AnalyzerError> {
        let logits = self.yamnet.logits(&cut.patch);
        // A log-mel patch is sound too (R5.4).
        cut.patch.zeroize();
        let Some(mut second) = cut.second_look.take() else {
            return Ok((logits?, None));
        };
        let seen = self.yamnet.logits(&second);
        second.zeroize();
        Ok((logits?, Some(seen?)))
    }

    /// Classifies the patches the VAD has fully heard (all of them at the end).
    fn classify_covered(
        &mut self,
        at_end: bool,
        out: &mut Vec<SoundOutput>,
    ) -> Result<(), AnalyzerError> {
        while let Some(cut) = self.waiting.front() {
            let (start, end) = patch_window(cut.index);
            if !at_end && end > self.vad_done {
                break;
            }
            let Some(cut) = self.waiting.pop_front() else {
                break;
            };
            let index = cut.index;
            let voice = self.voice_over(start, end);
            let t = Instant::now();
            let (logits, second) = self.classify(cut)?;
            self.times.yamnet += t.elapsed();
            let t = Instant::now();
            let probabilities = heard_probabilities(&logits, second.as_deref());
            let start_s = seconds(start);
            out.push(SoundOutput::Patch(PatchResult {
                index,
                start_s,
                top: top_five(&logits),
                second_look: second.as_deref().map(top_five),
            }));
            let scores = PatchScores {
                start_s,
                end_s: seconds(end),
                probabilities: &probabilities,
                voice,
            };
            out.extend(
                self.detector
                    .push(scores)
                    .into_iter()
                    .map(SoundOutput::Event),
            );
            self.times.events += t.elapsed();
            // VAD chunks before the next patch's window are done with.
            let next_start = patch_window(index + 1).0 / VAD_CHUNK as u64;
            while self.voice_start < next_start && !self.voice.is_empty() {
                self.voice.pop_front();
                self.voice_start += 1;
            }
        }
        Ok(())
    }
}
