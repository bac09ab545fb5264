//! `bench audio`: the whole sound path over WAV files, stage by stage, as
//! a microphone would feed it (blocks of a quarter second).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::audio::analyzer::{AnalyzerError, SoundAnalyzer, SoundOutput, StageTimes};
use crate::audio::resample::{ResampleError, StreamResampler};
use crate::audio::{wav, AudioChunk, SAMPLE_RATE};
use crate::config::Config;
use crate::inference::{Runtime, ORT_VERSION};

#[derive(Debug, Serialize)]
pub struct AudioBench {
    pub engine: &'static str,
    pub files: usize,
    pub audio_s: f64,
    pub processing_s: f64,
    /// Processing time over audio time: 0.01 is a hundred times faster than real time.
    pub real_time_factor: f64,
    pub patches: usize,
    /// Patches that took a second look half a hop earlier (an onset heard).
    pub second_looks: usize,
    pub speech_segments: usize,
    pub events: usize,
    /// Total milliseconds per stage over all files.
    pub resample_ms: f64,
    pub front_end_ms: f64,
    pub yamnet_ms: f64,
    pub vad_ms: f64,
    pub events_ms: f64,
    pub alarm_patterns_ms: f64,
    pub peak_rss_mb: f64,
    pub onnxruntime: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum AudioBenchError {
    #[error(transparent)]
    Wav(#[from] wav::WavError),
    #[error(transparent)]
    Analyzer(#[from] AnalyzerError),
    #[error(transparent)]
    Resample(#[from] ResampleError),
}

/// Samples per block handed on, at the file's own rate: 0.25 s.
fn block_len(rate: u32) -> usize {
    (rate as usize / 4).max(1)
}

struct Pass {
    resample: Duration,
    stages: StageTimes,
    audio_s: f64,
    patches: usize,
    second_looks: usize,
    speech: usize,
    events: usize,
}

/// Decodes every file to mono at its own rate first (untimed, as a
/// microphone hands over mono blocks), then times one pass after an untimed
/// warm-up pass.
pub fn run(
    runtime: &Runtime,
    config: &Config,
    files: &[PathBuf],
) -> Result<AudioBench, AudioBenchError> {
    let mut analyzer = SoundAnalyzer::load(runtime, &config.models_dir, &config.sound)?;
    let inputs: Vec<(Vec<f32>, u32)> = files
        .iter()
        .map(|f| wav::read_mono(f))
        .collect::<Result<_, _>>()?;
    one_pass(&mut analyzer, &inputs)?;
    let pass = one_pass(&mut analyzer, &inputs)?;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let processing = pass.resample
        + pass.stages.front_end
        + pass.stages.yamnet
        + pass.stages.vad
        + pass.stages.events
        + pass.stages.alarm_patterns;
    Ok(AudioBench {
        engine: "tryghed",
        files: files.len(),
        audio_s: pass.audio_s,
        processing_s: processing.as_secs_f64(),
        real_time_factor: processing.as_secs_f64() / pass.audio_s.max(f64::MIN_POSITIVE),
        patches: pass.patches,
        second_looks: pass.second_looks,
        speech_segments: pass.speech,
        events: pass.events,
        resample_ms: ms(pass.resample),
        front_end_ms: ms(pass.stages.front_end),
        yamnet_ms: ms(pass.stages.yamnet),
        vad_ms: ms(pass.stages.vad),
        events_ms: ms(pass.stages.events),
        alarm_patterns_ms: ms(pass.stages.alarm_patterns),
        peak_rss_mb: super::vision::peak_rss_mb(),
        onnxruntime: ORT_VERSION,
    })
}

fn one_pass(
    analyzer: &mut SoundAnalyzer,
    inputs: &[(Vec<f32>, u32)],
) -> Result<Pass, AudioBenchError> {
    let before = analyzer.times();
    let mut pass = Pass {
        resample: Duration::ZERO,
        stages: StageTimes::default(),
        audio_s: 0.0,
        patches: 0,
        second_looks: 0,
        speech: 0,
        events: 0,
    };
    let count = |outputs: Vec<SoundOutput>, pass: &mut Pass| {
        for output in outputs {
            match output {
                SoundOutput::Patch(patch) => {
                    pass.patches += 1;
                    pass.second_looks += usize::from(patch.second_look.is_some());
                }
                SoundOutput::Speech(_) => pass.speech += 1,
                SoundOutput::Event(crate::audio::events::EventUpdate::Ended(_)) => pass.events += 1,
                SoundOutput::Event(_) => {}
            }
        }
    };
    for (mono, rate) in inputs {
        let mut resampler = StreamResampler::new(*rate)?;
        let mut samples = 0usize;
        for block in mono.chunks(block_len(*rate)) {
            let t = Instant::now();
            let resampled = resampler.push(block)?;
            pass.resample += t.elapsed();
            samples += resampled.len();
            count(
                analyzer.push(&AudioChunk::from_samples(resampled))?,
                &mut pass,
            );
        }
        let t = Instant::now();
        let tail = resampler.finish()?;
        pass.resample += t.elapsed();
        samples += tail.len();
        count(analyzer.push(&AudioChunk::from_samples(tail))?, &mut pass);
        count(analyzer.finish()?, &mut pass);
        pass.audio_s += samples as f64 / f64::from(SAMPLE_RATE);
    }
    let after = analyzer.times();
    pass.stages = StageTimes {
        front_end: after.front_end - before.front_end,
        yamnet: after.yamnet - before.yamnet,
        vad: after.vad - before.vad,
        events: after.events - before.events,
        alarm_patterns: after.alarm_patterns - before.alarm_patterns,
    };
    Ok(pass)
}
