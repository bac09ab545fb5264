//! `bench audio`: the sound path over WAV files, stage by stage.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::audio::logmel::{LogMel, LOG_OFFSET};
use crate::audio::yamnet::{Yamnet, YamnetError};
use crate::audio::{resample, wav, SAMPLE_RATE};
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
    /// Total milliseconds per stage over all files.
    pub resample_ms: f64,
    pub front_end_ms: f64,
    pub yamnet_ms: f64,
    pub peak_rss_mb: f64,
    pub onnxruntime: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum AudioBenchError {
    #[error(transparent)]
    Wav(#[from] wav::WavError),
    #[error(transparent)]
    Yamnet(#[from] YamnetError),
    #[error(transparent)]
    Resample(#[from] resample::ResampleError),
}

/// Decodes every file to its own rate first (untimed), then times
/// resampling, the front end and YAMNet, after one untimed warm-up pass.
pub fn run(runtime: &Runtime, models_dir: &Path, files: &[PathBuf]) -> Result<AudioBench, AudioBenchError> {
    let mut yamnet = Yamnet::load(runtime, models_dir)?;
    let mut front = LogMel::new(LOG_OFFSET);
    // Decoding is not timed: mono at the file's own rate, as a microphone gives.
    let mut inputs = Vec::new();
    for file in files {
        let (mono, rate) = wav::read_mono(file)?;
        inputs.push((mono, rate));
    }
    let mut pass = || -> Result<(Duration, Duration, Duration, usize, f64), AudioBenchError> {
        let (mut resample_t, mut front_t, mut yamnet_t, mut patches, mut audio_s) = (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0, 0.0);
        for (mono, rate) in &inputs {
            let t = Instant::now();
            let samples = resample::to_16k(mono.clone(), *rate)?;
            resample_t += t.elapsed();
            audio_s += samples.len() as f64 / f64::from(SAMPLE_RATE);
            let t = Instant::now();
            let file_patches = front.patches(&samples);
            front_t += t.elapsed();
            let t = Instant::now();
            for patch in &file_patches {
                yamnet.logits(patch)?;
            }
            yamnet_t += t.elapsed();
            patches += file_patches.len();
        }
        Ok((resample_t, front_t, yamnet_t, patches, audio_s))
    };
    pass()?;
    let (resample_t, front_t, yamnet_t, patches, audio_s) = pass()?;
    let processing = resample_t + front_t + yamnet_t;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(AudioBench {
        engine: "tryghed",
        files: files.len(),
        audio_s,
        processing_s: processing.as_secs_f64(),
        real_time_factor: processing.as_secs_f64() / audio_s.max(f64::MIN_POSITIVE),
        patches,
        resample_ms: ms(resample_t),
        front_end_ms: ms(front_t),
        yamnet_ms: ms(yamnet_t),
        peak_rss_mb: super::vision::peak_rss_mb(),
        onnxruntime: ORT_VERSION,
    })
}
